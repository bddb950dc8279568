"""Inputs for schema fields: rich text (django-prose-editor, bundled assets), image URLs with a thumbnail, and
references as a searchable choice of items by name (the admin's bundled select2)."""
from django import forms
from django.utils.html import format_html
from django_prose_editor.widgets import AdminProseEditorWidget

from ..models import Collection, DraftItem, WebflowItemRef

# The editor's buttons are limited to what Webflow's RichText keeps (richtext.RICH_TEXT_TAGS); the saved HTML is
# sanitized again on the server, because a POST need not come from this editor.
RICH_TEXT_EDITOR_CONFIG = {"extensions": {
    "Bold": True, "Italic": True, "Underline": True, "Strike": True, "Subscript": True, "Superscript": True,
    "Code": True, "CodeBlock": True, "Heading": {"levels": [1, 2, 3, 4, 5, 6]}, "HardBreak": True,
    "BulletList": True, "OrderedList": True, "ListItem": True, "Blockquote": True,
    "Link": {"enableTarget": True, "protocols": ["http", "https", "mailto", "tel"]},
}}
# More items than this in a referenced collection: the choice lists the first ones by name; a stored value
# outside them stays selected (see SchemaFieldsFormMixin._keep_unknown_choices).
REFERENCE_CHOICES_MAX = 2000
SELECT2_MEDIA = forms.Media(
    js=["admin/js/vendor/jquery/jquery.min.js", "admin/js/vendor/select2/select2.full.min.js",
        "admin/js/jquery.init.js", "stagingapp/reference_select.js"],
    css={"screen": ["admin/css/vendor/select2/select2.min.css"]},
)


class RichTextWidget(AdminProseEditorWidget):
    @property
    def media(self):
        return super().media + forms.Media(js=["stagingapp/rich_text_label.js"])


def rich_text_widget() -> forms.Widget:
    return RichTextWidget(config=RICH_TEXT_EDITOR_CONFIG, preset="configurable")


class ImagePreviewInput(forms.URLInput):
    """A URL input followed by a thumbnail of the image it names; image_preview.js follows typing."""

    def __init__(self, attrs=None):
        super().__init__({"class": "vURLField image-url-input", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        url = value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""
        style = "max-height:120px;max-width:240px;margin-top:4px" + ("" if url else ";display:none")
        if url:
            return format_html('{}<br><img class="image-preview" alt="" src="{}" style="{}">', html, url, style)
        return format_html('{}<br><img class="image-preview" alt="" style="{}">', html, style)

    @property
    def media(self):
        return forms.Media(js=["stagingapp/image_preview.js"])


class ReferenceSelect(forms.Select):
    @property
    def media(self):
        return SELECT2_MEDIA


class ReferenceSelectMultiple(forms.SelectMultiple):
    @property
    def media(self):
        return SELECT2_MEDIA


def reference_choices(collection_webflow_id: str):
    """(stored value, label) for the items of the referenced collection, by name. The value is the Webflow item
    ID of the primary locale when the item has been pushed, else `draft:<pk>` (schema.DRAFT_REF_RE), which
    the push resolves once the referenced item has its Webflow ID."""
    items = list(DraftItem.objects.filter(collection__webflow_id=collection_webflow_id)
                 .order_by("name", "pk").values_list("pk", "name")[:REFERENCE_CHOICES_MAX])
    webflow_ids = dict(WebflowItemRef.objects.filter(item_id__in=[pk for pk, _ in items], locale__is_primary=True)
                       .values_list("item_id", "webflow_item_id"))
    return [(webflow_ids[pk], name) if pk in webflow_ids else (f"draft:{pk}", f"{name} (not in Webflow yet)")
            for pk, name in items]


def referenced_collection_name(collection_webflow_id: str) -> str:
    return Collection.objects.filter(webflow_id=collection_webflow_id).values_list("name", flat=True).first() or ""
