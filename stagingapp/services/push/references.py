"""References between drafts: a Reference / MultiReference value `draft:<pk>` names a draft until it has a Webflow ID.

The push creates referenced items first (create_order), substitutes their Webflow IDs into the bodies
(substitute), and leaves a reference to an item not created yet out of the create; such an item (one side of a
cycle) owes a PATCH of its reference fields once every item of the batch has its ID. Pure reads.
"""
from dataclasses import dataclass

from django.db.models import TextField
from django.db.models.functions import Cast

from ...models import DraftItem, DraftTranslation, WebflowItemRef
from ...schema import DRAFT_REF_RE, schema_fields

REFERENCE_TYPES = ("Reference", "MultiReference")
CREATED_EARLIER = "({slug}: created earlier in this batch)"  # the preview's stand-in for an ID not known yet


def reference_fields(collection) -> set[str]:
    return {f["slug"] for f in schema_fields(collection) if f.get("type") in REFERENCE_TYPES}


def draft_pks_by_field(collection, field_data: dict | None) -> dict[str, list[int]]:
    """Field slug -> the draft pks its `draft:<pk>` values name (Reference and MultiReference fields only)."""
    result = {}
    for slug in reference_fields(collection) & set(field_data or {}):
        value = field_data[slug]
        values = value if isinstance(value, list | tuple) else [value]
        pks = [int(m.group(1)) for v in values if isinstance(v, str) and (m := DRAFT_REF_RE.match(v.strip()))]
        if pks:
            result[slug] = pks
    return result


def item_draft_pks(item: DraftItem) -> dict[str, list[int]]:
    """Every draft the item names, from its own values and its translations', by field slug."""
    result = {slug: list(pks) for slug, pks in draft_pks_by_field(item.collection, item.field_data).items()}
    for translation in item.translations.all():
        for slug, pks in draft_pks_by_field(item.collection, translation.field_data).items():
            result[slug] = list(dict.fromkeys(result.get(slug, []) + pks))
    return result


def targets_of(item: DraftItem) -> set[int]:
    return {pk for pks in item_draft_pks(item).values() for pk in pks}


def batch_names_drafts(batch) -> bool:
    """Whether any item of the batch may name a draft (a cheap text match; a false hit only costs the ordering)."""
    items = DraftItem.objects.filter(batch_entries__batch=batch)
    text = Cast("field_data", output_field=TextField())
    return (items.annotate(text=text).filter(text__contains="draft:").exists()
            or DraftTranslation.objects.filter(item__in=items).annotate(text=text)
            .filter(text__contains="draft:").exists())


def webflow_ids(pks) -> dict[int, str]:
    """Draft pk -> its Webflow item ID (one ID for every locale of an item), for the drafts that have one."""
    pks = set(pks)
    if not pks:
        return {}
    return dict(WebflowItemRef.objects.filter(item_id__in=pks).order_by("item_id", "locale_id")
                .values_list("item_id", "webflow_item_id").distinct())


def _draft_pk(value) -> int | None:
    if not isinstance(value, str) or "draft:" not in value:  # (most values: no regex needed)
        return None
    match = DRAFT_REF_RE.match(value.strip())
    return int(match.group(1)) if match else None


def substitute(body: dict, ids: dict[int, str] | None = None) -> tuple[dict, set[int]]:
    """`body` with every `draft:<pk>` replaced by ids[pk] (read from the refs when `ids` is None); a field naming a
    draft without an ID is left out. Returns (body, the pks left out)."""
    for value in body.values():  # (most bodies name no draft: a substring test per value, no regex)
        if (isinstance(value, str) and "draft:" in value) or (
                isinstance(value, list) and any(isinstance(v, str) and "draft:" in v for v in value)):
            break
    else:
        return body, set()
    named = {pk for value in body.values() for v in (value if isinstance(value, list) else [value])
             if (pk := _draft_pk(v)) is not None}
    if not named:
        return body, set()
    if ids is None:
        ids = webflow_ids(named)
    missing = named - set(ids)
    result = {}
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        pks = {_draft_pk(v) for v in values} - {None}
        if pks & missing:
            continue  # sent once the referenced item exists (a cycle), or the referrer fails first
        if isinstance(value, list):
            result[key] = list(dict.fromkeys(ids[p] if (p := _draft_pk(v)) is not None else v for v in value))
        elif pks:
            result[key] = ids[_draft_pk(value)]
        else:
            result[key] = value
    return result, missing


