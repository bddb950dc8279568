"""No batch stranded: hand batches whose worker died, or whose queued task was lost, to the task queue again.

Handing a batch over twice is harmless: only one run can claim it (batch_claim), the other ends at once.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ...models import PushBatch

RECOVERY_SCHEDULE = "push batch recovery"
STARTUP_SCHEDULE = "push batch recovery after start"


def batches_to_recover(now=None) -> list[int]:
    """RUNNING batches with a stale heartbeat, and QUEUED batches due to run that no task has started for the
    stale time (counted from queueing or from the last hand-over, kept in heartbeat_at while queued)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS)
    running = Q(status=PushBatch.Status.RUNNING) & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
    due = Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now)
    queued = Q(status=PushBatch.Status.QUEUED) & due & Q(waiting_since__lt=stale_before)
    return list(
        PushBatch.objects.annotate(waiting_since=Coalesce("heartbeat_at", "queued_at"))
        .filter(running | queued).order_by("pk").values_list("pk", flat=True)
    )


def batch_recover(now=None) -> list[int]:
    """Enqueue a push task for every batch `batches_to_recover` finds; returns their ids."""
    from django_q.tasks import async_task

    now = now or timezone.now()
    ids = batches_to_recover(now)
    # A queued batch remembers the hand-over, so the next check (a minute later) does not pile up tasks for it.
    PushBatch.objects.filter(pk__in=ids, status=PushBatch.Status.QUEUED).update(heartbeat_at=now)
    for batch_id in ids:
        async_task("stagingapp.tasks.push_batch", batch_id)
    return ids


def recovery_check_after_start() -> None:
    """A worker process started: check once the stale time has passed, so a batch whose worker died just
    before (heartbeat still fresh) resumes within about that time instead of waiting for the minute schedule."""
    from django_q.models import Schedule

    next_run = timezone.now() + timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS + 1)
    Schedule.objects.update_or_create(
        name=STARTUP_SCHEDULE,
        defaults={"func": "stagingapp.tasks.push_recover", "schedule_type": Schedule.ONCE, "repeats": 1,
                  "next_run": next_run},
    )
