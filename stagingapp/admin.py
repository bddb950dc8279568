"""Admin: the editors' home. ModelAdmins only call services and report; rules live in services and models."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import admin_audit  # noqa: F401  (registers the audit history admin)
from .admin_workflow import LockedItemInlineMixin, TranslationLockAdminMixin, WorkflowItemAdminMixin
from .models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site

admin.site.site_header = "Webflow content staging"
admin.site.site_title = "Content staging"
admin.site.index_title = "Drafts, reviews and pushes"


class LocaleMappingInline(admin.TabularInline):
    model = LocaleMapping
    extra = 0
    fields = ["tag", "display_name", "cms_locale_id", "is_primary", "is_enabled"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "webflow_id", "locales_synced_at"]
    search_fields = ["name", "webflow_id"]
    readonly_fields = ["locales_synced_at", "created_at", "updated_at"]
    inlines = [LocaleMappingInline]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "webflow_id", "field_count", "schema_synced_at"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["name", "webflow_id", "slug"]
    readonly_fields = ["schema_synced_at", "created_at", "updated_at"]

    @admin.display(description="fields")
    def field_count(self, obj):
        return len(obj.fields_schema or [])


@admin.register(LocaleMapping)
class LocaleMappingAdmin(SimpleHistoryAdmin):
    list_display = ["tag", "display_name", "site", "cms_locale_id", "is_primary", "is_enabled"]
    list_filter = ["site", "is_primary", "is_enabled"]
    list_select_related = ["site"]
    search_fields = ["tag", "display_name", "cms_locale_id"]


class DraftTranslationInline(LockedItemInlineMixin, admin.StackedInline):
    model = DraftTranslation
    extra = 0
    fields = ["locale", "name", "slug", "field_data"]
    autocomplete_fields = []


@admin.register(DraftItem)
class DraftItemAdmin(WorkflowItemAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "slug", "collection", "status", "last_edited_by", "updated_at"]
    list_filter = ["status", "collection", "translations__locale", "last_edited_by"]
    list_select_related = ["collection", "last_edited_by"]
    search_fields = ["name", "slug"]
    readonly_fields = ["status", "status_reason", "created_by", "last_edited_by", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DraftTranslationInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            instance.last_edited_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(DraftTranslation)
class DraftTranslationAdmin(TranslationLockAdminMixin, SimpleHistoryAdmin):
    list_display = ["item", "locale", "name", "last_edited_by", "updated_at"]
    list_filter = ["locale", "item__collection", "last_edited_by"]
    list_select_related = ["item", "locale", "last_edited_by"]
    search_fields = ["item__name", "item__slug", "name"]
