"""Writing what a pull read: new drafts linked to their Webflow items, drafts updated from Webflow, conflicts.

Bulk writes go through simple-history's bulk helpers, which write the history rows (change reason "from
Webflow") without the per-save receiver, so a draft updated from Webflow keeps its approval pin; the audit
entries are written here, every one marked `"source": "webflow"`.
"""
from __future__ import annotations

from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import DraftItem, DraftTranslation, PullConflict, WebflowItemRef, WebflowSnapshot
from ..webflow.client import ItemVariant
from .audit import audit_entry, audit_record_many
from .webflow_side import is_published, parse_time, split_field_data

PULL_REASON = "Pulled from Webflow"
UPDATE_REASON = "Updated from Webflow"
ITEM_CONTENT = ["name", "slug", "field_data", "is_archived", "is_draft", "source_hash"]


def primary_content(collection, variant: ItemVariant) -> tuple[dict, dict]:
    """(DraftItem field values, verbatim values) from the primary locale's variant."""
    ours, verbatim = split_field_data(collection, variant.field_data)
    fields = {"name": variant.name or "", "slug": variant.slug or "", "field_data": ours,
              "is_archived": bool(variant.is_archived), "is_draft": bool(variant.is_draft)}
    return fields, verbatim


def translation_content(collection, primary: ItemVariant, variant: ItemVariant, primary_values: dict):
    """({name, slug, field_data} that differ from the primary locale, verbatim values) for one secondary locale."""
    ours, verbatim = split_field_data(collection, variant.field_data, primary=primary_values)
    name = variant.name if variant.name and variant.name != primary.name else ""
    slug = variant.slug if variant.slug and variant.slug != primary.slug else ""
    return {"name": name, "slug": slug, "field_data": ours}, verbatim


def ref_values(variant: ItemVariant) -> dict:
    return {"webflow_item_id": variant.id, "cms_locale_id": variant.cms_locale_id, "slug": variant.slug or "",
            "created_on": parse_time(variant.created_on), "last_updated": parse_time(variant.last_updated),
            "last_published": parse_time(variant.last_published), "is_published": is_published(variant),
            "is_draft": bool(variant.is_draft)}


def snapshot_values(variant: ItemVariant, verbatim: dict) -> dict:
    return {"webflow_item_id": variant.id, "field_data": variant.field_data, "extra_field_data": verbatim,
            "is_draft": bool(variant.is_draft), "is_archived": bool(variant.is_archived),
            "last_updated": parse_time(variant.last_updated), "last_published": parse_time(variant.last_published)}


def _contents(collection, variants: dict, locales) -> tuple[dict, dict[int, tuple[dict, dict]], dict[int, dict]]:
    """(item fields, {secondary locale id: (translation fields, verbatim)}, {locale id: verbatim}) for one item."""
    primary_locale = locales[0]
    primary = variants[primary_locale.cms_locale_id]
    fields, verbatim = primary_content(collection, primary)
    translations, kept = {}, {primary_locale.pk: verbatim}
    for locale in locales[1:]:
        variant = variants.get(locale.cms_locale_id)
        if variant is not None:
            translations[locale.pk], kept[locale.pk] = translation_content(
                collection, primary, variant, fields["field_data"])
    return fields, translations, kept


def create_drafts(*, collection, locales, new: dict[str, dict], actor, actor_label: str) -> list[DraftItem]:
    """One draft per Webflow item (webflow id -> {cmsLocaleId: variant}), its translations, refs and snapshots."""
    if not new:
        return []
    prepared = []
    for variants in new.values():
        fields, translations, kept = _contents(collection, variants, locales)
        primary = variants[locales[0].cms_locale_id]
        status = DraftItem.Status.LIVE if is_published(primary) else DraftItem.Status.STAGED
        item = DraftItem(collection=collection, status=status, status_reason=PULL_REASON, created_by=actor,
                         **fields)
        item.source_hash = item.primary_fingerprint()
        prepared.append((item, variants, translations, kept))
    items = bulk_create_with_history([p[0] for p in prepared], DraftItem, default_user=actor,
                                     default_change_reason=PULL_REASON)
    translations, refs, snapshots = [], [], []
    for item, (_, variants, item_translations, kept) in zip(items, prepared, strict=True):
        for locale in locales:
            variant = variants.get(locale.cms_locale_id)
            if variant is None:
                continue
            refs.append(WebflowItemRef(item=item, locale=locale, **ref_values(variant)))
            snapshots.append(WebflowSnapshot(item=item, locale=locale, **snapshot_values(variant, kept[locale.pk])))
            values = item_translations.get(locale.pk)
            if values and (values["name"] or values["slug"] or values["field_data"]):
                translations.append(DraftTranslation(item=item, locale=locale, source_hash=item.source_hash,
                                                     **values))
    bulk_create_with_history(translations, DraftTranslation, default_user=actor, default_change_reason=PULL_REASON)
    WebflowItemRef.objects.bulk_create(refs)
    WebflowSnapshot.objects.bulk_create(snapshots)
    items = pin_fingerprints([item.pk for item in items])
    audit_record_many([
        audit_entry(action="item.pull", actor=actor, actor_label=actor_label, item=item, message=PULL_REASON,
                    data={"source": "webflow", "webflow_item_id": webflow_id,
                          "verbatim": sorted({k for v in kept.values() for k in v})})
        for item, (webflow_id, (_, _, _, kept)) in zip(items, zip(new, prepared, strict=True), strict=True)
    ])
    return items


