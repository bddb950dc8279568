"""Webflow request bodies for one item: create fieldData, per-locale PATCH data, flags, approval fingerprint.

The worker and the batch preview build bodies with these same functions.
"""
import hashlib
import json

from ...models import DraftItem, LocaleMapping, PushBatch, WebflowSnapshot
from ...schema import normalise_field_data
from .references import draft_pks_by_field, substitute

# Keys Webflow computes itself; sending them back is a 400.
READ_ONLY_KEYS = {"id", "cmsLocaleId", "createdOn", "lastUpdated", "lastPublished", "isDraft", "isArchived"}


def item_matches_approval(item: DraftItem) -> bool:
    """True when the item's current content is exactly what was approved.

    The one place the push pipeline asks this; it defers to the workflow's check when that exists so both sides
    always agree on the fingerprint.
    """
    from .. import workflow

    workflow_check = getattr(workflow, "item_fingerprint_matches", None)
    if workflow_check is not None:
        return workflow_check(item)
    return bool(item.approved_fingerprint) and item.approved_fingerprint == item_content_fingerprint(item)


def item_content_fingerprint(item: DraftItem) -> str:
    """Fallback fingerprint of an item's content (primary fields, flags, translations) until the workflow's lands."""
    if hasattr(item, "fingerprint"):
        return item.fingerprint()
    payload = {
        "name": item.name, "slug": item.slug, "field_data": item.field_data,
        "is_draft": item.is_draft, "is_archived": item.is_archived,
        "translations": sorted(
            ({"locale": t.locale_id, "name": t.name, "slug": t.slug, "field_data": t.field_data}
             for t in item.translations.all()),
            key=lambda t: t["locale"],
        ),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def primary_field_data(item: DraftItem, ids: dict[int, str] | None = None) -> dict:
    """The fieldData Webflow receives on create: the item's primary content, normalised by the schema module.

    A reference to a draft (`draft:<pk>`) carries that draft's Webflow ID (`ids`, else its refs); one to a draft
    without an ID yet is left out (references.substitute). Raises FieldDataInvalid when a value does not fit the
    collection's synced schema.
    """
    data = {key: value for key, value in (item.field_data or {}).items() if key not in READ_ONLY_KEYS}
    body = normalise_field_data(item.collection, data, name=item.name, slug=item.slug, draft_refs=True)
    return substitute(body, ids)[0]


def translation_patch_data(translation, collection=None, ids: dict[int, str] | None = None) -> dict:
    """Only what a translation changes, for the PATCH that localizes a variant created with primary text."""
    data = {key: value for key, value in (translation.field_data or {}).items() if key not in READ_ONLY_KEYS}
    if collection is None:
        collection = translation.item.collection
    body = normalise_field_data(collection, data, name=translation.name, slug=translation.slug, partial=True,
                                draft_refs=True)
    return substitute(body, ids)[0]


def reference_patch_data(item: DraftItem, ids: dict[int, str] | None = None) -> dict:
    """The item's primary values of fields naming drafts: what a create left out while the other draft had no ID."""
    names_drafts = set(draft_pks_by_field(item.collection, item.field_data))
    if not names_drafts:
        return {}
    return {key: value for key, value in primary_field_data(item, ids).items() if key in names_drafts}


def locale_field_data(item: DraftItem, translation, *, locale_id: int | None = None,
                      ids: dict[int, str] | None = None) -> dict:
    """The full text of one locale variant: primary content overlaid with the translation.

    With `locale_id`, values a pull kept verbatim for that locale (the app cannot represent them) are sent back
    unchanged underneath (an update of a pulled item).
    """
    data = primary_field_data(item, ids)
    if translation is not None:
        data.update(translation_patch_data(translation, item.collection, ids))
    if locale_id is not None:
        data = {**kept_verbatim(item, locale_id), **data}
    return data


def patch_field_data(item: DraftItem, translation, *, locale_id: int, update: bool,
                     ids: dict[int, str] | None = None) -> dict:
    """One locale's PATCH fieldData: an update (or a locale without translation) carries the full text; a variant
    just created gets only what its translation changes, plus references its create left out (a cycle)."""
    if update or translation is None:
        return locale_field_data(item, translation, locale_id=locale_id, ids=ids)
    return {**reference_patch_data(item, ids), **translation_patch_data(translation, item.collection, ids)}


def kept_verbatim(item: DraftItem, locale_id: int) -> dict:
    """The values a pull kept verbatim for the item in one locale, minus fields Webflow marks read-only."""
    extra = (WebflowSnapshot.objects.filter(item_id=item.pk, locale_id=locale_id)
             .values_list("extra_field_data", flat=True).first()) or {}
    fields = item.collection.field_by_slug()
    return {key: value for key, value in extra.items()
            if key not in READ_ONLY_KEYS and (fields.get(key) or {}).get("isEditable") is not False}


def item_flags(batch: PushBatch, item: DraftItem) -> tuple[bool, bool]:
    """(isDraft, isArchived) to send: live pushes are never drafts; staged pushes follow the item's flags."""
    return send_flags(batch, item.is_draft, item.is_archived)


def send_flags(batch: PushBatch, is_draft: bool, is_archived: bool) -> tuple[bool, bool]:
    """item_flags() for an item's stored flags."""
    if batch.mode == PushBatch.Mode.LIVE:
        return False, is_archived
    return is_draft, is_archived


def localized_locale_ids(item: DraftItem, locales: list[LocaleMapping]) -> list[int]:
    """Locales of the batch whose variant needs its own text after a create (it got the primary text)."""
    wanted = {loc.pk for loc in locales if not loc.is_primary}
    return [t.locale_id for t in item.translations.all()
            if t.locale_id in wanted and (t.name or t.slug or t.field_data)]
