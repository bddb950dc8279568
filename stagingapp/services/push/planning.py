"""How a batch maps onto the fewest Webflow requests within the per-request limits."""
import math
from dataclasses import dataclass, field

from ...models import DraftItem, LocaleMapping, PushBatch, WebflowItemRef
from .bodies import item_flags, localized_locale_ids
from .references import ordered_chunks, targets_of, webflow_ids

# Webflow counts every locale variant against the 100 of a bulk create; PATCH and publish take 100 entries.
MAX_VARIANTS_PER_CREATE = 100
MAX_ENTRIES_PER_PATCH = 100
MAX_ITEMS_PER_PUBLISH = 100
MAX_ITEMS_PER_LIVE_CREATE = 100


def uses_live_endpoint(batch: PushBatch, locales: list[LocaleMapping]) -> bool:
    """POST /items/live writes the primary locale only, so it serves single-locale batches of the primary locale."""
    return batch.mode == PushBatch.Mode.LIVE and len(locales) == 1 and locales[0].is_primary


def create_chunk_size(batch: PushBatch, locales: list[LocaleMapping]) -> int:
    if uses_live_endpoint(batch, locales):
        return MAX_ITEMS_PER_LIVE_CREATE
    return max(1, MAX_VARIANTS_PER_CREATE // max(1, len(locales)))


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
    deferred: set = field(default_factory=set)  # items created without a reference, PATCHed after (a cycle)
    removals: list = field(default_factory=list)  # removals.RemovalRequest per unpublish / archive / delete request

    @property
    def create_requests(self) -> int:
        return len(self.creates)

    @property
    def requests(self) -> int:
        return (
            len(self.removals) + self.create_requests
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
    from .removals import is_removal, removal_requests

    plan = Plan(locales=locales, live_endpoint=uses_live_endpoint(batch, locales), item_count=len(items))
    # Items with an approved removal request are removed, never created or updated.
    plan.removals = removal_requests([item for item in items if is_removal(item)])
    items = [item for item in items if not is_removal(item)]
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
    creates = [(flags, chunk) for flags, group in groups.items() for chunk in chunked(group, size)]
    new_items = [item for group in groups.values() for item in group]
    deferred: set[int] = set()
    if any(targets_of(item) for item in new_items):
        # Referenced drafts are created in earlier requests; an item naming one without an ID yet is PATCHed.
        creates = list(ordered_chunks(new_items, size, lambda item: item_flags(batch, item)))
        created = set(webflow_ids({pk for item in new_items for pk in targets_of(item)}))
        for _, chunk in creates:
            deferred |= {item.pk for item in chunk if targets_of(item) - created}
            created |= {item.pk for item in chunk}
    plan.deferred = deferred
    for flags, chunk in creates:
        plan.creates.append((flags[0], flags[1], chunk))
        if plan.live_endpoint:
            plan.live_patch_entries += len(locales) * len(deferred & {item.pk for item in chunk})
            continue
        for item in chunk:
            plan.patch_entries += len(locales) if item.pk in deferred else len(localized_locale_ids(item, locales))
        if batch.mode == PushBatch.Mode.LIVE:
            plan.publish_items += len(chunk)
    return plan