def unresolved(item: DraftItem) -> set[int]:
    """The drafts the item names that have no Webflow ID yet."""
    pks = targets_of(item)
    return pks - set(webflow_ids(pks))


def describe(pks) -> str:
    """The drafts with these pks as the admin names them (a deleted one by its number)."""
    found = {item.pk: str(item) for item in DraftItem.objects.filter(pk__in=set(pks))}
    return ", ".join(f"'{found[pk]}'" if pk in found else f"draft #{pk} (deleted)" for pk in sorted(set(pks)))


@dataclass(frozen=True)
class Dependency:
    """`item` names `target` in `field`; for the pre-flight (in_batch False: the target is already in Webflow)."""

    item: DraftItem
    field: str
    target: DraftItem
    in_batch: bool
    cycle: bool = False

    def __str__(self):
        where = "in this batch, created first" if self.in_batch else "already in Webflow"
        if self.cycle:
            where = ("in this batch; they refer to each other, so one is created without the reference and "
                     "updated once both exist")
        return (f"{self.item} ({self.item.slug}) [{self.field}] refers to {self.target} ({self.target.slug}, "
                f"{self.target.collection.name}): {where}")


def required_reference_fields(collection) -> set[str]:
    """Reference fields Webflow needs a value for on create: a cycle cannot be broken at one of them."""
    return {f["slug"] for f in schema_fields(collection) if f.get("type") in REFERENCE_TYPES and f.get("isRequired")}


def create_order(items: list, key=lambda x: x) -> tuple[list, set[int]]:
    """Items (or entries, with `key` giving the DraftItem) ordered so a referenced item comes before its referrers.

    Kahn's algorithm over the references inside the list; a cycle is broken at its lowest pk whose left-out
    references are all optional, which is created without them and PATCHed later. Returns (ordered, pks of the
    items whose create leaves one out).
    """
    ordered, deferred, _ = _create_order(items, key)
    return ordered, deferred


def cycle_breaks(items: list[DraftItem]) -> tuple[set[int], set[int]]:
    """(pks created without a reference and PATCHed later, those of them whose left-out reference is required:
    a cycle of required references that cannot be created)."""
    _, deferred, forced = _create_order(items, lambda x: x)
    return deferred, forced


def _create_order(items: list, key) -> tuple[list, set[int], set[int]]:
    by_pk = {key(x).pk: x for x in items}
    deps = {pk: (targets_of(key(x)) & set(by_pk)) - {pk} for pk, x in by_pk.items()}
    ordered, done, deferred, forced = [], set(), set(), set()

    def leaves_out_a_required_value(pk) -> bool:
        item = key(by_pk[pk])
        required = required_reference_fields(item.collection)
        return any(set(pks) & (set(by_pk) - done - {pk}) for slug, pks in item_draft_pks(item).items()
                   if slug in required)

    while len(done) < len(by_pk):
        ready = sorted(pk for pk in by_pk if pk not in done and deps[pk] <= done)
        if not ready:
            waiting = sorted(pk for pk in by_pk if pk not in done)
            pk = next((pk for pk in waiting if not leaves_out_a_required_value(pk)), None)
            if pk is None:
                pk = waiting[0]
                forced.add(pk)
            deferred.add(pk)
            ready = [pk]
        for pk in ready:
            ordered.append(by_pk[pk])
            done.add(pk)
    return ordered, deferred, forced


def ordered_chunks(items: list, size: int, flags_of, key=lambda x: x):
    """(flags, chunk) in create order; a chunk ends before an item that names one already in it, so a referenced
    item is always in an earlier request than its referrer."""
    ordered, _ = create_order(items, key)
    chunk, flags, in_chunk = [], None, set()
    for x in ordered:
        item = key(x)
        item_flags = flags_of(item)
        if chunk and (len(chunk) >= size or item_flags != flags or targets_of(item) & in_chunk):
            yield flags, chunk
            chunk, in_chunk = [], set()
        chunk.append(x)
        in_chunk.add(item.pk)
        flags = item_flags
    if chunk:
        yield flags, chunk
