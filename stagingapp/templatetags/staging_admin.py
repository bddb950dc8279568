"""Template helpers for our admin pages: outcome-coloured progress bars, action labels, badges, ages."""
from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from ..audit_actions import AUDIT_ACTIONS

register = template.Library()

# Finished outcomes first, then work still under way; pending is the bar's empty background.
SEGMENTS = [("done", "done"), ("failed", "failed"), ("cancelled", "cancelled"), ("sent", "sent"),
            ("in_flight", "in flight")]


@register.filter
def progress_segments(counts: dict) -> list[dict]:
    total = counts.get("total") or 0
    return [{"key": key, "label": label, "n": counts.get(key, 0),
             "width": round(100 * counts.get(key, 0) / total, 2) if total else 0} for key, label in SEGMENTS]


@register.filter
def action_label(code: str) -> str:
    return AUDIT_ACTIONS.get(code, code)


@register.filter
def batch_badge(batch):
    from ..admin.batches import status_badge

    return status_badge(batch.status, batch.get_status_display())


@register.filter
def batch_entry_badge(status: str, label: str):
    from ..admin.batches import status_badge

    return status_badge(status, label)


@register.filter
def ago(moment) -> str:
    """'just now' under a minute, else '3 hours ago'."""
    if not moment:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{age(moment)} ago"


@register.filter
def age(moment) -> str:
    """'3 hours' (the largest unit only), for "waiting 3 hours" and "3 hours ago"; 'under a minute' rather than
    timesince's '0 minutes'."""
    if not moment:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "under a minute"
    return timesince(moment, timezone.now(), depth=1)
