"""Staff groups and what each may do in admin.

Groups are created by data migrations (creators 0002, and later one per app that adds models staff
work on), each calling ``grant_group_permissions`` with the permissions it introduces. Running a
grant twice changes nothing.
"""

TRUST_AND_SAFETY = "Trust & Safety"
FINANCE = "Finance"
STAFF_GROUPS = (TRUST_AND_SAFETY, FINANCE)
# Service accounts of the apps and edges that send viewer events (token-authenticated, not staff).
EVENT_PRODUCERS = "Event producers"


def grant_group_permissions(apps, schema_editor, grants: dict[str, list[str]]) -> None:
    """Give each group the listed permissions ("app_label.codename"), creating what is missing.

    Permissions are normally created after all migrations ran; a data migration needs them now,
    so they are created here for every app first.
    """
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for dotted in permissions:
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)
