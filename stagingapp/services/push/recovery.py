"""No batch stranded: hand batches whose worker died, or whose queued task was lost, to the task queue again.

Handing a batch over twice is harmless: only one run can claim it (batch_claim), the other ends at once.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ...models import PushBatch
from .lease import orphaned_batches

RECOVERY_SCHEDULE = "push batch recovery"
STARTUP_SCHEDULE = "push batch recovery after start"


def batches_to_recover(now=None) -> list[int]:
    """RUNNING batches with a stale heartbeat or a dead worker process (lease.owner_gone), and QUEUED batches due
    to run that no task has started for the stale time (counted from queueing or from the last hand-over, kept
    in heartbeat_at while queued)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS)
    running = Q(status=PushBatch.Status.RUNNING) & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
    due = Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now)
    queued = Q(status=PushBatch.Status.QUEUED) & due & Q(waiting_since__lt=stale_before)
    found = PushBatch.objects.annotate(waiting_since=Coalesce("heartbeat_at", "queued_at")).filter(
        running | queued).values_list("pk", flat=True)
    return sorted({*found, *orphaned_batches()})


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
    """A worker process started: resume at once every batch batches_to_recover finds, above all those whose
    worker process is gone (it was SIGKILLed just before, its heartbeat still fresh) and queued ones whose task a
    killed worker had taken, and check once more after the stale time for any other host's.

    The later check is planned only when none is pending sooner: with workers restarting more often than that,
    moving it later each time would mean it never ran (and django-q2's scheduler runs only every 30 s of a
    cluster's life, so a worker that keeps dying sooner never runs schedules at all: hence the check at once).
    """
    from django_q.models import Schedule

    batch_recover()
    next_run = timezone.now() + timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS + 1)
    pending = Schedule.objects.filter(name=STARTUP_SCHEDULE).exclude(repeats=0).values_list(
        "next_run", flat=True).first()
    if pending is not None and pending <= next_run:
        return
    Schedule.objects.update_or_create(
        name=STARTUP_SCHEDULE,
        defaults={"func": "stagingapp.tasks.push_recover", "schedule_type": Schedule.ONCE, "repeats": 1,
                  "next_run": next_run},
    )
