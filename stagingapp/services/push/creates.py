"""Creates: each chunk is committed as in flight before its request leaves, and its answer recorded at once."""
import contextlib
import json

from django.db import transaction
from django.utils import timezone

from ...models import BatchItem, PushChunk, WebflowItemRef
from ...statements import Add, newest_pk, update_rows
from ...webflow.errors import (
    WebflowBadResponse,
    WebflowError,
    WebflowRateLimited,
    WebflowTimeout,
    WebflowValidationError,
)
from .bodies import primary_field_data
from .copies import keep_originals
from .flights import Waiting
from .lease import beat, nap
from .outcomes import cancel_pending, fail_entries, settle_sent
from .patches import patch_full_chunks
from .pending import approved, create_chunks
from .planning import create_chunk_size
from .policy import Action, Step, StopBatch, decide, wait_rate_limit
from .reconcile import probably_written, reconcile
from .refs import build_refs, save_refs
from .refusals import isolate_invalid


def create_all(run) -> None:
    """Create every pending item without Webflow refs, chunk by chunk (several on their way at once); full
    PATCHes go out in between. Room for the next request is made before its chunk is read, so the content
    create_chunks checks against the approval is the content that leaves."""
    chunks = create_chunks(run, create_chunk_size(run.batch, run.locales))
    while True:
        run.flights.make_room()
        if run.cancel_requested():
            run.flights.land_all()
            cancel_pending(run)
            return
        (is_draft, is_archived), chunk = next(chunks, ((False, False), None))
        if chunk is None:
            break
        start_create(run, chunk, is_draft=is_draft, is_archived=is_archived)
        patch_full_chunks(run)
    run.flights.land_all()


def mark_in_flight(run, entries: list[BatchItem]) -> PushChunk:
    """Durably record that this create is about to be sent (committed before the request leaves; with the
    database limiter, in the transaction that takes the request's slot)."""
    with transaction.atomic(savepoint=False):
        beat(run)
        chunk = PushChunk.objects.create(
            batch=run.batch, endpoint="items/live" if run.live_endpoint else "items/bulk", size=len(entries),
            attempts=1, known_ref_id=newest_pk(WebflowItemRef),
        )
        update_rows(BatchItem, {"pk": [e.pk for e in entries]}, status=BatchItem.Status.IN_FLIGHT, chunk=chunk.pk,
                    attempts=Add(1), updated_at=timezone.now())
    return chunk


def begin_create(run, group: list[BatchItem], *, is_draft: bool, is_archived: bool):
    """Send the one create request for `group` (live endpoint or bulk) once the limiter grants a slot, its
    chunk committed in flight just before it leaves; returns (chunk, flight)."""
    marked = []

    def mark():
        marked.append(mark_in_flight(run, group))

    run.flights.land_ready()  # answers already here first: an unknown outcome is reconciled before more leave

    run.request_info.update(items=[e.item_id for e in group], step="create")
    field_data = [run.create_field_data.pop(e.pk, None) or primary_field_data(e.item) for e in group]
    if run.live_endpoint:
        flight = run.client.begin_create_items_live(run.collection_id, before_send=mark, items=[
            {"fieldData": data, "isDraft": False, "isArchived": is_archived} for data in field_data])
    else:
        flight = run.client.begin_create_items_bulk(
            run.collection_id, before_send=mark, field_data=field_data, cms_locale_ids=run.cms_ids,
            is_draft=is_draft, is_archived=is_archived)
    return marked[0], flight


def start_create(run, group: list[BatchItem], *, is_draft: bool, is_archived: bool) -> None:
    """Send one chunk's create (its items just read and checked by create_chunks) without waiting for the
    answer; it is recorded (and any failure handled by send_create's policy) when its turn comes to land."""
    chunk, flight = begin_create(run, group, is_draft=is_draft, is_archived=is_archived)
    run.flights.add(Waiting(
        flight=flight, info=dict(run.request_info),
        land=lambda: send_create(run, group, is_draft=is_draft, is_archived=is_archived, sent=(chunk, flight)),
        abandon=lambda: record_abandoned(run, group, chunk, flight)))


