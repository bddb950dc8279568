"""Per-locale PATCHes (localizing new variants, updating existing items), 100 entries a request."""
import contextlib

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ...models import BatchItem, WebflowItemRef
from ...selectors import owed_refs, owed_refs_query
from ...statements import select_instances, update_rows
from ...webflow.errors import WebflowError, WebflowNotFound, WebflowRateLimited, WebflowValidationError
from ..audit import audit_record
from .approval import CHANGED_BEFORE_PATCH, changed_item_ids
from .bodies import item_flags, patch_field_data
from .flights import Waiting
from .lease import beat, nap
from .outcomes import fail_refs, settle_sent
from .planning import MAX_ENTRIES_PER_PATCH
from .policy import Action, Step, StopBatch, decide, wait_rate_limit
from .references import describe, unresolved
from .refs import parse_time
from .refusals import split_or_fail


def patch_full_chunks(run) -> None:
    """Between creates, send the PATCH requests that are already full (100 entries): the request count stays
    minimal, and recording finished items overlaps the time the rate limit would make this run wait anyway.
    The refs (with items and translations) are read only once those owed at the last look plus those recorded
    since could fill a request (run.patches_owed_floor; a COUNT sets it at the run's first look). Refs stop being
    owed otherwise only rarely (a failed item), so a read that finds fewer than a request's worth is rare, and
    it sets the floor exactly; patch_all sends whatever is left.
    """
    if run.names_drafts():
        return  # a PATCH may name a draft created later in this run: patch_all sends them once all exist
    staged = {"is_published": False} if run.live else {}  # live items owe PATCH .../items/live instead
    while True:
        if run.patches_owed_floor is None:
            run.patches_owed_floor = owed_refs_query(run.batch, run.flights.patching(), needs_patch=True,
                                                     **staged).count()
        if run.patches_owed_floor < MAX_ENTRIES_PER_PATCH:
            return  # not even the refs owed at the last look and recorded since fill one
        refs = owed_refs(run.batch, limit=MAX_ENTRIES_PER_PATCH, excluding=run.flights.patching(),
                         locales=run.site_locales, reads=run.item_reads, needs_patch=True, **staged)
        if len(refs) < MAX_ENTRIES_PER_PATCH:
            run.patches_owed_floor = len(refs)
            return
        run.patches_owed_floor -= len(refs)
        start_patch(run, refs, live=False)


def patch_all(run) -> None:
    """Send every owed per-locale PATCH, 100 entries a request (live items via PATCH .../items/live), several on
    their way at once. The owed refs are read one request's worth at a time, leaving out those in flight, so
    memory stays flat in the batch size; a ref is owed again only until its PATCH's answer has landed."""
    # A 409 on a live PATCH turns its refs staged (reroute_unpublished): both kinds are read until neither is owed.
    kinds = [({"is_published": False}, False), ({"is_published": True}, True)] if run.live else [({}, False)]
    while True:
        sent = False
        for flags, live in kinds:
            refs = owed_refs(run.batch, limit=MAX_ENTRIES_PER_PATCH, excluding=run.flights.patching(),
                             locales=run.site_locales, reads=run.item_reads, needs_patch=True, **flags)
            if refs:
                start_patch(run, refs, live=live)
                sent = True
                break
        if sent:
            continue
        if not run.flights.waiting:
            return
        run.flights.land_oldest()  # its refs may be owed again (a refusal splits them off, a 409 reroutes)


def start_patch(run, refs: list[WebflowItemRef], *, live: bool) -> None:
    """Send one PATCH without waiting for the answer; send_patch's policy handles it when it lands."""
    run.flights.make_room()
    group = unchanged_refs(run, refs)
    if not group:
        return
    flight = begin_patch(run, group, live=live)
    run.flights.add(Waiting(
        flight=flight, info=dict(run.request_info), ref_pks=frozenset(r.pk for r in group),
        land=lambda: send_patch(run, group, live=live, sent=flight),
        abandon=lambda: record_abandoned(run, group, flight, live=live)))


def record_abandoned(run, group: list[WebflowItemRef], flight, *, live: bool) -> None:
    """The run is stopping: keep what an answered PATCH says; an unanswered one stays owed."""
    with contextlib.suppress(WebflowError):
        record_patched(run, group, flight.result(), live=live)


def begin_patch(run, group: list[WebflowItemRef], *, live: bool):
    """Send one PATCH of `group` without waiting; the run beats with the limiter's slot, just before it leaves."""
    step = Step.PATCH_LIVE if live else Step.PATCH
    run.request_info.update(items=sorted({r.item_id for r in group}), step=step.value)
    return run.client.begin_update_items(run.collection_id, items=[patch_body(run, r) for r in group], live=live,
                                         before_send=lambda: beat(run))


def patch_body(run, ref: WebflowItemRef) -> dict:
    """An update carries the locale's full text; localizing a variant just created sends only what differs."""
    item, locale_id = ref.item, ref.locale_id
    translation = next((t for t in item.translations.all() if t.locale_id == locale_id), None)
    is_draft, is_archived = item_flags(run.batch, item)
    field_data = patch_field_data(item, translation, locale_id=locale_id, update=item.pk in run.updated_item_ids())
    return {"id": ref.webflow_item_id, "cmsLocaleId": ref.cms_locale_id, "isDraft": is_draft,
            "isArchived": is_archived, "fieldData": field_data}


