"""Settle an unanswered create chunk with list requests: the items Webflow created around the chunk's send time.

One `GET .../items?createdOn[gte]=…&createdOn[lte]=…&sortBy=createdOn&sortOrder=desc&limit=100` over the batch's
locales usually settles a whole chunk: a bulk create makes one item in every listed locale, its variants sharing
one ID, and they are the newest items. Webflow may ignore a filter or the sort, so every returned variant's date
and slug are checked here, and paging goes on until the window is exhausted: the server says there is no more,
or (only while every variant so far really came newest first) the list has gone below the floor: the newest item
of the collection known before the chunk was sent, as stamped by Webflow's own clock, so nothing older can be the
chunk's. The list asks from the floor, so in a collection other batches fill meanwhile a chunk still costs about
one page, not the pages of every item made in the clock margin before it.
What the list cannot settle (an item seen in some locales only, or a window that would cost more pages than
looking its slugs up) is left to per-slug lookups.
"""
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone

from ...models import BatchItem, PushChunk, WebflowItemRef
from ...webflow.client import MAX_ITEMS_PER_REQUEST
from .policy import call_idempotent
from .refs import parse_time


@dataclass
class WindowScan:
    found: dict[int, list] = field(default_factory=dict)        # entry pk -> its variants (every batch locale)
    unsettled: list[BatchItem] = field(default_factory=list)    # for per-slug lookups
    pages: int = 0


def webflow_floor(run, sent_at: datetime, known_ref_id: int | None) -> datetime | None:
    """The newest createdOn (Webflow's clock) of an item Webflow had already made when a request left at `sent_at`:
    any item of the collection whose ref was written before the request was marked in flight (`known_ref_id`,
    its chunk's), whichever batch or pull wrote it. A ref row is written from a Webflow answer, after its item was
    made, and a new Webflow item for a draft gets a new row, so no clock but Webflow's is compared. The request
    can only make items stamped at or after the floor; in a collection other batches fill meanwhile, it keeps the
    window to what was made since. A chunk marked before known_ref_id existed falls back to this batch's items
    whose create answer was recorded before `sent_at`."""
    if known_ref_id is not None:
        known = WebflowItemRef.objects.filter(item__collection_id=run.batch.collection_id, pk__lte=known_ref_id)
    else:
        known = WebflowItemRef.objects.filter(item_id__in=BatchItem.objects.filter(
            batch=run.batch, chunk__finished_at__lt=sent_at).values("item_id"))
    return known.aggregate(newest=Max("created_on"))["newest"]


def webflow_ceiling(run, chunk: PushChunk) -> datetime | None:
    """The oldest createdOn (Webflow's clock) of the items made by this batch's creates sent after `chunk`,
    each recorded from its own answer: Webflow usually makes a chunk's items before those of a request sent
    after it, so listed newest first below this stamp, the chunk's items come first instead of after the
    pages of the creates sent beside it (scan_window). Only a hint: no absence is concluded from it. Those
    creates are landed first (their answers recorded) so their stamps are known. None when none was sent."""
    run.flights.land_all()
    made_after = BatchItem.objects.filter(batch=run.batch, chunk__gt=chunk.pk, chunk__status=PushChunk.Status.DONE)
    return WebflowItemRef.objects.filter(item_id__in=made_after.values("item_id")).aggregate(
        oldest=Min("created_on"))["oldest"]


def complete_variants(run, variants: list) -> list | None:
    """The variants of one item covering every batch locale (several IDs with one slug: the fullest, earliest)."""
    primary = run.cms_ids[0] if run.cms_ids else None
    by_id: dict[str, dict] = {}
    for variant in variants:
        by_id.setdefault(variant.id, {})[variant.cms_locale_id or primary] = variant
    full = [locales for locales in by_id.values() if all(cms in locales for cms in run.cms_ids)]
    if not full:
        return None
    best = min(full, key=lambda locales: min(v.created_on or "" for v in locales.values()))
    return list(best.values())


