"""Create the Editors, Approvers and Publishers groups with the permissions each role needs."""
from django.db import migrations

ROLE_PERMISSIONS = {
    "Editors": [
        "add_draftitem", "change_draftitem", "delete_draftitem", "view_draftitem",
        "add_drafttranslation", "change_drafttranslation", "delete_drafttranslation", "view_drafttranslation",
        "view_collection", "view_site", "view_localemapping",
    ],
    "Approvers": [
        "view_draftitem", "view_drafttranslation", "view_collection", "view_site", "view_localemapping",
    ],
    "Publishers": [
        "view_draftitem", "view_drafttranslation",
        "add_site", "change_site", "view_site",
        "add_collection", "change_collection", "view_collection",
        "add_localemapping", "change_localemapping", "delete_localemapping", "view_localemapping",
    ],
}


def _ensure_permissions(apps):
    # Permissions are normally created after migrate; create them now so the groups can reference them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = Permission.objects.filter(content_type__app_label="stagingapp", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for {group_name}: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stagingapp", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