def send_patch(run, refs: list[WebflowItemRef], *, live: bool, sent=None) -> None:
    """PATCH these entries under the call policy (a PATCH is idempotent, so a failed one is simply sent again);
    entries Webflow refuses are isolated and fail, items whose content changed since approval are not sent.
    `sent` is the flight start_patch already sent for exactly these refs."""
    step = Step.PATCH_LIVE if live else Step.PATCH
    work = [refs]
    attempt = 0
    while work:
        if sent is not None:
            group, flight, sent = work.pop(), sent, None
        else:
            group = unchanged_refs(run, work.pop())
            if not group:
                continue
            flight = begin_patch(run, group, live=live)
        try:
            variants = flight.result()
        except WebflowRateLimited as exc:
            work.append(group)
            wait_rate_limit(run, exc)
            continue
        except WebflowError as exc:
            decision = decide(exc, step=step, attempt=attempt + 1, collection_id=run.collection_id,
                              jitter=run.jitter)
            if decision.action in (Action.RESEND, Action.STOP):
                attempt += 1  # a refusal or a 409 reroute is Webflow's verdict, not a failure to repeat
            if decision.action is Action.STOP:
                raise StopBatch(decision.message) from exc
            if decision.action is Action.REROUTE:
                reroute_unpublished(run, group)
            elif decision.action is Action.REFUSE:
                if isinstance(exc, WebflowNotFound):
                    work.extend(split_or_fail(run, group, f"Webflow no longer has this item: {exc}"))
                else:
                    work.extend(split_or_fail(run, group, f"Webflow refused the update: {exc}",
                                              exc=exc if isinstance(exc, WebflowValidationError) else None))
            else:
                work.append(group)
                nap(run, decision.seconds)
            continue
        record_patched(run, group, variants, live=live)


def unchanged_refs(run, refs: list[WebflowItemRef]) -> list[WebflowItemRef]:
    """The refs whose item is still the approved content and whose referenced drafts all have Webflow IDs; the
    others' items fail with the reason."""
    changed = changed_item_ids(run, list({r.item_id: r.item for r in refs}.values()))
    if changed:
        fail_refs(run, [r for r in refs if r.item_id in changed], CHANGED_BEFORE_PATCH)
    refs = [r for r in refs if r.item_id not in changed]
    if not run.names_drafts():
        return refs
    lost = {r.item_id: missing for r in refs if (missing := unresolved(r.item))}
    for item_id, missing in lost.items():
        fail_refs(run, [r for r in refs if r.item_id == item_id],
                  f"its reference to {describe(missing)} could not be set: not created in Webflow")
    return [r for r in refs if r.item_id not in lost]


def reroute_unpublished(run, refs: list[WebflowItemRef]) -> None:
    """409 on a live PATCH: the items were never published, so update them staged and publish them."""
    with transaction.atomic():
        WebflowItemRef.objects.filter(item_id__in={r.item_id for r in refs}).update(
            is_published=False, needs_publish=True, needs_patch=True)
    audit_record(action="push.reroute", **run.as_actor, batch=run.batch,
                 collection=run.batch.collection, object_repr=str(run.batch),
                 message="Webflow says these items were never published; updating staged, then publishing",
                 data={"items": sorted({r.item_id for r in refs})})


def record_patched(run, refs: list[WebflowItemRef], variants: list, *, live: bool) -> None:
    """Store what a PATCH answered and settle the items it finished (one transaction, grouped updates)."""
    by_key = {(v.id, v.cms_locale_id): v for v in variants}
    now = timezone.now()
    groups: dict[tuple, list[int]] = {}
    renamed: list[tuple[int, str]] = []
    for ref in refs:
        variant = by_key.get((ref.webflow_item_id, ref.cms_locale_id))
        last_updated = (parse_time(variant.last_updated) if variant else None) or now
        values = {"last_updated": last_updated, "needs_patch": False, "last_batch_id": run.batch.pk,
                  "updated_at": now}
        if variant is not None and variant.is_draft is not None:
            values["is_draft"] = variant.is_draft
        if variant is not None and variant.slug and variant.slug != ref.slug:
            renamed.append((ref.pk, variant.slug))  # a translated slug: rare, so one UPDATE each
        if live:
            values["last_published"] = (parse_time(variant.last_published) if variant else None) or now
        groups.setdefault(tuple(sorted(values.items())), []).append(ref.pk)
    with transaction.atomic():
        beat(run)
        for values, pks in groups.items():
            update_rows(WebflowItemRef, {"pk": pks}, **dict(values))
        for pk, slug in renamed:
            update_rows(WebflowItemRef, {"pk": pk}, slug=slug)
        clear_removal_markers(refs, live=live)
        entries = select_instances(BatchItem, ("batch_id", "item_id", "status", "reason"),  # what settling reads
                                   batch_id=run.batch.pk, item_id={r.item_id for r in refs},
                                   status=BatchItem.Status.SENT)
        settle_sent(run, entries)
    run.report_progress()


def clear_removal_markers(refs: list[WebflowItemRef], *, live: bool) -> None:
    """A PATCH sends the draft's own isArchived, so an "archived" marker holds only while the draft is archived;
    a live PATCH also puts an unpublished item back on the site."""
    marked = [r.pk for r in refs if r.removal]
    if marked:
        gone = ["unpublished"] if live else []
        WebflowItemRef.objects.filter(pk__in=marked).filter(
            Q(removal__in=gone) | Q(removal="archived", item__is_archived=False)).update(removal="")
