"""The state one claimed run shares between its steps; every step is a function taking this context."""
import random

from django.conf import settings
from django.utils import timezone

from ...models import BatchItem, PushBatch
from ...selectors import ItemReads, batch_counts, batch_locales, site_locales
from ...statements import select_values
from ...webflow.client import get_client
from ..audit import audit_values
from .flights import Flights
from .lease import beat, worker_actor, write_answered
from .planning import uses_live_endpoint
from .references import batch_names_drafts


class RunContext:
    """One claimed batch, its locales and client; steps alternate between one HTTP call and one short transaction."""

    def __init__(self, *, batch: PushBatch, client, worker: str, progress, sleep):
        self.batch = batch
        self.worker = worker
        self.as_actor = worker_actor(batch, worker)
        self.progress = progress
        self.sleep = sleep
        self.collection_id = batch.collection.webflow_id
        self.locales = batch_locales(batch)
        self.site_locales = site_locales(batch.collection.site_id)  # every locale of the site, by pk
        self.locale_by_cms = {loc.cms_locale_id: loc for loc in self.locales}
        self.cms_ids = [loc.cms_locale_id for loc in self.locales]
        self.live = batch.mode == PushBatch.Mode.LIVE
        self.live_endpoint = uses_live_endpoint(batch, self.locales)
        self.max_attempts = max(1, settings.WEBFLOW_PUSH_MAX_ATTEMPTS)
        self.request_info: dict = {"items": [], "step": ""}  # what the audit of the next HTTP exchange names
        self.answered: list[dict] = []  # audit rows of answered requests, until the next beat writes them
        self.leaving = 0  # requests about to leave, counted in requests_sent by the beat just before they do
        self.rate_limited = 0
        self.pins: dict[int, str] = {}  # item pk -> the approval fingerprint its batch entry pinned when queued
        self.item_reads = ItemReads()  # the items read lately, reused by the next read while their rows match
        # Entry pk -> the create fieldData pending.sendable checked, taken by the create that sends it (only
        # while no item names a draft: then a body depends on nothing but the approved content it came from).
        self.create_field_data: dict[int, dict] = {}
        # Refs owed a staged PATCH as of patch_full_chunks' last look, plus those recorded since, minus those
        # sent: only decides whether reading them is worth it (None: not counted yet).
        self.patches_owed_floor: int | None = None
        self._updated_item_ids: set[int] | None = None
        self._names_drafts: bool | None = None
        self.heartbeat = None  # lease.Heartbeat while the run owns the batch (None: beats happen per step only)
        self.jitter = random.uniform  # backoff jitter (policy.backoff_seconds), kept apart so tests can pin it
        if client is None:
            client = get_client(observer=self.observe, sleep=sleep)
        client.observer = self.observe
        # The push's policy is the only retry layer: the client sends each request once and reports.
        client.max_retries = 0
        client.max_rate_limit_retries = 0
        # Each answer reaches the shared limiter with the next request's slot: one locked change per request
        # instead of two (batch_push and nap flush what is held before the run stops or waits).
        client.hold_limiter_answers()
        client.reserve_as(worker)
        client.send_hook = self.before_send
        self.client = client
        self.flights = Flights(self, depth=1)  # batch_push opens the real depth (flights.in_flight_depth)

    def observe(self, exchange) -> None:
        """Audit one HTTP exchange, linked to the batch and the items of the request.

        The entry of a write Webflow accepted (a create, PATCH or publish whose answer is recorded next) is
        stamped now and written by the run's next beat, which the recording step takes first: a commit of its own
        per request cost as much as recording a chunk. Any other exchange (a lookup, a list page, an error) is
        written at once, since no recording may follow it soon (a reconcile can page through many lists)."""
        data = exchange.as_dict()
        data["step"] = self.request_info["step"]
        data["items"] = self.request_info["items"][:200]
        self.answered.append({**audit_values(
            action="push.request", **self.as_actor, batch=self.batch, collection=self.batch.collection,
            object_repr=str(self.batch)[:300],
            message=f"{exchange.method} {exchange.path} -> {exchange.status or exchange.error} "
                    f"({exchange.duration_ms} ms, attempt {exchange.attempt})",
            data=data,
        ), "created_at": timezone.now()})
        if not (exchange.method in ("POST", "PATCH") and exchange.status and 200 <= exchange.status < 300):
            write_answered(self)

    def before_send(self, own_hook) -> None:
        """Runs just before every request leaves, in its rate-limit slot's transaction: the request is counted
        in requests_sent by a beat (the step's own hook beats first, or a beat of its own), so a worker killed
        while it is on its way still leaves it counted, and the next run audits it (lease.audit_unanswered)."""
        self.leaving += 1
        try:
            if own_hook is not None:
                own_hook()
            if self.leaving:
                beat(self)
        except BaseException:
            self.leaving = max(0, self.leaving - 1)  # not sent: a beat that failed counted nothing
            raise

    def report_progress(self) -> None:
        if self.progress is not None:
            self.progress(batch_counts(self.batch))

    def entries(self, *statuses, **filters) -> list[BatchItem]:
        return list(
            self.batch.entries.filter(status__in=statuses, **filters).distinct().select_related("item__collection")
            .prefetch_related("item__translations", "item__webflow_refs").order_by("pk")
        )

    def cancel_requested(self) -> bool:
        row = select_values(PushBatch, ["cancel_requested"], pk=self.batch.pk)
        return bool(row and row["cancel_requested"])

    def updated_item_ids(self) -> set[int]:
        """Items of this batch that existed in Webflow before it (their PATCH carries the full locale text)."""
        if self._updated_item_ids is None:
            self._updated_item_ids = set(self.batch.entries.filter(update_existing=True)
                                         .values_list("item_id", flat=True))
        return self._updated_item_ids

    def names_drafts(self) -> bool:
        """Whether items of this batch name other drafts (their creates are ordered, their PATCHes wait)."""
        if self._names_drafts is None:
            self._names_drafts = batch_names_drafts(self.batch)
        return self._names_drafts

    def note_owed_patches(self, refs: list[dict]) -> None:
        """Ref rows just written: those owed a staged PATCH raise patches_owed_floor."""
        if self.patches_owed_floor is not None:
            self.patches_owed_floor += sum(1 for ref in refs if ref["needs_patch"] and not (
                self.live and ref["is_published"]))

    def forget_updated_items(self) -> None:
        self._updated_item_ids = None
