"""What the batch page shows, in plain words and at any size: one page of entries per outcome, the estimate as a
sentence, readable times, and only the details that have a value.

A 10,000-item batch costs the same queries as a 10-item one: counts come from one grouped query, entries are one
slice of 50 with their Webflow IDs in one more query.
"""
import math
from dataclasses import dataclass, field

from django.utils.http import urlencode

from ..models import BatchItem, PushBatch, WebflowItemRef

ENTRIES_PER_PAGE = 50
OUTCOMES = [("", "All"), ("failed", "Failed"), ("done", "Done"), ("pending", "Pending"), ("in_flight", "In flight"),
            ("sent", "Sent"), ("cancelled", "Cancelled")]
# Shown on the batch page only when they hold something (an empty "Claimed by -" tells nobody anything).
DETAIL_FIELDS = ["created_by", "created_at", "queued_by", "queued_at", "started_at", "finished_at", "claimed_by",
                 "heartbeat_at", "retry_of", "requests_sent", "cancel_requested"]


def estimate_sentence(estimate: dict | None) -> str:
    """'about 4 requests, under a minute at 120/min' from the pre-flight estimate."""
    if not estimate or "requests" not in estimate:
        return ""
    requests, rate = estimate["requests"], estimate.get("rate_per_minute") or 1
    minutes = requests / rate
    if minutes < 1:
        duration = "under a minute"
    elif minutes < 90:
        duration = f"about {math.ceil(minutes)} minutes"
    else:
        hours, rest = divmod(math.ceil(minutes), 60)
        duration = f"about {hours} h {rest} min"
    return f"about {requests} request{'s' if requests != 1 else ''}, {duration} at {rate}/min"


def visible_details(batch: PushBatch) -> list[str]:
    return [name for name in DETAIL_FIELDS if getattr(batch, name, None) not in (None, "", False, 0)]


@dataclass
class EntryPage:
    outcome: str
    number: int
    pages: int
    total: int
    entries: list = field(default_factory=list)
    tabs: list = field(default_factory=list)
    previous_url: str = ""
    next_url: str = ""


def entry_page(batch: PushBatch, counts: dict, *, outcome: str = "", page: str | int = 1) -> EntryPage:
    """One page of the batch's entries, optionally of one outcome, each with its Webflow IDs per locale."""
    outcome = outcome if outcome in BatchItem.Status.values else ""
    total = counts.get(outcome, 0) if outcome else counts.get("total", 0)
    pages = max(1, math.ceil(total / ENTRIES_PER_PAGE))
    try:
        number = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        number = 1
    entries = BatchItem.objects.filter(batch=batch).select_related("item").order_by("pk")
    if outcome:
        entries = entries.filter(status=outcome)
    start = (number - 1) * ENTRIES_PER_PAGE
    entries = list(entries[start:start + ENTRIES_PER_PAGE])
    refs: dict[int, list] = {}
    for ref in (WebflowItemRef.objects.filter(item_id__in=[e.item_id for e in entries]).select_related("locale")
                .order_by("-locale__is_primary", "locale__tag")):
        refs.setdefault(ref.item_id, []).append(ref)
    for entry in entries:
        entry.refs = refs.get(entry.item_id, [])

    def url(**params):
        query = {"entries": params.get("entries", outcome), "page": params.get("page", 1)}
        return "?" + urlencode({k: v for k, v in query.items() if v not in ("", 1)}) + "#batch-entries"

    tabs = [{"value": value, "label": label, "n": counts.get(value, 0) if value else counts.get("total", 0),
             "url": url(entries=value), "active": value == outcome} for value, label in OUTCOMES]
    return EntryPage(
        outcome=outcome, number=number, pages=pages, total=total, entries=entries,
        tabs=[tab for tab in tabs if tab["n"] or tab["active"] or not tab["value"]],
        previous_url=url(page=number - 1) if number > 1 else "",
        next_url=url(page=number + 1) if number < pages else "",
    )
