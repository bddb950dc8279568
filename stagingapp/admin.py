"""Admin: the editors' home. ModelAdmins only call services and report; rules live in services and models."""
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from .exceptions import StagingError
from .models import Collection, DraftItem, DraftTranslation, LocaleMapping, Site
from .services import sync

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
    actions = ["sync_locales_from_webflow"]

    @admin.action(description="Sync locales from Webflow", permissions=["change"])
    def sync_locales_from_webflow(self, request, queryset):
        for site in queryset:
            try:
                result = sync.site_sync_locales(site_webflow_id=site.webflow_id, actor=request.user)
            except StagingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "webflow_id", "field_count", "schema_synced_at"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["name", "webflow_id", "slug"]
    readonly_fields = ["schema_synced_at", "created_at", "updated_at"]
    actions = ["sync_fields_from_webflow"]

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


@admin.register(LocaleMapping)
class LocaleMappingAdmin(SimpleHistoryAdmin):
    list_display = ["tag", "display_name", "site", "cms_locale_id", "is_primary", "is_enabled"]
    list_filter = ["site", "is_primary", "is_enabled"]
    list_select_related = ["site"]
    search_fields = ["tag", "display_name", "cms_locale_id"]


class DraftTranslationInline(admin.StackedInline):
    model = DraftTranslation
    extra = 0
    fields = ["locale", "name", "slug", "field_data"]
    autocomplete_fields = []


@admin.register(DraftItem)
class DraftItemAdmin(SimpleHistoryAdmin):
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
class DraftTranslationAdmin(SimpleHistoryAdmin):
    list_display = ["item", "locale", "name", "last_edited_by", "updated_at"]
    list_filter = ["locale", "item__collection", "last_edited_by"]
    list_select_related = ["item", "locale", "last_edited_by"]
    search_fields = ["item__name", "item__slug", "name"]
