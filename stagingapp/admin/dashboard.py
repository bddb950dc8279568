"""The role dashboards at /admin/ (unfold's DASHBOARD_CALLBACK): what each person should look at first.

Editors see their drafts by state, their rejected items with the reviewer's comment and stale translations;
approvers what waits for their review, oldest first; publishers what is ready to push, recent batches with live
progress, the last failures and the shared rate-limit budget; everyone the recent activity. Reads come from
selectors.dashboards; every count links to the list it counts.
"""
from django.urls import reverse
from django.utils.http import urlencode

from ..selectors import dashboards
from ..services import workflow
from ..services.batches import can_manage_batches


def item_list_url(**params) -> str:
    return reverse("admin:stagingapp_draftitem_changelist") + ("?" + urlencode(params) if params else "")


def dashboard_callback(request, context):
    user = request.user
    board = {"activity": dashboards.recent_activity()}
    if workflow.can_submit(user):
        panel = dashboards.editor_panel(user)
        panel["drafts_by_status"] = [
            (label, n, item_list_url(status__exact=value, last_edited_by__id__exact=user.pk))
            for value, label, n in panel["drafts_by_status"]
        ]
        panel["rejected_url"] = item_list_url(my_work="rejected")
        panel["stale_url"] = item_list_url(stale_translations="yes")
        board["editor"] = panel
    if workflow.can_review(user):
        panel = dashboards.approver_panel(user)
        panel["waiting_url"] = item_list_url(my_work="review")
        board["approver"] = panel
    if can_manage_batches(user, "create"):
        panel = dashboards.publisher_panel()
        for row in panel["ready"]:
            row["url"] = item_list_url(status__exact="approved", collection__id__exact=row["collection_id"])
        panel["new_batch_url"] = reverse("admin:stagingapp_pushbatch_new")
        panel["batches_url"] = reverse("admin:stagingapp_pushbatch_changelist")
        board["publisher"] = panel
    board["audit_url"] = reverse("admin:stagingapp_auditevent_changelist")
    context["board"] = board
    return context
