"""Staff permissions for trends and follower milestones.

Approving a trend idea is content curation, so it belongs to Trust & Safety (review_trend).
Finance sees milestone awards and trends, and may retry a waiting milestone payment
(change_milestoneaward: the admin action that calls the payment service, never a form edit).
"""

from django.db import migrations

from creators.roles import FINANCE, TRUST_AND_SAFETY, grant_group_permissions

GRANTS = {
    TRUST_AND_SAFETY: [
        "creators.view_trend",
        "creators.review_trend",
        "creators.view_trendadoption",
        "creators.view_milestoneaward",
    ],
    FINANCE: [
        "creators.view_trend",
        "creators.view_trendadoption",
        "creators.view_milestoneaward",
        "creators.change_milestoneaward",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("creators", "0004_milestones_trends")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
