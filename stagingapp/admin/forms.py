"""Admin forms: one input per schema field for items and translations, checked against the collection's schema.

Values the form cannot render (fields of a type it does not know, or keys the schema no longer has) stay editable
as JSON in "Other field values". Invalid input is never thrown away: the editor gets the message next to the
field and their text back.
"""
import datetime as dt
import json

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html
from django.utils.text import capfirst
from unfold.widgets import INPUT_CLASSES, SELECT_CLASSES, TEXTAREA_CLASSES

from ..exceptions import ItemLocked, TranslationRefused
from ..models import Collection, DraftItem, DraftTranslation, LocaleMapping
from ..richtext import sanitize_rich_text
from ..schema import (
    ITEM_COLUMNS,
    NOT_LOCALISABLE_TYPES,
    SCHEMA_NOT_SYNCED_WARNING,
    is_empty,
    normalise_value,
    schema_fields,
    schema_is_synced,
    validate_field_data,
)
from ..schema import clean_field_data as schema_clean_field_data
from ..selectors import item_slug_clashes, reference_labels, translation_slug_clash
from ..services.translations import translation_ensure_allowed
from ..times import readable_time
from ..validators import suggest_slug
from .display import preview_value
from .widgets import (
    ImagePreviewInput,
    ReferenceSelect,
    ReferenceSelectMultiple,
    RichTextWidget,
    reference_choices,
    rich_text_widget,
)

FIELD_PREFIX = "wf__"
MARKER_FIELD = "schema_rendered_for"
# The item's content fingerprint when its page was shown: a save finding another one refuses to overwrite unseen.
LOADED_FIELD = "content_as_loaded"
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
_SWITCH_CHOICES = [("", "— same as primary —"), ("true", "On"), ("false", "Off")]


