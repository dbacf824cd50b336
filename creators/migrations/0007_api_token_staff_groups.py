"""Staff permissions for API tokens.

Trust & Safety and Finance both issue tokens to partners and creators and revoke leaked ones
(add: issue; change: the revoke action). Nobody may delete a token: the record of who held which
key stays.
"""

from django.db import migrations

from creators.roles import FINANCE, TRUST_AND_SAFETY, grant_group_permissions

TOKEN_PERMISSIONS = ["creators.view_apitoken", "creators.add_apitoken", "creators.change_apitoken"]
GRANTS = {TRUST_AND_SAFETY: TOKEN_PERMISSIONS, FINANCE: TOKEN_PERMISSIONS}


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("creators", "0006_api_tokens_email_verification")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
