"""The role dashboards at /admin/ (unfold's DASHBOARD_CALLBACK): what each person should look at first.

Editors see their drafts by state, their rejected items with the reviewer's comment and stale translations;
approvers what waits for their review, oldest first; publishers what is ready to push, recent batches with live
progress, the last failures, the shared rate-limit budget and each collection's newest drift report; everyone the
recent activity. Reads come from selectors.dashboards; every count links to the list it counts.
"""
from django.urls import reverse
from django.utils.http import urlencode

from ..models import DriftFinding
from ..selectors import dashboards
from ..services import workflow
from ..services.batches import can_manage_batches


def item_list_url(**params) -> str:
    return reverse("admin:stagingapp_draftitem_changelist") + ("?" + urlencode(params) if params else "")


def drift_rows(summary: list[dict]) -> list[dict]:
    """Each collection's newest drift report with its counts in kind order, each linked to its findings."""
    findings_url = reverse("admin:stagingapp_driftfinding_changelist")
    conflicts_url = reverse("admin:stagingapp_pullconflict_changelist")
    for row in summary:
        run, collection = row["run"], row["collection"]
        row["kinds"] = [
            (label, row["counts"][kind],
             findings_url + "?" + urlencode({"run__id__exact": run.pk, "kind__exact": kind}))
            for kind, label in DriftFinding.Kind.choices if run and kind in row["counts"]
        ]
        row["run_url"] = reverse("admin:stagingapp_driftrun_change", args=[run.pk]) if run else ""
        row["conflicts_url"] = conflicts_url + "?" + urlencode(
            {"status__exact": "open", "item__collection__id__exact": collection.pk})
    return summary


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
        panel["drift"] = drift_rows(panel["drift"])
        panel["drift_runs_url"] = reverse("admin:stagingapp_driftrun_changelist")
        board["publisher"] = panel
    board["audit_url"] = reverse("admin:stagingapp_auditevent_changelist")
    context["board"] = board
    return context