def form_field_for(schema_field: dict, *, partial: bool = False) -> forms.Field | None:
    """A form input for one schema field, or None when the type is unknown (it stays in the JSON box)."""
    kind = schema_field.get("type")
    validations = schema_field.get("validations") or {}
    if partial and kind in NOT_LOCALISABLE_TYPES:
        return None  # a translation cannot carry it (Webflow cannot localise assets), so offer no input
    required = bool(schema_field.get("isRequired")) and not partial
    common = {"label": schema_field.get("displayName") or schema_field["slug"], "required": required}
    # Admin templates print help text unescaped, and Webflow's helpText is written by site designers.
    help_text = escape(schema_field.get("helpText") or "")
    if kind == "PlainText":
        long_text = not validations.get("singleLine") and (validations.get("maxLength") or 1000) > 256
        widget = forms.Textarea(attrs={"rows": 2}) if long_text else forms.TextInput(attrs={"class": "vTextField"})
        field = forms.CharField(widget=widget, **common)
    elif kind == "RichText":
        field = forms.CharField(widget=rich_text_widget(), **common)
    elif kind == "Number":
        number_class = forms.IntegerField if validations.get("format") == "integer" else forms.DecimalField
        field = number_class(**common)
    elif kind == "Switch":
        field = (forms.ChoiceField(choices=_SWITCH_CHOICES, **common | {"required": False}) if partial
                 else forms.BooleanField(**common | {"required": False}))
    elif kind == "Option":
        options = [(o.get("id"), o.get("name")) for o in validations.get("options") or [] if isinstance(o, dict)]
        blank = "— same as primary —" if partial else "---------"
        field = forms.ChoiceField(choices=[("", blank), *options], **common)
    elif kind == "DateTime":
        field = forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
            input_formats=[DATETIME_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"], **common)
        help_text = help_text or "UTC."
    elif kind == "Email":
        field = forms.EmailField(**common)
    elif kind in ("Reference", "MultiReference") and validations.get("collectionId"):
        field = _reference_field(kind, validations["collectionId"], partial=partial, common=common)
        help_text = help_text or "Search by name. An item not in Webflow yet must be pushed before this one."
    elif kind in ("Phone", "Color", "Reference"):
        field = forms.CharField(widget=forms.TextInput(attrs={"class": "vTextField"}), **common)
        help_text = help_text or {"Color": "Hex like #1a2b3c.", "Reference": "Webflow item ID.", "Phone": ""}[kind]
    elif kind == "Link":
        # A CharField, not URLField: Webflow links may also be mailto: or tel:.
        field = forms.CharField(widget=forms.URLInput(attrs={"class": "vURLField"}), **common)
    elif kind in ("VideoLink", "Image", "File", "ExtFileRef"):
        widget = ImagePreviewInput() if kind == "Image" else forms.URLInput(attrs={"class": "vURLField"})
        field = forms.URLField(assume_scheme="https", widget=widget, **common)
        if kind != "VideoLink":
            help_text = help_text or "Public URL of the file (Webflow downloads it)."
    elif kind in ("MultiImage", "MultiReference"):
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        help_text = help_text or ("One public image URL per line." if kind == "MultiImage"
                                  else "Webflow item IDs, one per line.")
    else:
        return None
    field.help_text = help_text
    themed(field.widget)
    return field


def themed(widget: forms.Widget) -> None:
    """The theme's look for an input built here: unfold styles the widgets it makes for model fields, not
    these, which otherwise render as borderless boxes. The rich-text editor and checkboxes style themselves."""
    if isinstance(widget, RichTextWidget | forms.CheckboxInput):
        return
    if isinstance(widget, forms.Select):
        classes = SELECT_CLASSES
    elif isinstance(widget, forms.Textarea):
        classes = TEXTAREA_CLASSES
    elif isinstance(widget, forms.widgets.Input):
        classes = INPUT_CLASSES
    else:
        return
    widget.attrs["class"] = " ".join([widget.attrs.get("class", ""), *classes]).strip()


def _reference_field(kind: str, collection_webflow_id: str, *, partial: bool, common: dict) -> forms.Field:
    blank = "— same as primary —" if partial else "—"

    def choices():  # evaluated when the form is shown or checked, not when the admin lists input names
        return reference_choices(collection_webflow_id)

    if kind == "MultiReference":
        return forms.MultipleChoiceField(choices=choices, widget=ReferenceSelectMultiple(
            attrs={"class": "reference-select"}), **common)
    return forms.ChoiceField(choices=lambda: [("", blank), *choices()], widget=ReferenceSelect(
        attrs={"class": "reference-select"}), **common)


def schema_input_names(collection, *, partial: bool = False) -> list[str]:
    """The names of the inputs setup_schema_fields adds for a collection (the admin lays them out)."""
    return [
        FIELD_PREFIX + f["slug"] for f in schema_fields(collection)
        if f["slug"] not in ITEM_COLUMNS and form_field_for(f, partial=partial) is not None
    ]


def display_value(schema_field: dict, value):
    """A stored value as its form input shows it."""
    if value is None:
        return None
    kind = schema_field.get("type")
    if kind in ("Image", "File", "ExtFileRef") and isinstance(value, dict):
        return value.get("url")
    if kind == "MultiImage" and isinstance(value, list):
        return "\n".join(v.get("url", "") if isinstance(v, dict) else str(v) for v in value)
    if kind == "DateTime" and isinstance(value, str):
        return parse_datetime(value) or value
    return value


def data_value(schema_field: dict, value):
    """A display value as raw POST data, for moving typed JSON values into their inputs."""
    if schema_field.get("type") == "Option":
        try:
            return normalise_value(schema_field, value)  # JSON may name the option; the select wants its id
        except ValueError:
            return str(value)
    shown = display_value(schema_field, value)
    if schema_field.get("type") == "MultiReference":
        return [str(v) for v in shown] if isinstance(shown, list) else [str(v) for v in str(shown or "").split()]
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, dt.datetime):
        return shown.strftime(DATETIME_INPUT_FORMAT)
    return "" if shown is None else str(shown)