def scan_window(run, entries: list[BatchItem], *, sent_at: datetime, known_ref_id: int | None = None,
                ceiling: datetime | None = None) -> WindowScan:
    """List the items created between the floor (webflow_floor, else `sent_at` minus the clock margin) and now
    plus the margin, newest first, and match them to `entries` by slug. Entries the list proves absent are in
    neither `found` nor `unsettled`.

    With a `ceiling` (webflow_ceiling's hint) the first look is below its millisecond, where the entries' items
    usually are the newest: one page. Items made in the ceiling's own millisecond, beside the first of the later
    creates, are looked for there next (a page, rarely two). These looks can only find items; whatever they did
    not find is looked for in the whole window, so no absence is ever concluded from the hint (a request sent
    later may be made first, and Webflow may keep finer stamps than it shows). An item whose locales were made
    on both sides of a millisecond is put together from what each look saw of it."""
    if ceiling is None:
        return _scan(run, entries, sent_at=sent_at, known_ref_id=known_ref_id)
    millisecond = ceiling.replace(microsecond=ceiling.microsecond // 1000 * 1000)
    found, pages, seen = {}, 0, {}
    for low, high in ((None, millisecond - timedelta(microseconds=1)),
                      (millisecond, millisecond + timedelta(microseconds=999)), (None, None)):
        rest = [entry for entry in entries if entry.pk not in found]
        if not rest:
            return WindowScan(found=found, pages=pages)
        scan = _scan(run, rest, sent_at=sent_at, known_ref_id=known_ref_id, low=low, high=high, seen=seen)
        found.update(scan.found)
        pages += scan.pages
    scan.found, scan.pages = found, pages
    return scan


def _scan(run, entries: list[BatchItem], *, sent_at: datetime, known_ref_id: int | None,
          low: datetime | None = None, high: datetime | None = None,
          seen: dict[int, list] | None = None) -> WindowScan:
    """scan_window's list, from `high` (default: now plus the clock margin) down to the floor (or to `low` when
    that is above it). `seen`: entry pk -> its variants seen so far, by earlier looks too (added to here)."""
    margin = timedelta(seconds=settings.WEBFLOW_PUSH_RECONCILE_MARGIN_SECONDS)
    floor = sent_at - margin
    floor = max(floor, webflow_floor(run, sent_at, known_ref_id) or floor, low or floor)
    if high is None:
        high = timezone.now() + margin
    elif high < floor:
        return WindowScan(unsettled=list(entries))  # nothing can lie below: (only) the whole window decides
    low = floor  # the paging below already stops there: nothing the chunk made is older
    by_slug = {entry.item.slug: entry for entry in entries}
    seen = {} if seen is None else seen
    scan = WindowScan()
    offset, newest_first, oldest = 0, True, None
    open_entries = list(entries)
    while open_entries:
        run.request_info.update(items=[e.item_id for e in open_entries], step="reconcile list")
        page = call_idempotent(run, lambda offset=offset: run.client.list_items(
            run.collection_id, cms_locale_ids=run.cms_ids, offset=offset, limit=MAX_ITEMS_PER_REQUEST,
            created_from=low, created_to=high, sort_by="createdOn", sort_order="desc"))
        scan.pages += 1
        for variant in page.items:
            stamp = parse_time(variant.created_on)
            if stamp is None or (oldest is not None and stamp > oldest):
                newest_first = False
            oldest = stamp if stamp is not None and (oldest is None or stamp < oldest) else oldest
            entry = by_slug.get(variant.slug)
            if entry is not None and variant.id and stamp is not None and low <= stamp <= high:
                seen.setdefault(entry.pk, []).append(variant)
        offset += len(page.items)
        for entry in open_entries:
            variants = complete_variants(run, seen.get(entry.pk, []))
            if variants:
                scan.found[entry.pk] = variants
        open_entries = [e for e in open_entries if e.pk not in scan.found]
        exhausted = not page.items or offset >= page.total or (newest_first and oldest is not None
                                                                 and oldest < floor)
        if exhausted:
            # Seen in some locales only: the list cannot tell what happened to the others.
            scan.unsettled = [e for e in open_entries if e.pk in seen]
            return scan
        if math.ceil((page.total - offset) / MAX_ITEMS_PER_REQUEST) > len(open_entries):
            break  # the rest of the window costs more pages than looking the slugs up
    scan.unsettled = open_entries
    return scan
