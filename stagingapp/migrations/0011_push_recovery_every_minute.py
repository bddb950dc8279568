from django.db import migrations


def every_minute(apps, schema_editor):
    # With a 30 s stale time and a heartbeat every few seconds, a dead worker's batch resumes within about a
    # minute; the old 5-minute interval made that up to ten.
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="push batch recovery",
        defaults={"func": "stagingapp.tasks.push_recover", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def every_five_minutes(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="push batch recovery").update(minutes=5)


class Migration(migrations.Migration):
    dependencies = [
        ("stagingapp", "0010_batch_queued_by"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(every_minute, every_five_minutes)]
