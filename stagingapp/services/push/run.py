"""The push run: claim a queued batch, send it to Webflow in the fewest requests, store every returned ID.

Crash safety rests on three rules: a create chunk is recorded as in flight before it is sent; an unknown outcome
(timeout, dropped connection, 5xx, dead worker) is reconciled by looking the chunk's slugs up in Webflow before
anything is sent again; and what Webflow answered is written in the same transaction that marks the chunk done.
No transaction is ever open during an HTTP call.

Order of a run: removals (unpublish, archive, delete; push/removals.py), reconcile what a dead run left in
flight, mark updates, create (full PATCHes in between),
the remaining PATCHes, publish (live batches), delete copies a late-landing create made (push/copies.py), close.
"""
import contextlib
import gc
import logging
import time
import uuid
from collections.abc import Callable

from ...models import PushBatch
from .context import RunContext
from .copies import remove_late_copies, unchecked_copies_warning
from .creates import create_all
from .flights import in_flight_depth
from .lease import ClaimLost, Heartbeat, batch_claim, heartbeat_interval, worker_label, write_answered
from .outcomes import finish, stop
from .patches import patch_all
from .policy import INTERNAL_ERROR_MESSAGE, StopBatch
from .publish import publish_all
from .reconcile import reconcile_in_flight
from .removals import remove_all
from .updates import prepare_updates

logger = logging.getLogger(__name__)


def batch_push(
    *, batch_id: int, client=None, worker: str | None = None, progress: Callable[[dict], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushBatch | None:
    """Run (or resume) one queued batch to completion in this process.

    Precondition: the batch is QUEUED, or RUNNING with a stale heartbeat (its worker died). Effect: every item
    ends DONE/FAILED/CANCELLED with a reason, IDs are stored per item and locale, the batch ends SUCCEEDED,
    PARTLY_FAILED, FAILED or CANCELLED. Returns None when the batch was not claimable (another worker has it, or
    it already finished). Unexpected errors fail the batch with the error recorded and are re-raised.
    """
    with objects_of_the_process_frozen():
        return _batch_push(batch_id=batch_id, client=client, worker=worker, progress=progress, sleep=sleep)


@contextlib.contextmanager
def objects_of_the_process_frozen():
    """Keep what the worker process held before the run (Django's state, modules, caches) out of the garbage
    collector's full passes for the run's length: each rescanned it all, and they took 50-100 ms apiece, several
    per batch (about a tenth of a no-limit push). Unfrozen afterwards, so nothing that later becomes garbage
    outlives the next collection."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _batch_push(*, batch_id, client, worker, progress, sleep) -> PushBatch | None:
    worker = worker or worker_label()
    batch = batch_claim(batch_id=batch_id, worker=worker)
    if batch is None:
        logger.info("Batch %s is not claimable (running elsewhere or finished)", batch_id)
        return None
    run = RunContext(batch=batch, client=client, worker=worker, progress=progress, sleep=sleep)
    release_dead_runs_slots(run, batch.taken_over_from)
    interval = heartbeat_interval()
    if interval:
        run.heartbeat = Heartbeat(batch_id=batch.pk, worker=worker, interval=interval).start()
    run.flights.depth = in_flight_depth(run)
    run.flights.open(run.client)
    try:
        execute(run)
    except ClaimLost:
        logger.warning("Batch %s was taken over by another worker; this run stops", batch_id)
        return None
    except Exception:
        # Editors see a reference, never `TypeError: ...`; the traceback is in the log under that reference.
        reference = uuid.uuid4().hex[:12]
        logger.exception("Batch %s failed unexpectedly (reference %s)", batch_id, reference)
        stop(run, INTERNAL_ERROR_MESSAGE.format(reference=reference))
        raise
    finally:
        run.flights.close(run.client)
        try:
            write_answered(run)
        except Exception:
            logger.exception("Batch %s: the audit entries of its last requests could not be written", batch_id)
        try:
            run.client.flush_limiter()
        except Exception:  # the limiter is advisory after the fact; held answers expire as pending
            logger.exception("Batch %s: the rate limiter could not record the last answers", batch_id)
        if run.heartbeat is not None:
            run.heartbeat.stop()
    batch.refresh_from_db()
    return batch


def release_dead_runs_slots(run: RunContext, previous_worker: str) -> None:
    """The requests a dead run had on their way stay pending in the shared limiter for pending_hold (3 minutes):
    at a limit near the depth in flight they could hold this run's whole budget that long. Counted as answered
    now instead. Advisory: if the limiter cannot be reached, they expire on their own."""
    if not previous_worker:
        return
    try:
        released = run.client.release_reservations(previous_worker)
    except Exception:
        logger.exception("Batch %s: the previous run's rate-limit slots could not be released", run.batch.pk)
        return
    if released:
        logger.info("Batch %s: released %s rate-limit slot(s) of the previous run (%s)", run.batch.pk, released,
                    previous_worker)


def execute(run: RunContext) -> None:
    try:
        remove_all(run)
        reconcile_in_flight(run)
        prepare_updates(run)
        create_all(run)
        patch_all(run)
        publish_all(run)
        remove_late_copies(run)
    except StopBatch as reason:
        run.flights.abandon_all()  # answers already on their way are recorded: no created item goes unlinked
        stop(run, str(reason) + unchecked_copies_warning(run))
        return
    except ClaimLost:
        run.flights.conclude_all()  # audited; the run that took over reconciles what this one left in flight
        raise
    except Exception:
        run.flights.abandon_all()
        raise
    finish(run)
