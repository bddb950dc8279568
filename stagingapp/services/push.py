"""The push run: claim a queued batch, send it to Webflow in the fewest requests, store every returned ID.

Crash safety rests on three rules: a create chunk is recorded as in flight before it is sent; an unknown outcome
(timeout, dropped connection, 5xx, dead worker) is reconciled by looking the chunk's slugs up in Webflow before
anything is sent again; and what Webflow answered is written in the same transaction that marks the chunk done.
No transaction is ever open during an HTTP call.
"""
import contextlib
import logging
import os
import random
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..exceptions import FieldDataInvalid
from ..models import BatchItem, DraftItem, PushBatch, PushChunk, WebflowItemRef
from ..webflow.client import get_client
from ..webflow.errors import (
    WebflowAuthError,
    WebflowConflict,
    WebflowError,
    WebflowForbidden,
    WebflowNotFound,
    WebflowRateLimited,
    WebflowValidationError,
)
from .audit import audit_record
from .batches import batch_counts
from .push_planning import (
    MAX_ENTRIES_PER_PATCH,
    MAX_ITEMS_PER_PUBLISH,
    batch_locales,
    chunked,
    create_chunk_size,
    item_flags,
    locale_field_data,
    localized_locale_ids,
    primary_field_data,
    translation_patch_data,
    uses_live_endpoint,
)
from .workflow import items_transition

logger = logging.getLogger(__name__)

TOKEN_MESSAGE = (
    "Webflow refused the API token ({error}). Check WEBFLOW_API_TOKEN: it must be a valid site token with the "
    "cms:write scope for this site. The batch was stopped; nothing more was sent."
)
COLLECTION_GONE_MESSAGE = (
    "Webflow does not know collection {collection_id} ({error}). Check the collection's Webflow ID or sync it "
    "again. The batch was stopped."
)
_DUPLICATE_SLUG = re.compile(r"unique|already|duplicate", re.I)
_INDEX_IN_TEXT = re.compile(r"(?:fieldData|items)\s*(?:\[|\.)\s*(\d+)", re.I)
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
# The client already waits out a few 429s per request; this many more waits in one run means something else is
# spending the token's budget, and the batch stops rather than spinning.
MAX_RATE_LIMIT_WAITS = 20
_HEX_ID = re.compile(r"\b[0-9a-fA-F]{24}\b")


class ClaimLost(Exception):
    """Another run took the batch over (this run's heartbeat went stale); stop without writing anything more."""


class StopBatch(Exception):
    """Webflow answered in a way that makes every further request pointless (token, scope, missing collection)."""


def _parse_time(value):
    return parse_datetime(value) if isinstance(value, str) and value else None


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
    worker = worker or worker_label()
    batch = batch_claim(batch_id=batch_id, worker=worker)
    if batch is None:
        logger.info("Batch %s is not claimable (running elsewhere or finished)", batch_id)
        return None
    run = PushRun(batch=batch, client=client, worker=worker, progress=progress, sleep=sleep)
    try:
        run.execute()
    except ClaimLost:
        logger.warning("Batch %s was taken over by another worker; this run stops", batch_id)
        return None
    except Exception as exc:
        logger.exception("Batch %s failed unexpectedly", batch_id)
        run.stop(f"Internal error while pushing: {type(exc).__name__}: {exc}")
        raise
    batch.refresh_from_db()
    return batch


