"""Pull: bring a collection's existing Webflow items under review, and re-pull idempotently.

A pulled item becomes a draft linked to its Webflow IDs per locale (the WebflowItemRef rows the push writes),
so an edit goes through review and is pushed as an update. A re-pull leaves unchanged items alone, updates
drafts that changed only in Webflow, and opens a conflict (both versions kept) for items changed on both sides.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..exceptions import ItemLocked, StagingError, WebflowSyncFailed
from ..models import Collection, DraftItem, LocaleMapping, PullConflict, WebflowItemRef
from ..schema import schema_is_synced
from ..validators import validate_item_slug
from ..webflow.client import ItemVariant
from . import pull_apply
from .audit import audit_record
from .webflow_side import (
    draft_view,
    in_sync_with_last_push,
    list_collection,
    parse_time,
    view_diff,
    webflow_view,
)


@dataclass
class PullResult:
    collection: Collection
    dry_run: bool = False
    requests: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": self.unchanged,
                "conflicts": len(self.conflicts), "skipped": len(self.skipped), "missing": len(self.missing),
                "requests": self.requests}

    def summary(self) -> str:
        c = self.counts()
        text = (f"{'Dry run: would pull' if self.dry_run else 'Pulled'} {self.collection} from Webflow with "
                f"{c['requests']} list requests: {c['created']} new, {c['updated']} updated from Webflow, "
                f"{c['unchanged']} unchanged, {c['conflicts']} conflicts")
        if self.conflicts:
            text += f" ({', '.join(self.conflicts[:10])}{', …' if len(self.conflicts) > 10 else ''})"
        if self.skipped:
            text += f"; skipped: {'; '.join(self.skipped[:5])}{' …' if len(self.skipped) > 5 else ''}"
        if self.missing:
            text += f"; {len(self.missing)} linked items are no longer in Webflow"
        return text + "."


def pull_locales(collection: Collection) -> list[LocaleMapping]:
    """Enabled locales of the collection's site, primary first; raises WebflowSyncFailed without a primary."""
    locales = sorted(LocaleMapping.objects.filter(site_id=collection.site_id, is_enabled=True),
                     key=lambda loc: (not loc.is_primary, loc.tag))
    if not locales or not locales[0].is_primary:
        raise WebflowSyncFailed(f"{collection.site} has no enabled primary locale: sync its locales first.")
    return locales


def collection_pull(*, collection_id: int, actor=None, actor_label: str = "", dry_run: bool = False,
                    client=None) -> PullResult:
    """List every item of the collection in every enabled locale and mirror it into drafts (see module doc).

    Precondition: the collection's fields are synced. Effect (unless dry_run): drafts, translations, refs and
    snapshots created or updated, conflicts opened, one audit entry per item and one for the run, in one
    transaction after the listing (no lock is held across HTTP). Raises WebflowSyncFailed.
    """
    collection = Collection.objects.select_related("site").get(pk=collection_id)
    if not schema_is_synced(collection):
        raise WebflowSyncFailed(f"The fields of {collection} are not synced yet: run 'Sync fields from Webflow' "
                                "first, so pulled values can be checked against the schema.")
    locales = pull_locales(collection)
    listing = list_collection(collection=collection, locales=locales, client=client)
    result = PullResult(collection=collection, dry_run=dry_run, requests=listing.requests)
    with transaction.atomic():
        _pull(collection, locales, listing.variants, result, actor=actor, actor_label=actor_label)
        if dry_run:
            transaction.set_rollback(True)
            return result
        audit_record(action="collection.pull", actor=actor, actor_label=actor_label, collection=collection,
                     object_repr=str(collection), message=result.summary(),
                     data={"source": "webflow", **result.counts()})
    return result


def _pull(collection, locales, variants_by_id, result: PullResult, *, actor, actor_label) -> None:
    primary = locales[0]
    refs = WebflowItemRef.objects.filter(item__collection=collection).values_list("webflow_item_id", "item_id")
    linked = dict(refs)
    locked = DraftItem.objects.select_for_update(of=("self",)).select_related("collection").prefetch_related(
        "translations__locale", "webflow_snapshots", "webflow_refs")
    items = {item.pk: item for item in locked.filter(pk__in=set(linked.values())).order_by("pk")}
    taken = set(DraftItem.objects.filter(collection=collection).exclude(pk__in=items).values_list("slug", flat=True))
    new = {}
    for webflow_id, variants in variants_by_id.items():
        primary_variant = variants.get(primary.cms_locale_id)
        if primary_variant is None:
            result.skipped.append(f"{webflow_id}: no variant in the primary locale {primary.tag}")
        elif webflow_id in linked:
            _repull(items[linked[webflow_id]], variants, locales, result, actor=actor, actor_label=actor_label)
        elif (problem := _not_pullable(primary_variant, taken)) is not None:
            result.skipped.append(f"{primary_variant.slug or webflow_id}: {problem}")
        else:
            new[webflow_id] = variants
            taken.add(primary_variant.slug)
    result.missing = sorted(items[item_id].name for webflow_id, item_id in linked.items()
                            if webflow_id not in variants_by_id)
    created = pull_apply.create_drafts(collection=collection, locales=locales, new=new, actor=actor,
                                       actor_label=actor_label)
    result.created = [item.name for item in created]


