"""Reading Webflow's side of a collection and comparing it with ours: shared by pull and verify (drift).

- `list_collection()` lists every item variant of a collection in the given locales (100 per page, one listing
  per locale, through the shared limiter) and counts the requests it cost.
- `split_field_data()` separates what a draft can hold from values kept verbatim.
- `webflow_view()` / `draft_view()` put both sides in one comparable shape (normalised values, empties dropped),
  and `view_diff()` names the fields that differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.dateparse import parse_datetime

from ..exceptions import FieldDataInvalid, WebflowSyncFailed
from ..models import DraftItem, LocaleMapping, WebflowSnapshot
from ..schema import ITEM_COLUMNS, NOT_LOCALISABLE_TYPES, InvalidValue, is_empty, normalise_value
from ..webflow import errors as wf
from ..webflow.client import MAX_ITEMS_PER_REQUEST, ItemVariant, get_client
from .push.bodies import locale_field_data
from .sync import _explain

S = DraftItem.Status
IN_WEBFLOW_STATUSES = (S.STAGED, S.LIVE)


@dataclass
class Listing:
    """Every variant Webflow listed: webflow item id -> cmsLocaleId -> variant, and the requests it took."""

    variants: dict[str, dict[str, ItemVariant]] = field(default_factory=dict)
    requests: int = 0


def webflow_client(*, client=None, counter: list | None = None):
    """The given client, or one from settings whose observer counts HTTP attempts into `counter`."""
    if client is not None:
        return client
    try:
        return get_client(observer=(lambda exchange: counter.append(exchange)) if counter is not None else None)
    except wf.WebflowNotConfigured as exc:
        raise WebflowSyncFailed(f"Webflow is not configured: {exc}", cause=exc) from exc


def list_collection(*, collection, locales: list[LocaleMapping], client=None) -> Listing:
    """GET …/items?cmsLocaleId=<locale>&limit=100&offset=… until every page of every locale is read.

    Raises WebflowSyncFailed with an editor-facing message when Webflow refuses or cannot be reached.
    """
    exchanges: list = []
    client = webflow_client(client=client, counter=exchanges)
    listing = Listing()
    pages = 0
    try:
        for locale in locales:
            offset = 0
            while True:
                page = client.list_items(collection.webflow_id, cms_locale_ids=[locale.cms_locale_id],
                                         offset=offset, limit=MAX_ITEMS_PER_REQUEST)
                pages += 1
                for variant in page.items:
                    # Never trust that the filter was applied: file each variant under the locale it names.
                    listing.variants.setdefault(variant.id, {})[variant.cms_locale_id or locale.cms_locale_id] = variant
                offset += len(page.items)
                if not page.items or offset >= page.total:
                    break
    except wf.WebflowError as exc:
        raise _explain(exc, what="items of collection", webflow_id=collection.webflow_id) from exc
    listing.requests = len(exchanges) or pages
    return listing


def is_published(variant: ItemVariant) -> bool:
    return bool(variant.last_published) and not variant.is_draft


def parse_time(value):
    return parse_datetime(value) if value else None


def _normalised(field_spec: dict | None, value):
    """(True, value in the app's form) or (False, value) when the app cannot represent it."""
    if field_spec is None or field_spec.get("isEditable") is False:
        return False, value
    try:
        return True, normalise_value(field_spec, value)
    except InvalidValue:
        return False, value


def split_field_data(collection, field_data: dict, *, primary: dict | None = None) -> tuple[dict, dict]:
    """(values a draft can hold, values kept verbatim) from one variant's fieldData (name/slug excluded).

    With `primary` (the primary locale's representable values) a secondary locale keeps only what differs, as a
    translation does; an asset that differs per locale cannot be a translation and is kept verbatim instead.
    """
    fields = collection.field_by_slug()
    ours, verbatim = {}, {}
    for key, value in (field_data or {}).items():
        if key in ITEM_COLUMNS or is_empty(value):
            continue
        spec = fields.get(key)
        ok, value = _normalised(spec, value)
        if not ok:
            verbatim[key] = value
        elif primary is None:
            ours[key] = value
        elif primary.get(key) != value:
            if spec.get("type") in NOT_LOCALISABLE_TYPES:
                verbatim[key] = value
            else:
                ours[key] = value
    return ours, verbatim


def webflow_view(collection, variant: ItemVariant) -> dict:
    """One variant as comparable values: name, slug, isArchived and every non-empty field, normalised if possible."""
    fields = collection.field_by_slug()
    view = {"name": variant.name or "", "slug": variant.slug or "", "isArchived": bool(variant.is_archived)}
    for key, value in (variant.field_data or {}).items():
        if key not in ITEM_COLUMNS and not is_empty(value):
            view[key] = _normalised(fields.get(key), value)[1]
    return view


def draft_view(item: DraftItem, translation, snapshot: WebflowSnapshot | None) -> dict:
    """What Webflow should hold for the item in one locale: our text plus the values kept verbatim."""
    try:
        data = locale_field_data(item, translation)
    except FieldDataInvalid:
        data = {"name": item.name, "slug": item.slug, **(item.field_data or {})}
        if translation is not None:
            data.update({k: v for k, v in (("name", translation.name), ("slug", translation.slug)) if v})
            data.update(translation.field_data or {})
    view = {"isArchived": bool(item.is_archived)}
    for key, value in data.items():
        if not is_empty(value) or key in ITEM_COLUMNS:
            view[key] = value
    for key, value in ((snapshot.extra_field_data if snapshot else None) or {}).items():
        view.setdefault(key, value)
    return view


def view_diff(ours: dict, webflow: dict, *, skip=("slug",)) -> dict:
    """field -> {"ours", "webflow"} for every field whose values differ (slug is reported as its own kind)."""
    return {key: {"ours": ours.get(key), "webflow": webflow.get(key)}
            for key in sorted(ours.keys() | webflow.keys())
            if key not in skip and ours.get(key) != webflow.get(key)}


def in_sync_with_last_push(item: DraftItem) -> bool:
    """True when the draft still holds exactly what was last pushed or pulled (nothing edited since)."""
    from .workflow import item_fingerprint_matches

    return item.status in IN_WEBFLOW_STATUSES and item_fingerprint_matches(item)
