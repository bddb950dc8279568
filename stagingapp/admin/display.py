"""Item content as people read it: the editor's field labels from the collection schema, rich text rendered
(sanitized), option names instead of IDs, image thumbnails; and the rows comparing two versions of an item."""
import json

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join, mark_safe
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from ..models import Collection
from ..richtext import rich_text_as_text, sanitize_rich_text
from ..schema import NOT_LOCALISABLE_TYPES, schema_fields
from ..selectors import reference_labels

PRIMARY_LABELS = {"name": "Name", "slug": "Slug", "is_archived": "Send as archived",
                  "is_draft": "Send as Webflow draft"}
EMPTY = mark_safe('<span class="empty-value">—</span>')
# A link inside an empty list's hint: primary-600 alone is under 4.5:1 on the dark theme's background.
HINT_LINK_CLASSES = "text-primary-600 underline dark:text-primary-400"


def person_link(user) -> SafeString | str:
    """A person's name, leading to what they did in the audit history, which every role may read. (Django's own
    read-only link goes to the user's account page: a 403 for everyone but administrators.)"""
    if user is None:
        return "-"
    url = reverse("admin:stagingapp_auditevent_changelist") + "?" + urlencode({"actor": user.pk})
    return format_html('<a href="{}" title="What {} did, in the audit history">{}</a>', url, user, user)


def locale_tag(locale) -> SafeString:
    """'de-DE', with its name on hover, for list columns: 'de-DE (German (Germany))' wrapped over three lines."""
    if locale is None:
        return mark_safe("-")
    return format_html('<span title="{}">{}</span>', locale.display_name, locale.tag)


def _url_of(value) -> str:
    return value.get("url", "") if isinstance(value, dict) else str(value)


def _thumbnail(value) -> SafeString:
    url = _url_of(value)
    if not url.startswith(("https://", "http://")):
        return format_html("{}", url)
    alt = value.get("alt", "") if isinstance(value, dict) else ""
    return format_html('<a href="{}" target="_blank" rel="noopener"><img class="image-preview" src="{}" alt="{}" '
                       'loading="lazy" style="max-height:80px;max-width:160px"></a>', url, url, alt)


def _option_name(schema_field: dict, value) -> SafeString:
    options = (schema_field.get("validations") or {}).get("options") or []
    for option in options:
        if isinstance(option, dict) and value in (option.get("id"), option.get("name")):
            return format_html("{}", option.get("name"))
    return format_html("{} <em>(not an option)</em>", value)