def _not_pullable(variant: ItemVariant, taken: set[str]) -> str | None:
    try:
        validate_item_slug(variant.slug or "")
    except ValidationError as exc:
        return " ".join(exc.messages)
    if not variant.name or len(variant.name) > DraftItem._meta.get_field("name").max_length:
        return "its name is empty or longer than this app allows"
    if variant.slug in taken:
        return "a draft not linked to Webflow already uses this slug; rename or link it first"
    return None


def compare(item: DraftItem, variants: dict[str, ItemVariant], locales) -> tuple[bool, dict, dict]:
    """(changed in Webflow since our last push or pull, {tag: {"ours", "webflow"}} views, {tag: field diff})."""
    collection = item.collection
    translations = {t.locale_id: t for t in item.translations.all()}
    snapshots = {s.locale_id: s for s in item.webflow_snapshots.all()}
    refs = {r.locale_id: r for r in item.webflow_refs.all()}
    unchanged_here = in_sync_with_last_push(item)
    changed, versions, diffs = False, {}, {}
    for locale in locales:
        variant = variants.get(locale.cms_locale_id)
        if variant is None:
            continue
        theirs = webflow_view(collection, variant)
        ours = draft_view(item, translations.get(locale.pk), snapshots.get(locale.pk))
        versions[locale.tag] = {"ours": ours, "webflow": theirs}
        diffs[locale.tag] = view_diff(ours, theirs, skip=())
        snapshot, ref = snapshots.get(locale.pk), refs.get(locale.pk)
        if unchanged_here:
            changed |= bool(diffs[locale.tag])
        elif snapshot is not None and (ref is None or ref.last_updated is None
                                       or (snapshot.last_updated and snapshot.last_updated >= ref.last_updated)):
            baseline = webflow_view(collection, ItemVariant.from_json(
                {"fieldData": snapshot.field_data, "isArchived": snapshot.is_archived}))
            changed |= baseline != theirs
        else:
            # Pushed since the last pull, and edited since: only Webflow's own timestamp can tell.
            stamp = parse_time(variant.last_updated)
            changed |= bool(ref and ref.last_updated and stamp and stamp > ref.last_updated)
    return changed, versions, diffs


def _repull(item, variants, locales, result: PullResult, *, actor, actor_label) -> None:
    changed, versions, diffs = compare(item, variants, locales)
    if not changed:
        result.unchanged += 1
    elif in_sync_with_last_push(item):
        pull_apply.apply_variants(item=item, variants=variants, locales=locales, actor=actor,
                                  actor_label=actor_label, changes={k: v for k, v in diffs.items() if v})
        result.updated.append(item.name)
    else:
        pull_apply.record_conflict(item=item, versions=versions, actor=actor, actor_label=actor_label,
                                   variants={loc.cms_locale_id: variants[loc.cms_locale_id]
                                             for loc in locales if loc.cms_locale_id in variants})
        result.conflicts.append(item.name)


def conflict_resolve(*, conflict_id: int, choice: str, actor) -> PullConflict:
    """Resolve an open conflict: "ours" keeps the draft (the next push overwrites Webflow; Webflow's version
    becomes the baseline), "webflow" puts Webflow's version into the draft (history and audit say so).

    Raises StagingError for a resolved conflict or an unknown choice, ItemLocked for an item in a push batch.
    """
    if choice not in ("ours", "webflow"):
        raise StagingError(f"Unknown choice {choice!r}: keep 'ours' or take 'webflow'.")
    with transaction.atomic():
        conflict = PullConflict.objects.select_for_update().select_related("item__collection").get(pk=conflict_id)
        if conflict.status != PullConflict.Status.OPEN:
            raise StagingError(f"{conflict} is already resolved.")
        item = DraftItem.objects.select_for_update().select_related("collection").get(pk=conflict.item_id)
        if item.status == DraftItem.Status.IN_BATCH:
            raise ItemLocked(item=item, reason="it is in a push batch; cancel the batch or wait for it first")
        locales = pull_locales(item.collection)
        variants = {cms: ItemVariant.from_json(raw, cms_locale_id=cms)
                    for cms, raw in (conflict.webflow_variants or {}).items()}
        if choice == "webflow":
            item = pull_apply.apply_variants(item=item, variants=variants, locales=locales, actor=actor,
                                             actor_label="", changes=conflict.versions, pin=False)
            from .workflow import item_content_changed

            item_content_changed(item_id=item.pk, actor=actor)  # a pinned review no longer matches: back to draft
            conflict.status = PullConflict.Status.TOOK_WEBFLOW
        else:
            pull_apply.store_webflow_state(item=item, variants=variants, locales=locales)
            conflict.status = PullConflict.Status.KEPT_OURS
        conflict.resolved_at, conflict.resolved_by = timezone.now(), actor
        conflict.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit_record(action="item.pull_conflict_resolve", actor=actor, item=item,
                     message=f"Conflict resolved: {conflict.get_status_display()}.",
                     data={"source": "webflow", "conflict": conflict.pk, "choice": choice})
    return conflict
