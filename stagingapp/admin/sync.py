"""Admin for Webflow as the other side: pull and verify actions on collections, pull conflicts."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from ..exceptions import StagingError
from ..models import PullConflict
from ..selectors import reference_labels
from ..services import pull as pull_services
from .display import HINT_LINK_CLASSES, person_link, webflow_comparison_rows
from .lookups import object_or_404
from .timeline import AuditTimelineMixin


@admin.action(description="Pull items from Webflow (create or update drafts)", permissions=["change"])
def pull_from_webflow(model_admin, request, queryset):
    for collection in queryset:
        try:
            result = pull_services.collection_pull(collection_id=collection.pk, actor=request.user)
        except StagingError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
        else:
            level = messages.WARNING if result.conflicts or result.skipped else messages.SUCCESS
            model_admin.message_user(request, result.summary(), level)


@admin.display(description="Both versions")
def versions_table(obj):
    """Per locale and field: our draft beside Webflow's version in the collection's labels, differing rows marked."""
    collection = obj.item.collection
    pairs = sorted((obj.versions or {}).items())
    names = reference_labels(collection, [content for _, pair in pairs for content in (
        {"field_data": pair.get("ours") or {}}, {"field_data": pair.get("webflow") or {}})])
    differs_mark = format_html('<span aria-hidden="true">≠</span><span class="sr-only">{}</span>', "differs")
    rows = [(" class=conflict-differs" if differs else "", tag, label, ours, theirs, differs_mark if differs else "")
            for tag, pair in pairs
            for label, ours, theirs, differs in webflow_comparison_rows(
                collection, pair.get("ours") or {}, pair.get("webflow") or {}, reference_names=names)]
    if not rows:
        return "—"
    return format_html(
        '<div class="sa-scroll" tabindex="0"><table class="sa-table" id="conflict-versions"><thead><tr><th>Locale</th>'
        "<th>Field</th><th>Our draft</th><th>Webflow</th><th><span class=sr-only>Differs</span></th></tr></thead>"
        "<tbody>{}</tbody></table></div>",
        format_html_join("", "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


@admin.display(description="resolved by")
def resolved_by_person(obj):
    return person_link(obj.resolved_by)


class PullConflictAdmin(AuditTimelineMixin, ModelAdmin):
    list_display = ["item", "status", "detected_at", "resolved_by", "resolved_at"]
    list_filter = ["status", "item__collection"]
    list_select_related = ["item", "resolved_by"]
    search_fields = ["item__name", "item__slug"]
    fields = ["item", "status", "detected_at", resolved_by_person, "resolved_at", versions_table]
    readonly_fields = fields
    actions = ["keep_ours", "take_webflow"]
    # Below the two versions, the choice itself (an open conflict, for those who may resolve it).
    change_form_outer_after_template = "admin/stagingapp/pullconflict/resolve.html"

    history_button = True

    def audit_timeline_filter(self, obj):
        return {"item": obj.item_id}

    def empty_list_hint(self):
        return format_html(
            'No pull conflict. One appears when a pull from Webflow (Pull items, on a <a class="{}" href="{}">'
            "collection</a>'s page) finds an item changed both here and in Webflow since they last matched; it is "
            "resolved here.", HINT_LINK_CLASSES, reverse("admin:stagingapp_collection_changelist"))

    def get_urls(self):
        return [
            path("<path:object_id>/resolve/", self.admin_site.admin_view(self.resolve_view),
                 name="stagingapp_pullconflict_resolve"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: a Save button would save nothing. Resolving is the page's one action.
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def resolve_view(self, request, object_id):
        """POST choice=ours|webflow from the conflict's page: resolve it and come back to the page."""
        conflict = object_or_404(PullConflict, object_id)
        if request.method != "POST" or not self.has_change_permission(request, conflict):
            raise PermissionDenied
        self._resolve(request, PullConflict.objects.filter(pk=conflict.pk), request.POST.get("choice", ""))
        return HttpResponseRedirect(reverse("admin:stagingapp_pullconflict_change", args=[conflict.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _resolve(self, request, queryset, choice: str):
        """Resolve each conflict, the page's one or the list's selection; one resolved meanwhile (another tab),
        with its item in a batch, or an unknown choice is reported by the service's own message."""
        done = 0
        for conflict in queryset.select_related("item"):
            try:
                pull_services.conflict_resolve(conflict_id=conflict.pk, choice=choice, actor=request.user)
            except StagingError as exc:
                self.message_user(request, f"{conflict.item}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("%d conflict resolved.", "%d conflicts resolved.", done) % done)

    @admin.action(description="Keep our draft (the next push overwrites Webflow)", permissions=["change"])
    def keep_ours(self, request, queryset):
        self._resolve(request, queryset, "ours")

    @admin.action(description="Take Webflow's version into the draft", permissions=["change"])
    def take_webflow(self, request, queryset):
        self._resolve(request, queryset, "webflow")
