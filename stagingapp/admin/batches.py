"""Push batches in the admin: pre-flight, preview, queue/cancel/retry, live progress, and Webflow IDs per item."""
import json

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..exceptions import PreflightFailed, StagingError
from ..models import BatchItem, PushBatch
from ..selectors import batch_counts
from ..services import batches as batch_services
from ..services.push.preflight import batch_preflight_report
from ..services.push.preview import batch_preview
from .lookups import object_or_404

BADGE_COLOURS = {
    "pending": "#6c757d", "queued": "#0d6efd", "running": "#fd7e14", "succeeded": "#198754",
    "partly_failed": "#d63384", "failed": "#dc3545", "cancelled": "#495057",
    "in_flight": "#fd7e14", "sent": "#0dcaf0", "done": "#198754",
}


def status_badge(value: str, label: str):
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;font-size:11px">{}</span>',
        BADGE_COLOURS.get(value, "#6c757d"), label,
    )


@admin.display(description="Webflow IDs (per locale)")
def webflow_ids_table(obj):
    """Every ID Webflow returned for the item, per locale, with its timestamps (read-only)."""
    refs = list(obj.webflow_refs.select_related("locale", "last_batch")) if obj and obj.pk else []
    if not refs:
        return "Not in Webflow yet."
    rows = [
        (ref.locale.tag, ref.webflow_item_id, ref.cms_locale_id, ref.slug, ref.created_on or "—",
         ref.last_updated or "—", ref.last_published or "—", "yes" if ref.is_published else "no",
         ref.last_batch or "—")
        for ref in refs
    ]
    header = ("locale", "item ID", "cmsLocaleId", "slug", "created", "updated", "published", "live", "batch")
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((h,) for h in header)),
        format_html_join("", "<tr>" + "<td>{}</td>" * len(header) + "</tr>", rows),
    )


class BatchItemInline(admin.TabularInline):
    model = BatchItem
    extra = 0
    can_delete = False
    fields = ["item", "status_badge", "reason", "field", "attempts", "webflow_ids"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item").prefetch_related("item__webflow_refs__locale")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Webflow IDs")
    def webflow_ids(self, obj):
        refs = list(obj.item.webflow_refs.all())
        if not refs:
            return "—"
        return format_html("<br>".join(["{}"] * len(refs)),
                           *[f"{ref.locale.tag}: {ref.webflow_item_id} ({ref.cms_locale_id})" for ref in refs])


class PushBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status_badge", "mode", "progress", "created_by", "created_at", "scheduled_for",
                    "finished_at"]
    list_filter = ["status", "mode", "collection"]
    list_select_related = ["collection", "created_by"]
    search_fields = ["pk", "collection__name", "last_error"]
    filter_horizontal = ["locales"]
    readonly_fields = ["collection", "status", "created_by", "created_at", "queued_at", "started_at", "finished_at",
                       "claimed_by", "heartbeat_at", "cancel_requested", "last_error", "retry_of", "estimate",
                       "requests_sent"]
    fields = ["collection", "mode", "locales", "scheduled_for", *readonly_fields[1:]]
    inlines = [BatchItemInline]
    actions = ["queue_selected", "cancel_selected", "retry_failed_selected"]
    change_form_template = "admin/stagingapp/pushbatch/change_form.html"

    def has_add_permission(self, request):
        return False  # batches are made from selected approved items (draft item list → action)

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
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = object_or_404(PushBatch.objects.select_related("collection"), object_id)
        extra = extra_context or {}
        extra["counts"] = batch_counts(batch)
        extra["progress_url"] = reverse("admin:stagingapp_pushbatch_progress", args=[batch.pk])
        extra["do_url"] = reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "VERB"])
        extra["batch"] = batch
        extra["history_timeline_url"] = reverse("admin:stagingapp_auditevent_changelist") + f"?batch={batch.pk}"
        extra["badge"] = status_badge(batch.status, batch.get_status_display())
        if batch.status == PushBatch.Status.PENDING:
            report = batch_preflight_report(batch)
            extra["preflight"] = report
            extra["preview"] = [
                {**request_, "json": json.dumps(request_["body"], indent=2, ensure_ascii=False)}
                for request_ in batch_preview(batch, max_requests=2)
            ]
        extra["can_queue"] = batch.status == PushBatch.Status.PENDING and self.has_queue_permission(request)
        extra["can_cancel"] = batch.status in PushBatch.ACTIVE_STATUSES and self.has_cancel_permission(request)
        extra["can_retry"] = (batch.status in PushBatch.FINISHED_STATUSES and extra["counts"]["failed"]
                              and self.has_retry_permission(request))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def progress_view(self, request, batch_id):
        batch = object_or_404(PushBatch, batch_id)
        if not self.has_view_permission(request, batch):
            return JsonResponse({"error": "forbidden"}, status=403)
        return JsonResponse({"status": batch.status, "status_label": batch.get_status_display(),
                             "requests_sent": batch.requests_sent, "last_error": batch.last_error,
                             "counts": batch_counts(batch)})

    def verb_view(self, request, batch_id, verb):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        batch_id = object_or_404(PushBatch, batch_id).pk
        url = reverse("admin:stagingapp_pushbatch_change", args=[batch_id])
        try:
            if verb == "queue":
                batch = batch_services.batch_queue(batch_id=batch_id, actor=request.user)
                self.message_user(request, _("%(batch)s queued: about %(requests)s requests, %(minutes)s minutes.")
                                  % {"batch": batch, **batch.estimate})
            elif verb == "cancel":
                batch = batch_services.batch_cancel(batch_id=batch_id, actor=request.user)
                self.message_user(request, _("%(batch)s: %(status)s.") % {
                    "batch": batch, "status": "cancel requested" if batch.cancel_requested else "cancelled"})
            elif verb == "retry":
                retry, skipped = batch_services.batch_retry_failed(batch_id=batch_id, actor=request.user)
                self.message_user(request, _("%(batch)s queued with the failed items.") % {"batch": retry})
                for reason in skipped:
                    self.message_user(request, reason, messages.WARNING)
                url = reverse("admin:stagingapp_pushbatch_change", args=[retry.pk])
            else:
                return HttpResponseNotAllowed(["POST"])
        except PreflightFailed as exc:
            self.message_user(request, _("Pre-flight failed; nothing was queued."), messages.ERROR)
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
        counts = batch_counts(obj)
        return f"{counts['done']} done, {counts['failed']} failed / {counts['total']}"

    @admin.action(description=_("Queue selected batches (after pre-flight)"), permissions=["queue"])
    def queue_selected(self, request, queryset):
        queued = 0
        for batch in queryset.order_by("pk"):
            try:
                batch_services.batch_queue(batch_id=batch.pk, actor=request.user)
                queued += 1
            except PreflightFailed as exc:
                self.message_user(request, str(exc), messages.ERROR)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if queued:
            self.message_user(request, ngettext("%d batch queued.", "%d batches queued.", queued) % queued)

    @admin.action(description=_("Cancel selected batches"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                batch = batch_services.batch_cancel(batch_id=batch.pk, actor=request.user)
                self.message_user(request, _("%(batch)s: %(status)s.") % {
                    "batch": batch, "status": "cancel requested" if batch.cancel_requested else "cancelled"})
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Retry the failed items of selected batches"), permissions=["retry"])
    def retry_failed_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                retry, skipped = batch_services.batch_retry_failed(batch_id=batch.pk, actor=request.user)
                self.message_user(request, _("%(batch)s queued with the failed items.") % {"batch": retry})
                for reason in skipped:
                    self.message_user(request, reason, messages.WARNING)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)


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
        self.message_user(request, _("%(batch)s created; check the pre-flight, pick the mode, then queue it.")
                          % {"batch": batch})
        return HttpResponseRedirect(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk]))

    def has_create_batch_permission(self, request):
        return batch_services.can_manage_batches(request.user, "create")

    @admin.display(description="Webflow IDs (per locale)")
    def webflow_ids(self, obj):
        return webflow_ids_table(obj)
