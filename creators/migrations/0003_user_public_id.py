"""Give every account a public UUID: add it nullable, fill existing rows, then make it unique."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    User = apps.get_model("creators", "User")
    for pk in User.objects.filter(public_id__isnull=True).values_list("pk", flat=True).iterator():
        User.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("creators", "0002_staff_groups")]

    operations = [
        migrations.AddField(model_name="user", name="public_id", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
