"""Unknown outcomes: find in Webflow what an unanswered create may have made, adopt it, re-send only the rest."""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ...models import BatchItem, PushChunk
from ...webflow.errors import WebflowError
from ..audit import audit_record
from .lease import beat, nap
from .outcomes import fail_entries, settle_sent
from .policy import StopBatch, backoff_seconds, call_idempotent
from .refs import build_refs, save_refs, store_variants
from .window import scan_window, webflow_ceiling


def lookup_slug(run, slug: str) -> list:
    """Every usable variant Webflow holds for exactly this slug in the batch's locales (one GET, repeated under
    the policy). Variants without an ID, or with another slug (a filter Webflow ignored), are no match."""
    run.request_info["step"] = f"lookup {slug}"
    page = call_idempotent(run, lambda: run.client.list_items(run.collection_id, slug=slug,
                                                              cms_locale_ids=run.cms_ids, live=False))
    return [v for v in page.items if v.id and v.slug == slug]


def reconcile(run, entries: list[BatchItem], *, may_land_late: bool = True, sent_since=None,
              sent_before: PushChunk | None = None) -> list[BatchItem]:
    """Adopt what Webflow already created for these in-flight entries; return the ones still missing.

    Each chunk is settled by listing the items created around its send time (window.py); only what the list
    could not settle is looked up slug by slug. `may_land_late`: Webflow may still be applying the request (the
    client gave up waiting, or we do not know): the look waits until the original can no longer land.
    `sent_since`: look for what requests sent from then on made (not just the entries' last chunk).
    `sent_before`: the entries' own create chunk, when it probably wrote (probably_written); the creates sent
    after it hint where its items lie (window.webflow_ceiling). Raises StopBatch when the requests themselves
    keep failing (the entries then stay in flight).
    """
    run.request_info["items"] = [e.item_id for e in entries]
    found: dict[int, list] = {}
    unsettled: list[BatchItem] = []
    listed = 0
    sent_at_of: dict[int, object] = {}
    groups = chunk_groups(run, entries) if sent_since is None else [
        (sent_since, known_ref_id_at(run, sent_since), entries)]
    ceiling = webflow_ceiling(run, sent_before) if sent_before is not None else None
    for sent_at, known_ref_id, group in groups:
        sent_at_of.update((entry.pk, sent_at) for entry in group)
        if may_land_late:
            wait_until_landed(run, sent_at)
        try:
            scan = scan_window(run, group, sent_at=sent_at, known_ref_id=known_ref_id, ceiling=ceiling)
        except WebflowError:
            unsettled += group  # a list Webflow refused: the slugs can still be looked up one by one
            continue
        listed += scan.pages
        found.update(scan.found)
        unsettled += scan.unsettled
    for entry in unsettled:
        try:
            variants = lookup_slug(run, entry.item.slug)
        except WebflowError as exc:
            raise StopBatch(f"Webflow refused to look up items whose create had no clear answer ({exc}); the batch "
                            "was stopped.") from exc
        if variants:
            found[entry.pk] = variants
    missing = [e for e in entries if e.pk not in found]
    with transaction.atomic():
        beat(run)
        adopted = []
        now = timezone.now()
        for entry in entries:
            if entry.pk in found:
                entry.status = BatchItem.Status.SENT
                entry.reason = "adopted after an unknown outcome (found in Webflow among the items created then)"
                adopted.append(entry)
            else:
                entry.status = BatchItem.Status.PENDING
                if may_land_late:  # sent again now: a late original would be a copy (copies.py)
                    entry.late_copy_check_from = min(filter(None, [entry.late_copy_check_from,
                                                                   sent_at_of[entry.pk]]))
            entry.updated_at = now
        save_refs([
            build_refs(run, entry, found[entry.pk], published=run.live_endpoint and any(
                v.last_published for v in found[entry.pk]))
            for entry in adopted
        ])
        BatchItem.objects.bulk_update(entries, ["status", "reason", "late_copy_check_from", "updated_at"])
        settle_sent(run, adopted)
        PushChunk.objects.filter(entries__in=entries, status=PushChunk.Status.IN_FLIGHT).update(
            status=PushChunk.Status.RECONCILED, finished_at=timezone.now())
    if adopted:
        audit_record(action="push.reconcile", **run.as_actor, batch=run.batch,
                     collection=run.batch.collection, object_repr=str(run.batch),
                     message=f"{len(adopted)} item(s) found in Webflow and adopted, {len(missing)} to send again",
                     data={"adopted": [e.item_id for e in adopted], "missing": [e.item_id for e in missing],
                           "list_requests": listed, "slug_lookups": len(unsettled)})
    return missing


def probably_written(exc: WebflowError) -> bool:
    """Whether a create without a usable answer most likely did write: the connection was lost, or a 2xx came
    back unusable. When Webflow answered with a 5xx, it most often wrote nothing. Only the reconcile's cost
    depends on this guess (reconcile's `sent_before`): waiting for the creates sent after it finds an item
    that landed in one page, but makes an absent one cost the pages of what they created meanwhile."""
    status = getattr(exc, "status", None)
    return not (isinstance(status, int) and status >= 500)


