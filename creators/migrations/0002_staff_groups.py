from django.db import migrations

from creators.roles import FINANCE, TRUST_AND_SAFETY, grant_group_permissions

GRANTS = {
    TRUST_AND_SAFETY: [
        "creators.view_user",
        "creators.view_creatorprofile",
        "creators.view_video",
        "creators.change_video",
        "creators.view_hashtag",
        "creators.view_follow",
    ],
    FINANCE: [
        "creators.view_user",
        "creators.view_creatorprofile",
        "creators.view_video",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("creators", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
