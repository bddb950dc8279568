"""Copies left by a create that got no answer and was applied later than the run waited for it.

Webflow has no idempotency key. After a create the client gave up on, the run waits past the read timeout plus a
margin, finds nothing and re-sends (reconcile.py). When Webflow applies the original even later, it makes a second
item: refused as a duplicate slug today, but in Webflow's older behaviour created with an auto-suffixed slug
(`post-7` → `post-7-3f9a1`). Each item re-sent that way carries `late_copy_check_from` (when the unanswered
original left). At the end of the run, once the original has had that wait a second time, the items created since
then are listed and any copy of such an item (not its stored ID; same name; its slug or the slug plus a suffix) is
deleted and recorded in the audit history. A copy that cannot be found out or deleted fails its item with the
copy's ID, so the batch never reads "Succeeded" while a copy it made is unaccounted for.
"""
import math
import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ...models import BatchItem, WebflowItemRef
from ...webflow.client import MAX_ITEMS_PER_REQUEST
from ...webflow.errors import WebflowError, WebflowNotFound
from ..audit import audit_record
from .lease import beat, nap
from .outcomes import fail_entries
from .policy import StopBatch, call_idempotent
from .reconcile import known_ref_id_at, landing_wait, lookup_slug
from .refs import parse_time, store_variants
from .window import complete_variants, webflow_floor


def remove_late_copies(run) -> None:
    """Delete the copies late originals made of this batch's re-sent items (the run's last Webflow step)."""
    suspects = list(run.batch.entries.filter(late_copy_check_from__isnull=False).select_related("item")
                    .prefetch_related("item__translations"))
    if not suspects:
        return
    since = min(entry.late_copy_check_from for entry in suspects)
    left = (since + 2 * landing_wait() - timezone.now()).total_seconds()
    if left > 0:
        run.request_info.update(items=[e.item_id for e in suspects], step="wait for a late copy")
        nap(run, left)
    ours = dict(WebflowItemRef.objects.filter(item__in=[e.item_id for e in suspects])
                .values_list("webflow_item_id", "item_id"))
    # A suspect whose re-send did not land has no copy: what a late original made is its only item, adopted by a
    # retry (a duplicate slug of an item whose create had an unknown outcome).
    linked = set(ours.values())
    checked = [e for e in suspects if e.item_id in linked]
    problems: dict[int, tuple[BatchItem, list[str]]] = {}
    try:
        copies = find_copies(run, checked, since=since, ours=set(ours)) if checked else {}
    except (WebflowError, StopBatch) as exc:
        copies = {}
        for entry in checked:
            problems[entry.pk] = (entry, [f"the list of items created since then failed ({exc})"])
    failure = None
    for webflow_id, (entry, variants) in copies.items():
        if failure is None:
            try:
                delete_copy(run, entry, webflow_id, variants)
                continue
            except (WebflowError, StopBatch) as exc:
                failure = exc  # the copies after this one would meet the same: not sent
        problems.setdefault(entry.pk, (entry, []))[1].append(f"{webflow_id} ({failure})")
    with transaction.atomic():
        beat(run)
        BatchItem.objects.filter(pk__in=[e.pk for e in suspects]).update(late_copy_check_from=None)
    for entry, notes in problems.values():
        fail_entries(run, [entry], "Webflow applied an unanswered create late, after the item had been sent again; "
                                   f"a copy it made could not be checked or deleted: {'; '.join(notes)}. Look for "
                                   f"copies of '{entry.item.slug}' in Webflow and delete them by hand.")


def unchecked_copies_warning(run) -> str:
    """For the message of a batch that stopped before its copy check: which slugs may still have a late copy."""
    slugs = list(run.batch.entries.filter(late_copy_check_from__isnull=False).order_by("pk")
                 .values_list("item__slug", flat=True)[:11])
    if not slugs:
        return ""
    named = ", ".join(f"'{slug}'" for slug in slugs[:10]) + (" and more" if len(slugs) > 10 else "")
    return (f" Some items were sent again after a create that got no answer ({named}); the batch stopped before "
            "checking that Webflow did not also apply the first create late. Look in Webflow for copies with a "
            "suffixed slug (such as slug-3f9a1) and delete them.")


