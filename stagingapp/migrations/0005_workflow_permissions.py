"""Grant the review permissions to the role groups and backfill the content hashes of existing rows."""
import hashlib
import json

from django.db import migrations

ROLE_PERMISSIONS = {
    "Editors": ["submit_draftitem", "view_auditevent"],
    "Approvers": ["approve_draftitem", "unlock_draftitem", "view_auditevent"],
    "Publishers": ["unlock_draftitem", "view_auditevent"],
}
PRIMARY_CONTENT_FIELDS = ("name", "slug", "field_data", "is_archived", "is_draft")


def _ensure_permissions(apps):
    # Custom permissions are normally created after migrate; create them now so the groups can reference them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, schema_editor):
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


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        for group in Group.objects.filter(name=group_name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="stagingapp", codename__in=codenames)
            )


def backfill_hashes(apps, schema_editor):
    # Same canonical JSON as models.content_hash; existing translations count as following today's source.
    DraftItem = apps.get_model("stagingapp", "DraftItem")
    DraftTranslation = apps.get_model("stagingapp", "DraftTranslation")
    for item in DraftItem.objects.all().iterator():
        content = {name: getattr(item, name) for name in PRIMARY_CONTENT_FIELDS}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        DraftItem.objects.filter(pk=item.pk).update(source_hash=digest)
        DraftTranslation.objects.filter(item_id=item.pk).update(source_hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("stagingapp", "0004_workflow_fields"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(backfill_hashes, migrations.RunPython.noop),
    ]
