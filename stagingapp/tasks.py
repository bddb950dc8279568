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
