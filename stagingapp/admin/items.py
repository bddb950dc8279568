"""Admin for draft items and their translations: editing, import, and the workflow and push mixins."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, StackedInline

from ..models import Collection, DraftItem, DraftTranslation
from ..schema import SCHEMA_NOT_SYNCED_WARNING, schema_is_synced
from .batches import PushItemAdminMixin, status_badge
from .bulk import BulkReviewAdminMixin
from .csp import CspNonceMediaMixin
from .display import field_values_table, locale_tag, person_link
from .forms import (
    FIELD_PREFIX,
    LOADED_FIELD,
    MARKER_FIELD,
    DraftItemForm,
    DraftTranslationForm,
    schema_input_names,
    sole_collection,
)
from .guard import UnsavedChangesGuardMixin
from .imports import ImportAdminMixin
from .lookups import id_or_none
from .removal import RemovalAdminMixin
from .revert import HistoryRevertAdminMixin
from .review import LockedItemInlineMixin, TranslationLockAdminMixin, WorkflowItemAdminMixin
from .versions import ReadableVersionsMixin


def collection_for_form(request, item=None):
    """The collection whose inputs a DraftItem page shows: what was posted, else the item's, else ?collection=,
    else the only collection there is (DraftItemForm preselects it the same way)."""
    if request.method == "POST":
        raw = request.POST.get("collection")
    elif item is not None and item.collection_id:
        return item.collection
    else:
        raw = request.GET.get("collection")
        if not raw:
            return sole_collection()
    pk = id_or_none(raw)
    return Collection.objects.filter(pk=pk).first() if pk else None


def model_fields_only(fields):
    # Schema inputs are added by the form itself, and read-only views show values through display methods:
    # modelform_factory must only see real model fields.
    return [f for f in fields if not f.startswith(FIELD_PREFIX)
            and f not in (MARKER_FIELD, LOADED_FIELD, "field_values")]


@admin.display(description="field values")
def field_values(obj):
    """For whoever may not edit: each stored value by its field's label, not the JSON (the item's or a translation's,
    whose own values are those that differ from the primary)."""
    item = obj.item if isinstance(obj, DraftTranslation) else obj
    return field_values_table(item.collection, obj.field_data)


class AuthorsMixin:
    """Authors as links to what they did (`person_link`), not to their accounts."""

    @admin.display(description="created by")
    def created_by_person(self, obj):
        return person_link(obj.created_by)

    @admin.display(description="last edited by")
    def last_edited_by_person(self, obj):
        return person_link(obj.last_edited_by)


class DraftTranslationInline(LockedItemInlineMixin, StackedInline):
    model = DraftTranslation
    form = DraftTranslationForm
    extra = 0
    field_values = staticmethod(field_values)

    class Media:
        # One tab per locale instead of stacked blocks at the bottom of a long page.
        js = ["stagingapp/locale_tabs.js"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": ["locale", "name", "slug", "field_values"]})]
        inputs = schema_input_names(collection_for_form(request, obj), partial=True)
        return [(None, {"fields": ["locale", "name", "slug", *inputs, "field_data", MARKER_FIELD]})]

    def get_formset(self, request, obj=None, **kwargs):
        fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = model_fields_only(fields)
        return super().get_formset(request, obj, **kwargs)


class DraftItemAdmin(
    UnsavedChangesGuardMixin, CspNonceMediaMixin, RemovalAdminMixin, HistoryRevertAdminMixin, BulkReviewAdminMixin,
    AuthorsMixin, WorkflowItemAdminMixin, PushItemAdminMixin, ImportAdminMixin, ReadableVersionsMixin,
    SimpleHistoryAdmin, ModelAdmin,
):
    form = DraftItemForm
    actions = [*BulkReviewAdminMixin.actions, "create_push_batch"]
    list_display = ["name", "slug", "collection", "status_badge", "last_edited_by", "updated_at"]
    list_filter = ["status", "collection", "translations__locale", "last_edited_by"]
    list_select_related = ["collection", "last_edited_by"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "status", "status_reason", "created_by_person", "last_edited_by_person", "created_at", "updated_at",
        "webflow_ids",
    ]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DraftTranslationInline]
    field_values = staticmethod(field_values)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())  # a coloured pill, as batches have

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            values = ["field_values"]  # read-only: the stored values by their fields' labels, not as JSON
        else:
            values = [*schema_input_names(collection_for_form(request, obj)), "field_data", MARKER_FIELD]
            if obj is not None:
                values.append(LOADED_FIELD)  # the content as this page showed it (saved-meanwhile check)
        return [
            (None, {"fields": ["collection", "name", "slug"]}),
            ("Field values", {"fields": values}),
            ("Webflow flags", {"fields": ["is_archived", "is_draft"]}),
            # A new item has no status, authors, times or IDs yet: seven rows of "-" on the add page.
            *([("Status", {"fields": self.readonly_fields})] if obj is not None else []),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [f for f in model_fields_only(fields) if f not in self.readonly_fields]
        return super().get_form(request, obj, change, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, DraftTranslationInline):
            kwargs["form_kwargs"] = {"collection": collection_for_form(request, obj), "item": obj}
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        collection = getattr(context.get("adminform") and context["adminform"].form, "collection", None)
        if collection is not None and not schema_is_synced(collection):
            self.message_user(request, f"{collection}: {SCHEMA_NOT_SYNCED_WARNING}", messages.WARNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

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


def collection_for_translation_form(request, translation=None):
    """The collection whose inputs a translation's own page shows: the posted item's, else the translation's."""
    raw = request.POST.get("item") if request.method == "POST" else None
    if raw is None and translation is not None and translation.item_id:
        return translation.item.collection
    raw = raw if raw is not None else request.GET.get("item")
    pk = id_or_none(raw)
    item = DraftItem.objects.select_related("collection").filter(pk=pk).first() if pk else None
    return item.collection if item is not None else None


class DraftTranslationAdmin(
    UnsavedChangesGuardMixin, CspNonceMediaMixin, HistoryRevertAdminMixin, TranslationLockAdminMixin, AuthorsMixin,
    ReadableVersionsMixin, SimpleHistoryAdmin, ModelAdmin,
):
    form = DraftTranslationForm
    list_display = ["item", "locale_tag", "name", "last_edited_by", "updated_at"]
    list_filter = ["locale", "item__collection", "last_edited_by"]
    list_select_related = ["item", "locale", "last_edited_by"]
    search_fields = ["item__name", "item__slug", "name"]
    autocomplete_fields = ["item"]
    readonly_fields = ["last_edited_by_person", "created_at", "updated_at"]

    @admin.display(description="Locale", ordering="locale__tag")
    def locale_tag(self, obj):
        return locale_tag(obj.locale)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            inputs, marker = [], []
        else:
            inputs = schema_input_names(collection_for_translation_form(request, obj), partial=True)
            marker = [MARKER_FIELD]
        return [
            (None, {"fields": ["item", "locale", "name", "slug", *inputs, "field_data", *marker]}),
            ("History", {"fields": self.readonly_fields}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [f for f in model_fields_only(fields) if f not in self.readonly_fields]
        return super().get_form(request, obj, change, **kwargs)

    def get_changeform_initial_data(self, request):
        # Django preselects ?item= from the address, and the item chooser looks the value up as given: one that
        # cannot be an id was a 500. It is now simply not preselected.
        initial = super().get_changeform_initial_data(request)
        if "item" in initial and id_or_none(initial["item"]) is None:
            del initial["item"]
        return initial

    def save_model(self, request, obj, form, change):
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)
