# Trust & Safety works the flag queue and the appeals in admin; Finance has no moderation duties.
from django.db import migrations

from creators.roles import TRUST_AND_SAFETY, grant_group_permissions

GRANTS = {
    TRUST_AND_SAFETY: [
        "moderation.view_evaluation",
        "moderation.view_flag",
        "moderation.review_flag",
        "moderation.view_flagreview",
        "moderation.view_appeal",
        "moderation.resolve_appeal",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_evaluations_flags_appeals"),
        ("creators", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