def record_abandoned(run, group: list[BatchItem], chunk: PushChunk, flight) -> None:
    """The run is stopping: keep the IDs of a create that did answer; what did not stays for reconcile."""
    try:
        variants = flight.result()
    except WebflowError as exc:
        if exc.outcome_unknown:
            flag_unknown(group, chunk, exc)
        else:
            return_to_pending(group, chunk)
        return
    missing, renamed = record_created(run, group, chunk, variants)
    suffixed = [entry.pk for entry, _ in renamed if entry.outcome_unknown]
    if suffixed:  # maybe copies of an earlier create that did land: nothing more is sent, the stop message names them
        update_rows(BatchItem, {"pk": suffixed}, late_copy_check_from=chunk.created_at)
    if missing:
        flag_unknown(missing, chunk, WebflowBadResponse("the create answer left these items out", status=200))


def send_create(run, entries: list[BatchItem], *, is_draft: bool, is_archived: bool, sent=None) -> None:
    """Create one chunk under the call policy: refusals isolate the named items, an unknown outcome (no answer,
    5xx, or a 2xx the run cannot use) is reconciled before anything is re-sent, and every unknown outcome counts
    against WEBFLOW_PUSH_MAX_ATTEMPTS, after which the batch stops naming what Webflow sent. `sent` is the
    (chunk, flight) of a first request start_create already sent for these entries."""
    work = [entries]
    failures = 0  # failures worth repeating so far (WEBFLOW_PUSH_MAX_ATTEMPTS bounds them)
    while work:
        group = work.pop()
        while group:
            if sent is not None:
                (chunk, flight), sent = sent, None
            else:
                group = approved(run, group)
                if not group:
                    break
                chunk, flight = begin_create(run, group, is_draft=is_draft, is_archived=is_archived)
            try:
                variants = flight.result()
            except WebflowRateLimited as exc:
                return_to_pending(group, chunk)  # nothing was written: not a failed attempt
                wait_rate_limit(run, exc)
                continue
            except WebflowError as exc:
                group, failures = after_failed_create(run, group, chunk, exc, failures, work)
                continue
            sent_count = len(group)
            group, renamed = record_created(run, group, chunk, variants)
            keep_originals(run, [(entry, copy) for entry, copy in renamed if entry.outcome_unknown])
            if group:
                left_out = WebflowBadResponse(
                    f"Webflow's create answer had no usable item for {len(group)} of {sent_count} item(s); "
                    f"it sent: {answer_excerpt(variants)}", status=200)
                group, failures = after_failed_create(run, group, chunk, left_out, failures, work)


def answer_excerpt(variants: list) -> str:
    text = json.dumps([v.raw for v in variants], default=str)
    return text if len(text) <= 300 else text[:300] + "…"


def after_failed_create(run, group: list[BatchItem], chunk: PushChunk, exc: WebflowError, failures: int,
                        work: list) -> tuple[list[BatchItem], int]:
    """Apply the policy's decision to a create that failed after `failures` earlier ones worth repeating;
    returns (the entries to send again now, failures counted so far). A refusal is Webflow's verdict on some
    items, not a failure to repeat: it does not use up the attempts of the rest."""
    decision = decide(exc, step=Step.CREATE, attempt=failures + 1, collection_id=run.collection_id,
                      jitter=run.jitter)
    if decision.action is not Action.REFUSE:
        failures += 1
    if exc.outcome_unknown:
        flag_unknown(group, chunk, exc)
    else:
        return_to_pending(group, chunk)
    if decision.action is Action.STOP:
        if exc.outcome_unknown:
            missing = group
            with contextlib.suppress(WebflowError, StopBatch):
                # adopt what did land; the rest fails as "Webflow may hold this item"
                missing = reconcile(run, group, may_land_late=isinstance(exc, WebflowTimeout))
            if not missing:
                return [], failures  # the last attempt landed whole after all: nothing is left to repeat
        raise StopBatch(decision.message) from exc
    if decision.action is Action.REFUSE:
        if isinstance(exc, WebflowValidationError):
            work.extend(reversed(isolate_invalid(run, group, exc)))
        else:
            fail_entries(run, group, f"Webflow refused the create: {exc}")
        return [], failures
    nap(run, decision.seconds)
    if decision.action is Action.RECONCILE:
        # Only a request the client stopped waiting for can still be applied; any other answer ended it.
        return reconcile(run, group, may_land_late=isinstance(exc, WebflowTimeout),
                         sent_before=chunk if probably_written(exc) else None), failures
    return group, failures