def keep_originals(run, suffixed: list[tuple[BatchItem, list]]) -> None:
    """Entries sent again after a create with no clear answer, which Webflow created under a changed slug
    (`post-7-3f9a1`, its older auto-suffixing): the earlier create did land, under the slug itself, and the
    look before the re-send missed it. The original is adopted and the copy just made deleted (recorded in the
    audit history), so the draft keeps its slug and one item per locale. An original that cannot be found, or
    is not this draft's (another name), leaves the re-sent item as it is."""
    for entry, copy in suffixed:
        try:
            originals = complete_variants(run, [v for v in lookup_slug(run, entry.item.slug)
                                                if v.id != copy[0].id and v.name in copy_names(entry.item)])
        except WebflowError:
            continue  # kept as sent; the reason already says Webflow changed its slug
        if not originals:
            continue
        marker = entry.late_copy_check_from
        with transaction.atomic():
            beat(run)
            store_variants(run, entry, originals, published=run.live_endpoint and any(
                v.last_published for v in originals))
            # Until the copy is gone the run's copy check would find it (it is no longer the draft's item).
            BatchItem.objects.filter(pk=entry.pk).update(
                reason="adopted the Webflow item an earlier, unanswered create had made",
                late_copy_check_from=marker or timezone.now())
        try:
            delete_copy(run, entry, copy[0].id, copy)
        except WebflowError:
            continue  # the copy check tries again at the end, or fails the item naming the copy
        BatchItem.objects.filter(pk=entry.pk).update(late_copy_check_from=marker)


def copy_names(item) -> set[str]:
    return {item.name, *(t.name for t in item.translations.all() if t.name)}


def find_copies(run, suspects: list[BatchItem], *, since, ours: set[str]) -> dict[str, tuple[BatchItem, list]]:
    """Webflow ID -> (entry, variants) of every copy created from `since` (minus the clock margin) until now.

    The items created in that window (from the floor of what Webflow already held then, window.webflow_floor),
    newest first, when paging through them costs no more requests than one lookup per suspect by its exact name
    (Webflow's `name` filter; a copy keeps the name), else those lookups. Webflow may ignore a filter or the
    sort, so every variant's date, slug and name are checked here."""
    margin = timedelta(seconds=settings.WEBFLOW_PUSH_RECONCILE_MARGIN_SECONDS)
    low, high = since - margin, timezone.now() + margin
    # A copy is younger than what Webflow held when the original left: the floor of the newest chunk sent by then.
    low = max(low, webflow_floor(run, since, known_ref_id_at(run, since)) or low)
    matchers = [(re.compile(rf"{re.escape(e.item.slug)}(-[0-9a-z]+)?"), copy_names(e.item), e) for e in suspects]
    copies: dict[str, tuple[BatchItem, list]] = {}

    def pages(**filters):
        offset = 0
        while True:
            run.request_info.update(items=[e.item_id for e in suspects], step="look for late copies")
            page = call_idempotent(run, lambda offset=offset: run.client.list_items(
                run.collection_id, cms_locale_ids=run.cms_ids, offset=offset, limit=MAX_ITEMS_PER_REQUEST,
                **filters))
            yield page
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def take(page) -> None:
        for variant in page.items:
            stamp = parse_time(variant.created_on)
            if not variant.id or variant.id in ours or stamp is None or not low <= stamp <= high:
                continue
            for pattern, names, entry in matchers:
                if variant.slug and pattern.fullmatch(variant.slug) and variant.name in names:
                    copies.setdefault(variant.id, (entry, []))[1].append(variant)
                    break

    window = pages(created_from=low, created_to=high, sort_by="createdOn", sort_order="desc")
    first = next(window)
    take(first)
    if math.ceil(max(0, first.total - len(first.items)) / MAX_ITEMS_PER_REQUEST) <= len(suspects):
        for page in window:
            take(page)
        return copies
    for entry in suspects:
        for page in pages(name=entry.item.name):
            take(page)
    return copies


def delete_copy(run, entry: BatchItem, webflow_id: str, variants: list) -> None:
    """Unpublish (when live) and delete one copy in every locale it has. Repeating a DELETE is safe (the repeat
    of one that landed answers 404, which means gone), so it goes under the policy for idempotent requests."""
    locales = sorted({v.cms_locale_id for v in variants if v.cms_locale_id})
    body = [{"id": webflow_id, **({"cmsLocaleIds": locales} if locales else {})}]
    run.request_info.update(items=[entry.item_id], step="delete a late copy")
    for live in ([True] if any(v.last_published for v in variants) else []) + [False]:
        try:
            call_idempotent(run, lambda live=live: run.client.remove_items(run.collection_id, items=body, live=live))
        except WebflowNotFound:
            continue
    audit_record(action="push.copy_removed", **run.as_actor, batch=run.batch, collection=run.batch.collection,
                 item=entry.item, object_repr=str(entry.item)[:300],
                 message=f"Deleted Webflow item {webflow_id} ('{variants[0].slug}'): a copy made when Webflow "
                         "applied an unanswered create after the item had been sent again",
                 data={"webflow_item_id": webflow_id, "slug": variants[0].slug, "cms_locale_ids": locales})
