"""Give Publishers the batch permissions (create, view, queue, cancel, retry) and everyone a read-only view."""
from django.db import migrations

PUBLISHER_CODENAMES = [
    "add_pushbatch", "change_pushbatch", "view_pushbatch", "queue_pushbatch", "cancel_pushbatch",
    "retry_pushbatch", "view_batchitem", "view_webflowitemref",
]
VIEWER_CODENAMES = ["view_pushbatch", "view_batchitem", "view_webflowitemref"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (
        ("Publishers", PUBLISHER_CODENAMES), ("Editors", VIEWER_CODENAMES), ("Approvers", VIEWER_CODENAMES)
    ):
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = Permission.objects.filter(content_type__app_label="stagingapp", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for {group_name}: {sorted(missing)}")
        group.permissions.add(*permissions)


def install_recovery_schedule(apps, schema_editor):
    # Batches whose worker died (killed, OOM, host lost) are re-enqueued by this schedule and resume where they
    # stopped; django-q2's own re-delivery would wait for Q_CLUSTER["retry"] (over an hour).
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name="push batch recovery",
        defaults={"func": "stagingapp.tasks.push_recover", "schedule_type": "I", "minutes": 5, "repeats": -1},
    )


def remove_recovery_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="push batch recovery").delete()


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="stagingapp", codename__in=PUBLISHER_CODENAMES)
    for group in Group.objects.filter(name__in=["Publishers", "Editors", "Approvers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("stagingapp", "0008_push_batches"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(install_recovery_schedule, remove_recovery_schedule),
    ]
