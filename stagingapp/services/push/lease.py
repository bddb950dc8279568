"""Who owns a batch: the claim (QUEUED or stale RUNNING -> RUNNING), the heartbeat, and waits that keep it fresh."""
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from ...models import PushBatch
from ...statements import Add, update_rows
from ..audit import audit_record, audit_record_values

logger = logging.getLogger(__name__)


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


def owner_gone(claimed_by: str) -> bool:
    """True when `claimed_by` (a worker_label) names a process on this host that no longer runs (SIGKILLed,
    crashed): its batch can be taken over at once instead of after WEBFLOW_PUSH_STALE_SECONDS. A run on another
    host, or one whose process cannot be checked, counts as alive and its heartbeat decides. Should the owner
    live after all, its next beat finds the claim gone (ClaimLost) and it stops writing."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    if not Path("/proc/self/stat").exists():
        return False  # no /proc (macOS): nothing to tell a dead process by, so only the heartbeat decides
    try:
        # A killed process whose parent died too may linger as a zombie until something reaps it.
        return Path(f"/proc/{pid_text}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except (OSError, IndexError):
        return False


def _orphaned(batch_ids) -> Q:
    """RUNNING batches among `batch_ids` whose owner is gone (owner_gone), as a filter on the claim seen."""
    owners = PushBatch.objects.filter(pk__in=batch_ids, status=PushBatch.Status.RUNNING).exclude(
        claimed_by="").values_list("pk", "claimed_by")
    gone = [Q(pk=pk, claimed_by=owner) for pk, owner in owners if owner_gone(owner)]
    orphaned = Q(pk__in=[])
    for q in gone:
        orphaned |= q
    return Q(status=PushBatch.Status.RUNNING) & orphaned


def orphaned_batches() -> list[int]:
    """Ids of RUNNING batches whose worker process is gone (owner_gone), however fresh their heartbeat."""
    running = PushBatch.objects.filter(status=PushBatch.Status.RUNNING).values_list("pk", flat=True)
    return list(PushBatch.objects.filter(_orphaned(list(running))).order_by("pk").values_list("pk", flat=True))


def batch_claim(*, batch_id: int, worker: str) -> PushBatch | None:
    """QUEUED (or RUNNING with a stale heartbeat or a dead owner) -> RUNNING owned by `worker`; None when another
    run holds it or the batch is finished. On PostgreSQL the row is taken with SKIP LOCKED, so two workers never
    both claim.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS)
    with transaction.atomic():
        candidates = PushBatch.objects.filter(pk=batch_id).filter(
            Q(status=PushBatch.Status.QUEUED)
            | Q(status=PushBatch.Status.RUNNING) & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
            | _orphaned([batch_id])
        )
        if connection.features.has_select_for_update_skip_locked:
            # of=("self",): only the batch row. Locking the joined collection row too made a claim skip every
            # other batch of that collection while one claim transaction was open (the batch stayed QUEUED).
            of = ("self",) if connection.features.has_select_for_update_of else ()
            candidates = candidates.select_for_update(skip_locked=True, of=of)
        batch = candidates.select_related("collection").first()
        if batch is None:
            return None
        resumed = batch.status == PushBatch.Status.RUNNING
        previous_worker = batch.claimed_by
        # The conditional UPDATE is the claim itself on SQLite (no row locks there): only one writer can match it.
        claimed = PushBatch.objects.filter(pk=batch.pk, status=batch.status, claimed_by=batch.claimed_by).update(
            status=PushBatch.Status.RUNNING, claimed_by=worker, heartbeat_at=timezone.now(),
            started_at=batch.started_at or timezone.now(),
        )
        if not claimed:
            return None
        batch.refresh_from_db()
        # The run this one takes over (its rate-limit slots are released once the run has its client).
        batch.taken_over_from = previous_worker if resumed else ""
        audit_record(action="batch.resume" if resumed else "batch.start", **worker_actor(batch, worker), batch=batch,
                     collection=batch.collection, object_repr=str(batch))
        if resumed:
            audit_unanswered(batch, worker, previous_worker)
    return batch