def landing_wait() -> timedelta:
    """How long after a request left the run treats its write as landed or never to land."""
    return timedelta(seconds=settings.WEBFLOW_READ_TIMEOUT_SECONDS + settings.WEBFLOW_PUSH_LANDING_MARGIN_SECONDS)


def wait_until_landed(run, sent_at) -> None:
    """Webflow can apply a write after the client's read timeout; a look before then may find nothing, and the
    re-send would then make a second item (or, with slug auto-suffixing, a copy). Wait past the read timeout
    plus a margin from the send."""
    left = (sent_at + landing_wait() - timezone.now()).total_seconds()
    if left > 0:
        run.request_info["step"] = "wait for a late write"
        nap(run, left)


def chunk_groups(run, entries: list[BatchItem]):
    """(send time, newest ref known then, entries) per create chunk: a chunk was committed in flight just before
    its request left."""
    # Read from the database: mark_in_flight sets the chunk with an UPDATE, not on these objects.
    chunk_of = dict(BatchItem.objects.filter(pk__in=[e.pk for e in entries]).values_list("pk", "chunk_id"))
    groups: dict[int | None, list[BatchItem]] = {}
    for entry in entries:
        groups.setdefault(chunk_of.get(entry.pk), []).append(entry)
    sent = {pk: (created_at, known) for pk, created_at, known in PushChunk.objects.filter(
        pk__in=[pk for pk in groups if pk]).values_list("pk", "created_at", "known_ref_id")}
    for chunk_id, group in groups.items():
        # An entry without its chunk (deleted by hand): the batch's start bounds when it could have been sent.
        yield *sent.get(chunk_id, (run.batch.created_at, None)), group


def known_ref_id_at(run, sent_at) -> int | None:
    """The newest ref known when this batch's last chunk sent by `sent_at` left (window.webflow_floor's bound)."""
    return (PushChunk.objects.filter(batch=run.batch, created_at__lte=sent_at).order_by("-created_at", "-pk")
            .values_list("known_ref_id", flat=True).first())


def adopt_late_originals(run, entries: list[BatchItem]) -> list[BatchItem]:
    """Entries sent again after a create that got no clear answer, once Webflow refused one of their slugs as
    taken by the item that create had made: the same create most likely made the others too. One window list
    from the oldest such create of the batch adopts them (instead of one refusal and one lookup per item; a
    window too long to page falls back to per-slug lookups); returns the entries still to send. Entries whose
    creates all had a clear answer are returned untouched."""
    unknown = set(BatchItem.objects.filter(pk__in=[e.pk for e in entries], outcome_unknown=True)
                  .values_list("pk", flat=True))
    suspects = [e for e in entries if e.pk in unknown]
    if not suspects:
        return entries
    # An entry's chunk is its last send; its unanswered one is among the chunks reconciled since the batch began.
    since = (PushChunk.objects.filter(batch=run.batch, status=PushChunk.Status.RECONCILED)
             .order_by("created_at").values_list("created_at", flat=True).first()) or run.batch.started_at
    missing = {e.pk for e in reconcile(run, suspects, may_land_late=False, sent_since=since)}
    return [e for e in entries if e.pk not in unknown or e.pk in missing]


def reconcile_in_flight(run) -> None:
    """A previous run died with create chunks in flight: settle them before anything else is sent."""
    stuck = run.entries(BatchItem.Status.IN_FLIGHT, item__removal_kind="")  # removals settle their own
    if not stuck:
        return
    with transaction.atomic():
        BatchItem.objects.filter(pk__in=[e.pk for e in stuck]).update(outcome_unknown=True)
    reconcile(run, stuck)


def lookup_taken_slug(run, slug: str) -> list:
    """The variants holding a slug Webflow just refused as taken. A list without them contradicts the refusal
    (an answer that lost its items, or a list that lags the write), so it is asked again with backoff, up to
    WEBFLOW_PUSH_MAX_ATTEMPTS times, before the slug counts as held by something the batch cannot see."""
    for attempt in range(1, run.max_attempts + 1):
        variants = lookup_slug(run, slug)
        if variants or attempt == run.max_attempts:
            return variants
        nap(run, backoff_seconds(attempt, jitter=run.jitter))
    return []


def adopt_or_fail_duplicate(run, entry: BatchItem) -> bool:
    """A duplicate-slug refusal: adopt the Webflow item when an earlier create of ours may have made it (True)."""
    try:
        variants = lookup_taken_slug(run, entry.item.slug)
    except WebflowError as exc:
        fail_entries(run, [entry], f"slug '{entry.item.slug}' is already used in Webflow ({exc})", "slug")
        return False
    ours = BatchItem.objects.filter(item_id=entry.item_id, outcome_unknown=True).exists()
    if variants and ours:
        with transaction.atomic():
            beat(run)
            store_variants(run, entry, variants, published=run.live_endpoint and any(
                v.last_published for v in variants))
            entry.status = BatchItem.Status.SENT
            entry.reason = "adopted the Webflow item an earlier, unanswered create had made"
            entry.save(update_fields=["status", "reason", "updated_at"])
            settle_sent(run, [entry])
        return True
    holder = f" by Webflow item {variants[0].id}" if variants else ""
    fail_entries(run, [entry], f"slug '{entry.item.slug}' is already used in Webflow{holder}; "
                               "change the slug or link the existing item", "slug")
    return False
