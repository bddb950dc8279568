"""What the creates send next: the pending entries without Webflow IDs, read page by page in full chunks, each
entry's content checked against its approval and its values against the collection's schema on the way (those
that fail are not sent)."""
from django.db.models import Q

from ...exceptions import FieldDataInvalid
from ...models import BatchItem
from ...statements import read_pages
from .approval import CHANGED_BEFORE_CREATE, still_approved
from .bodies import primary_field_data, send_flags
from .outcomes import finish_entries
from .references import describe, ordered_chunks, unresolved

# Every column of an entry (a page of them is read per create request).
ENTRY_FIELDS = tuple(field.name for field in BatchItem._meta.concrete_fields if not field.primary_key)


def create_chunks(run, size: int):
    """(flags, full chunk) for the pending entries without Webflow refs, read page by page so memory stays flat
    and the first request leaves right after the first page: one query per flag group plus three per page.

    Each chunk's items are read afresh and checked against their approval (still_approved) when it is taken,
    and the caller takes the next chunk only once the request can leave: the bodies are built from exactly the
    content just checked. Entries whose content changed, or whose values do not fit the schema, fail on the
    way, unsent; chunks stay full (fewest requests), and an entry left over from a page read before the last
    request left is checked again before it goes."""
    pending = run.batch.entries.filter(status=BatchItem.Status.PENDING, item__webflow_refs__isnull=True)
    if run.names_drafts():
        # Referenced items go first, so the whole (small) set is read at once to order it.
        entries = sendable(run, list(pending.select_related("item__collection")
                                     .prefetch_related("item__translations").order_by("pk")))
        for flags, chunk in ordered_chunks(entries, size, lambda item: send_flags(run.batch, item.is_draft,
                                                                                  item.is_archived),
                                           key=lambda entry: entry.item):
            chunk = approved(run, chunk)
            if chunk:
                yield flags, chunk
        return
    groups: dict[tuple[bool, bool], list[tuple[bool, bool]]] = {}
    for stored in sorted(set(pending.values_list("item__is_draft", "item__is_archived"))):
        groups.setdefault(send_flags(run.batch, *stored), []).append(stored)
    for flags, stored_flags in groups.items():
        in_group = Q()
        for is_draft, is_archived in stored_flags:
            in_group |= Q(item__is_draft=is_draft, item__is_archived=is_archived)
        buffer: list[BatchItem] = []
        stale: set[int] = set()  # entries read before a request left (the caller sent one in between)
        pages = read_pages(pending.filter(in_group), ENTRY_FIELDS, size)
        while True:
            page = next(pages, [])
            buffer += sendable(run, approved(run, page))
            while len(buffer) >= size or (buffer and not page):
                chunk, buffer = buffer[:size], buffer[size:]
                older = [entry for entry in chunk if entry.pk in stale]
                if older:  # read and checked again, just before they leave
                    again = {entry.pk for entry in approved(run, older)}
                    chunk = [entry for entry in chunk if entry.pk not in stale or entry.pk in again]
                if chunk:
                    yield flags, chunk
                stale = {entry.pk for entry in buffer}
            if not page:
                break


def approved(run, entries: list[BatchItem]) -> list[BatchItem]:
    """The entries whose content is still what was approved, their items freshly read; the others fail."""
    if not entries:
        return []
    keep, changed = still_approved(run, entries)
    finish_entries(run, [(entry, False, CHANGED_BEFORE_CREATE, "") for entry in changed])
    return keep


def sendable(run, entries: list[BatchItem]) -> list[BatchItem]:
    """The entries whose values fit the collection's schema; the others fail with the field and reason."""
    invalid = []
    coming = None
    names_drafts = run.names_drafts()
    for entry in entries:
        try:
            field_data = primary_field_data(entry.item)
        except FieldDataInvalid as exc:
            invalid.append((entry, False, f"not sent: {exc}", next(iter(exc.errors), "")))
            continue
        if not names_drafts:
            run.create_field_data[entry.pk] = field_data
        missing = unresolved(entry.item) if names_drafts else set()
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