def render_value(schema_field: dict | None, value, *, reference_names: dict[str, str] | None = None) -> SafeString:
    """One stored value as HTML to read: what the published page would show, never raw JSON or IDs."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    kind = (schema_field or {}).get("type")
    if isinstance(value, bool) or kind == "Switch":
        return format_html("{}", "Yes" if value in (True, "true") else "No")
    if kind == "RichText":
        return format_html('<div class="rich-text">{}</div>', mark_safe(sanitize_rich_text(str(value))))
    if kind == "Option":
        return _option_name(schema_field, value)
    if kind == "Image":
        return _thumbnail(value)
    if kind == "MultiImage" and isinstance(value, list):
        return format_html_join(" ", "{}", ((_thumbnail(v),) for v in value))
    if kind in ("File", "ExtFileRef"):
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', _url_of(value), _url_of(value))
    if kind in ("Reference", "MultiReference"):
        ids = value if isinstance(value, list) else [value]
        names = reference_names or {}
        return format_html_join(", ", "{}", ((names.get(str(i), str(i)),) for i in ids))
    if kind == "DateTime" and isinstance(value, str) and (parsed := parse_datetime(value)):
        return format_html("{}", f"{parsed:%Y-%m-%d %H:%M} UTC")
    if kind in ("Link", "VideoLink"):
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', value, value)
    if kind == "Color":
        return format_html('<span style="display:inline-block;width:1em;height:1em;background:{};'
                           'border:1px solid #999;vertical-align:middle"></span> {}', value, value)
    if isinstance(value, dict | list):
        return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False))
    return format_html("{}", value)


def field_labels(collection) -> dict[str, str]:
    """Field slug -> the label editors see on the item page (the schema's display name)."""
    return {f["slug"]: f.get("displayName") or f["slug"] for f in schema_fields(collection)}


def _content_cells(collection, content: dict | None, *, prefix: str = "") -> dict[str, tuple[str, dict | None, object]]:
    """Flatten one item's or translation's content to {key: (label, schema field, value)} in page order."""
    by_slug = {f["slug"]: f for f in schema_fields(collection)}
    content = content or {}
    cells = {}
    for name in ("name", "slug"):
        if name in content:
            cells[prefix + name] = (PRIMARY_LABELS[name], by_slug.get(name), content[name])
    field_data = content.get("field_data") or {}
    ordered = [s for s in by_slug if s not in ("name", "slug")] + sorted(set(field_data) - set(by_slug))
    for slug in ordered:
        field = by_slug.get(slug)
        cells[prefix + "field_data." + slug] = ((field or {}).get("displayName") or slug, field, field_data.get(slug))
    for name in ("is_archived", "is_draft"):
        if name in content:
            cells[prefix + name] = (PRIMARY_LABELS[name], None, content[name])
    return cells


def comparison_rows(collection, before: dict | None, after: dict, *, reference_names=None) -> list[dict]:
    """Rows comparing two content snapshots (DraftItem.content_snapshot() shape), primary content first, then
    each locale's translation: {label, locale, old, new, changed}, values rendered for reading."""
    groups = [("", before, after)]
    tags = sorted(set((before or {}).get("translations") or {}) | set(after.get("translations") or {}))
    groups += [(tag, ((before or {}).get("translations") or {}).get(tag), (after.get("translations") or {}).get(tag))
               for tag in tags]
    rows = []
    for tag, old_content, new_content in groups:
        old_cells = _content_cells(collection, old_content)
        new_cells = _content_cells(collection, new_content)
        for key in dict.fromkeys([*new_cells, *old_cells]):
            label, field, new_value = new_cells.get(key) or (old_cells[key][0], old_cells[key][1], None)
            old_value = old_cells[key][2] if key in old_cells else None
            if tag and new_value in (None, "", {}) and old_value in (None, "", {}):
                continue  # a translation leaves most fields to the primary text; nothing to show
            rows.append({
                "key": f"{tag}:{key}", "label": label, "locale": tag,
                "old": render_value(field, old_value, reference_names=reference_names),
                "new": render_value(field, new_value, reference_names=reference_names),
                "changed": _normal(old_value) != _normal(new_value),
            })
    return rows


def _normal(value):
    return None if value in ("", [], {}) else value


SAME_AS_PRIMARY = mark_safe('<span class="same-as-primary">same as primary</span>')


def content_table(item, *, primary_tag: str = "", reference_names=None) -> dict:
    """The item as an approver reads it: one row per field (editor's labels, rendered values), one column per
    locale, the primary first and each translation beside it; stale translations are flagged in their header."""
    translations = item.translations_by_tag()
    columns = [{"tag": primary_tag or "Primary", "stale": False, "primary": True}]
    columns += [{"tag": t.locale.tag, "stale": t.source_hash != item.source_hash, "primary": False}
                for t in translations]
    primary = _content_cells(item.collection, item.primary_content())
    translated = [_content_cells(item.collection, {"name": t.name, "slug": t.slug, "field_data": t.field_data})
                  for t in translations]
    rows = []
    for key, (label, field, value) in primary.items():
        cells = [render_value(field, value, reference_names=reference_names)]
        for cells_of_locale in translated:
            own = cells_of_locale.get(key, (None, None, None))[2]
            cells.append(SAME_AS_PRIMARY if _normal(own) is None
                         else render_value(field, own, reference_names=reference_names))
        rows.append({"label": label, "cells": cells})
    return {"columns": columns, "rows": rows}


def preview_value(schema_field: dict | None, value, *, limit: int = 200,
                  reference_names: dict[str, str] | None = None) -> SafeString:
    """A short rendering for help text beside an input: rich text as plain words, the rest as render_value."""
    if (schema_field or {}).get("type") == "RichText":
        text = rich_text_as_text(str(value or ""))
        return format_html("{}", Truncator(text).chars(limit)) if text else EMPTY
    return render_value(schema_field, value, reference_names=reference_names)


# What Webflow calls an item's own values beside its fields, as a person reads them.
WEBFLOW_VALUE_LABELS = {"name": "Name", "slug": "Slug", "isArchived": "Archived", "isDraft": "Draft",
                        "published": "Published"}


def webflow_value_label(fields: dict[str, dict], key: str) -> str:
    """The label of one key of a Webflow item as compared (collection.field_by_slug() gives `fields`)."""
    return (fields.get(key) or {}).get("displayName") or WEBFLOW_VALUE_LABELS.get(key) or key


def webflow_comparison_rows(collection, ours: dict, theirs: dict, *, reference_names=None) -> list:
    """(label, our value, Webflow's value, differs) per key of two compared versions of an item of `collection`,
    rendered as on the review page (rich text as words, options and references by name, yes/no), in the
    collection's field order. `reference_names` (reference_labels()) is read for these two when not given."""
    fields = collection.field_by_slug() if collection is not None else {}
    if reference_names is None:
        reference_names = (reference_labels(collection, [{"field_data": ours}, {"field_data": theirs}])
                            if fields else {})
    position = {key: index for index, key in enumerate(dict.fromkeys(["name", "slug", *fields]))}
    keys = sorted(ours.keys() | theirs.keys(), key=lambda key: (position.get(key, len(position)), key))
    return [(webflow_value_label(fields, key),
             preview_value(fields.get(key), ours.get(key), reference_names=reference_names),
             preview_value(fields.get(key), theirs.get(key), reference_names=reference_names),
             _normal(ours.get(key)) != _normal(theirs.get(key))) for key in keys]


def field_values_table(collection, field_data: dict | None) -> SafeString:
    """Stored field values as someone who may not edit them reads them: one row per field, the collection's label
    beside the value rendered as on the review page (not the JSON an editor's "Other field values" box holds)."""
    if not field_data:
        return EMPTY
    rows = [(label, ours) for label, ours, _, _ in webflow_comparison_rows(collection, field_data, {})]
    return format_html('<table class="sa-table sa-field-values">{}</table>',
                       format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows))