def stored_value(schema_field: dict, cleaned, previous):
    """A cleaned form value -> the value handed to schema validation (which then normalises it)."""
    kind = schema_field.get("type")
    if kind == "Switch" and isinstance(cleaned, str):
        return None if cleaned == "" else cleaned == "true"
    if is_empty(cleaned):
        return None
    if kind == "RichText":
        return sanitize_rich_text(cleaned) or None
    if kind in ("Image", "File", "ExtFileRef") and isinstance(previous, dict) and previous.get("url") == cleaned:
        return previous  # the URL input cannot show alt text or fileId; keep them when the URL is unchanged
    if kind == "MultiImage":
        kept = {v.get("url"): v for v in previous or [] if isinstance(v, dict)}
        return [kept.get(url, url) for url in cleaned.split()]
    if isinstance(cleaned, dt.datetime):
        return cleaned.isoformat()
    return cleaned


class SchemaFieldsFormMixin:
    """Adds `wf__<slug>` inputs for the collection's schema and merges them with the JSON box in clean()."""

    partial = False
    chosen_first = "the collection"  # what picks the schema on this form, named in the JSON box's help

    def setup_schema_fields(self, collection):
        self.collection = collection
        self.rendered: dict[str, dict] = {}
        self.inputs_were_missing = False
        self._parsed_json_ok = True
        self._refused_json_values: dict[str, str] = {}
        if "field_data" not in self.fields:
            return  # a read-only view: the admin shows stored values as they are
        stored = dict(self.instance.field_data or {}) if self.instance.field_data else {}
        for schema_field in schema_fields(collection):
            slug = schema_field["slug"]
            if slug in ITEM_COLUMNS:
                continue
            form_field = form_field_for(schema_field, partial=self.partial)
            if form_field is None:
                continue
            self.fields[FIELD_PREFIX + slug] = form_field
            self.rendered[slug] = schema_field
            if slug in stored or FIELD_PREFIX + slug not in self.initial:
                # An add page may get typed values carried in its address (collection_switch.js).
                self.initial[FIELD_PREFIX + slug] = display_value(schema_field, stored.get(slug))
        self.previous = stored
        extras = {k: v for k, v in stored.items() if k not in self.rendered}
        self.fields["field_data"] = forms.CharField(
            label="Other field values (JSON)" if self.rendered else self.fields["field_data"].label,
            required=False, widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
            help_text=self._json_help(collection),
        )
        themed(self.fields["field_data"].widget)  # a borderless box otherwise: only its resize handle showed
        carried = self.initial.get("field_data") if isinstance(self.initial.get("field_data"), str) else ""
        self.initial["field_data"] = json.dumps(extras, indent=2, ensure_ascii=False) if extras else carried
        self.fields[MARKER_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.initial[MARKER_FIELD] = str(collection.pk) if collection else ""
        if self.is_bound and self.rendered and self.data.get(self.add_prefix(MARKER_FIELD)) != str(collection.pk):
            self._move_json_into_inputs()
        self._keep_unknown_options()

    def _keep_unknown_options(self):
        """A value that is no longer (or never was) an option stays selected, so saving never drops it silently;
        schema validation then explains which options exist."""
        for slug, schema_field in self.rendered.items():
            kind = schema_field.get("type")
            name = FIELD_PREFIX + slug
            form_field = self.fields[name]
            if kind not in ("Option", "Reference", "MultiReference") or not hasattr(form_field, "choices"):
                continue
            if self.is_bound:
                current = (self.data.getlist(self.add_prefix(name)) if hasattr(self.data, "getlist")
                           else self.data.get(self.add_prefix(name)))
            else:
                current = self.initial.get(name)
            known = {value for value, _ in form_field.choices}
            missing = [v for v in (current if isinstance(current, list) else [current]) if v and v not in known]
            if not missing:
                continue
            # A draft chosen before it was pushed keeps its draft:<pk> value (the push sends the draft's ID for
            # it), while the list now offers that item by its Webflow ID: it is still named, not "not ours".
            names = (reference_labels(self.collection, [{"field_data": {slug: missing}}])
                     if kind != "Option" else {})
            note = "(not an option)" if kind == "Option" else "(not one of our items)"
            form_field.choices = [*form_field.choices, *((v, names.get(v) or f"{v} {note}") for v in missing)]

    def _json_help(self, collection) -> str:
        if collection is None:
            return f"Choose {self.chosen_first} and save (or 'Save and continue editing') to get one input per field."
        if not schema_is_synced(collection):
            return SCHEMA_NOT_SYNCED_WARNING + ' Enter values as JSON: {"field-slug": "value"}.'
        if self.rendered:
            text = 'Only for fields without an input above, as JSON: {"field-slug": "value"}.'
        else:
            text = 'Values keyed by field slug, as JSON: {"field-slug": "value"}.'
        assets = [f["slug"] for f in schema_fields(collection) if f.get("type") in NOT_LOCALISABLE_TYPES]
        if self.partial and assets:
            text += (" Not translatable (Webflow's API cannot localise images or files; every locale shows the "
                     "item's own): " + ", ".join(assets) + ".")
        return escape(text)

    def _move_json_into_inputs(self):
        """The page was drawn without this collection's inputs: show what the editor typed as JSON in them."""
        self.inputs_were_missing = True
        data = self.data.copy()
        try:
            typed = json.loads(data.get(self.add_prefix("field_data")) or "{}")
        except json.JSONDecodeError:
            typed = None
        if isinstance(typed, dict):
            self.previous = {**self.previous, **typed}
            for slug, schema_field in self.rendered.items():
                if slug not in typed:
                    continue
                if not is_empty(typed[slug]) and not self._input_can_show(slug, typed[slug]):
                    try:
                        normalise_value(schema_field, typed[slug])
                    except ValueError as exc:
                        # A tick box or a choice would quietly turn it into something else ("yes please" into
                        # a ticked box), so it is refused here, naming what was typed.
                        self._refused_json_values[slug] = str(exc)
                        continue
                value = data_value(schema_field, typed.pop(slug))
                if isinstance(value, list):
                    data.setlist(self.add_prefix(FIELD_PREFIX + slug), value)
                else:
                    data[self.add_prefix(FIELD_PREFIX + slug)] = value
            data[self.add_prefix("field_data")] = json.dumps(typed, indent=2, ensure_ascii=False) if typed else ""
        data[self.add_prefix(MARKER_FIELD)] = str(self.collection.pk)
        self.data = data

    def _input_can_show(self, slug: str, value) -> bool:
        """True when the field's input shows `value` as typed (a text box), so its own error can explain it."""
        widget = self.fields[FIELD_PREFIX + slug].widget
        scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
        return scalar and not isinstance(widget, forms.CheckboxInput | forms.Select | forms.CheckboxSelectMultiple)

    def clean_field_data(self):
        text = (self.cleaned_data.get("field_data") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._parsed_json_ok = False
            raise forms.ValidationError(
                "This is not valid JSON (%(problem)s at line %(line)s, column %(column)s). Your text is kept "
                'below; fix it, e.g. {"summary": "Text", "reading-minutes": 4}.',
                code="invalid_json", params={"problem": exc.msg, "line": exc.lineno, "column": exc.colno},
            ) from exc
        if not isinstance(value, dict):
            self._parsed_json_ok = False
            raise forms.ValidationError('Enter a JSON object of field slug -> value, e.g. {"summary": "Text"}.',
                                        code="not_an_object")
        return value

    def clean_schema_values(self, *, name: str, slug: str):
        """Merge inputs + JSON, validate against the schema, attach errors to inputs, store normalised values."""
        if "field_data" not in self.fields or not self._parsed_json_ok or self.has_error("field_data"):
            return
        values = dict(self.cleaned_data.get("field_data") or {})
        for key, message in self._refused_json_values.items():
            self.add_error(FIELD_PREFIX + key, f"The JSON gave {values.pop(key, '')!r}: {message}")
        for key, schema_field in self.rendered.items():
            if self.has_error(FIELD_PREFIX + key):
                continue
            value = stored_value(schema_field, self.cleaned_data.get(FIELD_PREFIX + key), self.previous.get(key))
            if value is not None:
                values[key] = value
        if self.collection is None:
            self.cleaned_data["field_data"] = {k: v for k, v in values.items() if not is_empty(v)}
            return
        errors = validate_field_data(self.collection, values, name=name, slug=slug, partial=self.partial,
                                     draft_refs=True)
        for key, messages in errors.items():
            if key in ("name", "slug"):
                if key in self.fields and not self.has_error(key):
                    self.add_error(key, messages)
            elif key in self.rendered:
                if not self.has_error(FIELD_PREFIX + key):
                    self.add_error(FIELD_PREFIX + key, messages)
            else:
                self.add_error("field_data", [f"{key}: {message}" for message in messages])
        if not errors:
            self.cleaned_data["field_data"] = schema_clean_field_data(
                self.collection, values, name=name, slug=slug, partial=self.partial, draft_refs=True)


def sole_collection():
    """The collection when exactly one exists (add pages preselect it), else None."""
    collections = list(Collection.objects.order_by("pk")[:2])
    return collections[0] if len(collections) == 1 else None


class DraftItemForm(SchemaFieldsFormMixin, forms.ModelForm):
    """The item page: name and slug, then one input per schema field of the item's collection.

    On the add page the inputs follow the chosen collection: preselected when there is only one, and
    collection_switch.js reloads the page for another one, carrying what was typed (Django admin takes initial
    values from the query string). A reload was chosen over a two-step add (UserAdmin-style) because no
    half-made item is ever saved and the page stays one form. Without JavaScript, submitting once shows the
    chosen collection's inputs with everything typed kept (JSON values move into their inputs).
    """

    class Meta:
        model = DraftItem
        fields = ["collection", "name", "slug", "field_data", "is_archived", "is_draft"]

    class Media:
        js = ["stagingapp/collection_switch.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text += " Leave empty to use the suggestion from the name."
        self.setup_schema_fields(self._chosen_collection())
        self.content_now = None
        if self.instance.pk:  # the content as stored now (a POST's instance is read when the POST arrives)
            self.content_now = self.instance.fingerprint()
            self.fields[LOADED_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
            self.initial[LOADED_FIELD] = self.content_now

    def _chosen_collection(self):
        if self.is_bound:
            raw = self.data.get(self.add_prefix("collection"))
        elif self.instance.collection_id:
            return self.instance.collection
        else:
            raw = self.initial.get("collection")
            if raw in (None, "") and (only := sole_collection()) is not None:
                self.initial["collection"] = only.pk
                return only
        if isinstance(raw, Collection):
            return raw
        if raw in (None, ""):
            return None
        try:
            return Collection.objects.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def clean_slug(self):
        slug = (self.cleaned_data.get("slug") or "").strip()
        if slug:
            return slug
        slug = suggest_slug(self.cleaned_data.get("name") or "")
        if not slug:
            raise forms.ValidationError("Enter a slug: the name has no letters or digits to suggest one from.",
                                        code="required")
        return slug

    def clean(self):
        cleaned = super().clean()
        self._refuse_overwriting_unseen_changes()
        slug, collection = cleaned.get("slug"), cleaned.get("collection")
        if slug and collection and not self.has_error("slug"):
            clash = DraftItem.objects.filter(collection=collection, slug=slug).exclude(pk=self.instance.pk).first()
            if clash is not None:
                self.add_error("slug", forms.ValidationError(
                    "Another item in %(collection)s already uses the slug '%(slug)s' (\"%(other)s\"). "
                    "Choose a different slug, e.g. '%(free)s'.", code="duplicate_slug",
                    params={"collection": collection, "slug": slug, "other": clash.name,
                            "free": free_slug(collection, slug)}))
        if slug and collection and not self.has_error("slug"):
            for clash in item_slug_clashes(collection=collection, slug=slug, item_pk=self.instance.pk):
                self.add_error("slug", forms.ValidationError(
                    "%(clash)s Choose a different slug.", code="duplicate_locale_slug", params={"clash": clash}))
        self.clean_schema_values(name=cleaned.get("name") or "", slug=cleaned.get("slug") or "")
        if self.inputs_were_missing and self._errors:
            # Without JavaScript the first save is how the editor gets to see the collection's inputs.
            self.add_error(None, forms.ValidationError(
                "The fields of %(collection)s are shown below now. Fill them in and save again; nothing you "
                "typed was lost.", code="inputs_shown", params={"collection": self.collection}))
        return cleaned

    def _refuse_overwriting_unseen_changes(self):
        """Someone saved other content (here, in another tab, or by a pull) since this page was shown: nothing is
        saved and the form comes back with the editor's input. It then carries the newer content's fingerprint,
        so saving again, having looked, keeps this version over theirs (as Wagtail and MediaWiki let one)."""
        loaded = self.data.get(self.add_prefix(LOADED_FIELD)) if self.content_now else None
        if not loaded or loaded == self.content_now:
            return
        stored = self.instance
        self.add_error(None, forms.ValidationError(
            "%(who)s saved this item at %(when)s, after you opened it, so nothing was saved: your changes are still "
            "below. Compare with the History timeline, then save again to keep your version over theirs, or "
            "reload the page to start from theirs.", code="saved_meanwhile",
            params={"who": stored.last_edited_by or "Someone",
                    "when": readable_time(stored.updated_at)}))
        data = self.data.copy()
        data[self.add_prefix(LOADED_FIELD)] = self.content_now
        self.data = data


def free_slug(collection, slug: str) -> str:
    """The first slug-N not used in the collection, to suggest after a clash."""
    used = set(DraftItem.objects.filter(collection=collection, slug__startswith=slug).values_list("slug", flat=True))
    n = 2
    while f"{slug}-{n}" in used:
        n += 1
    return f"{slug}-{n}"


class DraftTranslationForm(SchemaFieldsFormMixin, forms.ModelForm):
    """A translation: every input optional; empty means "same as the primary locale"."""

    partial = True
    chosen_first = "the item"

    class Meta:
        model = DraftTranslation
        fields = ["locale", "name", "slug", "field_data"]

    def __init__(self, *args, collection=None, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_schema_fields(collection or self._item_collection())
        self._show_primary_beside(item if item is not None else (self.instance.item if self.instance.item_id
                                                                  else None))

    def _show_primary_beside(self, item):
        """Each input's help text starts with the primary locale's value, which admin.css sets in a column left of
        the input (primary | translation); a stale translation says so on its locale."""
        if item is None or item.pk is None or "field_data" not in self.fields:
            return
        primary = {"name": (None, item.name), "slug": (None, item.slug)}
        primary.update({FIELD_PREFIX + slug: (field, (item.field_data or {}).get(slug))
                        for slug, field in self.rendered.items()})
        # A reference reads as the item it names, as on the review page (no query without reference fields).
        names = reference_labels(self.collection or item.collection, [{"field_data": item.field_data}])
        for name, (schema_field, value) in primary.items():
            if name in self.fields:
                self.fields[name].help_text = format_html(
                    '<div class="primary-text">Primary: {}</div>{}',
                    preview_value(schema_field, value, reference_names=names), self.fields[name].help_text)
        if self.instance.pk and "locale" in self.fields and self.instance.source_hash != item.source_hash:
            self.fields["locale"].help_text = format_html(
                '<span class="stale-translation-note">{}</span>',
                "Stale: the primary text changed after this translation was written; check it against the "
                "primary values shown beside each field.")

    def _item_collection(self):
        # Inside the item page the inline passes the collection; on the translation's own page the item says.
        if "item" in self.fields:
            raw = self.data.get(self.add_prefix("item")) if self.is_bound else self.initial.get("item")
            try:
                item = DraftItem.objects.select_related("collection").filter(pk=int(raw)).first() if raw else None
            except (TypeError, ValueError):
                item = None
            if item is not None or self.is_bound:
                return item.collection if item is not None else None
        return self.instance.item.collection if self.instance.item_id else None

    def clean(self):
        cleaned = super().clean()
        self.clean_schema_values(name=cleaned.get("name") or "", slug=cleaned.get("slug") or "")
        self._check_slug_is_free_in_locale(cleaned)
        self._check_translation_rules(cleaned)
        return cleaned

    def _check_translation_rules(self, cleaned):
        # The same rules the import and the model signals apply: no translation for a locked item, and only in
        # a locale the push uses (not the primary, not a disabled one, not another site's).
        item = cleaned.get("item") or (self.instance.item if self.instance.item_id or _has_item(self.instance)
                                       else None)
        locale = cleaned.get("locale")
        if item is None or locale is None:
            return
        try:
            translation_ensure_allowed(item=item, locale=locale)
        except ItemLocked as exc:
            self.add_error("item" if "item" in self.fields else None, forms.ValidationError(
                "'%(item)s' cannot get or change a translation now: %(reason)s", code="item_locked",
                params={"item": item, "reason": exc.reason}))
        except TranslationRefused as exc:
            self.add_error("locale", forms.ValidationError("%(reason)s.", code="locale_refused",
                                                           params={"reason": exc.reason}))

    def _check_slug_is_free_in_locale(self, cleaned):
        slug, locale = cleaned.get("slug"), cleaned.get("locale")
        item = cleaned.get("item") or (self.instance.item if self.instance.item_id or _has_item(self.instance)
                                       else None)
        collection = self.collection or (item.collection if item is not None and item.collection_id else None)
        if not slug or locale is None or collection is None or self.has_error("slug"):
            return
        clash = translation_slug_clash(collection=collection, locale=locale, slug=slug,
                                       item_pk=item.pk if item is not None else None)
        if clash is not None:
            self.add_error("slug", forms.ValidationError(
                "%(clash)s Choose a different slug, e.g. '%(suggestion)s'.", code="duplicate_locale_slug",
                params={"clash": clash, "suggestion": f"{slug}-{locale.tag.lower()}"}))


def _has_item(translation) -> bool:
    # Inline forms get their (maybe unsaved) item assigned by the formset before validation.
    return DraftTranslation.item.is_cached(translation)


def _primary_clash_error(site, other) -> forms.ValidationError:
    return forms.ValidationError(
        "%(site)s already has a primary locale: %(other)s. A site has exactly one (Webflow's default language); "
        "untick it there first, or leave this one unticked.", code="second_primary",
        params={"site": site, "other": other.tag})


def _same_tag_error(site, tag, other) -> forms.ValidationError:
    return forms.ValidationError(
        "%(site)s already has the locale %(other)s; language tags ignore letter case, so %(tag)s would be the same "
        "language twice.", code="same_tag", params={"site": site, "other": other.tag, "tag": tag})


class LocaleMappingForm(forms.ModelForm):
    """A locale on its own page: a second primary locale for a site is a form error, not a database error."""

    class Meta:
        model = LocaleMapping
        fields = ["site", "tag", "display_name", "cms_locale_id", "is_primary", "is_enabled"]

    def clean(self):
        cleaned = super().clean()
        site, tag = cleaned.get("site"), cleaned.get("tag")
        if site is not None and tag:
            other = LocaleMapping.objects.filter(site=site, tag__iexact=tag).exclude(pk=self.instance.pk).first()
            if other is not None:
                self.add_error("tag", _same_tag_error(site, tag, other))
        if cleaned.get("is_primary") and site is not None:
            other = LocaleMapping.objects.filter(site=site, is_primary=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                # An error on is_primary also keeps the model's constraint check (a cryptic message) quiet.
                self.add_error("is_primary", _primary_clash_error(site, other))
        return cleaned


class LocaleMappingInlineFormSet(forms.BaseInlineFormSet):
    """A site's locales on the site page: exactly one primary among the locales kept, checked across the rows
    (one row at a time cannot see that another row is being unticked in the same save)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A table row's inputs have their column's heading, which no label ties to them: each is named itself
        # ("Language tag", "Delete"), or a screen reader announces an unnamed text box.
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", capfirst(str(field.label)))

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        seen: dict[str, str] = {}
        for form in kept:
            tag = form.cleaned_data.get("tag") or ""
            if tag.lower() in seen:
                raise forms.ValidationError(
                    "Two locales have the language tag %(tag)s (letter case does not make a different language: "
                    "%(first)s and %(tag)s); keep one.", code="same_tag",
                    params={"tag": tag, "first": seen[tag.lower()]})
            seen[tag.lower()] = tag
        primaries = [f.cleaned_data.get("tag") for f in kept if f.cleaned_data.get("is_primary")]
        if kept and len(primaries) != 1:
            raise forms.ValidationError(
                "Tick 'primary locale' for exactly one locale (the site's default language in Webflow); "
                "%(count)s are ticked%(which)s.", code="one_primary",
                params={"count": len(primaries) or "none", "which": f": {', '.join(primaries)}" if primaries else ""})
