"""Shared pieces of the admin's read-only records (audit history, drift reports): no edits, safe CSV cells."""
import json

from unfold.admin import ModelAdmin

from .timeline import AuditTimelineMixin


class ReadOnlyAdmin(AuditTimelineMixin, ModelAdmin):
    """Records written only by services: browsable and exportable, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def csv_safe(value) -> str:
    text = "" if value is None else json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(
        value)
    # A leading =, +, - or @ would run as a formula when the file is opened in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text