FIELD_TYPE_NAMES = {
    "PlainText": "Plain text", "RichText": "Rich text", "Image": "Image", "MultiImage": "Multi-image",
    "VideoLink": "Video link", "Link": "Link", "Email": "Email", "Phone": "Phone", "Number": "Number",
    "DateTime": "Date", "Switch": "Switch", "Color": "Color", "Option": "Option", "File": "File",
    "ExtFileRef": "External file", "Reference": "Reference", "MultiReference": "Multi-reference",
}


def _field_kind(field: dict, collection_names: dict[str, str]) -> str:
    """"Option: Draft, Live", "Reference to Authors": what a value of the field is, as Webflow's designer says it."""
    kind = field.get("type") or ""
    name = FIELD_TYPE_NAMES.get(kind, kind or "unknown")
    validations = field.get("validations") or {}
    if kind == "Option":
        options = [option.get("name") for option in validations.get("options") or [] if option.get("name")]
        return f"{name}: {', '.join(options)}" if options else name
    if kind in ("Reference", "MultiReference"):
        target = validations.get("collectionId") or ""
        return f"{name} to {collection_names.get(target, 'a collection not added here' if target else '?')}"
    return name


def _field_notes(field: dict) -> str:
    validations = field.get("validations") or {}
    notes = []
    if field.get("helpText"):
        text = str(field["helpText"]).strip()
        notes.append(text if text.endswith((".", "!", "?")) else text + ".")
    if validations.get("maxLength"):
        notes.append(f"At most {validations['maxLength']} characters.")
    if field.get("type") in NOT_LOCALISABLE_TYPES:
        notes.append("The same in every locale.")
    if field.get("isEditable") is False:
        notes.append("Set by Webflow, not editable.")
    return " ".join(notes)


def collection_fields_table(collection) -> SafeString:
    """The collection's fields as last synced from Webflow: label, API name, kind, whether required, and what
    limits a value (what an editor's form checks against)."""
    fields = schema_fields(collection)
    if not fields:
        return format_html('<span class="empty-value">{}</span>',
                           "Not synced yet: use Sync fields from Webflow below.")
    names = dict(Collection.objects.filter(site_id=collection.site_id).values_list("webflow_id", "name"))
    rows = [(field.get("displayName") or field["slug"], field["slug"], _field_kind(field, names),
             "required" if field.get("isRequired") else "", _field_notes(field)) for field in fields]
    return format_html(
        '<div class="sa-scroll" tabindex="0"><table class="sa-table" id="collection-fields"><thead><tr>'
        '<th scope="col">Field</th><th scope="col">API name</th><th scope="col">Kind</th><th scope="col">Required</th>'
        '<th scope="col">Notes</th></tr></thead><tbody>{}</tbody></table></div>',
        format_html_join("", '<tr><th scope="row">{}</th><td><code>{}</code></td><td>{}</td><td>{}</td>'
                             '<td>{}</td></tr>', rows))
