"""The first request bodies of a batch exactly as the worker would send them."""
from ...exceptions import FieldDataInvalid
from ...models import PushBatch
from ...selectors import batch_locales
from .bodies import localized_locale_ids, patch_field_data, primary_field_data
from .planning import MAX_ENTRIES_PER_PATCH, plan_items, refs_by_item
from .references import CREATED_EARLIER, targets_of, webflow_ids
from .removals import is_removal


def batch_preview(batch: PushBatch, *, max_requests: int = 3) -> list[dict]:
    """The first request bodies exactly as the worker would send them (method, path, JSON body).

    Empty when an item's values do not fit the schema (pre-flight lists those problems).
    """
    try:
        return _preview(batch, max_requests)
    except FieldDataInvalid:
        return []


def _preview(batch: PushBatch, max_requests: int) -> list[dict]:
    locales = batch_locales(batch)
    items = [entry.item for entry in batch.entries.select_related("item__collection")
             .prefetch_related("item__translations")]
    plan = plan_items(batch, items, locales)
    collection_id = batch.collection.webflow_id
    # Removals go first in a run, so they come first here, built by the worker's own code.
    previews = [request.preview(collection_id) for request in plan.removals[:max_requests]]
    items = [item for item in items if not is_removal(item)]
    # A referenced draft carries its Webflow ID, or a placeholder once an earlier request of this batch made it.
    ids = webflow_ids({pk for item in items for pk in targets_of(item)})
    for is_draft, is_archived, chunk in plan.creates:
        if len(previews) < max_requests:
            if plan.live_endpoint:
                body = {"items": [{"isDraft": is_draft, "isArchived": is_archived,
                                   "fieldData": primary_field_data(i, ids)} for i in chunk]}
                previews.append({"method": "POST", "path": f"/v2/collections/{collection_id}/items/live",
                                 "body": body})
            else:
                body = {"cmsLocaleIds": [loc.cms_locale_id for loc in locales], "isDraft": is_draft,
                        "isArchived": is_archived, "fieldData": [primary_field_data(i, ids) for i in chunk]}
                previews.append({"method": "POST", "path": f"/v2/collections/{collection_id}/items/bulk",
                                 "body": body})
        ids = {**ids, **{i.pk: CREATED_EARLIER.format(slug=i.slug) for i in chunk}}
    if len(previews) < max_requests:
        entries = []
        refs = refs_by_item(items)
        by_locale = {loc.pk: loc for loc in locales}
        for item in items:
            translations = {t.locale_id: t for t in item.translations.all()}
            item_refs = refs.get(item.pk)
            if item_refs:
                webflow_id = next(iter(item_refs.values())).webflow_item_id
                for loc in locales:
                    entries.append({"id": webflow_id, "cmsLocaleId": loc.cms_locale_id,
                                    "fieldData": patch_field_data(item, translations.get(loc.pk), locale_id=loc.pk,
                                                                  update=True, ids=ids)})
            elif item.pk in plan.deferred or not plan.live_endpoint:
                patched = ([loc.pk for loc in locales] if item.pk in plan.deferred
                           else localized_locale_ids(item, locales))
                for locale_id in patched:
                    entries.append({"id": "<id Webflow returns for " + item.slug + ">",
                                    "cmsLocaleId": by_locale[locale_id].cms_locale_id,
                                    "fieldData": patch_field_data(item, translations.get(locale_id),
                                                                  locale_id=locale_id, update=False, ids=ids)})
            if len(entries) >= MAX_ENTRIES_PER_PATCH:
                break
        if entries:
            previews.append({"method": "PATCH", "path": f"/v2/collections/{collection_id}/items",
                             "body": {"items": entries[:MAX_ENTRIES_PER_PATCH]}})
    return previews
