"""The audit history in the admin: read-only, filterable, fast on a million rows, exportable as CSV.

Links other features add to AuditEvent (e.g. a batch foreign key) get an id filter automatically (?batch=<id>, for a
batch's own timeline); their actions go in audit_actions.AUDIT_ACTIONS; the CSV export writes every column.
"""
import csv
import json
from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ..audit_actions import AUDIT_ACTIONS
from ..models import AuditEvent
from ..selectors.audit import audit_search
from ..times import readable_time
from ..webflow.client import EXCERPT_LIMIT
from .display import locale_tag
from .lookups import id_or_none
from .readonly import ReadOnlyAdmin, csv_safe


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows, so a page of a million-row history never waits on a full COUNT(*).

    Pages past the cap are reached by narrowing the filters (date range, actor, item).
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        # COUNT over a LIMITed subquery stops reading at the cap.
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def count_is_capped(self) -> bool:
        return self.count > self.COUNT_CAP


def _id_parameter(raw: str, name: str) -> int:
    """A filter's id from the address; a malformed one is the admin's "invalid filter" (?e=1), not a 500."""
    value = id_or_none(raw)
    if value is None:
        raise IncorrectLookupParameters(f"{name} must be an id")
    return value


class ActorFilter(admin.SimpleListFilter):
    title = _("user")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        # Staff accounts only: the people who can act here, without scanning the audit table for distinct actors.
        users = get_user_model().objects.filter(is_staff=True).order_by("username").only("pk", "username")
        return [(str(user.pk), user.get_username()) for user in users]

    def queryset(self, request, queryset):
        return queryset.filter(actor_id=_id_parameter(self.value(), "actor")) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        prefixes = sorted({name.split(".", 1)[0] for name in AUDIT_ACTIONS})
        return [(f"{prefix}.*", f"{prefix}.* ({_('all')})") for prefix in prefixes] + [
            (name, f"{label} ({name})") for name, label in AUDIT_ACTIONS.items()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.endswith(".*"):
            return queryset.filter(action__startswith=value[:-1])
        return queryset.filter(action=value)


def id_filter(field_name: str, title: str):
    """A filter on `<field_name>_id` that never lists every object (items and batches run to millions);
    it is set by links such as an item's "History timeline" and shows the current choice to clear it."""

    class ObjectIdFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            value = request.GET.get(field_name, "")
            return [(value, f"#{value}")] if value else []

        def has_output(self):
            return bool(self.value())

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            return queryset.filter(**{f"{field_name}_id": _id_parameter(self.value(), field_name)})

    ObjectIdFilter.title = title
    ObjectIdFilter.__name__ = f"{field_name.title()}IdFilter"
    return ObjectIdFilter


class DateRangeFilter(admin.ListFilter):
    """created_at between two dates (both inclusive), typed as YYYY-MM-DD in two inputs."""

    title = _("date range")
    template = "admin/stagingapp/auditevent/date_range_filter.html"
    parameter_from = "created_from"
    parameter_to = "created_to"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in (self.parameter_from, self.parameter_to):
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_from, self.parameter_to]

    def _day_start(self, value: str) -> datetime:
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{value!r} is not a date (YYYY-MM-DD)") from exc
        return timezone.make_aware(datetime.combine(day, time.min))

    def queryset(self, request, queryset):
        start = self.used_parameters.get(self.parameter_from)
        end = self.used_parameters.get(self.parameter_to)
        if start:
            queryset = queryset.filter(created_at__gte=self._day_start(start))
        if end:
            queryset = queryset.filter(created_at__lt=self._day_start(end) + timedelta(days=1))
        return queryset

    def choices(self, changelist):
        others = {
            key: values[-1] if isinstance(values, list) else values
            for key, values in changelist.get_filters_params().items()
            if key not in self.expected_parameters()
        }
        yield {
            "from": self.used_parameters.get(self.parameter_from, ""),
            "to": self.used_parameters.get(self.parameter_to, ""),
            "parameter_from": self.parameter_from,
            "parameter_to": self.parameter_to,
            "others": others,
            "clear_url": changelist.get_query_string(remove=self.expected_parameters()),
        }


def _extra_link_filters() -> list:
    """An id filter (?<name>=<id>) for each link other features add to AuditEvent (e.g. batch), so their
    timelines work without editing this admin."""
    known = {"actor", "item", "collection", "locale"}
    return [
        id_filter(field.name, field.verbose_name)
        for field in AuditEvent._meta.concrete_fields
        if field.is_relation and field.name not in known
    ]


class _Echo:
    def write(self, value):
        return value


