"""Review workflow in the admin: buttons, bulk actions, review queues, edit locks and the diff since approval.

Mixed into DraftItemAdmin / DraftTranslationAdmin (see admin.py) so the item admin keeps one home while this code
stays in its own module. Every action calls a service in services.workflow and reports the outcome.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..exceptions import StagingError
from ..models import AuditEvent, DraftItem, DraftTranslation
from ..services import workflow
from .lookups import object_or_404

S = DraftItem.Status

# name -> (service, button label, comment required?)
TRANSITIONS = {
    "submit": (workflow.items_submit, _("Submit for review"), False),
    "approve": (workflow.items_approve, _("Approve"), False),
    "reject": (workflow.items_reject, _("Reject"), True),
    "unlock": (workflow.items_unlock, _("Unlock for editing"), True),
}


def _run_transition(name: str, *, item_ids: list[int], actor, comment: str):
    service = TRANSITIONS[name][0]
    if name == "unlock":  # the unlock service calls its text a reason
        return service(item_ids=item_ids, actor=actor, reason=comment)
    return service(item_ids=item_ids, actor=actor, comment=comment)


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
        me = request.user.pk
        if self.value() == "review":
            # Four-eyes: what the approver may not review is not waiting for them.
            own_translation = DraftTranslation.objects.filter(item=OuterRef("pk"), last_edited_by_id=me)
            return queryset.filter(status=S.IN_REVIEW).exclude(
                Q(created_by_id=me) | Q(last_edited_by_id=me) | Q(submitted_by_id=me)
            ).exclude(Exists(own_translation))
        if self.value() == "rejected":
            return queryset.filter(status=S.REJECTED).filter(
                Q(created_by_id=me) | Q(last_edited_by_id=me) | Q(submitted_by_id=me)
            )
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


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                              required=False)


def _flatten(snapshot: dict | None, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in (snapshot or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and (key in {"field_data", "translations"} or prefix.startswith("translations")):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def snapshot_diff(before: dict | None, after: dict) -> list[dict]:
    """Rows for a side-by-side table: every content path with its value at approval and now."""
    old, new = _flatten(before), _flatten(after)
    return [
        {"field": key, "old": old.get(key, ""), "new": new.get(key, ""), "changed": old.get(key) != new.get(key)}
        for key in sorted(old.keys() | new.keys())
    ]


class WorkflowItemAdminMixin:
    """Review buttons, bulk actions, locks and the diff view for DraftItemAdmin."""

    change_form_template = "admin/stagingapp/draftitem/change_form.html"
    actions = ["submit_selected", "approve_selected", "reject_selected", "unlock_selected"]

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
            reason = workflow.item_edit_lock_reason(item)
            extra_context.update({
                "workflow_transitions": [
                    {"name": name, "label": TRANSITIONS[name][1], "comment_required": TRANSITIONS[name][2],
                     "url": reverse("admin:stagingapp_draftitem_transition", args=[item.pk, name])}
                    for name in workflow.available_transitions(item=item, actor=request.user)
                ],
                "history_timeline_url": reverse("admin:stagingapp_auditevent_changelist") + "?"
                + urlencode({"item": item.pk}),
                "approval_diff_url": reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk]),
                "lock_reason": reason,
                # Shown in the workflow panel rather than per inline, so it holds whatever fieldsets the inline has.
                "stale_translations": [
                    t.locale.tag for t in item.translations.select_related("locale").order_by("locale__tag")
                    if t.source_hash != item.source_hash
                ],
            })
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    @method_decorator(require_POST)
    def transition_view(self, request, object_id, transition):
        """POST only: run one review transition on one item; the service checks role, state and four-eyes."""
        if transition not in TRANSITIONS:
            raise PermissionDenied
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        form = CommentForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        try:
            _run_transition(transition, item_ids=[item.pk], actor=request.user, comment=comment)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("'%(item)s': %(action)s done.") % {
                "item": item, "action": TRANSITIONS[transition][1]})
        return HttpResponseRedirect(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))

    def approval_diff_view(self, request, object_id):
        item = object_or_404(DraftItem, object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        approval = AuditEvent.objects.filter(item_id=item.pk, action="item.approve").order_by("-created_at", "-pk")
        approval = approval.first()
        snapshot = (approval.data or {}).get("snapshot") if approval else None
        rows = snapshot_diff(snapshot, item.content_snapshot())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": item, "title": _("Changes since the last approval"),
            "approval": approval, "rows": rows, "changed_count": sum(row["changed"] for row in rows),
        }
        return TemplateResponse(request, "admin/stagingapp/draftitem/approval_diff.html", context)

    # --- bulk actions ------------------------------------------------------------------------------------------

    def _bulk(self, request, queryset, name: str, comment: str = ""):
        try:
            items = _run_transition(name, item_ids=list(queryset.values_list("pk", flat=True)),
                                    actor=request.user, comment=comment)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        self.message_user(request, ngettext("%(count)d item: %(action)s done.", "%(count)d items: %(action)s done.",
                                            len(items)) % {"count": len(items), "action": TRANSITIONS[name][1]})
        return None

    def _bulk_with_comment(self, request, queryset, name: str):
        """First call renders a comment form; its POST (with `apply`) runs the transition."""
        if "apply" in request.POST:
            form = CommentForm(request.POST)
            comment = form.cleaned_data["comment"] if form.is_valid() else ""
            return self._bulk(request, queryset, name, comment)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": TRANSITIONS[name][1], "queryset": queryset, "action_name": f"{name}_selected",
            "form": CommentForm(), "comment_required": TRANSITIONS[name][2],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/stagingapp/draftitem/bulk_comment.html", context)

    @admin.action(description=_("Submit selected items for review"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        return self._bulk(request, queryset, "submit")

    @admin.action(description=_("Approve selected items"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        return self._bulk_with_comment(request, queryset, "approve")

    @admin.action(description=_("Reject selected items (with a comment)"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        return self._bulk_with_comment(request, queryset, "reject")

    @admin.action(description=_("Unlock selected items from review (with a reason)"), permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        return self._bulk_with_comment(request, queryset, "unlock")


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
