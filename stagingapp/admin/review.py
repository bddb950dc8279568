"""Review workflow in the admin: buttons, review queues, edit locks and the diff since approval.

Mixed into DraftItemAdmin / DraftTranslationAdmin (see admin.py) so the item admin keeps one home while this code
stays in its own module. Every action calls a service in services.workflow and reports the outcome.
"""
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..exceptions import StagingError
from ..models import AuditEvent, DraftItem, DraftTranslation, LocaleMapping
from ..selectors import dashboards, reference_labels
from ..services import workflow
from .bulk import TRANSITIONS, run_transition, transition_message
from .display import comparison_rows, content_table
from .lookups import object_or_404

S = DraftItem.Status
# The move a reviewer usually makes is the filled button; sending back is marked as such; unlocking is plain.
TRANSITION_BUTTONS = {"submit": "sa-btn-primary", "approve": "sa-btn-primary", "reject": "sa-btn-danger"}


class ReviewQueueFilter(admin.SimpleListFilter):
    title = _("my work")
    parameter_name = "my_work"

    def lookups(self, request, model_admin):
        choices = []
        if workflow.can_review(request.user):
            choices.append(("review", _("Waiting for my review")))
        if workflow.can_submit(request.user):
            choices.append(("rejected", _("Rejected, needs my changes")))
        return choices

    def queryset(self, request, queryset):
        # The same querysets as the dashboard's counts, so a count and the list it links to always agree.
        if self.value() == "review":
            return queryset.filter(pk__in=dashboards.items_waiting_for_review(request.user).values("pk"))
        if self.value() == "rejected":
            return queryset.filter(pk__in=dashboards.items_rejected_for(request.user).values("pk"))
        return queryset


class StaleTranslationsFilter(admin.SimpleListFilter):
    title = _("translations")
    parameter_name = "stale_translations"

    def lookups(self, request, model_admin):
        return [("yes", _("Some stale (source changed since)")), ("no", _("None stale"))]

    def queryset(self, request, queryset):
        stale = DraftTranslation.objects.filter(item=OuterRef("pk")).exclude(source_hash=OuterRef("source_hash"))
        if self.value() == "yes":
            return queryset.filter(Exists(stale))
        if self.value() == "no":
            return queryset.exclude(Exists(stale))
        return queryset


def last_rejection(item) -> AuditEvent | None:
    """The rejection an editor still has to act on: the newest review decision, when it was a rejection."""
    if item.status not in (S.DRAFT, S.REJECTED, S.IN_REVIEW):
        return None
    decision = (AuditEvent.objects.filter(item_id=item.pk, action__in=["item.approve", "item.reject"])
                .order_by("-created_at", "-pk").first())
    return decision if decision is not None and decision.action == "item.reject" else None


def primary_locale_tag(item) -> str:
    return (LocaleMapping.objects.filter(site_id=item.collection.site_id, is_primary=True)
            .values_list("tag", flat=True).first() or "")


