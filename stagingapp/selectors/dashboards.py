"""Reads behind the role dashboards at /admin/: a fixed number of queries whatever the data size.

Every list is sliced in SQL and every count is one grouped query, so a dashboard costs the same on 100 items as on
100,000. The same querysets back the item list's "my work" filters, so a count and the list it links to agree.
"""
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ..models import AuditEvent, BatchItem, DraftItem, DraftTranslation, PushBatch
from . import drift_dashboard_summary, with_totals

S = DraftItem.Status
PANEL_ROWS = 6


def items_waiting_for_review(user) -> QuerySet:
    """In review and not the reviewer's own work (four-eyes: they may not review it, so it is not waiting)."""
    own_translation = DraftTranslation.objects.filter(item=OuterRef("pk"), last_edited_by_id=user.pk)
    return (DraftItem.objects.filter(status=S.IN_REVIEW)
            .exclude(Q(created_by_id=user.pk) | Q(last_edited_by_id=user.pk) | Q(submitted_by_id=user.pk))
            .exclude(Exists(own_translation)))


def items_rejected_for(user) -> QuerySet:
    """Rejected items the user wrote, last edited or submitted: the ones waiting for their changes."""
    return DraftItem.objects.filter(status=S.REJECTED).filter(
        Q(created_by_id=user.pk) | Q(last_edited_by_id=user.pk) | Q(submitted_by_id=user.pk))


def items_with_stale_translations() -> QuerySet:
    """Items with a translation written against older primary content."""
    stale = DraftTranslation.objects.filter(item=OuterRef("pk")).exclude(source_hash=OuterRef("source_hash"))
    return DraftItem.objects.filter(Exists(stale))


def items_ready_to_push(collection_id=None) -> QuerySet:
    """Approved items that no pending, queued or running batch holds yet."""
    busy = BatchItem.objects.filter(item=OuterRef("pk"), batch__status__in=PushBatch.ACTIVE_STATUSES)
    items = DraftItem.objects.filter(status=S.APPROVED).exclude(Exists(busy))
    return items if collection_id is None else items.filter(collection_id=collection_id)


def _by_status(queryset) -> dict[str, int]:
    return dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))


def editor_panel(user) -> dict:
    counts = _by_status(DraftItem.objects.filter(last_edited_by_id=user.pk))
    rejected = items_rejected_for(user)
    return {
        "drafts_by_status": [(value, label, counts.get(value, 0)) for value, label in S.choices
                             if counts.get(value)],
        "rejected": list(rejected.select_related("reviewed_by").order_by("-reviewed_at", "-pk")[:PANEL_ROWS]),
        "rejected_count": rejected.count(),
        "stale_count": items_with_stale_translations().count(),
    }


def approver_panel(user) -> dict:
    waiting = items_waiting_for_review(user)
    return {
        "waiting": list(waiting.select_related("submitted_by", "collection")
                        .order_by("submitted_at", "pk")[:PANEL_ROWS]),
        "waiting_count": waiting.count(),
    }


@dataclass(frozen=True)
class BatchRow:
    batch: PushBatch
    counts: dict


def batch_counts_for(batch_ids) -> dict[int, dict]:
    """Entry counts by status for many batches in one query (same keys as services.batches.batch_counts)."""
    batch_ids = list(batch_ids)
    result = {pk: dict.fromkeys(BatchItem.Status.values, 0) for pk in batch_ids}
    rows = (BatchItem.objects.filter(batch_id__in=batch_ids).order_by()
            .values_list("batch_id", "status").annotate(n=Count("pk")))
    for batch_id, status, n in rows:
        result[batch_id][status] = n
    return {batch_id: with_totals(counts) for batch_id, counts in result.items()}


def publisher_panel() -> dict:
    ready = list(items_ready_to_push().order_by().values("collection_id", "collection__name")
                 .annotate(n=Count("pk")).order_by("collection__name"))
    batches = list(PushBatch.objects.select_related("collection", "created_by").order_by("-created_at", "-pk")
                   [:PANEL_ROWS])
    counts = batch_counts_for(b.pk for b in batches)
    failed_batches = PushBatch.objects.filter(status__in=[PushBatch.Status.FAILED, PushBatch.Status.PARTLY_FAILED])
    recent_failed = list(failed_batches.order_by("-finished_at", "-pk").values_list("pk", flat=True)[:3])
    failures = list(BatchItem.objects.filter(batch_id__in=recent_failed, status=BatchItem.Status.FAILED)
                    .select_related("item", "batch__collection").order_by("-updated_at", "-pk")[:PANEL_ROWS])
    return {
        "ready": ready,
        "batches": [BatchRow(batch=b, counts=counts[b.pk]) for b in batches],
        "failures": failures,
        "budget": rate_limit_budget(),
        "drift": drift_dashboard_summary(),
    }


def rate_limit_budget() -> dict | None:
    """The Webflow request budget shared by every worker, as the limiter sees it now (None without a token)."""
    from ..webflow.ratelimit import get_limiter

    if not settings.WEBFLOW_API_TOKEN:
        return None
    budget = get_limiter(base_url=settings.WEBFLOW_API_BASE_URL, token=settings.WEBFLOW_API_TOKEN).budget()
    if budget is not None:
        budget["free"] = max(0, budget["limit"] - budget["used"])
    return budget


# Kept in the audit history, left out of the dashboard's recent activity: sign-ins and the push's per-request
# records (hundreds a batch) would push the edits, reviews and pushes people look for off its few rows.
NOT_ACTIVITY = Q(action__startswith="auth.") | Q(action__in=("push.request", "push.unanswered"))


def recent_activity(limit: int = 8) -> list[AuditEvent]:
    """The newest audit entries about content and pushes (not sign-ins or single Webflow requests)."""
    return list(AuditEvent.objects.exclude(NOT_ACTIVITY).select_related("item").order_by("-created_at", "-pk")[:limit])
