"""simple-history's "History → version → Revert", rebuilt as an audited edit through the workflow service.

The stock view saved the historical row as it was, status and workflow fields included, which let a revert unlock
an item in review or turn an edited item back into "Approved" with no approver and no audit entry. Here the
version page compares that version with the current content, and its Revert button calls workflow.item_revert /
translation_revert, which put back content only, keep locks, reset approval and write `*.revert` entries.
"""
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from ..exceptions import StagingError
from ..models import PRIMARY_CONTENT_FIELDS, DraftItem
from ..selectors import reference_labels
from ..services import workflow
from ..times import readable_time
from .display import comparison_rows


class HistoryRevertAdminMixin:
    """For a SimpleHistoryAdmin of DraftItem or DraftTranslation: the version page and an audited revert."""

    revert_template = "admin/stagingapp/revert_version.html"

    def _item_of(self, obj) -> DraftItem:
        return obj if isinstance(obj, DraftItem) else obj.item

    def _content(self, obj) -> dict:
        """Content fields of the object or of one of its historical rows (same attribute names)."""
        fields = PRIMARY_CONTENT_FIELDS if self.model is DraftItem else workflow.TRANSLATION_CONTENT_FIELDS
        return {name: getattr(obj, name) for name in fields}

    def _revert(self, request, obj, version_id):
        if isinstance(obj, DraftItem):
            return workflow.item_revert(item_id=obj.pk, history_id=version_id, actor=request.user)
        return workflow.translation_revert(translation_id=obj.pk, history_id=version_id, actor=request.user)

    def revert_disabled(self, request, obj=None):
        # simple-history asks this with the *historical* row, whose old status would unlock a locked item.
        current = self.model.objects.filter(pk=obj.pk).first() if obj is not None else None
        if current is not None and workflow.item_edit_lock_reason(self._item_of(current)):
            return True
        return not self.has_change_permission(request)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """GET: the version beside the current content, with Revert when allowed. POST: revert through the service."""
        current = self.get_object(request, unquote(object_id))
        if current is None:
            raise Http404
        if not self.has_view_permission(request, current):
            raise PermissionDenied
        version = self.model.history.filter(id=current.pk, history_id=version_id).first()
        if version is None:
            raise Http404
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[current.pk])
        if request.method == "POST":
            try:
                reverted = self._revert(request, current, version_id)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(request.path)
            item = self._item_of(reverted)
            item.refresh_from_db(fields=["status"])
            self.message_user(request, _("Reverted '%(obj)s' to the version of %(when)s. It is %(status)s now.") % {
                "obj": reverted, "when": readable_time(version.history_date),
                "status": item.get_status_display().lower()})
            return HttpResponseRedirect(change_url)
        item = self._item_of(current)
        title = _("Version of %(when)s") % {"when": readable_time(version.history_date)}
        now, then = self._content(current), self._content(version)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": current, "version": version, "change_url": change_url,
            "history_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[current.pk]),
            "title": title, "header_page": title,
            "rows": comparison_rows(item.collection, now, then,
                                    reference_names=reference_labels(item.collection, [now, then])),
            "lock_reason": workflow.item_edit_lock_reason(item),
            "revert_disabled": self.revert_disabled(request, current),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.revert_template, context)
