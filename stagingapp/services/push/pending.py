"""What the creates send next: the pending entries without Webflow IDs, read page by page in full chunks, each
entry's values checked against the collection's schema on the way (those that do not fit fail, unsent)."""
from django.db.models import Q

from ...exceptions import FieldDataInvalid
from ...models import BatchItem
from .bodies import primary_field_data, send_flags
from .outcomes import finish_entries
from .references import describe, ordered_chunks, unresolved


def create_chunks(run, size: int):
    """(flags, full chunk) for the pending entries without Webflow refs, read page by page so memory stays flat
    and the first request leaves right after the first page: one query per flag group plus one per page.
    Entries whose values do not fit the schema fail on the way, unsent; chunks stay full (fewest requests)."""
    pending = run.batch.entries.filter(status=BatchItem.Status.PENDING, item__webflow_refs__isnull=True)
    if run.names_drafts():
        # Referenced items go first, so the whole (small) set is read at once to order it.
        entries = sendable(run, list(pending.select_related("item__collection")
                                     .prefetch_related("item__translations").order_by("pk")))
        yield from ordered_chunks(entries, size, lambda item: send_flags(run.batch, item.is_draft, item.is_archived),
                                  key=lambda entry: entry.item)
        return
    groups: dict[tuple[bool, bool], list[tuple[bool, bool]]] = {}
    for stored in sorted(set(pending.values_list("item__is_draft", "item__is_archived"))):
        groups.setdefault(send_flags(run.batch, *stored), []).append(stored)
    for flags, stored_flags in groups.items():
        in_group = Q()
        for is_draft, is_archived in stored_flags:
            in_group |= Q(item__is_draft=is_draft, item__is_archived=is_archived)
        buffer: list[BatchItem] = []
        last_pk = 0
        while True:
            # Only what sendable() checks: still_approved() reads each chunk's items afresh before it is sent.
            page = list(pending.filter(in_group, pk__gt=last_pk).select_related("item").order_by("pk")[:size])
            for entry in page:
                entry.item.collection = run.batch.collection
            if page:
                last_pk = page[-1].pk
            buffer += sendable(run, page)
            while len(buffer) >= size or (buffer and not page):
                yield flags, buffer[:size]
                buffer = buffer[size:]
            if not page:
                break


def sendable(run, entries: list[BatchItem]) -> list[BatchItem]:
    """The entries whose values fit the collection's schema; the others fail with the field and reason."""
    invalid = []
    coming = None
    for entry in entries:
        try:
            primary_field_data(entry.item)
        except FieldDataInvalid as exc:
            invalid.append((entry, False, f"not sent: {exc}", next(iter(exc.errors), "")))
            continue
        missing = unresolved(entry.item) if run.names_drafts() else set()
        if missing:
            if coming is None:  # drafts this run still creates: a reference to one of them waits for its ID
                open_statuses = [BatchItem.Status.PENDING, BatchItem.Status.IN_FLIGHT]
                coming = set(run.batch.entries.filter(status__in=open_statuses).values_list("item_id", flat=True))
            lost = sorted(missing - coming)
            if lost:
                invalid.append((entry, False, f"not sent: it refers to {describe(lost)}, which is not in Webflow "
                                              "and was not created by this batch", ""))
    finish_entries(run, invalid)
    refused = {entry.pk for entry, *_ in invalid}
    return [entry for entry in entries if entry.pk not in refused]
