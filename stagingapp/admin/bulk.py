"""Bulk review actions on the item list, for any number of selected items.

Approve, reject and unlock ask for a comment first. The selection is kept in the session and the comment page
posts only a token: re-posting thousands of ids would pass Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) and
answer HTTP 400. The services do the work in a constant number of queries per chunk.
"""
import secrets

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..exceptions import StagingError
from ..models import DraftItem
from ..services import workflow

# name -> (service, button label, comment required?)
TRANSITIONS = {
    "submit": (workflow.items_submit, _("Submit for review"), False),
    "approve": (workflow.items_approve, _("Approve"), False),
    "reject": (workflow.items_reject, _("Reject"), True),
    "unlock": (workflow.items_unlock, _("Unlock for editing"), True),
}
SESSION_KEY = "stagingapp.bulk_review"
# Selections kept per session: a few open comment pages (tabs) work, abandoned ones do not pile up.
MAX_KEPT_SELECTIONS = 5
# Items named on the comment page; the rest is a count, so the page stays small for 10,000.
SHOWN_ON_COMMENT_PAGE = 20


def run_transition(name: str, *, item_ids: list[int], actor, comment: str):
    service = TRANSITIONS[name][0]
    if name == "unlock":  # the unlock service calls its text a reason
        return service(item_ids=item_ids, actor=actor, reason=comment)
    return service(item_ids=item_ids, actor=actor, comment=comment)


def transition_message(name: str, items) -> str:
    """What happened, in plain words: "Submitted 3 items for review.", "Approved 'Spring launch'."."""
    count = len(items)
    what = f"'{items[0]}'" if count == 1 else ngettext("%(count)d item", "%(count)d items", count) % {"count": count}
    return {
        "submit": "Submitted %(what)s for review.",
        "approve": "Approved %(what)s.",
        "reject": "Rejected %(what)s; the editors see your comment.",
        "unlock": "Unlocked %(what)s for editing.",
    }[name] % {"what": what}


class BulkReviewAdminMixin:
    """Bulk submit / approve / reject / unlock for DraftItemAdmin, with the comment page on a session token."""

    actions = ["submit_selected", "approve_selected", "reject_selected", "unlock_selected"]

    def get_urls(self):
        urls = [path("bulk-review/<str:token>/", self.admin_site.admin_view(self.bulk_review_view),
                     name=f"{self.opts.app_label}_{self.opts.model_name}_bulk_review")]
        return urls + super().get_urls()

    def _bulk(self, request, item_ids: list[int], name: str, comment: str = "") -> bool:
        try:
            items = run_transition(name, item_ids=item_ids, actor=request.user, comment=comment)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(request, transition_message(name, items), messages.SUCCESS)
        return True

    def _ask_for_comment(self, request, queryset, name: str):
        """Keep the selection server-side and send the reviewer to the comment page for it."""
        item_ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        if "apply" in request.POST:  # a client that already sent the comment with the action
            self._bulk(request, item_ids, name, request.POST.get("comment", ""))
            return None
        kept = dict(request.session.get(SESSION_KEY) or {})
        while len(kept) >= MAX_KEPT_SELECTIONS:
            kept.pop(next(iter(kept)))
        token = secrets.token_urlsafe(12)
        kept[token] = {"name": name, "ids": item_ids, "back": request.get_full_path()}
        request.session[SESSION_KEY] = kept
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_bulk_review", args=[token]))

    def bulk_review_view(self, request, token: str):
        """GET: the comment page for a kept selection. POST (comment only): run the transition on it."""
        selection = (request.session.get(SESSION_KEY) or {}).get(token)
        if selection is None:
            raise Http404("This selection has expired; select the items again.")
        name, item_ids = selection["name"], selection["ids"]
        if not self.get_action_permission(request, name):
            raise PermissionDenied
        if request.method == "POST":
            if self._bulk(request, item_ids, name, request.POST.get("comment", "")):
                kept = dict(request.session.get(SESSION_KEY) or {})
                kept.pop(token, None)
                request.session[SESSION_KEY] = kept
                return HttpResponseRedirect(selection["back"])
            return HttpResponseRedirect(request.path)  # refused: the message says why, the selection is kept
        shown = DraftItem.objects.filter(pk__in=item_ids[:SHOWN_ON_COMMENT_PAGE]).order_by("pk")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": TRANSITIONS[name][1], "header_page": TRANSITIONS[name][1], "shown": shown,
            "count": len(item_ids),
            "more": max(0, len(item_ids) - SHOWN_ON_COMMENT_PAGE), "comment_required": TRANSITIONS[name][2],
            "back_url": selection["back"],
        }
        return TemplateResponse(request, "admin/stagingapp/draftitem/bulk_comment.html", context)

    def get_action_permission(self, request, name: str) -> bool:
        permission = "submit" if name == "submit" else ("unlock" if name == "unlock" else "approve")
        return getattr(self, f"has_{permission}_permission")(request)

    @admin.action(description=_("Submit selected items for review"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._bulk(request, list(queryset.values_list("pk", flat=True)), "submit")

    @admin.action(description=_("Approve selected items"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        return self._ask_for_comment(request, queryset, "approve")

    @admin.action(description=_("Reject selected items (with a comment)"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        return self._ask_for_comment(request, queryset, "reject")

    @admin.action(description=_("Unlock selected items from review (with a reason)"), permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        return self._ask_for_comment(request, queryset, "unlock")
