"""django-q2 entry points: each takes ids and calls one service."""


def push_batch(batch_id: int):
    """Run or resume one batch (services.push.run.batch_push); returns the final status, or None if not claimable."""
    from .services.push import batch_push

    batch = batch_push(batch_id=batch_id)
    return batch.status if batch is not None else None


def push_recover() -> list[int]:
    """Hand batches whose worker died, or whose queued task was lost, to a worker again (they resume, never redo).

    Runs from the "push batch recovery" django-q2 schedule (every minute) and once after a worker starts.
    """
    from .services.push.recovery import batch_recover

    return batch_recover()


def verify_due() -> list[int]:
    """Verify every collection whose scheduled drift report is due (the "drift verify" schedule, every minute;
    WEBFLOW_VERIFY_INTERVAL_MINUTES sets how often each collection is read). Returns the run ids."""
    from .models import DriftRun
    from .services.drift import collection_verify, collections_due

    return [collection_verify(collection_id=pk, trigger=DriftRun.Trigger.SCHEDULE, actor_label="schedule").pk
            for pk in collections_due()]


def import_run(job_id: int):
    """Import one confirmed upload (see services.import_jobs.import_run); returns its final status."""
    from .services.import_jobs import import_run as run

    return run(job_id=job_id).status


def import_cleanup() -> int:
    """Delete uploads never confirmed; runs from the "import cleanup" django-q2 schedule (hourly)."""
    from .services.import_jobs import import_cleanup as cleanup

    return cleanup()
