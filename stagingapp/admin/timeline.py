"""Where a page's "History" button leads. unfold shows it on every change page, and Django's history view reads
the admin's LogEntry table, which this app never writes (the audit history is the one record): for a batch, a
collection or a drift report it said "This object doesn't have a change history. It probably wasn't added via this
admin site." Items, translations and locale mappings keep simple-history's versions page (SimpleHistoryAdmin)."""
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


class AuditTimelineMixin:
    """"History" opens the audit history filtered to this object, where the audit links such objects
    (`audit_timeline_filter`, and `history_button` shows it); otherwise the button is not shown and its address
    leads back to the object."""

    history_button = False

    def audit_timeline_filter(self, obj) -> dict | None:
        """The audit list's filters that show this object's timeline, or None when the audit cannot."""
        return None

    def audit_timeline_url(self, obj) -> str:
        params = self.audit_timeline_filter(obj)
        return reverse("admin:stagingapp_auditevent_changelist") + "?" + urlencode(params) if params else ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.history_button:
            extra_context = {**(extra_context or {}), "show_history": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            return super().history_view(request, object_id, extra_context)  # Django's not-found / denied
        return HttpResponseRedirect(self.audit_timeline_url(obj) or reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]))
