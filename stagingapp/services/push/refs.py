"""Webflow item refs: one row per item and locale holding the ID Webflow returned (written inside a transaction)."""
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ...models import BatchItem, WebflowItemRef
from ...statements import delete_rows
from ..rows import insert_values
from .bodies import item_flags, localized_locale_ids
from .references import unresolved


def parse_time(value):
    return parse_datetime(value) if isinstance(value, str) and value else None


def build_refs(run, entry: BatchItem, variants: list, *, published: bool) -> list[dict]:
    """One ref row (attname -> value, for save_refs) per batch locale from the variants Webflow returned for
    this entry's item."""
    item = entry.item
    webflow_id = variants[0].id
    by_cms = {v.cms_locale_id: v for v in variants if v.cms_locale_id}
    localized = set(localized_locale_ids(item, run.locales)) if not run.live_endpoint else set()
    if run.names_drafts() and unresolved(item):  # (no item of the batch names a draft: nothing to look up)
        # The create left out a reference to a draft without an ID yet (a cycle): every locale owes it.
        localized = {loc.pk for loc in run.locales}
    is_draft, _ = item_flags(run.batch, item)
    item_id, batch_id, needs_publish = item.pk, run.batch.pk, run.live and not published
    refs = []
    for loc in run.locales:
        locale_id, cms_locale_id = loc.pk, loc.cms_locale_id
        variant = by_cms.get(cms_locale_id) or variants[0]
        refs.append({
            "item_id": item_id, "locale_id": locale_id, "webflow_item_id": webflow_id,
            "cms_locale_id": variant.cms_locale_id if variant.cms_locale_id in run.locale_by_cms else cms_locale_id,
            "slug": variant.slug or item.slug, "created_on": parse_time(variant.created_on),
            "last_updated": parse_time(variant.last_updated),
            "last_published": parse_time(variant.last_published) or (timezone.now() if published else None),
            "is_published": published,
            "is_draft": bool(variant.is_draft if variant.is_draft is not None else is_draft),
            "needs_patch": locale_id in localized, "needs_publish": needs_publish, "last_batch_id": batch_id,
        })
    return refs


def save_refs(groups: list[list[dict]]) -> None:
    """Replace the refs of these items and locales in one delete and one insert (caller holds a transaction)."""
    refs = [ref for group in groups for ref in group]
    if not refs:
        return
    # A plain DELETE: nothing refers to a ref row, and QuerySet.delete() would first collect what might.
    delete_rows(WebflowItemRef, item_id={r["item_id"] for r in refs}, locale_id={r["locale_id"] for r in refs})
    insert_values(WebflowItemRef, refs)


def store_variants(run, entry: BatchItem, variants: list, *, published: bool) -> None:
    """Write one WebflowItemRef per batch locale from the variants Webflow returned (inside a transaction)."""
    save_refs([build_refs(run, entry, variants, published=published)])
