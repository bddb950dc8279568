"""Push planning: Webflow request bodies, chunking within the API limits, pre-flight checks, estimate and preview."""
import hashlib
import json
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from ..exceptions import FieldDataInvalid
from ..models import DraftItem, LocaleMapping, PushBatch, WebflowItemRef
from ..schema import normalise_field_data, schema_is_synced, validate_field_data
from ..validators import validate_item_slug
from .translations import translation_locale_problem

# Webflow counts every locale variant against the 100 of a bulk create; PATCH and publish take 100 entries.
MAX_VARIANTS_PER_CREATE = 100
MAX_ENTRIES_PER_PATCH = 100
MAX_ITEMS_PER_PUBLISH = 100
MAX_ITEMS_PER_LIVE_CREATE = 100
# APPROVED items, and FAILED ones whose approved content is unchanged (a transient failure needs no new review).
QUEUEABLE_STATUSES = (DraftItem.Status.APPROVED, DraftItem.Status.FAILED)
# Keys Webflow computes itself; sending them back is a 400.
READ_ONLY_KEYS = {"id", "cmsLocaleId", "createdOn", "lastUpdated", "lastPublished", "isDraft", "isArchived"}


def item_matches_approval(item: DraftItem) -> bool:
    """True when the item's current content is exactly what was approved.

    The one place the push pipeline asks this; it defers to the workflow's check when that exists so both sides
    always agree on the fingerprint.
    """
    from . import workflow

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


def primary_field_data(item: DraftItem) -> dict:
    """The fieldData Webflow receives on create: the item's primary content, normalised by the schema module.

    Raises FieldDataInvalid when a value does not fit the collection's synced schema.
    """
    data = {key: value for key, value in (item.field_data or {}).items() if key not in READ_ONLY_KEYS}
    return normalise_field_data(item.collection, data, name=item.name, slug=item.slug)


def translation_patch_data(translation, collection=None) -> dict:
    """Only what a translation changes, for the PATCH that localizes a variant created with primary text."""
    data = {key: value for key, value in (translation.field_data or {}).items() if key not in READ_ONLY_KEYS}
    if collection is None:
        collection = translation.item.collection
    return normalise_field_data(collection, data, name=translation.name, slug=translation.slug, partial=True)


def locale_field_data(item: DraftItem, translation) -> dict:
    """The full text of one locale variant: primary content overlaid with the translation."""
    data = primary_field_data(item)
    if translation is not None:
        data.update(translation_patch_data(translation, item.collection))
    return data


def batch_locales(batch: PushBatch) -> list[LocaleMapping]:
    """The batch's target locales, primary first; empty selection means every enabled locale of the site."""
    locales = list(batch.locales.all()) if batch.pk else []
    if not locales:
        locales = list(LocaleMapping.objects.filter(site_id=batch.collection.site_id, is_enabled=True))
    return sorted(locales, key=lambda loc: (not loc.is_primary, loc.tag))


def uses_live_endpoint(batch: PushBatch, locales: list[LocaleMapping]) -> bool:
    """POST /items/live writes the primary locale only, so it serves single-locale batches of the primary locale."""
    return batch.mode == PushBatch.Mode.LIVE and len(locales) == 1 and locales[0].is_primary


