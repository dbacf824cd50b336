from django.db import migrations

from creators.roles import TRUST_AND_SAFETY, grant_group_permissions


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, {TRUST_AND_SAFETY: ["integrity.view_viewerevent"]})


class Migration(migrations.Migration):
    dependencies = [("integrity", "0002_event_time_brin"), ("creators", "0002_staff_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
