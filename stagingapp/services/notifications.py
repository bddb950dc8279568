"""E-mails: approvers hear of submissions, submitters of decisions, publishers of batches that need them. A failed
send never blocks a transition or a push."""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from ..models import BatchItem, DraftItem, PushBatch
from ..selectors import batch_counts

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


# A batch's failed items named in its e-mail; the rest are counted (the batch page lists them all).
FAILED_ITEMS_NAMED = 10


def notify_batch_finished(*, batch_id: int) -> int:
    """E-mail whoever queued a batch when it needs them: it failed (wholly or partly), or it ran on a schedule, so
    nobody was watching it. A batch pushed now and fully done, or one cancelled on purpose, sends nothing. Returns
    messages sent; never raises."""
    try:
        batch = PushBatch.objects.select_related("collection", "queued_by", "created_by").get(pk=batch_id)
        person = batch.queued_by or batch.created_by
        failed = batch.status in (PushBatch.Status.FAILED, PushBatch.Status.PARTLY_FAILED)
        unwatched = batch.scheduled_for is not None and batch.status == PushBatch.Status.SUCCEEDED
        if not (failed or unwatched) or person is None or not person.email:
            return 0
        counts = batch_counts(batch)
        body = (f"{batch}: {batch.get_status_display()}. {counts['done']} done, {counts['failed']} failed, "
                f"{counts['cancelled']} cancelled, of {counts['total']} item(s).\n")
        if batch.last_error:
            body += f"\nThe batch stopped: {batch.last_error}\n"
        if counts["failed"]:
            entries = (batch.entries.filter(status=BatchItem.Status.FAILED).select_related("item")
                       .order_by("item_id")[:FAILED_ITEMS_NAMED])
            body += "\nFailed:\n" + "\n".join(f"- {entry.item}: {entry.reason}" for entry in entries) + "\n"
            if counts["failed"] > FAILED_ITEMS_NAMED:
                body += f"- and {counts['failed'] - FAILED_ITEMS_NAMED} more\n"
        if settings.PUBLIC_URL:
            page = _link(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk]))
            body += f"\nThe batch, with 'Retry failed items': {page}\n"
        return _send(subject=f"{batch}: {batch.get_status_display()}", body=body, recipients=[person.email])
    except Exception:
        logger.exception("batch notification failed for batch %s", batch_id)
        return 0