class WorkflowItemAdminMixin:
    """Review buttons, bulk actions, locks and the diff view for DraftItemAdmin."""

    change_form_template = "admin/stagingapp/draftitem/change_form.html"

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), ReviewQueueFilter, StaleTranslationsFilter]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path("<path:object_id>/review/<str:transition>/", self.admin_site.admin_view(self.transition_view),
                 name=f"{info[0]}_{info[1]}_transition"),
            path("<path:object_id>/changes-since-approval/", self.admin_site.admin_view(self.approval_diff_view),
                 name=f"{info[0]}_{info[1]}_approval_diff"),
        ]
        return urls + super().get_urls()

    # --- permissions: the admin asks the same predicates the services enforce ---------------------------------

    def _has_workflow_perm(self, request, action: str) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename(action, self.opts)}")

    def has_submit_permission(self, request):
        return self._has_workflow_perm(request, "submit")

    def has_approve_permission(self, request):
        return self._has_workflow_perm(request, "approve")

    def has_unlock_permission(self, request):
        return self._has_workflow_perm(request, "unlock")

    def has_change_permission(self, request, obj=None):
        # A locked item opens read-only, and a POST to its change page is refused (403) by the admin itself.
        if obj is not None and workflow.item_edit_lock_reason(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj):
            return False
        return super().has_delete_permission(request, obj)

    # --- item page -----------------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if item is not None:
            # The content table, its reference names and the stale-translation list share one read of them.
            prefetch_related_objects([item], Prefetch("translations",
                                                      DraftTranslation.objects.select_related("locale")))
            reason = workflow.item_edit_lock_reason(item)
            extra_context.update({
                "workflow_transitions": [
                    {"name": name, "label": TRANSITIONS[name][1], "comment_required": TRANSITIONS[name][2],
                     "url": reverse("admin:stagingapp_draftitem_transition", args=[item.pk, name]),
                     "button": TRANSITION_BUTTONS.get(name, "")}
                    for name in workflow.available_transitions(item=item, actor=request.user)
                ],
                "history_timeline_url": reverse("admin:stagingapp_auditevent_changelist") + "?"
                + urlencode({"item": item.pk}),
                "approval_diff_url": reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk]),
                "lock_reason": reason,
                "last_rejection": last_rejection(item),
                "review_content": content_table(
                    item, primary_tag=primary_locale_tag(item),
                    reference_names=reference_labels(item.collection, [item.content_snapshot()])),
                # Open for whoever cannot edit (approvers, locked items): it is what they came to read.
                "review_content_open": bool(reason) or not self.has_change_permission(request),
                # Shown in the workflow panel rather than per inline, so it holds whatever fieldsets the inline has.
                "stale_translations": [t.locale.tag for t in item.translations_by_tag()
                                       if t.source_hash != item.source_hash],
            })
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def response_change(self, request, obj):
        """After a save from a page whose edits were unsaved when "Submit for review" was pressed
        (unsaved_guard.js), run the submission on what was just saved."""
        then = request.POST.get("_workflow_after_save")
        if then != "submit":
            return super().response_change(request, obj)
        try:
            items = run_transition(then, item_ids=[obj.pk], actor=request.user,
                                   comment=request.POST.get("_workflow_comment", ""))
        except StagingError as exc:
            self.message_user(request, _("Your changes were saved, but the item was not submitted: %(why)s")
                              % {"why": exc}, messages.ERROR)
        else:
            self.message_user(request, _("Saved your changes. %(done)s") % {"done": transition_message(then, items)},
                              messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_change", args=[obj.pk]))

    @method_decorator(require_POST)
    def transition_view(self, request, object_id, transition):
        """POST only: run one review transition on one item; the service checks role, state and four-eyes."""
        if transition not in TRANSITIONS:
            raise PermissionDenied
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        # Taken as sent: the service cleans what it stores (workflow.comment_text).
        comment = request.POST.get("comment", "")
        try:
            items = run_transition(transition, item_ids=[item.pk], actor=request.user, comment=comment)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, transition_message(transition, items), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))

    def approval_diff_view(self, request, object_id):
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        approval = AuditEvent.objects.filter(item_id=item.pk, action="item.approve").order_by("-created_at", "-pk")
        approval = approval.first()
        snapshot = (approval.data or {}).get("snapshot") if approval else None
        current = item.content_snapshot()
        rows = comparison_rows(item.collection, snapshot, current,
                               reference_names=reference_labels(item.collection, [snapshot, current]))
        changed = [row for row in rows if row["changed"]]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": item, "title": _("Changes since the last approval"),
            "header_page": _("Changes since the last approval"),
            "approval": approval, "changed_rows": changed, "unchanged_rows": [r for r in rows if not r["changed"]],
            "changed_count": len(changed),
        }
        return TemplateResponse(request, "admin/stagingapp/draftitem/approval_diff.html", context)


class TranslationLockAdminMixin:
    """A translation shares its item's lock: no edits while the item is in review or in a batch."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj.item):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj.item):
            return False
        return super().has_delete_permission(request, obj)


class LockedItemInlineMixin:
    """Inline translations of a locked item are read-only, like the item."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj):
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and workflow.item_edit_lock_reason(obj):
            return False
        return super().has_delete_permission(request, obj)
