"""Drift reports in the admin: runs with their counts and cost, findings filterable by kind, CSV export."""
import csv

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ..exceptions import StagingError
from ..models import DriftFinding, DriftRun
from ..services import drift as drift_services
from ..services import overwrite_guard
from .display import HINT_LINK_CLASSES, webflow_comparison_rows
from .readonly import ReadOnlyAdmin, csv_safe

CSV_HEADER = ["run", "run started", "collection", "kind", "item", "locale", "Webflow item ID", "slug", "detail",
              "diff"]


def _verify(model_admin, request, collection_id: int, batch_id: int | None = None):
    try:
        run = drift_services.collection_verify(collection_id=collection_id, batch_id=batch_id, actor=request.user,
                                               trigger=DriftRun.Trigger.ADMIN)
    except StagingError as exc:
        return model_admin.message_user(request, str(exc), messages.ERROR)
    if run.status == DriftRun.Status.FAILED:
        return model_admin.message_user(request, run.error, messages.ERROR)
    url = reverse("admin:stagingapp_driftfinding_changelist") + f"?run__id__exact={run.pk}"
    drifted = sum(count for kind, count in run.counts.items() if kind != DriftFinding.Kind.IN_SYNC)
    model_admin.message_user(request, format_html('{} <a href="{}">See the findings</a>.',
                                                  drift_services.run_summary(run), url),
                             messages.WARNING if drifted else messages.SUCCESS)


@admin.action(description="Verify against Webflow (drift report)", permissions=["view"])
def verify_collections(model_admin, request, queryset):
    for collection in queryset:
        _verify(model_admin, request, collection.pk)


@admin.action(description="Verify the batch's items against Webflow (drift report)", permissions=["view"])
def verify_batches(model_admin, request, queryset):
    for batch in queryset:
        _verify(model_admin, request, batch.collection_id, batch.pk)


@admin.action(description="Confirm overwriting the Webflow changes flagged in pre-flight", permissions=["queue"])
def confirm_overwrites(model_admin, request, queryset):
    for batch in queryset:
        try:
            items = overwrite_guard.batch_confirm_overwrite(batch_id=batch.pk, actor=request.user)
        except StagingError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            continue
        names = ", ".join(item.name for item in items) or "nothing was flagged"
        model_admin.message_user(request, f"{batch}: overwrite confirmed for {names}.")


def findings_csv(findings, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for f in findings.select_related("run__collection", "item", "locale").order_by("run_id", "pk").iterator():
        values = [f.run_id, timezone.localtime(f.run.started_at).isoformat(), f.run.collection.name,
                  f.get_kind_display(), f.item.name if f.item else "", f.locale.tag if f.locale else "",
                  f.webflow_item_id, f.slug, f.detail, f.diff or ""]
        writer.writerow([csv_safe(value) for value in values])
    return response


def no_report_yet():
    """What the empty report and finding lists say before the first report (templates/unfold/helpers/empty_results)."""
    minutes = settings.WEBFLOW_VERIFY_INTERVAL_MINUTES
    schedule = (f" Collections with items in Webflow are also verified every {minutes:g} minutes."
                if minutes > 0 else "")
    return format_html(
        'No drift report yet. A report compares what Webflow holds with the drafts: open a <a class="{}" '
        'href="{}">collection</a> and choose Verify (or select collections and choose "{}").{}',
        HINT_LINK_CLASSES, reverse("admin:stagingapp_collection_changelist"),
        verify_collections.short_description, schedule)


class DriftRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "collection", "batch", "trigger", "status", "started_at", "requests", "summary",
                    "findings_link"]
    list_filter = ["status", "trigger", "collection"]
    list_select_related = ["collection", "batch"]
    readonly_fields = ["collection", "batch", "trigger", "status", "actor", "started_at", "finished_at",
                       "requests", "summary", "error", "findings_link"]
    fields = readonly_fields  # only these: the raw `counts` JSON came first, above its readable "Counts" row
    actions = ["export_csv"]

    def empty_list_hint(self):
        return no_report_yet()

    @admin.display(description="counts")
    def summary(self, obj):
        labels = dict(DriftFinding.Kind.choices)
        return ", ".join(f"{labels.get(kind, kind)}: {count}" for kind, count in sorted(obj.counts.items())) or "—"

    @admin.display(description="findings")
    def findings_link(self, obj):
        total = sum(obj.counts.values())
        if not total:
            return "—"
        url = reverse("admin:stagingapp_driftfinding_changelist") + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">{} finding{}</a>', url, total, "" if total == 1 else "s")

    @admin.action(description="Export the findings of the selected reports as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return findings_csv(DriftFinding.objects.filter(run__in=queryset), "drift-reports.csv")


class DriftFindingAdmin(ReadOnlyAdmin):
    list_display = ["kind", "item", "locale", "slug", "webflow_item_id", "detail", "run"]
    list_filter = ["kind", "run__collection", "run"]
    list_select_related = ["item", "locale", "run__collection"]
    search_fields = ["slug", "webflow_item_id", "item__name"]
    readonly_fields = ["run", "kind", "item", "locale", "webflow_item_id", "slug", "detail", "differences"]
    fields = readonly_fields
    actions = ["export_csv"]

    def empty_list_hint(self):
        if DriftRun.objects.exists():  # a report lists every item it compares, in sync or not
            return format_html(
                'No findings: the drift reports so far compared no items (each <a class="{}" href="{}">report</a> '
                "says what it read, or why it failed).", HINT_LINK_CLASSES,
                reverse("admin:stagingapp_driftrun_changelist"))
        return no_report_yet()

    @admin.display(description="differences")
    def differences(self, obj):
        """What differs, field by field in the collection's labels: ours beside Webflow's (the diff's raw JSON
        stays in the CSV export)."""
        diff = obj.diff or {}
        if not diff:
            return "—"
        ours = {key: pair.get("ours") for key, pair in diff.items()}
        theirs = {key: pair.get("webflow") for key, pair in diff.items()}
        rows = [(label, mine, webflow) for label, mine, webflow, _ in
                webflow_comparison_rows(obj.run.collection, ours, theirs)]
        return format_html(
            '<div class="sa-scroll" tabindex="0"><table class="sa-table" id="finding-differences"><thead><tr>'
            "<th>Field</th><th>Ours</th><th>Webflow</th></tr></thead><tbody>{}</tbody></table></div>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows))

    @admin.action(description="Export selected findings as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return findings_csv(queryset, "drift-findings.csv")
