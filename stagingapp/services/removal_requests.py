"""Removal requests: an editor asks for an item that exists in Webflow to be unpublished, archived or deleted.

The request is stored on the draft and is part of its reviewed content (DraftItem.content_snapshot), so it goes
through the same submit / four-eyes approval / fingerprint pin as an edit; the push sends it (push/removals.py).
"""
from django.db import transaction

from ..exceptions import RemovalRefused
from ..models import DraftItem, WebflowItemRef
from . import workflow

S = DraftItem.Status
Removal = DraftItem.Removal
# Statuses from which a request may be made: the item is not held by review or a batch.
REQUESTABLE = (S.DRAFT, S.REJECTED, S.APPROVED, S.STAGED, S.LIVE, S.FAILED)
WITHDRAWABLE = (S.DRAFT, S.REJECTED, S.APPROVED, S.FAILED)


def removal_locales(item: DraftItem) -> list:
    """The locales of the item's Webflow refs (what a removal can touch), primary first."""
    refs = WebflowItemRef.objects.filter(item=item).select_related("locale").order_by("-locale__is_primary",
                                                                                     "locale__tag")
    return [ref.locale for ref in refs]


def describe_removal(item: DraftItem) -> str:
    """One sentence for reviewers and publishers: what approving / pushing this item removes."""
    if not item.removal_kind:
        return ""
    label = Removal(item.removal_kind).label
    if not item.removal_locale_ids:
        return f"{label} (every locale in Webflow)"
    tags = [loc.tag for loc in removal_locales(item) if loc.pk in set(item.removal_locale_ids)]
    return f"{label} (locales: {', '.join(tags)})"


def item_request_removal(*, item_id: int, kind: str, locale_ids=None, actor, comment: str = "") -> DraftItem:
    """Record a removal request on the item and submit it for review (the requester then cannot approve it).

    `locale_ids` empty means every locale the item has in Webflow. Raises RemovalRefused for an unknown kind, an
    item without Webflow IDs, locales it is not in, or an item in review or in a batch; ActionNotPermitted
    without the submit permission. Nothing changes then.
    """
    if kind not in Removal.values:
        raise RemovalRefused(f"Choose what to do: {', '.join(Removal.labels)}.")
    workflow._require_perm(actor, workflow.PERM_SUBMIT, "request removals")
    with transaction.atomic():
        item = DraftItem.objects.select_for_update().get(pk=item_id)
        if item.status not in REQUESTABLE:
            raise RemovalRefused(f"'{item}' is {item.get_status_display().lower()}; a removal can be requested once "
                                 "it is out of review and out of any batch.", item=item)
        available = {loc.pk for loc in removal_locales(item)}
        if not available:
            raise RemovalRefused(f"'{item}' has no Webflow IDs, so there is nothing to remove in Webflow.", item=item)
        wanted = sorted({int(pk) for pk in locale_ids or []})
        if set(wanted) - available:
            raise RemovalRefused(f"'{item}' is not in Webflow in some of the chosen locales.", item=item)
        if set(wanted) == available:
            wanted = []  # every locale: stored as "all", so a later-added locale is not left behind by accident
        if item.status != S.DRAFT and item.status != S.REJECTED:
            workflow.item_transition(item=item, to_status=S.DRAFT, actor=actor, action="item.removal_request",
                                     reason="removal requested")
        item.removal_kind, item.removal_locale_ids, item.last_edited_by = kind, wanted, actor
        item._history_user = actor
        item._change_reason = f"removal requested: {kind}"
        item.save(update_fields=["removal_kind", "removal_locale_ids", "last_edited_by", "updated_at"])
    workflow.items_submit(item_ids=[item.pk], actor=actor, comment=comment or f"Removal: {describe_removal(item)}")
    item.refresh_from_db()
    return item


def item_withdraw_removal(*, item_id: int, actor) -> DraftItem:
    """Drop a removal request that is not in review or in a batch (e.g. after a rejection); the item is a draft."""
    workflow._require_perm(actor, workflow.PERM_SUBMIT, "withdraw removal requests")
    with transaction.atomic():
        item = DraftItem.objects.select_for_update().get(pk=item_id)
        if not item.removal_kind:
            raise RemovalRefused(f"'{item}' has no removal request.", item=item)
        if item.status not in WITHDRAWABLE:
            raise RemovalRefused(f"'{item}' is {item.get_status_display().lower()}; its removal request cannot be "
                                 "withdrawn now.", item=item)
        if item.status != S.DRAFT:
            item.approved_fingerprint = item.submitted_fingerprint = ""
            workflow.item_transition(item=item, to_status=S.DRAFT, actor=actor, action="item.removal_withdraw",
                                     reason="removal request withdrawn",
                                     extra_update_fields=("approved_fingerprint", "submitted_fingerprint"))
        item.removal_kind, item.removal_locale_ids, item.last_edited_by = "", [], actor
        item._history_user = actor
        item._change_reason = "removal request withdrawn"
        item.save(update_fields=["removal_kind", "removal_locale_ids", "last_edited_by", "updated_at"])
    return item
