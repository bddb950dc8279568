"""Push batches in the admin: pre-flight, preview, queue/cancel/retry, live progress, and Webflow IDs per item."""
import json

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.views import ChangeList
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from ..exceptions import PreflightFailed, StagingError
from ..models import Collection, PushBatch
from ..selectors import batch_counts, batch_locales
from ..selectors.dashboards import batch_counts_for, items_ready_to_push
from ..services import batches as batch_services
from ..services.push.preflight import batch_preflight_report
from ..services.push.preview import batch_preview
from ..times import readable_time
from .batch_page import DETAIL_FIELDS, entry_page, estimate_sentence, visible_details
from .display import HINT_LINK_CLASSES
from .drift import confirm_overwrites, verify_batches
from .guard import UnsavedChangesGuardMixin
from .lookups import object_or_404
from .timeline import AuditTimelineMixin

# Dark enough for white text to pass WCAG AA contrast (4.5:1). Batches, their entries, and draft items.
BADGE_COLOURS = {
    "pending": "#57534e", "queued": "#1d4ed8", "running": "#c2410c", "succeeded": "#15803d",
    "partly_failed": "#be185d", "failed": "#b91c1c", "cancelled": "#44403c",
    "in_flight": "#c2410c", "sent": "#0e7490", "done": "#15803d",
    "draft": "#57534e", "in_review": "#1d4ed8", "approved": "#15803d", "rejected": "#b91c1c",
    "in_batch": "#c2410c", "staged": "#0e7490", "live": "#6d28d9",
}


def status_badge(value: str, label: str):
    return format_html('<span class="sa-badge" style="background:{}">{}</span>',
                       BADGE_COLOURS.get(value, "#57534e"), label)


@admin.display(description="Webflow IDs (per locale)")
def webflow_ids_table(obj):
    """Every ID Webflow returned for the item, per locale (read-only), in columns that fit the page."""
    refs = list(obj.webflow_refs.select_related("locale", "last_batch__collection")
                .order_by("-locale__is_primary", "locale__tag")) if obj and obj.pk else []
    if not refs:
        return "Not in Webflow yet."
    rows = format_html_join("", (
        '<tr><td><b>{}</b><br><span class="sa-muted" title="cmsLocaleId">{}</span></td><td><code>{}</code></td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"), (
        (ref.locale.tag, ref.cms_locale_id, ref.webflow_item_id, ref.slug,
         "published" if ref.is_published else ("draft" if ref.is_draft else "staged"),
         readable_time(ref.last_published or ref.last_updated or ref.created_on) or "—", ref.last_batch or "—")
        for ref in refs))
    return format_html(
        '<div class="sa-scroll" tabindex="0"><table class="sa-table" id="webflow-ids"><thead><tr><th>Locale</th>'
        "<th>Item ID</th><th>Slug</th><th>State</th><th>Last change</th><th>Batch</th></tr></thead>"
        "<tbody>{}</tbody></table></div>",
        rows)


class BatchChangeList(ChangeList):
    """The batch list with every row's entry counts fetched in one query, whatever the page size."""

    def get_results(self, request):
        super().get_results(request)
        counts = batch_counts_for([batch.pk for batch in self.result_list])
        for batch in self.result_list:
            batch.entry_counts = counts[batch.pk]