def create_chunk_size(batch: PushBatch, locales: list[LocaleMapping]) -> int:
    if uses_live_endpoint(batch, locales):
        return MAX_ITEMS_PER_LIVE_CREATE
    return max(1, MAX_VARIANTS_PER_CREATE // max(1, len(locales)))


def item_flags(batch: PushBatch, item: DraftItem) -> tuple[bool, bool]:
    """(isDraft, isArchived) to send: live pushes are never drafts; staged pushes follow the item's flags."""
    if batch.mode == PushBatch.Mode.LIVE:
        return False, item.is_archived
    return item.is_draft, item.is_archived


def localized_locale_ids(item: DraftItem, locales: list[LocaleMapping]) -> list[int]:
    """Locales of the batch whose variant needs its own text after a create (it got the primary text)."""
    wanted = {loc.pk for loc in locales if not loc.is_primary}
    return [t.locale_id for t in item.translations.all()
            if t.locale_id in wanted and (t.name or t.slug or t.field_data)]


def chunked(sequence, size):
    for start in range(0, len(sequence), size):
        yield sequence[start:start + size]


@dataclass
class Plan:
    """How a batch maps onto requests; `requests` is the minimum the per-request limits allow."""

    locales: list
    creates: list = field(default_factory=list)  # [(isDraft, isArchived, [items])] per create request
    patch_entries: int = 0
    live_patch_entries: int = 0
    publish_items: int = 0
    live_endpoint: bool = False
    item_count: int = 0

    @property
    def create_requests(self) -> int:
        return len(self.creates)

    @property
    def requests(self) -> int:
        return (
            self.create_requests
            + math.ceil(self.patch_entries / MAX_ENTRIES_PER_PATCH)
            + math.ceil(self.live_patch_entries / MAX_ENTRIES_PER_PATCH)
            + math.ceil(self.publish_items / MAX_ITEMS_PER_PUBLISH)
        )

    def minutes(self, rate_per_minute: int) -> float:
        return round(self.requests / max(1, rate_per_minute), 2)


def refs_by_item(items) -> dict[int, dict[int, WebflowItemRef]]:
    result: dict[int, dict[int, WebflowItemRef]] = {}
    for ref in WebflowItemRef.objects.filter(item__in=items):
        result.setdefault(ref.item_id, {})[ref.locale_id] = ref
    return result


def plan_items(batch: PushBatch, items: list[DraftItem], locales: list[LocaleMapping]) -> Plan:
    """Group items into the fewest requests: creates by flag group, then PATCH/publish entries packed by 100."""
    plan = Plan(locales=locales, live_endpoint=uses_live_endpoint(batch, locales), item_count=len(items))
    refs = refs_by_item(items)
    size = create_chunk_size(batch, locales)
    groups: dict[tuple[bool, bool], list[DraftItem]] = {}
    for item in items:
        item_refs = refs.get(item.pk)
        if item_refs:
            published = any(ref.is_published for ref in item_refs.values())
            if batch.mode == PushBatch.Mode.LIVE and published:
                plan.live_patch_entries += len(locales)
            else:
                plan.patch_entries += len(locales)
                if batch.mode == PushBatch.Mode.LIVE:
                    plan.publish_items += 1
            continue
        groups.setdefault(item_flags(batch, item), []).append(item)
    for flags, group in groups.items():
        for chunk in chunked(group, size):
            plan.creates.append((flags[0], flags[1], chunk))
            if plan.live_endpoint:
                continue
            for item in chunk:
                plan.patch_entries += len(localized_locale_ids(item, locales))
            if batch.mode == PushBatch.Mode.LIVE:
                plan.publish_items += len(chunk)
    return plan


@dataclass
class Problem:
    item: DraftItem | None
    reason: str
    field: str = ""

    def __str__(self):
        prefix = f"{self.item} ({self.item.slug})" if self.item is not None else "Batch"
        where = f" [{self.field}]" if self.field else ""
        return f"{prefix}{where}: {self.reason}"


@dataclass
class Preflight:
    problems: list[Problem]
    plan: Plan | None
    rate_per_minute: int

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def estimate(self) -> dict:
        if self.plan is None:
            return {}
        return {
            "requests": self.plan.requests, "create_requests": self.plan.create_requests,
            "minutes": self.plan.minutes(self.rate_per_minute), "rate_per_minute": self.rate_per_minute,
            "items": self.plan.item_count,
        }


def check_field_data(item: DraftItem, collection, locale_ids) -> list[Problem]:
    """Every value against the synced collection schema (required fields, types, unknown keys), translations too."""
    if not schema_is_synced(collection):
        return [Problem(item, "the collection's field schema has not been synced from Webflow yet")]
    problems = []
    errors = validate_field_data(collection, item.field_data or {}, name=item.name, slug=item.slug)
    for field_slug, messages in errors.items():
        problems.extend(Problem(item, message, field=field_slug) for message in messages)
    for translation in item.translations.all():
        if translation.locale_id not in locale_ids:
            continue
        errors = validate_field_data(collection, translation.field_data or {}, name=translation.name,
                                     slug=translation.slug, partial=True)
        for field_slug, messages in errors.items():
            problems.extend(Problem(item, f"{message} ({translation.locale.tag} translation)", field=field_slug)
                            for message in messages)
    return problems


def batch_preflight_report(batch: PushBatch, *, items: list[DraftItem] | None = None,
                           locales: list[LocaleMapping] | None = None) -> Preflight:
    """Every reason the batch cannot be queued, plus the request estimate. Pure read: nothing is written."""
    rate = settings.WEBFLOW_RATE_LIMIT_PER_MINUTE
    if items is None:
        items = [entry.item for entry in batch.entries.select_related("item__collection").prefetch_related(
            "item__translations__locale")]
    locales = locales if locales is not None else batch_locales(batch)
    problems: list[Problem] = []
    if not items:
        problems.append(Problem(None, "the batch has no items"))
    if not locales:
        problems.append(Problem(None, "no enabled locale mapping for this site; sync locales first"))
    for loc in locales:
        if not loc.is_enabled:
            problems.append(Problem(None, f"locale {loc.tag} is not enabled for pushes"))
        if loc.site_id != batch.collection.site_id:
            problems.append(Problem(None, f"locale {loc.tag} belongs to another site"))
    seen_slugs: dict[tuple[int | None, str], DraftItem] = {}
    held = refs_by_item(items)
    taken = dict(
        WebflowItemRef.objects.filter(item__collection_id=batch.collection_id)
        .exclude(item__in=items).values_list("slug", "item__name")
    )
    locale_ids = {loc.pk for loc in locales}
    for item in items:
        if item.collection_id != batch.collection_id:
            problems.append(Problem(item, "belongs to another collection"))
            continue
        if item.status not in QUEUEABLE_STATUSES:
            problems.append(Problem(item, f"is {item.get_status_display().lower()}, not approved"))
        elif not item_matches_approval(item):
            problems.append(Problem(item, "changed since it was approved; it must be approved again"))
        if batch.mode == PushBatch.Mode.LIVE and item.is_draft:
            problems.append(Problem(item, "is marked 'send as Webflow draft', which cannot be pushed live",
                                    field="is_draft"))
        problems.extend(check_field_data(item, batch.collection, locale_ids))
        slugs = [(None, item.slug)]
        for translation in item.translations.all():
            problem = translation_locale_problem(item=item, locale=translation.locale)
            if problem:  # never pushed, so never silently: the publisher hears of it before queueing
                problems.append(Problem(item, f"has a {translation.locale.tag} translation that cannot be pushed: "
                                              f"{problem}; delete the translation or fix the locale"))
            if translation.locale_id in locale_ids and translation.slug:
                slugs.append((translation.locale_id, translation.slug))
        for locale_id, slug in slugs:
            try:
                validate_item_slug(slug)
            except ValidationError as exc:
                problems.append(Problem(item, " ".join(exc.messages), field="slug"))
                continue
            other = seen_slugs.get((locale_id, slug))
            if other is not None:
                problems.append(Problem(item, f"slug '{slug}' is also used by '{other}' in this batch", "slug"))
            seen_slugs[(locale_id, slug)] = item
        if item.pk not in held and item.slug in taken:
            problems.append(Problem(
                item, f"slug '{item.slug}' is already used in Webflow by '{taken[item.slug]}'", field="slug"))
    plan = plan_items(batch, items, locales) if items and locales else None
    return Preflight(problems=problems, plan=plan, rate_per_minute=rate)


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
    previews = []
    for is_draft, is_archived, chunk in plan.creates[:max_requests]:
        if plan.live_endpoint:
            body = {"items": [{"isDraft": is_draft, "isArchived": is_archived, "fieldData": primary_field_data(i)}
                              for i in chunk]}
            previews.append({"method": "POST", "path": f"/v2/collections/{collection_id}/items/live", "body": body})
        else:
            body = {"cmsLocaleIds": [loc.cms_locale_id for loc in locales], "isDraft": is_draft,
                    "isArchived": is_archived, "fieldData": [primary_field_data(i) for i in chunk]}
            previews.append({"method": "POST", "path": f"/v2/collections/{collection_id}/items/bulk", "body": body})
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
                                    "fieldData": locale_field_data(item, translations.get(loc.pk))})
            elif not plan.live_endpoint:
                for locale_id in localized_locale_ids(item, locales):
                    entries.append({"id": "<id Webflow returns for " + item.slug + ">",
                                    "cmsLocaleId": by_locale[locale_id].cms_locale_id,
                                    "fieldData": translation_patch_data(translations[locale_id], item.collection)})
            if len(entries) >= MAX_ENTRIES_PER_PATCH:
                break
        if entries:
            previews.append({"method": "PATCH", "path": f"/v2/collections/{collection_id}/items",
                             "body": {"items": entries[:MAX_ENTRIES_PER_PATCH]}})
    return previews
