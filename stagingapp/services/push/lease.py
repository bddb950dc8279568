"""Who owns a batch: the claim (QUEUED or stale RUNNING -> RUNNING), the heartbeat, and waits that keep it fresh."""
import os
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ...models import PushBatch
from ..audit import audit_record


class ClaimLost(Exception):
    """Another run took the batch over (this run's heartbeat went stale); stop without writing anything more."""


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_actor(batch: PushBatch, worker: str) -> dict:
    """Audit actor for work done by a worker: the publisher who queued the batch, with the worker named."""
    publisher = batch.queued_by or batch.created_by
    if publisher is None:
        return {"actor": None, "actor_label": f"worker {worker}"}
    return {"actor": publisher, "actor_label": f"{publisher.get_username()} (worker {worker})"}


def batch_claim(*, batch_id: int, worker: str) -> PushBatch | None:
    """QUEUED (or RUNNING with a stale heartbeat) -> RUNNING owned by `worker`; None when another run holds it
    or the batch is finished. On PostgreSQL the row is taken with SKIP LOCKED, so two workers never both claim.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS)
    with transaction.atomic():
        candidates = PushBatch.objects.filter(pk=batch_id).filter(
            Q(status=PushBatch.Status.QUEUED)
            | Q(status=PushBatch.Status.RUNNING) & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        batch = candidates.select_related("collection").first()
        if batch is None:
            return None
        resumed = batch.status == PushBatch.Status.RUNNING
        # The conditional UPDATE is the claim itself on SQLite (no row locks there): only one writer can match it.
        claimed = PushBatch.objects.filter(pk=batch.pk, status=batch.status, claimed_by=batch.claimed_by).update(
            status=PushBatch.Status.RUNNING, claimed_by=worker, heartbeat_at=timezone.now(),
            started_at=batch.started_at or timezone.now(),
        )
        if not claimed:
            return None
        batch.refresh_from_db()
        audit_record(action="batch.resume" if resumed else "batch.start", **worker_actor(batch, worker), batch=batch,
                     collection=batch.collection, object_repr=str(batch))
    return batch


def beat(run) -> None:
    """Prove this run still owns the batch; raises ClaimLost when another run took it over."""
    alive = PushBatch.objects.filter(
        pk=run.batch.pk, claimed_by=run.worker, status=PushBatch.Status.RUNNING
    ).update(heartbeat_at=timezone.now())
    if not alive:
        raise ClaimLost()


def nap(run, seconds: float) -> None:
    """Sleep in short steps, keeping the heartbeat fresh so a long wait never looks like a dead worker."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        run.sleep(min(left, max(0.2, settings.WEBFLOW_PUSH_STALE_SECONDS / 4)))
        beat(run)
        if run.sleep is not time.sleep:
            return  # an injected sleep (tests) returns at once; one call stands for the whole wait
