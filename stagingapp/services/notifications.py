"""Review e-mails: approvers hear of submissions, submitters of decisions. A failed send never blocks a transition."""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from ..models import DraftItem

logger = logging.getLogger(__name__)


def _item_line(item: DraftItem, detail: str = "") -> str:
    """'- Name (detail)' and, with PUBLIC_URL set, the item's page on the next line."""
    line = f"- {item}" + (f" ({detail})" if detail else "")
    if settings.PUBLIC_URL:
        line += "\n  " + _link(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))
    return line


def _link(path: str) -> str:
    return settings.PUBLIC_URL + path


def _approvers():
    perm = Permission.objects.get(content_type__app_label="stagingapp", codename="approve_draftitem")
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions=perm) | Q(user_permissions=perm))
        .exclude(email="").distinct()
    )


def _send(*, subject: str, body: str, recipients: list[str]) -> int:
    if not recipients:
        return 0
    try:
        return send_mail(subject, body, None, recipients)
    except Exception:  # any backend failure: the transition already committed and must stay committed
        logger.exception("review notification could not be sent: %s", subject)
        return 0


def notify_submitted(*, item_ids: list[int], actor_id: int) -> int:
    """E-mail every approver (except the submitter) that items wait for review. Returns messages sent; never raises."""
    try:
        items = list(DraftItem.objects.filter(pk__in=item_ids).order_by("pk"))
        recipients = [u.email for u in _approvers().exclude(pk=actor_id)]
        lines = "\n".join(_item_line(item, f"slug {item.slug}") for item in items)
        body = f"Submitted for review:\n{lines}\n"
        if settings.PUBLIC_URL:
            queue = reverse("admin:stagingapp_draftitem_changelist") + "?status__exact=in_review"
            body += f"\nEverything waiting for review: {_link(queue)}\n"
        return _send(subject=f"{len(items)} item(s) waiting for review", body=body, recipients=recipients)
    except Exception:
        logger.exception("review notification failed for items %s", item_ids)
        return 0


def notify_reviewed(*, item_ids: list[int], actor_id: int, decision: str, comment: str = "") -> int:
    """E-mail each submitter that their items were approved or rejected, with the comment. Never raises."""
    try:
        by_submitter: dict = {}
        for item in DraftItem.objects.filter(pk__in=item_ids).select_related("submitted_by").order_by("pk"):
            if item.submitted_by and item.submitted_by.email and item.submitted_by_id != actor_id:
                by_submitter.setdefault(item.submitted_by.email, []).append(item)
        sent = 0
        for email, items in by_submitter.items():
            lines = "\n".join(_item_line(item) for item in items)
            body = f"Your items were {decision}:\n{lines}\n"
            if comment:
                body += f"\nReviewer's comment:\n{comment}\n"
            sent += _send(subject=f"{len(items)} item(s) {decision}", body=body, recipients=[email])
        return sent
    except Exception:
        logger.exception("review notification failed for items %s", item_ids)
        return 0
