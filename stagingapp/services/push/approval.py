"""Only approved content leaves: each request re-checks, just before it is sent, that its items' content is still
exactly what was approved (the fingerprint pinned on the batch entry when the batch was queued)."""
from ...models import BatchItem, DraftItem
from ...selectors import ItemReads, items_with_translations

CHANGED_BEFORE_CREATE = (
    "not sent: its content changed after it was approved (for example a translation was added while the batch "
    "was queued). Have the new content approved, then push it in a new batch."
)
CHANGED_BEFORE_PATCH = (
    "its locales were not updated: its content changed after it was approved (for example a translation was "
    "added while the batch was running). Have the new content approved, then push it in a new batch."
)


def matches_pin(item: DraftItem, pin: str, reads: ItemReads | None = None) -> bool:
    """The item's content (translations prefetched with their locale) is exactly the pinned approval (its
    fingerprint kept by `reads` when the item was read through it)."""
    pin = pin or item.approved_fingerprint
    return bool(pin) and (reads.fingerprint(item) if reads is not None else item.fingerprint()) == pin


def still_approved(run, entries: list[BatchItem]) -> tuple[list[BatchItem], list[BatchItem]]:
    """(entries to send, entries whose content changed), with each entry's item freshly read: the bodies are then
    built from exactly the content just checked."""
    items = items_with_translations([e.item_id for e in entries], run.batch.collection, run.site_locales,
                                    run.item_reads)
    keep, changed = [], []
    for entry in entries:
        run.pins[entry.item_id] = entry.approved_fingerprint  # fixed when the batch was queued
        BatchItem.item.field.set_cached_value(entry, items[entry.item_id])
        (keep if matches_pin(entry.item, entry.approved_fingerprint, run.item_reads) else changed).append(entry)
    return keep, changed


def changed_item_ids(run, items: list[DraftItem]) -> set[int]:
    """Items (translations prefetched with their locale) whose content no longer matches this batch's pin."""
    unknown = [item.pk for item in items if item.pk not in run.pins]
    if unknown:  # items this run did not create (updates, a resumed run): their pins read once
        run.pins.update(run.batch.entries.filter(item_id__in=unknown).values_list("item_id", "approved_fingerprint"))
    return {item.pk for item in items if not matches_pin(item, run.pins.get(item.pk, ""), run.item_reads)}