class PushBatchAdmin(UnsavedChangesGuardMixin, AuditTimelineMixin, ModelAdmin):
    list_display = ["__str__", "status_badge", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "mode", "collection"]
    list_select_related = ["collection", "created_by"]
    search_fields = ["pk", "collection__name", "last_error"]
    # A site has a handful of locales: ticks fit the page where a two-pane picker overflowed it.
    formfield_overrides = {models.ManyToManyField: {"widget": UnfoldAdminCheckboxSelectMultipleWidget}}
    settings_fields = ["collection", "mode", "locales", "scheduled_for"]
    readonly_fields = ["collection", *DETAIL_FIELDS]
    actions = ["queue_selected", "cancel_selected", "retry_failed_selected", verify_batches, confirm_overwrites]
    change_form_template = "admin/stagingapp/pushbatch/change_form.html"
    # No "History" button: the page's own "History timeline" opens this list (and /history/ leads there).

    def audit_timeline_filter(self, obj):
        return {"batch": obj.pk}

    def get_changelist(self, request, **kwargs):
        return BatchChangeList

    def get_fieldsets(self, request, obj=None):
        details = visible_details(obj) if obj is not None else []
        return [("Settings", {"fields": self.settings_fields}),
                *([("Details", {"fields": details})] if details else [])]

    def has_add_permission(self, request):
        return False  # batches are made from approved items (dashboard → New batch, or the item list's action)

    def empty_list_hint(self):
        """What an empty, unfiltered list says instead of an Add button (templates/unfold/helpers/empty_results)."""
        return format_html(
            'No batch yet. A publisher starts one with <a class="{}" href="{}">New batch</a> beside a collection on '
            'the dashboard, or by selecting approved draft items and choosing "{}".',
            HINT_LINK_CLASSES, reverse("admin:index"), "Create a push batch from selected approved items")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != PushBatch.Status.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_queue_permission(self, request):
        return request.user.has_perm("stagingapp." + get_permission_codename("queue", self.opts))

    def has_cancel_permission(self, request):
        return request.user.has_perm("stagingapp." + get_permission_codename("cancel", self.opts))

    def has_retry_permission(self, request):
        return request.user.has_perm("stagingapp." + get_permission_codename("retry", self.opts))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:batch_id>/progress/", self.admin_site.admin_view(self.progress_view),
                 name="{}_{}_progress".format(*info)),
            path("<int:batch_id>/do/<str:verb>/", self.admin_site.admin_view(self.verb_view),
                 name="{}_{}_do".format(*info)),
            path("new/", self.admin_site.admin_view(self.new_batch_view), name="{}_{}_new".format(*info)),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = object_or_404(PushBatch.objects.select_related("collection"), object_id)
        counts = batch_counts(batch)
        extra = {**(extra_context or {}), "batch": batch, "counts": counts,
                 "badge": status_badge(batch.status, batch.get_status_display()),
                 "progress_url": reverse("admin:stagingapp_pushbatch_progress", args=[batch.pk]),
                 "history_timeline_url": self.audit_timeline_url(batch),
                 "entry_page": entry_page(batch, counts, outcome=request.GET.get("entries", ""),
                                          page=request.GET.get("page", 1)),
                 "locale_tags": [locale.tag for locale in batch_locales(batch)],
                 "scheduled_text": readable_time(batch.scheduled_for),
                 "estimate_text": estimate_sentence(batch.estimate)}
        extra["do_urls"] = {verb: reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, verb])
                            for verb in ("queue", "cancel", "retry")}
        if batch.status == PushBatch.Status.PENDING:
            report = batch_preflight_report(batch)
            extra["preflight"] = report
            extra["estimate_text"] = estimate_sentence(report.estimate)
            extra["preview"] = [
                {**request_, "json": json.dumps(request_["body"], indent=2, ensure_ascii=False)}
                for request_ in batch_preview(batch, max_requests=2)
            ]
        extra["can_queue"] = batch.status == PushBatch.Status.PENDING and self.has_queue_permission(request)
        extra["can_cancel"] = batch.status in PushBatch.ACTIVE_STATUSES and self.has_cancel_permission(request)
        extra["can_retry"] = (batch.status in PushBatch.FINISHED_STATUSES and counts["failed"]
                              and self.has_retry_permission(request))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def progress_view(self, request, batch_id):
        batch = object_or_404(PushBatch, batch_id)
        if not self.has_view_permission(request, batch):
            return JsonResponse({"error": "forbidden"}, status=403)
        return JsonResponse({"status": batch.status, "status_label": batch.get_status_display(),
                             "requests_sent": batch.requests_sent, "last_error": batch.last_error,
                             "counts": batch_counts(batch)})

    def new_batch_view(self, request):
        """From the dashboard: a batch of every approved item of one collection that no active batch holds."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not batch_services.can_manage_batches(request.user, "create"):
            raise PermissionDenied
        collection = object_or_404(Collection, request.POST.get("collection") or 0)
        item_ids = list(items_ready_to_push(collection.pk).values_list("pk", flat=True))
        try:
            batch = batch_services.batch_create(collection=collection, item_ids=item_ids, mode=PushBatch.Mode.STAGE,
                                                actor=request.user)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:index"))
        self.message_user(request, ngettext(
            "Created %(batch)s with %(n)d approved item. Check the settings and the pre-flight, then queue it.",
            "Created %(batch)s with %(n)d approved items. Check the settings and the pre-flight, then queue it.",
            len(item_ids)) % {"batch": batch, "n": len(item_ids)}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk]))

    def verb_view(self, request, batch_id, verb):
        if request.method != "POST" or verb not in ("queue", "cancel", "retry"):
            return HttpResponseNotAllowed(["POST"])
        batch_id = object_or_404(PushBatch, batch_id).pk
        url = reverse("admin:stagingapp_pushbatch_change", args=[batch_id])
        try:
            if verb == "queue":
                batch = get_object_or_404(PushBatch, pk=batch_id)
                shown = request.POST.get("page_mode")
                if shown and shown != batch.mode:
                    # The page's Mode was changed but not saved; queueing the saved one would surprise the publisher.
                    self.message_user(request, _(
                        "Nothing was queued: Mode on the page is %(shown)s but the saved batch says %(saved)s. "
                        "Save the settings first; Queue always uses the saved settings.") % {
                        "shown": PushBatch.Mode(shown).label if shown in PushBatch.Mode.values else shown,
                        "saved": batch.get_mode_display()}, messages.ERROR)
                    return HttpResponseRedirect(url)
                batch = batch_services.batch_queue(batch_id=batch_id, actor=request.user)
                self.message_user(request, _("Queued %(batch)s: %(estimate)s.") % {
                    "batch": batch, "estimate": estimate_sentence(batch.estimate)}, messages.SUCCESS)
            elif verb == "cancel":
                batch = batch_services.batch_cancel(batch_id=batch_id, actor=request.user)
                self.message_user(request, cancel_message(batch))
            else:
                retry, skipped = batch_services.batch_retry_failed(batch_id=batch_id, actor=request.user, queue=False)
                self.message_user(request, retry_message(retry))
                for reason in skipped:
                    self.message_user(request, reason, messages.WARNING)
                url = reverse("admin:stagingapp_pushbatch_change", args=[retry.pk])
        except PreflightFailed as exc:
            self.message_user(request, _("Nothing was queued: the pre-flight found problems."), messages.ERROR)
            for problem in exc.problems[:50]:
                self.message_user(request, str(problem), messages.ERROR)
        except StagingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(url)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="progress")
    def progress(self, obj):
        counts = getattr(obj, "entry_counts", None) or batch_counts(obj)
        bar = render_to_string("admin/stagingapp/includes/progress.html", {"counts": counts})
        return format_html('<div class="sa-list-progress">{}<span class="sa-muted">{}</span></div>', bar,
                           progress_text(counts))

    @admin.action(description=_("Queue selected batches (after pre-flight)"), permissions=["queue"])
    def queue_selected(self, request, queryset):
        queued = 0
        for batch in queryset.order_by("pk"):
            try:
                batch_services.batch_queue(batch_id=batch.pk, actor=request.user)
                queued += 1
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if queued:
            self.message_user(request, ngettext("Queued %d batch.", "Queued %d batches.", queued) % queued)

    @admin.action(description=_("Cancel selected batches"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                self.message_user(request, cancel_message(
                    batch_services.batch_cancel(batch_id=batch.pk, actor=request.user)))
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Retry the failed items of selected batches"), permissions=["retry"])
    def retry_failed_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                retry, skipped = batch_services.batch_retry_failed(batch_id=batch.pk, actor=request.user, queue=False)
                self.message_user(request, retry_message(retry))
                for reason in skipped:
                    self.message_user(request, reason, messages.WARNING)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)


def progress_text(counts: dict) -> str:
    parts = [f"{counts['done']} done"]
    parts += [f"{counts[key]} {label}" for key, label in (("failed", "failed"), ("cancelled", "cancelled"))
              if counts[key]]
    return f"{', '.join(parts)} of {counts['total']}"


def cancel_message(batch) -> str:
    if batch.cancel_requested and batch.status != PushBatch.Status.CANCELLED:
        return f"Asked the worker to stop {batch}; items already sent stay in Webflow."
    return f"Cancelled {batch}; nothing more will be sent."


def retry_message(retry) -> str:
    n = retry.entries.count()
    return (f"Created {retry} with the {n} failed item{'s' if n != 1 else ''} that can go again. "
            "Check the pre-flight, then queue it.")


class PushItemAdminMixin:
    """For DraftItemAdmin: make a batch from selected approved items, and show the item's Webflow IDs."""

    @admin.action(description=_("Create a push batch from selected approved items"), permissions=["create_batch"])
    def create_push_batch(self, request, queryset):
        collections = set(queryset.values_list("collection_id", flat=True))
        if len(collections) != 1:
            return self.message_user(request, _("Select items of exactly one collection."), messages.ERROR)
        try:
            batch = batch_services.batch_create(
                collection=queryset.first().collection, item_ids=list(queryset.values_list("pk", flat=True)),
                mode=PushBatch.Mode.STAGE, actor=request.user,
            )
        except StagingError as exc:
            return self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, _("Created %(batch)s. Check the settings and the pre-flight, then queue it.")
                          % {"batch": batch})
        return HttpResponseRedirect(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk]))

    def has_create_batch_permission(self, request):
        return batch_services.can_manage_batches(request.user, "create")

    @admin.display(description="Webflow IDs (per locale)")
    def webflow_ids(self, obj):
        return webflow_ids_table(obj)
