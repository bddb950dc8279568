"""Admin for the Webflow side's configuration: sites, their locale mappings and collections."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline

from ..exceptions import StagingError
from ..models import LocaleMapping
from ..services import sync
from ..validators import is_canonical_webflow_id
from .display import collection_fields_table
from .drift import verify_collections
from .forms import LocaleMappingForm, LocaleMappingInlineFormSet
from .guard import UnsavedChangesGuardMixin
from .object_actions import ObjectActionsMixin
from .sync import pull_from_webflow
from .timeline import AuditTimelineMixin
from .versions import ReadableVersionsMixin


def warn_unless_canonical_id(model_admin, request, obj, value: str, label: str):
    # 24-hex is only a soft rule (validators.py): the value is saved, but a likely copy-paste slip is pointed out.
    if not is_canonical_webflow_id(value):
        model_admin.message_user(request, (
            f"{obj}: the {label} '{value}' is not 24 hex characters (0-9, a-f), as real Webflow IDs are. It was "
            "saved; check that the whole ID was copied."), messages.WARNING)


class LocaleMappingInline(TabularInline):
    model = LocaleMapping
    formset = LocaleMappingInlineFormSet
    extra = 0
    fields = ["tag", "display_name", "cms_locale_id", "is_primary", "is_enabled"]


class SiteAdmin(UnsavedChangesGuardMixin, ObjectActionsMixin, AuditTimelineMixin, ModelAdmin):
    list_display = ["name", "webflow_id", "locales_synced_at"]
    search_fields = ["name", "webflow_id"]
    readonly_fields = ["locales_synced_at", "created_at", "updated_at"]
    inlines = [LocaleMappingInline]
    actions = ["sync_locales_from_webflow"]
    object_actions = ("sync_locales_from_webflow",)

    @admin.action(description="Sync locales from Webflow", permissions=["change"])
    def sync_locales_from_webflow(self, request, queryset):
        for site in queryset:
            try:
                result = sync.site_sync_locales(site_webflow_id=site.webflow_id, actor=request.user)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_unless_canonical_id(self, request, obj, obj.webflow_id, "Webflow site ID")

    def save_formset(self, request, form, formset, change):
        if formset.model is not LocaleMapping:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        # The one-primary constraint is checked row by row: clear the old primary before setting the new one.
        for instance in sorted(instances, key=lambda locale: locale.is_primary):
            instance.save()
            warn_unless_canonical_id(self, request, instance, instance.cms_locale_id, "CMS locale ID")
        formset.save_m2m()


class CollectionAdmin(UnsavedChangesGuardMixin, ObjectActionsMixin, AuditTimelineMixin, ModelAdmin):
    list_display = ["name", "site", "webflow_id", "field_count", "schema_synced_at"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["name", "webflow_id", "slug"]
    readonly_fields = ["fields_in_webflow", "schema_synced_at", "created_at", "updated_at"]
    actions = ["sync_fields_from_webflow", pull_from_webflow, verify_collections]
    object_actions = ("sync_fields_from_webflow", "pull_from_webflow", "verify_collections")

    history_button = True

    def audit_timeline_filter(self, obj):
        return {"collection": obj.pk}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_unless_canonical_id(self, request, obj, obj.webflow_id, "Webflow collection ID")

    @admin.display(description="Fields in Webflow")
    def fields_in_webflow(self, obj):
        return collection_fields_table(obj)

    @admin.display(description="fields")
    def field_count(self, obj):
        return len(obj.fields_schema or [])

    @admin.action(description="Sync fields from Webflow", permissions=["change"])
    def sync_fields_from_webflow(self, request, queryset):
        for collection in queryset:
            try:
                result = sync.collection_sync_schema(collection_webflow_id=collection.webflow_id,
                                                     actor=request.user)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)


class LocaleMappingAdmin(UnsavedChangesGuardMixin, ReadableVersionsMixin, SimpleHistoryAdmin, ModelAdmin):
    # Short headings for the two ticks: the fields' own labels ("Enabled for pushes"), with the sort marks beside
    # them, made the list scroll sideways in a 1280-px window.
    list_display = ["tag", "display_name", "site", "cms_locale_id", "primary", "enabled"]
    list_filter = ["site", "is_primary", "is_enabled"]
    list_select_related = ["site"]
    search_fields = ["tag", "display_name", "cms_locale_id"]
    form = LocaleMappingForm

    @admin.display(description="Primary", boolean=True, ordering="is_primary")
    def primary(self, obj):
        return obj.is_primary

    @admin.display(description="Enabled", boolean=True, ordering="is_enabled")
    def enabled(self, obj):
        return obj.is_enabled

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_unless_canonical_id(self, request, obj, obj.cms_locale_id, "CMS locale ID")
        if not LocaleMapping.objects.filter(site_id=obj.site_id, is_primary=True).exists():
            # Allowed for a moment (the primary may be moving to another locale), but pushes need one.
            self.message_user(request, (
                f"{obj.site} has no primary locale now. Tick 'primary locale' on the site's default language "
                "before pushing."), messages.WARNING)