class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["when", "actor_label", "action_text", "object_link", "collection", "locale_tag", "short_message"]
    list_filter = [
        ActorFilter, ActionFilter, DateRangeFilter, "collection", id_filter("item", _("item")), "locale",
        *_extra_link_filters(),
    ]
    list_select_related = ["collection", "locale"]
    # Searched as one text on one trigram index (selectors.audit, migration 0017); actions have a filter.
    search_fields = ["object_repr", "message", "actor_label"]
    ordering = ["-created_at", "-pk"]
    sortable_by = []  # only the indexed order; sorting a million rows by another column is a full scan
    list_per_page = 100
    show_full_result_count = False
    plural_count_label = "audit entries"  # the model's plural is the menu's title, "audit history"
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    change_list_template = "admin/stagingapp/auditevent/change_list.html"
    # One "Actor" (the readable label, kept even when the user is deleted), labels instead of action codes.
    fields = ["when", "actor_label", "action_text", "object_link", "collection", "locale", "batch_link", "message",
              "item_timeline", "changes_table", "data_pretty"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return audit_search(queryset, search_term), False

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export_csv"
        return [
            path("export-csv/", self.admin_site.admin_view(self.export_csv_view), name=name),
            *super().get_urls(),
        ]

    @admin.display(description=_("when"), ordering="created_at")
    def when(self, obj):
        return format_html('<time datetime="{}">{}</time>', obj.created_at.isoformat(), readable_time(obj.created_at))

    @admin.display(description=_("action"))
    def action_text(self, obj):
        return format_html('<span title="{}">{}</span>', obj.action, AUDIT_ACTIONS.get(obj.action, obj.action))

    @admin.display(description=_("locale"))
    def locale_tag(self, obj):
        return locale_tag(obj.locale)  # None when the entry names no locale (select_related: no query)

    @admin.display(description=_("batch"))
    def batch_link(self, obj):
        if not obj.batch_id:
            return "-"
        url = reverse("admin:stagingapp_pushbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, _("Batch #%(id)s") % {"id": obj.batch_id})

    @admin.display(description=_("object"))
    def object_link(self, obj):
        if obj.item_id:
            url = reverse("admin:stagingapp_draftitem_change", args=[obj.item_id])
            return format_html('<a href="{}">{}</a>', url, obj.object_repr or f"#{obj.item_id}")
        return obj.object_repr

    @admin.display(description=_("message"))
    def short_message(self, obj):
        return obj.message if len(obj.message) <= 120 else obj.message[:119] + "…"

    @admin.display(description=_("timeline"))
    def item_timeline(self, obj):
        if not obj.item_id:
            return "-"
        url = reverse("admin:stagingapp_auditevent_changelist") + "?" + urlencode({"item": obj.item_id})
        return format_html('<a href="{}">{}</a>', url, _("Everything that happened to this item"))

    @admin.display(description=_("changes"))
    def changes_table(self, obj):
        changes = (obj.data or {}).get("changes") or []
        if not changes:
            return "-"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((c.get("field"), _json(c.get("old")), _json(c.get("new"))) for c in changes),
        )
        return format_html(
            '<table class="sa-table"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("field"), _("before"), _("after"), rows,
        )

    @admin.display(description=_("details (request, response, IDs)"))
    def data_pretty(self, obj):
        """The entry's data; a Webflow exchange's request and response bodies each in a block of their own,
        indented when they are whole JSON (they were strings inside the data, every quote escaped)."""
        data = dict(obj.data or {})
        bodies = [(label, data.pop(key)) for key, label in EXCHANGE_BODIES if isinstance(data.get(key), str)]
        parts = [format_html('<pre class="sa-json">{}</pre>', json.dumps(data, indent=2, ensure_ascii=False))]
        for label, text in bodies:
            if not text:
                continue
            shown, cut = readable_body(text)
            parts.append(format_html('<p><b>{}</b>{}</p><pre class="sa-json exchange-body">{}</pre>', label,
                                     _(" (its first %(n)s characters)") % {"n": f"{len(text):,}"} if cut else "",
                                     shown))
        return format_html_join("", "{}", ((part,) for part in parts))

    def export_csv_view(self, request):
        """The changelist's current filters and search, streamed row by row as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters as exc:
            return HttpResponseBadRequest(f"These filters cannot be exported: {exc}", content_type="text/plain")
        columns = [field.attname for field in AuditEvent._meta.concrete_fields]
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(columns)
            for values in queryset.values_list(*columns).iterator(chunk_size=2000):
                yield writer.writerow([csv_safe(value) for value in values])

        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return StreamingHttpResponse(
            rows(), content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
        )


# The bodies a push.request entry keeps (webflow.client, EXCERPT_LIMIT characters each), shown apart from the rest.
EXCHANGE_BODIES = (("request_excerpt", _("Request body")), ("response_excerpt", _("Response body")))


def readable_body(text: str) -> tuple[str, bool]:
    """(the body to show, whether it was cut): whole JSON indented with its characters as they are; a body cut
    at the excerpt limit, or not JSON, as it was sent."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), False
    except ValueError:
        return text, len(text) >= EXCERPT_LIMIT


def _json(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