class PushRun:
    """State of one claimed run; methods alternate between one HTTP call and one short transaction."""

    def __init__(self, *, batch: PushBatch, client, worker: str, progress, sleep):
        self.batch = batch
        self.worker = worker
        self.as_actor = worker_actor(batch, worker)
        self.progress = progress
        self.sleep = sleep
        self.collection_id = batch.collection.webflow_id
        self.locales = batch_locales(batch)
        self.locale_by_cms = {loc.cms_locale_id: loc for loc in self.locales}
        self.cms_ids = [loc.cms_locale_id for loc in self.locales]
        self.live = batch.mode == PushBatch.Mode.LIVE
        self.live_endpoint = uses_live_endpoint(batch, self.locales)
        self.max_attempts = max(1, settings.WEBFLOW_PUSH_MAX_ATTEMPTS)
        self.context: dict = {"items": [], "step": ""}
        self.rate_limited = 0
        self._updated_item_ids: set[int] | None = None
        if client is None:
            client = get_client(observer=self.observe, sleep=sleep)
        else:
            client.observer = self.observe
        self.client = client

    # --- bookkeeping ------------------------------------------------------------------------------------

    def observe(self, exchange) -> None:
        """Audit one HTTP exchange, linked to the batch and the items of the request."""
        data = exchange.as_dict()
        data["step"] = self.context["step"]
        data["items"] = self.context["items"][:200]
        audit_record(
            action="push.request", **self.as_actor, batch=self.batch, collection=self.batch.collection,
            object_repr=str(self.batch)[:300],
            message=f"{exchange.method} {exchange.path} -> {exchange.status or exchange.error} "
                    f"({exchange.duration_ms} ms, attempt {exchange.attempt})",
            data=data,
        )
        PushBatch.objects.filter(pk=self.batch.pk).update(requests_sent=F("requests_sent") + 1)

    def beat(self) -> None:
        """Prove this run still owns the batch; raises ClaimLost when another run took it over."""
        alive = PushBatch.objects.filter(
            pk=self.batch.pk, claimed_by=self.worker, status=PushBatch.Status.RUNNING
        ).update(heartbeat_at=timezone.now())
        if not alive:
            raise ClaimLost()

    def nap(self, seconds: float) -> None:
        """Sleep in short steps, keeping the heartbeat fresh so a long wait never looks like a dead worker."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sleep(min(left, max(0.2, settings.WEBFLOW_PUSH_STALE_SECONDS / 4)))
            self.beat()
            if self.sleep is not time.sleep:
                return  # an injected sleep (tests) returns at once; one call stands for the whole wait

    def wait_rate_limit(self, exc) -> None:
        """A 429 that outlived the client's own waits: wait again; a token stuck at its limit stops the batch."""
        self.rate_limited += 1
        if self.rate_limited > MAX_RATE_LIMIT_WAITS:
            raise StopBatch(f"Webflow kept answering 429 Too Many Requests ({exc}); another integration may be "
                            "using the same token's budget. The batch was stopped.")
        self.nap(max(1.0, float(getattr(exc, "retry_after", 60.0) or 60.0)))

    def backoff(self, attempt: int) -> float:
        cap = min(settings.WEBFLOW_PUSH_BACKOFF_MAX_SECONDS, settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS * 2 ** attempt)
        return random.uniform(cap / 2, cap)

    def report_progress(self) -> None:
        if self.progress is not None:
            self.progress(batch_counts(self.batch))

    def entries(self, *statuses) -> list[BatchItem]:
        return list(
            self.batch.entries.filter(status__in=statuses).select_related("item__collection")
            .prefetch_related("item__translations", "item__webflow_refs").order_by("pk")
        )

    def cancel_requested(self) -> bool:
        return PushBatch.objects.filter(pk=self.batch.pk, cancel_requested=True).exists()

    def _finish_items(self, outcomes: list[tuple[BatchItem, bool, str, str]], items: dict[int, DraftItem]) -> None:
        """Final state of entries and their row-locked items, inside the caller's transaction.

        Entries are written with one UPDATE per distinct (status, reason, field), and item statuses with one
        items_transition per outcome (done / failed): a chunk of 100 costs the same few statements as a chunk of 5.
        """
        groups: dict[tuple[str, str, str], list[int]] = {}
        for entry, ok, reason, field in outcomes:
            entry.status = BatchItem.Status.DONE if ok else BatchItem.Status.FAILED
            entry.reason, entry.field = reason[:2000], field[:100]
            groups.setdefault((entry.status, entry.reason, entry.field), []).append(entry.pk)
        now = timezone.now()
        for (status, reason, field), pks in groups.items():
            BatchItem.objects.filter(pk__in=pks).update(status=status, reason=reason, field=field, updated_at=now)
        moves: dict[bool, tuple[list[DraftItem], dict[int, str], dict[int, dict]]] = {}
        for entry, ok, reason, field in outcomes:
            item = items[entry.item_id]
            if item.status != DraftItem.Status.IN_BATCH:
                continue
            group_items, reasons, data = moves.setdefault(ok, ([], {}, {}))
            group_items.append(item)
            reasons[item.pk] = reason
            if field:
                data[item.pk] = {"field": field}
        for ok, (group_items, reasons, data) in moves.items():
            if ok:
                to_status = DraftItem.Status.LIVE if self.live else DraftItem.Status.STAGED
                action = "item.push_live" if self.live else "item.push_staged"
            else:
                to_status, action = DraftItem.Status.FAILED, "item.push_failed"
            items_transition(items=group_items, to_status=to_status, **self.as_actor,
                             action=action, reason_by_item=reasons, data_by_item=data, batch=self.batch)

    def lock_items(self, item_ids) -> dict[int, DraftItem]:
        return {item.pk: item for item in DraftItem.objects.select_for_update().filter(
            pk__in=list(item_ids)).order_by("pk")}

    def finish_entries(self, outcomes: list[tuple[BatchItem, bool, str, str]]) -> None:
        """Mark several entries final with their items locked, in pk order (one transaction)."""
        if not outcomes:
            return
        with transaction.atomic():
            self.beat()
            self._finish_items(outcomes, self.lock_items(entry.item_id for entry, *_ in outcomes))
        self.report_progress()

    # --- the run ----------------------------------------------------------------------------------------

    def execute(self) -> None:
        try:
            self.reconcile_in_flight()
            self.prepare_updates()
            self.create_all()
            self.patch_all()
            self.publish_all()
        except StopBatch as stop:
            self.stop(str(stop))
            return
        self.finish()

    def stop(self, reason: str) -> None:
        """End the batch now: every entry not yet final fails with `reason` (or its unknown outcome)."""
        with transaction.atomic():
            batch = PushBatch.objects.select_for_update().get(pk=self.batch.pk)
            if batch.claimed_by != self.worker or batch.status != PushBatch.Status.RUNNING:
                return
            open_entries = list(
                batch.entries.filter(status__in=[BatchItem.Status.PENDING, BatchItem.Status.IN_FLIGHT,
                                                 BatchItem.Status.SENT]).order_by("item_id")
            )
            outcomes = []
            for entry in open_entries:
                note = reason
                if entry.status == BatchItem.Status.IN_FLIGHT:
                    note = (f"{reason} Webflow may hold this item (the last create had no clear answer); a retry "
                            "looks its slug up first and adopts it.")
                elif entry.status == BatchItem.Status.SENT:
                    note = f"{reason} The item exists in Webflow but its locales were not all finished."
                outcomes.append((entry, False, note, ""))
            self._finish_items(outcomes, self.lock_items(e.item_id for e in open_entries))
            WebflowItemRef.objects.filter(last_batch=batch).filter(
                Q(needs_patch=True) | Q(needs_publish=True)).update(needs_patch=False, needs_publish=False)
            batch.last_error = reason[:4000]
            self._close(batch)
        self.report_progress()

    def finish(self) -> None:
        with transaction.atomic():
            batch = PushBatch.objects.select_for_update().get(pk=self.batch.pk)
            if batch.claimed_by != self.worker:
                raise ClaimLost()
            self._close(batch)
        self.report_progress()

    def _close(self, batch: PushBatch) -> None:
        counts = batch_counts(batch)
        if batch.cancel_requested:
            batch.status = PushBatch.Status.CANCELLED
        elif counts["failed"] == 0:
            batch.status = PushBatch.Status.SUCCEEDED
        elif counts["done"] == 0:
            batch.status = PushBatch.Status.FAILED
        else:
            batch.status = PushBatch.Status.PARTLY_FAILED
        batch.finished_at = timezone.now()
        batch.claimed_by = ""
        batch.heartbeat_at = None
        batch.save(update_fields=["status", "finished_at", "claimed_by", "heartbeat_at", "last_error"])
        audit_record(action="batch.finish", **self.as_actor, batch=batch, collection=batch.collection,
                     object_repr=str(batch), message=batch.get_status_display(),
                     data={k: counts[k] for k in ("done", "failed", "cancelled", "total")})

    # --- refs -------------------------------------------------------------------------------------------

    def store_variants(self, entry: BatchItem, variants: list, *, published: bool) -> None:
        """Write one WebflowItemRef per batch locale from the variants Webflow returned (inside a transaction)."""
        self.save_refs([self.build_refs(entry, variants, published=published)])

    def build_refs(self, entry: BatchItem, variants: list, *, published: bool) -> list[WebflowItemRef]:
        item = entry.item
        webflow_id = variants[0].id
        by_cms = {v.cms_locale_id: v for v in variants if v.cms_locale_id}
        localized = set(localized_locale_ids(item, self.locales)) if not self.live_endpoint else set()
        is_draft, _ = item_flags(self.batch, item)
        refs = []
        for loc in self.locales:
            variant = by_cms.get(loc.cms_locale_id) or variants[0]
            refs.append(WebflowItemRef(
                item=item, locale=loc, webflow_item_id=webflow_id,
                cms_locale_id=variant.cms_locale_id if variant.cms_locale_id in self.locale_by_cms
                else loc.cms_locale_id,
                slug=variant.slug or item.slug, created_on=_parse_time(variant.created_on),
                last_updated=_parse_time(variant.last_updated),
                last_published=_parse_time(variant.last_published) or (timezone.now() if published else None),
                is_published=published,
                is_draft=bool(variant.is_draft if variant.is_draft is not None else is_draft),
                needs_patch=loc.pk in localized, needs_publish=self.live and not published, last_batch=self.batch,
            ))
        return refs

    def save_refs(self, groups: list[list[WebflowItemRef]]) -> None:
        """Replace the refs of these items and locales in one delete and one insert (caller holds a transaction)."""
        refs = [ref for group in groups for ref in group]
        if not refs:
            return
        WebflowItemRef.objects.filter(item_id__in={r.item_id for r in refs},
                                      locale_id__in={r.locale_id for r in refs}).delete()
        WebflowItemRef.objects.bulk_create(refs)

    def settle_sent(self, entries: list[BatchItem]) -> None:
        """Entries whose refs owe nothing more become DONE (caller holds a transaction)."""
        owing = set(
            WebflowItemRef.objects.filter(item__in=[e.item_id for e in entries])
            .filter(Q(needs_patch=True) | Q(needs_publish=True)).values_list("item_id", flat=True)
        )
        done = [e for e in entries if e.item_id not in owing]
        if not done:
            return
        # The IDs themselves are on the item's Webflow refs; a shared reason keeps the entry update to one statement.
        where = "live in Webflow" if self.live else "staged in Webflow"
        outcomes = [(entry, True, f"{where}; {entry.reason}" if entry.reason else where, "") for entry in done]
        self._finish_items(outcomes, self.lock_items(e.item_id for e in done))

    # --- reconcile --------------------------------------------------------------------------------------

    def lookup_slug(self, slug: str) -> list:
        """Every variant Webflow holds for an exact slug in the batch's locales (one GET)."""
        self.context["step"] = f"lookup {slug}"
        return list(self.client.list_items(self.collection_id, slug=slug, cms_locale_ids=self.cms_ids,
                                           live=False).items)

    def reconcile(self, entries: list[BatchItem]) -> list[BatchItem]:
        """Adopt what Webflow already created for these in-flight entries; return the ones still missing.

        Raises WebflowError when the lookups themselves fail (the entries then stay in flight).
        """
        self.context["items"] = [e.item_id for e in entries]
        found: dict[int, list] = {}
        for entry in entries:
            variants = [v for v in self.lookup_slug(entry.item.slug) if v.slug == entry.item.slug]
            if variants:
                found[entry.pk] = variants
        missing = [e for e in entries if e.pk not in found]
        with transaction.atomic():
            self.beat()
            adopted = []
            now = timezone.now()
            for entry in entries:
                if entry.pk in found:
                    entry.status = BatchItem.Status.SENT
                    entry.reason = "adopted after an unknown outcome (found in Webflow by slug)"
                    adopted.append(entry)
                else:
                    entry.status = BatchItem.Status.PENDING
                entry.updated_at = now
            self.save_refs([
                self.build_refs(entry, found[entry.pk], published=self.live_endpoint and any(
                    v.last_published for v in found[entry.pk]))
                for entry in adopted
            ])
            BatchItem.objects.bulk_update(entries, ["status", "reason", "updated_at"])
            self.settle_sent(adopted)
            PushChunk.objects.filter(entries__in=entries, status=PushChunk.Status.IN_FLIGHT).update(
                status=PushChunk.Status.RECONCILED, finished_at=timezone.now())
        if adopted:
            audit_record(action="push.reconcile", **self.as_actor, batch=self.batch,
                         collection=self.batch.collection, object_repr=str(self.batch),
                         message=f"{len(adopted)} item(s) found in Webflow and adopted, {len(missing)} to send again",
                         data={"adopted": [e.item_id for e in adopted], "missing": [e.item_id for e in missing]})
        return missing

    def reconcile_in_flight(self) -> None:
        """A previous run died with create chunks in flight: settle them before anything else is sent."""
        stuck = self.entries(BatchItem.Status.IN_FLIGHT)
        if not stuck:
            return
        with transaction.atomic():
            BatchItem.objects.filter(pk__in=[e.pk for e in stuck]).update(outcome_unknown=True)
        for attempt in range(self.max_attempts):
            try:
                self.reconcile(stuck)
                return
            except (WebflowAuthError, WebflowForbidden) as exc:
                raise StopBatch(TOKEN_MESSAGE.format(error=exc)) from exc
            except WebflowError as exc:
                logger.warning("Reconciling batch %s failed (%s); retrying", self.batch.pk, exc)
                self.nap(self.backoff(attempt))
        raise StopBatch("Webflow kept failing while looking up items whose create had no clear answer.")

    # --- updates of items that already have Webflow IDs -------------------------------------------------

    def prepare_updates(self) -> None:
        """Pending items that already exist in Webflow are updated (PATCH per locale), never created again."""
        pending = [e for e in self.entries(BatchItem.Status.PENDING) if e.item.webflow_refs.all()]
        if not pending:
            return
        with transaction.atomic():
            self.beat()
            for entry in pending:
                refs = {ref.locale_id: ref for ref in entry.item.webflow_refs.all()}
                webflow_id = next(iter(refs.values())).webflow_item_id
                published = any(ref.is_published for ref in refs.values())
                for loc in self.locales:
                    WebflowItemRef.objects.update_or_create(
                        item=entry.item, locale=loc,
                        defaults={"webflow_item_id": webflow_id, "cms_locale_id": loc.cms_locale_id,
                                  "is_published": published, "needs_patch": True,
                                  "needs_publish": self.live and not published, "last_batch": self.batch},
                    )
                entry.status = BatchItem.Status.SENT
                entry.update_existing = True
                entry.save(update_fields=["status", "update_existing", "updated_at"])
        self._updated_item_ids = None

    # --- creates ----------------------------------------------------------------------------------------

    def create_all(self) -> None:
        pending = [e for e in self.entries(BatchItem.Status.PENDING) if not e.item.webflow_refs.all()]
        invalid = []
        for entry in pending:
            try:
                primary_field_data(entry.item)
            except FieldDataInvalid as exc:
                field = next(iter(exc.errors), "")
                invalid.append((entry, False, f"not sent: {exc}", field))
        self.finish_entries(invalid)
        refused = {entry.pk for entry, *_ in invalid}
        pending = [e for e in pending if e.pk not in refused]
        groups: dict[tuple[bool, bool], list[BatchItem]] = {}
        for entry in pending:
            groups.setdefault(item_flags(self.batch, entry.item), []).append(entry)
        size = create_chunk_size(self.batch, self.locales)
        for (is_draft, is_archived), group in groups.items():
            for chunk in chunked(group, size):
                if self.cancel_requested():
                    self.cancel_pending()
                    return
                self.send_create(chunk, is_draft=is_draft, is_archived=is_archived)
                self.patch_full_chunks()

    def cancel_pending(self) -> None:
        entries = self.entries(BatchItem.Status.PENDING)
        with transaction.atomic():
            self.beat()
            items = {item.pk: item for item in DraftItem.objects.select_for_update().filter(
                pk__in=[e.item_id for e in entries]).order_by("pk")}
            BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(
                status=BatchItem.Status.CANCELLED, reason="batch cancelled before this item was sent",
                updated_at=timezone.now())
            items_transition(items=[items[e.item_id] for e in entries
                                    if items[e.item_id].status == DraftItem.Status.IN_BATCH],
                             to_status=DraftItem.Status.APPROVED, **self.as_actor,
                             action="item.unbatch", reason=f"{self.batch} was cancelled", batch=self.batch)

    def mark_in_flight(self, entries: list[BatchItem]) -> PushChunk:
        """Durably record that this create is about to be sent (committed before the request leaves)."""
        with transaction.atomic():
            self.beat()
            chunk = PushChunk.objects.create(
                batch=self.batch, endpoint="items/live" if self.live_endpoint else "items/bulk", size=len(entries),
                attempts=1,
            )
            BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(
                status=BatchItem.Status.IN_FLIGHT, chunk=chunk, attempts=F("attempts") + 1, updated_at=timezone.now()
            )
        return chunk

    def send_create(self, entries: list[BatchItem], *, is_draft: bool, is_archived: bool) -> None:
        """Create one chunk; validation errors isolate the bad items, unknown outcomes reconcile before re-sending."""
        work = [entries]
        failures = 0
        while work:
            group = work.pop()
            needs_reconcile = False
            while group:
                if needs_reconcile:
                    try:
                        group = self.reconcile(group)
                    except (WebflowAuthError, WebflowForbidden) as exc:
                        raise StopBatch(TOKEN_MESSAGE.format(error=exc)) from exc
                    except WebflowError as exc:
                        failures += 1
                        if failures >= self.max_attempts:
                            raise StopBatch(f"Webflow kept failing ({exc}) after {failures} attempts.") from exc
                        self.nap(self.backoff(failures))
                        continue
                    needs_reconcile = False
                    if not group:
                        break
                chunk = self.mark_in_flight(group)
                self.context.update(items=[e.item_id for e in group], step="create")
                try:
                    if self.live_endpoint:
                        variants = self.client.create_items_live(self.collection_id, items=[
                            {"fieldData": primary_field_data(e.item), "isDraft": False, "isArchived": is_archived}
                            for e in group])
                    else:
                        variants = self.client.create_items_bulk(
                            self.collection_id, field_data=[primary_field_data(e.item) for e in group],
                            cms_locale_ids=self.cms_ids, is_draft=is_draft, is_archived=is_archived)
                except (WebflowAuthError, WebflowForbidden) as exc:
                    self.return_to_pending(group, chunk)
                    raise StopBatch(TOKEN_MESSAGE.format(error=exc)) from exc
                except WebflowNotFound as exc:
                    self.return_to_pending(group, chunk)
                    raise StopBatch(COLLECTION_GONE_MESSAGE.format(collection_id=self.collection_id,
                                                                   error=exc)) from exc
                except WebflowRateLimited as exc:
                    # Nothing was written; wait as told and send the same chunk again (not a failed attempt).
                    self.return_to_pending(group, chunk)
                    self.wait_rate_limit(exc)
                    continue
                except WebflowValidationError as exc:
                    self.return_to_pending(group, chunk)
                    halves = self.isolate_invalid(group, exc)
                    work.extend(reversed(halves))
                    group = []
                    continue
                except WebflowError as exc:
                    failures += 1
                    if exc.outcome_unknown:
                        self.flag_unknown(group, chunk, exc)
                        needs_reconcile = True
                    else:
                        self.return_to_pending(group, chunk)
                    if not exc.retryable and not exc.outcome_unknown:
                        self.fail_entries(group, f"Webflow refused the create: {exc}")
                        group = []
                        continue
                    if failures >= self.max_attempts:
                        if needs_reconcile:
                            with contextlib.suppress(WebflowError):
                                group = self.reconcile(group)
                        raise StopBatch(f"Webflow kept failing ({exc}) after {failures} attempts; "
                                        "the batch was stopped.") from exc
                    self.nap(self.backoff(failures))
                    continue
                group = self.record_created(group, chunk, variants)
                if group:
                    # Webflow answered without some of the items: treat those as unknown and look them up.
                    needs_reconcile = True

    def return_to_pending(self, entries: list[BatchItem], chunk: PushChunk) -> None:
        """Webflow answered with a refusal, so nothing of this request was written: the entries are sendable."""
        with transaction.atomic():
            BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(status=BatchItem.Status.PENDING)
            PushChunk.objects.filter(pk=chunk.pk).update(status=PushChunk.Status.FAILED, finished_at=timezone.now())

    def flag_unknown(self, entries: list[BatchItem], chunk: PushChunk, exc: WebflowError) -> None:
        with transaction.atomic():
            BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(outcome_unknown=True)
            PushChunk.objects.filter(pk=chunk.pk).update(detail=str(exc)[:2000])
        for entry in entries:
            entry.outcome_unknown = True

    def fail_entries(self, entries: list[BatchItem], reason: str, field: str = "") -> None:
        self.finish_entries([(entry, False, reason, field) for entry in entries])

    def record_created(self, entries: list[BatchItem], chunk: PushChunk, variants: list) -> list[BatchItem]:
        """Store the IDs of one create answer and mark its entries sent/done; returns entries Webflow left out."""
        by_slug: dict[str, list] = {}
        order: list[str] = []
        by_id: dict[str, list] = {}
        for variant in variants:
            if variant.id not in by_id:
                order.append(variant.id)
            by_id.setdefault(variant.id, []).append(variant)
            if variant.slug:
                by_slug.setdefault(variant.slug, []).append(variant)
        matched: dict[int, list] = {}
        for entry in entries:
            if entry.item.slug in by_slug:
                matched[entry.pk] = by_slug[entry.item.slug]
        if not matched and len(order) == len(entries):
            # No slugs in the answer (or all rewritten): Webflow answers in request order.
            matched = {entry.pk: by_id[webflow_id] for entry, webflow_id in zip(entries, order, strict=True)}
        missing = [e for e in entries if e.pk not in matched]
        with transaction.atomic():
            self.beat()
            sent = [entry for entry in entries if entry.pk in matched]
            self.save_refs([self.build_refs(e, matched[e.pk], published=self.live_endpoint) for e in sent])
            renamed = []
            for entry in sent:
                entry.status = BatchItem.Status.SENT
                returned_slug = matched[entry.pk][0].slug
                if returned_slug and returned_slug != entry.item.slug:
                    entry.reason = f"Webflow changed the slug to '{returned_slug}'"
                    renamed.append(entry)
            # One plain UPDATE for the chunk (bulk_update's per-row CASE costs milliseconds of CPU per entry);
            # a slug Webflow rewrote is rare and gets its own reason.
            BatchItem.objects.filter(pk__in=[e.pk for e in sent]).update(status=BatchItem.Status.SENT)
            for entry in renamed:
                BatchItem.objects.filter(pk=entry.pk).update(reason=entry.reason)
            self.settle_sent(sent)
            PushChunk.objects.filter(pk=chunk.pk).update(status=PushChunk.Status.DONE, finished_at=timezone.now())
            PushBatch.objects.filter(pk=self.batch.pk).update(heartbeat_at=timezone.now())
        self.report_progress()
        return missing

    def isolate_invalid(self, entries: list[BatchItem], exc: WebflowValidationError) -> list[list[BatchItem]]:
        """Fail (or adopt) the items Webflow named; return the groups still to send (halves when it named none)."""
        by_slug = {e.item.slug: e for e in entries}
        bad: dict[int, tuple[BatchItem, str, str]] = {}
        duplicates: list[BatchItem] = []
        for error in exc.field_errors or []:
            text = f"{error.field or ''} {error.message}"
            entry = None
            index = _INDEX_IN_TEXT.search(text)
            if index and int(index.group(1)) < len(entries):
                entry = entries[int(index.group(1))]
            if entry is None:
                for match in _QUOTED.finditer(error.message):
                    value = match.group(1) or match.group(2)
                    if value in by_slug:
                        entry = by_slug[value]
                        break
            if entry is None:
                continue
            field = (error.field or "").split(".")[-1].split("]")[-1] or ""
            if field.startswith("fieldData"):
                field = ""
            if field == "slug" and _DUPLICATE_SLUG.search(error.message):
                duplicates.append(entry)
            else:
                bad[entry.pk] = (entry, error.message, field)
        if not bad and not duplicates:
            if len(entries) == 1:
                field = next((e.field for e in exc.field_errors or [] if e.field), "") or ""
                if field == "slug" and _DUPLICATE_SLUG.search(str(exc)):
                    duplicates.append(entries[0])
                else:
                    self.fail_entries(entries, f"Webflow refused the item: {exc}", field=field)
                    return []
            else:
                middle = len(entries) // 2
                return [entries[:middle], entries[middle:]]
        if bad:
            self.finish_entries([(e, False, f"Webflow refused the item: {msg}", field)
                                 for e, msg, field in bad.values()])
        for entry in duplicates:
            self.adopt_or_fail_duplicate(entry)
        handled = set(bad) | {e.pk for e in duplicates}
        rest = [e for e in entries if e.pk not in handled]
        return [rest] if rest else []

    def adopt_or_fail_duplicate(self, entry: BatchItem) -> None:
        """A duplicate-slug refusal: adopt the Webflow item when an earlier create of ours may have made it."""
        try:
            variants = [v for v in self.lookup_slug(entry.item.slug) if v.slug == entry.item.slug]
        except WebflowError as exc:
            self.fail_entries([entry], f"slug '{entry.item.slug}' is already used in Webflow ({exc})", "slug")
            return
        ours = BatchItem.objects.filter(item_id=entry.item_id, outcome_unknown=True).exists()
        if variants and ours:
            with transaction.atomic():
                self.beat()
                self.store_variants(entry, variants, published=self.live_endpoint and any(
                    v.last_published for v in variants))
                entry.status = BatchItem.Status.SENT
                entry.reason = "adopted the Webflow item an earlier, unanswered create had made"
                entry.save(update_fields=["status", "reason", "updated_at"])
                self.settle_sent([entry])
            return
        holder = f" by Webflow item {variants[0].id}" if variants else ""
        self.fail_entries([entry], f"slug '{entry.item.slug}' is already used in Webflow{holder}; "
                                   "change the slug or link the existing item", "slug")

    # --- PATCH (localization and updates) ---------------------------------------------------------------

    def owed_refs_query(self, **flags):
        return WebflowItemRef.objects.filter(last_batch=self.batch, item__batch_entries__batch=self.batch,
                                             item__batch_entries__status=BatchItem.Status.SENT, **flags)

    def owed_refs(self, limit: int | None = None, **flags) -> list[WebflowItemRef]:
        refs = (
            self.owed_refs_query(**flags)
            .select_related("item__collection", "locale").prefetch_related("item__translations")
            .order_by("item_id", "locale_id")
        )
        return list(refs[:limit] if limit else refs)

    def patch_full_chunks(self) -> None:
        """Between creates, send the PATCH requests that are already full (100 entries): the request count stays
        minimal, and recording finished items overlaps the time the rate limit would make this run wait anyway.
        A COUNT decides first, so the refs (with items and translations) are loaded only when a PATCH goes.
        """
        staged = {"is_published": False} if self.live else {}  # live items owe PATCH .../items/live instead
        while self.owed_refs_query(needs_patch=True, **staged).count() >= MAX_ENTRIES_PER_PATCH:
            self.send_patch(self.owed_refs(limit=MAX_ENTRIES_PER_PATCH, needs_patch=True, **staged), live=False)

    def patch_all(self) -> None:
        """Send every owed per-locale PATCH, 100 entries a request (live items via PATCH .../items/live)."""
        while True:
            refs = self.owed_refs(needs_patch=True)
            if not refs:
                return
            live_refs = [r for r in refs if self.live and r.is_published]
            staged_refs = [r for r in refs if not (self.live and r.is_published)]
            for group, live in ((staged_refs, False), (live_refs, True)):
                for chunk in chunked(group, MAX_ENTRIES_PER_PATCH):
                    self.send_patch(list(chunk), live=live)

    def patch_body(self, ref: WebflowItemRef) -> dict:
        """An update carries the locale's full text; localizing a variant just created sends only what differs."""
        translations = {t.locale_id: t for t in ref.item.translations.all()}
        translation = translations.get(ref.locale_id)
        is_draft, is_archived = item_flags(self.batch, ref.item)
        if ref.item_id in self.updated_item_ids() or translation is None:
            field_data = locale_field_data(ref.item, translation)
        else:
            field_data = translation_patch_data(translation, ref.item.collection)
        return {"id": ref.webflow_item_id, "cmsLocaleId": ref.cms_locale_id, "isDraft": is_draft,
                "isArchived": is_archived, "fieldData": field_data}

    def updated_item_ids(self) -> set[int]:
        if self._updated_item_ids is None:
            self._updated_item_ids = set(self.batch.entries.filter(update_existing=True)
                                         .values_list("item_id", flat=True))
        return self._updated_item_ids

    def send_patch(self, refs: list[WebflowItemRef], *, live: bool) -> None:
        work = [refs]
        failures = 0
        while work:
            group = work.pop()
            self.beat()
            self.context.update(items=sorted({r.item_id for r in group}), step="patch-live" if live else "patch")
            try:
                variants = self.client.update_items(self.collection_id, items=[self.patch_body(r) for r in group],
                                                    live=live)
            except (WebflowAuthError, WebflowForbidden) as exc:
                raise StopBatch(TOKEN_MESSAGE.format(error=exc)) from exc
            except WebflowNotFound as exc:
                if exc.resource == "collection":
                    raise StopBatch(COLLECTION_GONE_MESSAGE.format(collection_id=self.collection_id,
                                                                   error=exc)) from exc
                work.extend(self.split_or_fail(group, f"Webflow no longer has this item: {exc}"))
                continue
            except WebflowRateLimited as exc:
                work.append(group)
                self.wait_rate_limit(exc)
                continue
            except WebflowConflict as exc:
                if live:
                    self.reroute_unpublished(group)
                    continue
                work.extend(self.split_or_fail(group, f"Webflow refused the update: {exc}"))
                continue
            except WebflowValidationError as exc:
                work.extend(self.split_or_fail(group, f"Webflow refused the update: {exc}", exc=exc))
                continue
            except WebflowError as exc:
                failures += 1
                if not exc.retryable and not exc.outcome_unknown:
                    work.extend(self.split_or_fail(group, f"Webflow refused the update: {exc}"))
                    continue
                if failures >= self.max_attempts:
                    raise StopBatch(f"Webflow kept failing ({exc}) after {failures} attempts; "
                                    "the batch was stopped.") from exc
                work.append(group)  # PATCH is idempotent: the same body may simply go again
                self.nap(self.backoff(failures))
                continue
            self.record_patched(group, variants, live=live)

    def reroute_unpublished(self, refs: list[WebflowItemRef]) -> None:
        """409 on a live PATCH: the items were never published, so update them staged and publish them."""
        with transaction.atomic():
            WebflowItemRef.objects.filter(item_id__in={r.item_id for r in refs}).update(
                is_published=False, needs_publish=True, needs_patch=True)
        audit_record(action="push.reroute", **self.as_actor, batch=self.batch,
                     collection=self.batch.collection, object_repr=str(self.batch),
                     message="Webflow says these items were never published; updating staged, then publishing",
                     data={"items": sorted({r.item_id for r in refs})})

    def split_or_fail(self, refs: list[WebflowItemRef], reason: str, exc=None) -> list[list[WebflowItemRef]]:
        """Isolate refused PATCH entries: by the index Webflow names, else by halves; single entries fail."""
        if exc is not None and len(refs) > 1:
            named = set()
            for error in exc.field_errors or []:
                match = _INDEX_IN_TEXT.search(f"{error.field or ''} {error.message}")
                if match and int(match.group(1)) < len(refs):
                    named.add(int(match.group(1)))
            if named:
                self.fail_refs([refs[i] for i in sorted(named)], reason)
                rest = [ref for i, ref in enumerate(refs) if i not in named]
                return [rest] if rest else []
        if len(refs) > 1:
            middle = len(refs) // 2
            return [refs[:middle], refs[middle:]]
        field = ""
        if exc is not None:
            field = next((e.field for e in exc.field_errors or [] if e.field), "") or ""
        self.fail_refs(refs, f"{reason} (locale {refs[0].locale.tag})", field=field.split(".")[-1])
        return []

    def fail_refs(self, refs: list[WebflowItemRef], reason: str, field: str = "") -> None:
        item_ids = {r.item_id for r in refs}
        entries = list(self.batch.entries.filter(item_id__in=item_ids, status=BatchItem.Status.SENT))
        with transaction.atomic():
            WebflowItemRef.objects.filter(item_id__in=item_ids).update(needs_patch=False, needs_publish=False)
        self.finish_entries([(entry, False, reason, field) for entry in entries])

    def record_patched(self, refs: list[WebflowItemRef], variants: list, *, live: bool) -> None:
        """Store what a PATCH answered and settle the items it finished (one transaction, grouped updates)."""
        by_key = {(v.id, v.cms_locale_id): v for v in variants}
        now = timezone.now()
        groups: dict[tuple, list[int]] = {}
        renamed: list[tuple[int, str]] = []
        for ref in refs:
            variant = by_key.get((ref.webflow_item_id, ref.cms_locale_id))
            last_updated = (_parse_time(variant.last_updated) if variant else None) or now
            values = {"last_updated": last_updated, "needs_patch": False, "last_batch_id": self.batch.pk,
                      "updated_at": now}
            if variant is not None and variant.is_draft is not None:
                values["is_draft"] = variant.is_draft
            if variant is not None and variant.slug and variant.slug != ref.slug:
                renamed.append((ref.pk, variant.slug))  # a translated slug: rare, so one UPDATE each
            if live:
                values["last_published"] = (_parse_time(variant.last_published) if variant else None) or now
            groups.setdefault(tuple(sorted(values.items())), []).append(ref.pk)
        with transaction.atomic():
            self.beat()
            for values, pks in groups.items():
                WebflowItemRef.objects.filter(pk__in=pks).update(**dict(values))
            for pk, slug in renamed:
                WebflowItemRef.objects.filter(pk=pk).update(slug=slug)
            entries = list(self.batch.entries.filter(item_id__in={r.item_id for r in refs},
                                                     status=BatchItem.Status.SENT).select_related("item"))
            self.settle_sent(entries)
        self.report_progress()

    # --- publish ----------------------------------------------------------------------------------------

    def publish_all(self) -> None:
        """Publish created/updated items of a live batch; only what Webflow lists as published counts as live."""
        if not self.live:
            return
        while True:
            refs = self.owed_refs(needs_publish=True, needs_patch=False)
            if not refs:
                return
            per_item: dict[int, list[WebflowItemRef]] = {}
            for ref in refs:
                per_item.setdefault(ref.item_id, []).append(ref)
            item_ids = list(per_item)[:MAX_ITEMS_PER_PUBLISH]
            self.send_publish({item_id: per_item[item_id] for item_id in item_ids})

    def send_publish(self, per_item: dict[int, list[WebflowItemRef]]) -> None:
        body = [{"id": refs[0].webflow_item_id, "cmsLocaleIds": [r.cms_locale_id for r in refs]}
                for refs in per_item.values()]
        failures = 0
        while True:
            self.beat()
            self.context.update(items=list(per_item), step="publish")
            try:
                result = self.client.publish_items(self.collection_id, items=body)
                break
            except WebflowRateLimited as exc:
                self.wait_rate_limit(exc)
                continue
            except (WebflowAuthError, WebflowForbidden) as exc:
                raise StopBatch(TOKEN_MESSAGE.format(error=exc)) from exc
            except WebflowNotFound as exc:
                raise StopBatch(COLLECTION_GONE_MESSAGE.format(collection_id=self.collection_id,
                                                               error=exc)) from exc
            except WebflowError as exc:
                failures += 1
                if (not exc.retryable and not exc.outcome_unknown) or failures >= self.max_attempts:
                    self.fail_refs([r for refs in per_item.values() for r in refs],
                                   f"Webflow did not publish the item: {exc}")
                    if exc.retryable or exc.outcome_unknown:
                        raise StopBatch(f"Webflow kept failing ({exc}) after {failures} attempts; "
                                        "the batch was stopped.") from exc
                    return
                self.nap(self.backoff(failures))
        published = set(result.published_item_ids)
        errors_by_id: dict[str, str] = {}
        for error in result.errors:
            for webflow_id in _HEX_ID.findall(error):
                errors_by_id.setdefault(webflow_id, error)
        failed = []
        with transaction.atomic():
            self.beat()
            now = timezone.now()
            done_pks = []
            for refs in per_item.values():
                webflow_id = refs[0].webflow_item_id
                if webflow_id in published and webflow_id not in errors_by_id:
                    done_pks += [r.pk for r in refs]
                else:
                    failed.append(refs)
            if done_pks:
                WebflowItemRef.objects.filter(pk__in=done_pks).update(
                    is_published=True, is_draft=False, last_published=now, needs_publish=False)
            entries = list(self.batch.entries.filter(item_id__in=list(per_item), status=BatchItem.Status.SENT)
                           .select_related("item"))
            self.settle_sent(entries)
        for refs in failed:
            webflow_id = refs[0].webflow_item_id
            reason = errors_by_id.get(webflow_id) or (
                result.errors[0] if len(per_item) == 1 and result.errors
                else "Webflow did not list the item as published")
            self.fail_refs(refs, f"Created/updated in Webflow as {webflow_id} but not published: {reason}")
        self.report_progress()