def pin_fingerprints(item_ids: list[int]) -> list[DraftItem]:
    """Pin each item's approval to its current content: it holds what Webflow holds, nothing to review."""
    items = list(DraftItem.objects.filter(pk__in=item_ids).prefetch_related("translations__locale").order_by("pk"))
    for item in items:
        item.approved_fingerprint = item.fingerprint()
    DraftItem.objects.bulk_update(items, ["approved_fingerprint"])
    return items


def apply_variants(*, item: DraftItem, variants: dict, locales, actor, actor_label: str, changes: dict,
                   action: str = "item.pull_update", pin: bool = True) -> DraftItem:
    """Overwrite a draft (and its translations, refs, snapshots) with Webflow's variants; history and audit say so.

    `pin` keeps the item's approval pinned to the new content (it was in sync with Webflow before); without it
    the caller decides what the item's status becomes.
    """
    collection = item.collection
    fields, translations, kept = _contents(collection, variants, locales)
    for name, value in fields.items():
        setattr(item, name, value)
    item.source_hash = item.primary_fingerprint()
    item.updated_at = timezone.now()
    item._change_reason = UPDATE_REASON
    bulk_update_with_history([item], DraftItem, [*ITEM_CONTENT, "updated_at"], default_user=actor,
                             default_change_reason=UPDATE_REASON)
    existing = {t.locale_id: t for t in DraftTranslation.objects.filter(item=item)}
    to_create, to_update = [], []
    for locale_id, values in translations.items():
        translation = existing.get(locale_id)
        if translation is None:
            if values["name"] or values["slug"] or values["field_data"]:
                to_create.append(DraftTranslation(item=item, locale_id=locale_id, source_hash=item.source_hash,
                                                  **values))
            continue
        if any(getattr(translation, name) != value for name, value in values.items()) \
                or translation.source_hash != item.source_hash:
            for name, value in values.items():
                setattr(translation, name, value)
            translation.source_hash = item.source_hash
            to_update.append(translation)
    bulk_create_with_history(to_create, DraftTranslation, default_user=actor, default_change_reason=UPDATE_REASON)
    if to_update:
        bulk_update_with_history(to_update, DraftTranslation, ["name", "slug", "field_data", "source_hash"],
                                 default_user=actor, default_change_reason=UPDATE_REASON)
    store_webflow_state(item=item, variants=variants, locales=locales, kept=kept)
    if pin:
        item = pin_fingerprints([item.pk])[0]
    audit_record_many([audit_entry(action=action, actor=actor, actor_label=actor_label, item=item,
                                   message=UPDATE_REASON, data={"source": "webflow", "changes": changes})])
    return item


def store_webflow_state(*, item: DraftItem, variants: dict, locales, kept: dict | None = None) -> None:
    """Refs and snapshots follow what Webflow holds now (the baseline of the next re-pull and verify)."""
    if kept is None:
        kept = _contents(item.collection, variants, locales)[2]
    for locale in locales:
        variant = variants.get(locale.cms_locale_id)
        if variant is None:
            continue
        # Another Webflow item than the ref named gets a new ref row (window.webflow_floor relies on it).
        WebflowItemRef.objects.filter(item=item, locale=locale).exclude(webflow_item_id=variant.id).delete()
        WebflowItemRef.objects.update_or_create(item=item, locale=locale, defaults=ref_values(variant))
        WebflowSnapshot.objects.update_or_create(item=item, locale=locale,
                                                 defaults=snapshot_values(variant, kept.get(locale.pk, {})))


def record_conflict(*, item: DraftItem, versions: dict, variants: dict, actor, actor_label: str) -> PullConflict:
    """Open (or refresh) the item's conflict with both versions; nothing of the draft is overwritten."""
    raw = {locale_id: variant.raw for locale_id, variant in variants.items()}
    conflict, created = PullConflict.objects.update_or_create(
        item=item, status=PullConflict.Status.OPEN, defaults={"versions": versions, "webflow_variants": raw})
    if created:
        audit_record_many([audit_entry(
            action="item.pull_conflict", actor=actor, actor_label=actor_label, item=item,
            message="Changed both here and in Webflow since the last pull; an editor must choose.",
            data={"source": "webflow", "conflict": conflict.pk, "versions": versions})])
    return conflict
