"""django-q2 entry points: each takes ids and calls one service."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def push_batch(batch_id: int):
    """Run or resume one batch (services.push.run.batch_push); returns the final status, or None if not claimable."""
    from .services.push import batch_push

    batch = batch_push(batch_id=batch_id)
    return batch.status if batch is not None else None


def push_recover() -> list[int]:
    """Re-enqueue running batches whose worker stopped beating (killed, OOM, host lost); they resume, never redo.

    Runs from the "push batch recovery" django-q2 schedule (every 5 minutes; created by migration 0007).
    """
    from django_q.tasks import async_task

    from .models import PushBatch

    stale_before = timezone.now() - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS)
    ids = list(
        PushBatch.objects.filter(status=PushBatch.Status.RUNNING, heartbeat_at__lt=stale_before)
        .values_list("pk", flat=True)
    )
    for batch_id in ids:
        async_task("stagingapp.tasks.push_batch", batch_id)
    return ids


def import_run(job_id: int):
    """Import one confirmed upload (see services.import_jobs.import_run); returns its final status."""
    from .services.import_jobs import import_run as run

    return run(job_id=job_id).status


def import_cleanup() -> int:
    """Delete uploads never confirmed; runs from the "import cleanup" django-q2 schedule (hourly)."""
    from .services.import_jobs import import_cleanup as cleanup

    return cleanup()
