"""Item status transitions: the only code that assigns DraftItem.status."""
from ..exceptions import InvalidTransition
from ..models import DraftItem
from .audit import audit_record

S = DraftItem.Status

# Every status change an item may make. Review actions (submit/approve/reject) and push outcomes both go here,
# so the state machine is readable in one place.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.IN_REVIEW},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.DRAFT},
    S.REJECTED: {S.DRAFT, S.IN_REVIEW},
    S.APPROVED: {S.IN_BATCH, S.DRAFT},
    S.IN_BATCH: {S.STAGED, S.LIVE, S.FAILED, S.APPROVED},
    S.STAGED: {S.DRAFT, S.IN_BATCH, S.LIVE},
    S.LIVE: {S.DRAFT, S.IN_BATCH},
    S.FAILED: {S.DRAFT, S.IN_BATCH, S.APPROVED},
}


def item_transition(
    *, item: DraftItem, to_status: str, actor, action: str, reason: str = "", data: dict | None = None,
    actor_label: str = "", extra_update_fields: tuple[str, ...] = (), **audit_links,
) -> DraftItem:
    """Move a row-locked item to `to_status` and audit it. Call inside transaction.atomic with the row locked.

    Raises InvalidTransition when the state machine does not allow the move; nothing is written then.
    """
    if to_status not in ALLOWED_TRANSITIONS.get(item.status, set()):
        raise InvalidTransition(item=item, to_status=to_status)
    from_status = item.status
    item.status = to_status
    item.status_reason = reason
    item.save(update_fields=["status", "status_reason", "updated_at", *extra_update_fields])
    audit_record(
        action=action, actor=actor, actor_label=actor_label, item=item, message=reason,
        data={"from": from_status, "to": to_status, **(data or {})}, **audit_links,
    )
    return item
