"""A BRIN index on event time, PostgreSQL only.

Events arrive roughly in time order, so a BRIN index answers "events in this window" scans for a
few kilobytes where a B-tree over hundreds of millions of rows would take gigabytes.
"""

from django.db import migrations


def create_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS event_time_brin ON integrity_viewerevent "
            "USING brin (occurred_at) WITH (pages_per_range = 32)"
        )


def drop_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS event_time_brin")


class Migration(migrations.Migration):
    dependencies = [("integrity", "0001_initial")]

    operations = [migrations.RunPython(create_brin, drop_brin)]