def audit_unanswered(batch: PushBatch, worker: str, previous_worker: str) -> None:
    """The run before this one stopped (killed, crashed) with requests counted as sent whose answer it never
    wrote to the history: on their way when it died, or answered just before. Say so in one entry, so the
    history accounts for every request that left (what they did in Webflow is settled by the reconcile that
    follows)."""
    unanswered = batch.requests_sent - batch.requests_audited
    if unanswered <= 0:
        return
    previous_worker = previous_worker or "unknown"
    audit_record(action="push.unanswered", **worker_actor(batch, worker), batch=batch, collection=batch.collection,
                 object_repr=str(batch),
                 message=f"{unanswered} request(s) sent by the previous run (worker {previous_worker}) have no "
                         "recorded answer: it stopped while they were on their way. What they did in Webflow is "
                         "looked up before anything is sent again.",
                 data={"requests": unanswered, "previous_worker": previous_worker})
    update_rows(PushBatch, {"pk": batch.pk}, requests_audited=Add(unanswered))
    batch.requests_audited += unanswered


def beat(run) -> None:
    """Prove this run still owns the batch; raises ClaimLost when another run took it over.

    The audit entries of the requests answered since the last beat go in with it, counted in requests_audited
    by the same statement: every step that writes beats first, so they land in the step's own transaction
    instead of one of their own per request (RunContext.observe). A request about to leave (run.leaving, see
    RunContext.before_send) is counted in requests_sent by the same statement."""
    if run.heartbeat is not None and run.heartbeat.lost:
        raise ClaimLost()
    where = {"pk": run.batch.pk, "claimed_by": run.worker, "status": PushBatch.Status.RUNNING}
    values = {"heartbeat_at": timezone.now()}
    if run.leaving:
        values["requests_sent"] = Add(run.leaving)
    if not update_batch_with_answered(run, where, **values):
        raise ClaimLost()  # (what is still held is written when the run ends: write_answered)
    run.leaving = 0


def write_answered(run) -> None:
    """Write the audit entries of answered requests no beat has written yet (the run ends or stops), claimed
    or not: they happened."""
    if run.answered:
        update_batch_with_answered(run, {"pk": run.batch.pk})


def update_batch_with_answered(run, where: dict, **values) -> int:
    """UPDATE the batch row matching `where` with `values` and, when it matched, write the audit entries held
    in run.answered, counted in requests_audited by the same statement (one transaction); returns rows matched."""
    answered = list(run.answered)
    if not answered:
        return update_rows(PushBatch, where, **values)
    with transaction.atomic(savepoint=False):
        matched = update_rows(PushBatch, where, **values, requests_audited=Add(len(answered)))
        if matched:
            audit_record_values(answered)
    if matched:
        del run.answered[:len(answered)]
    return matched


def nap(run, seconds: float) -> None:
    """Sleep in short steps, keeping the heartbeat fresh so a long wait never looks like a dead worker; answers
    the limiter holds are handed over first (other workers must not count them as pending meanwhile)."""
    run.client.flush_limiter()
    beat(run)  # (and the audit of the requests that led to this wait)
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        run.sleep(min(left, max(0.2, settings.WEBFLOW_PUSH_STALE_SECONDS / 4)))
        beat(run)
        if run.sleep is not time.sleep:
            return  # an injected sleep (tests) returns at once; one call stands for the whole wait


def heartbeat_interval() -> float:
    """Seconds between heartbeats: the setting, capped at a third of the stale time; 0 means no thread."""
    configured = float(settings.WEBFLOW_PUSH_HEARTBEAT_SECONDS)
    if configured <= 0:
        return 0.0
    return min(configured, max(0.5, settings.WEBFLOW_PUSH_STALE_SECONDS / 3))


class Heartbeat:
    """Keeps a claim fresh from its own thread (with its own database connection) while the run waits on HTTP
    or the rate limiter; `lost` turns True when the claim was taken over, and the run's next beat stops it."""

    def __init__(self, *, batch_id: int, worker: str, interval: float):
        self.batch_id, self.worker, self.interval = batch_id, worker, interval
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"push-heartbeat-{batch_id}", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 10)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    alive = PushBatch.objects.filter(
                        pk=self.batch_id, claimed_by=self.worker, status=PushBatch.Status.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("Heartbeat of batch %s could not be written; trying again", self.batch_id,
                                   exc_info=True)
                    continue
                if not alive:
                    self.lost = True
                    return
        finally:
            connections.close_all()  # this thread's own connections only (they are per thread)
