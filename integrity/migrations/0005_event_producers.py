from django.db import migrations

from creators.roles import EVENT_PRODUCERS, TRUST_AND_SAFETY, grant_group_permissions


def grant(apps, schema_editor):
    grant_group_permissions(
        apps,
        schema_editor,
        {
            EVENT_PRODUCERS: ["integrity.add_viewerevent"],
            TRUST_AND_SAFETY: [
                "integrity.view_engagementwindow",
                "integrity.view_invalidengagement",
                "integrity.view_viewertrust",
                "integrity.view_videointegrity",
                "integrity.view_creatortrust",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("integrity", "0004_windows_and_judgements")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