def return_to_pending(entries: list[BatchItem], chunk: PushChunk) -> None:
    """Webflow answered with a refusal, so nothing of this request was written: the entries are sendable."""
    with transaction.atomic():
        BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(status=BatchItem.Status.PENDING)
        PushChunk.objects.filter(pk=chunk.pk).update(status=PushChunk.Status.FAILED, finished_at=timezone.now())


def flag_unknown(entries: list[BatchItem], chunk: PushChunk, exc: WebflowError) -> None:
    with transaction.atomic():
        BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(outcome_unknown=True)
        PushChunk.objects.filter(pk=chunk.pk).update(detail=str(exc)[:2000])
    for entry in entries:
        entry.outcome_unknown = True


def match_variants(entries: list[BatchItem], variants: list) -> dict[int, list]:
    """Entry pk -> its variants in a create answer: by slug, else by request order when no slug matched."""
    by_slug: dict[str, list] = {}
    order: list[str] = []
    by_id: dict[str, list] = {}
    for variant in (v for v in variants if v.id):  # an item without an ID is no answer for it
        if variant.id not in by_id:
            order.append(variant.id)
        by_id.setdefault(variant.id, []).append(variant)
        if variant.slug:
            by_slug.setdefault(variant.slug, []).append(variant)
    matched = {entry.pk: by_slug[entry.item.slug] for entry in entries if entry.item.slug in by_slug}
    if not matched and len(order) == len(entries):
        # No slugs in the answer (or all rewritten): Webflow answers in request order.
        matched = {entry.pk: by_id[webflow_id] for entry, webflow_id in zip(entries, order, strict=True)}
    return matched


def record_created(run, entries: list[BatchItem], chunk: PushChunk,
                   variants: list) -> tuple[list[BatchItem], list[tuple[BatchItem, list]]]:
    """Store the IDs of one create answer and mark its entries sent/done; returns (entries Webflow left out,
    (entry, variants) of those whose slug Webflow changed)."""
    matched = match_variants(entries, variants)
    missing = [e for e in entries if e.pk not in matched]
    with transaction.atomic():
        beat(run)
        sent = [entry for entry in entries if entry.pk in matched]
        refs = [build_refs(run, e, matched[e.pk], published=run.live_endpoint) for e in sent]
        save_refs(refs)
        run.note_owed_patches([ref for group in refs for ref in group])
        renamed = []
        for entry in sent:
            entry.status = BatchItem.Status.SENT
            returned_slug = matched[entry.pk][0].slug
            if returned_slug and returned_slug != entry.item.slug:
                entry.reason = f"Webflow changed the slug to '{returned_slug}'"
                renamed.append(entry)
        # One plain UPDATE for the chunk (bulk_update's per-row CASE costs milliseconds of CPU per entry);
        # a slug Webflow rewrote is rare and gets its own reason.
        update_rows(BatchItem, {"pk": [e.pk for e in sent]}, status=BatchItem.Status.SENT)
        for entry in renamed:
            update_rows(BatchItem, {"pk": entry.pk}, reason=entry.reason)
        settle_sent(run, sent, owing={ref["item_id"] for group in refs for ref in group
                                      if ref["needs_patch"] or ref["needs_publish"]})
        update_rows(PushChunk, {"pk": chunk.pk}, status=PushChunk.Status.DONE, finished_at=timezone.now())
    run.report_progress()
    return missing, [(entry, matched[entry.pk]) for entry in renamed]
