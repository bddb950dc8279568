"""Item field values checked against a collection's synced Webflow schema, and normalised for the Webflow API.

Public interface (the forms, the import and the push pipeline all use these; keep the names stable):

- ``validate_field_data(source, field_data, *, name, slug, partial=False) -> dict[str, list[str]]``
  field slug -> editor-readable messages; ``{}`` means valid. Never raises for bad values.
- ``clean_field_data(...)`` same arguments -> the normalised ``field_data`` to store (option names become option ids,
  numbers become int/float, dates become ISO-8601 UTC, empty values are dropped); raises django ``ValidationError``
  keyed by field slug.
- ``normalise_field_data(...)`` same arguments -> the Webflow-ready ``fieldData`` body (``name`` and ``slug``
  included); raises ``stagingapp.exceptions.FieldDataInvalid`` (a ``StagingError``) carrying ``.errors``.
- ``schema_fields(source)`` / ``schema_is_synced(source)`` and ``SCHEMA_NOT_SYNCED_WARNING``.

``source`` is a ``Collection``, its ``fields_schema`` list, or a GET /v2/collections/{id} body (``{"fields": [...]}``).
Without a synced schema values cannot be checked: they are accepted as given and callers show the warning.
``partial=True`` is a translation's override: it checks only the keys given, skips required-field checks and
refuses image and file fields, which Webflow's API cannot localise (``NOT_LOCALISABLE_TYPES``).
"""
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.dateparse import parse_date, parse_datetime

from .db_limits import holds_nul, without_nul
from .exceptions import FieldDataInvalid
from .validators import LOOSE_ID_RE, validate_item_slug

FIELD_TYPES = frozenset({
    "Color", "DateTime", "Email", "ExtFileRef", "File", "Image", "Link", "MultiImage", "MultiReference", "Number",
    "Option", "Phone", "PlainText", "Reference", "RichText", "Switch", "VideoLink",
})
# Every Webflow collection has these two fields; an item keeps them in its own name/slug columns.
ITEM_COLUMNS = ("name", "slug")
SCHEMA_NOT_SYNCED_WARNING = (
    "This collection's field schema has not been synced from Webflow yet, so field values are not checked "
    "against it (validation is limited). Sync the collection's schema before pushing."
)
REQUIRED_MESSAGE = "This field is required."
# Webflow documents that images cannot be localised through the API; files are the same kind of asset field, so
# they are refused too rather than silently pushing a value Webflow would ignore or apply to every locale.
NOT_LOCALISABLE_TYPES = frozenset({"Image", "MultiImage", "File", "ExtFileRef"})
NOT_LOCALISABLE_MESSAGE = (
    "Webflow's API cannot localise images or files: every locale shows the primary locale's {kind}. "
    "Remove it from the translation and set it on the item instead."
)

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_HEX_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC_COLOR_RE = re.compile(r"^(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%\s,/deg-]+\)$", re.IGNORECASE)
_PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]+$")
_REF_SPLIT_RE = re.compile(r"[\s,;]+")
# URLs may contain commas, so a comma only separates two images when the next one starts a URL.
_URL_LIST_SPLIT_RE = re.compile(r"\s+|,\s*(?=https?://)")
_FILE_KEYS = ("fileId", "url", "alt")
# A reference to a draft item that has no Webflow ID yet, as the item form stores it.
DRAFT_REF_RE = re.compile(r"^draft:(\d+)$")


FieldErrors = dict[str, list[str]]


class InvalidValue(ValueError):
    """One bad value; the message is shown to the editor next to the field."""


def schema_fields(source) -> list[dict]:
    """The schema's field list; empty when the collection's schema has not been synced."""
    if source is None:
        return []
    if isinstance(source, dict):
        source = source.get("fields") or []
    elif hasattr(source, "fields_schema"):
        source = source.fields_schema or []
    return [field for field in source if isinstance(field, dict) and field.get("slug")]


def schema_is_synced(source) -> bool:
    return bool(schema_fields(source))


def validate_field_data(source, field_data: dict, *, name: str, slug: str, partial: bool = False,
                        draft_refs: bool = False) -> FieldErrors:
    """Check an item's (or translation's) values against the schema -> {field slug: [messages]}; {} when valid.

    Required fields must be present unless ``partial``; keys the schema does not know are errors. With
    ``draft_refs`` a reference may name a draft not yet in Webflow as ``draft:<pk>`` (DRAFT_REF_RE): the editor
    stores that, and whatever pushes must resolve it to the Webflow ID first (without the flag it is an error).
    """
    return _check(source, field_data, name=name, slug=slug, partial=partial, draft_refs=draft_refs)[1]


def clean_field_data(source, field_data: dict, *, name: str, slug: str, partial: bool = False,
                     draft_refs: bool = False) -> dict:
    """Valid values -> the normalised field_data to store (no name/slug, no empty values).

    Raises django ValidationError({field slug: [messages]}) when anything is invalid.
    """
    cleaned, errors = _check(source, field_data, name=name, slug=slug, partial=partial, draft_refs=draft_refs)
    if errors:
        raise ValidationError(errors)
    return cleaned


def normalise_field_data(source, field_data: dict, *, name: str, slug: str, partial: bool = False,
                         draft_refs: bool = False) -> dict:
    """Valid values -> Webflow-ready fieldData: name and slug first, then normalised values in schema order.

    With ``partial`` an empty name/slug is left out (a translation keeps the primary one). With ``draft_refs``
    ``draft:<pk>`` references are kept as they are, for the push to substitute the Webflow ID.
    Raises FieldDataInvalid (with ``.errors``) when anything is invalid.
    """
    cleaned, errors = _check(source, field_data, name=name, slug=slug, partial=partial, draft_refs=draft_refs)
    if errors:
        raise FieldDataInvalid(errors=errors)
    body = {}
    if name or not partial:
        body["name"] = name
    if slug or not partial:
        body["slug"] = slug
    body.update(cleaned)
    return body


def is_empty(value) -> bool:
    """Empty cells, blank strings, null and empty lists all mean "no value"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict) and not value


def _collection_label(source) -> str:
    label = getattr(source, "name", "") or (source.get("displayName", "") if isinstance(source, dict) else "")
    return f"'{label}'" if label else "this collection"


def _schema_index(source) -> tuple[list[dict], dict[str, dict], dict[str, int]]:
    """(fields, fields by slug, slug -> schema position) of the schema. A Collection keeps it for as long as its
    fields_schema is the same list (a sync assigns a new one): the push checks thousands of values against it."""
    raw = getattr(source, "fields_schema", None) if not isinstance(source, dict | list) else None
    kept = getattr(source, "_schema_index", None) if raw is not None else None
    if kept is not None and kept[0] is raw:
        return kept[1]
    fields = schema_fields(source)
    by_slug = {field["slug"]: field for field in fields}
    index = fields, by_slug, {slug: i for i, slug in enumerate(by_slug)}
    if raw is not None:
        source._schema_index = (raw, index)
    return index


def _check(source, field_data, *, name, slug, partial, draft_refs=False) -> tuple[dict, FieldErrors]:
    errors: FieldErrors = {}
    if not isinstance(field_data, dict):
        return {}, {"field_data": ["Field values must be an object of field slug -> value."]}
    fields, by_slug, order = _schema_index(source)

    if not partial and is_empty(name):
        errors["name"] = [REQUIRED_MESSAGE]
    elif not is_empty(name) and "name" in by_slug:
        _add(errors, "name", _messages(by_slug["name"], name))
    if not partial and is_empty(slug):
        errors["slug"] = [REQUIRED_MESSAGE]
    elif not is_empty(slug):
        try:
            validate_item_slug(slug)
        except ValidationError as exc:
            errors["slug"] = list(exc.messages)

    cleaned: dict = {}
    for key, value in field_data.items():
        if not isinstance(key, str) or not key:
            _add(errors, str(key), ["Field names must be non-empty text."])
        elif holds_nul(key) or holds_nul(value):
            _add(errors, without_nul(key), [NUL_MESSAGE])
        elif key in ITEM_COLUMNS:
            _add(errors, key, [f"'{key}' is the item's own {key}; set it there, not among the field values."])
        elif not fields:
            # No schema: nothing to check against, so keep the value exactly as given.
            if not is_empty(value):
                cleaned[key] = value
        elif key not in by_slug:
            known = ", ".join(s for s in by_slug if s not in ITEM_COLUMNS) or "(none)"
            _add(errors, key, [f"no field '{key}' in collection {_collection_label(source)}; known fields: {known}"])
        elif is_empty(value):
            continue
        elif by_slug[key].get("isEditable") is False:
            _add(errors, key, ["This field is read-only in Webflow and cannot be set."])
        elif partial and by_slug[key].get("type") in NOT_LOCALISABLE_TYPES:
            kind = "file" if by_slug[key]["type"] in ("File", "ExtFileRef") else "image"
            _add(errors, key, [NOT_LOCALISABLE_MESSAGE.format(kind=kind)])
        else:
            try:
                cleaned[key] = normalise_value(by_slug[key], value, draft_refs=draft_refs)
            except InvalidValue as exc:
                _add(errors, key, [str(exc)])

    if not partial:
        for field in fields:
            if field["slug"] in ITEM_COLUMNS or not field.get("isRequired"):
                continue
            if field["slug"] not in cleaned and field["slug"] not in errors:
                errors[field["slug"]] = [REQUIRED_MESSAGE]
    cleaned = dict(sorted(cleaned.items(), key=lambda kv: order.get(kv[0], len(order))))
    return cleaned, errors


NUL_MESSAGE = "Holds an invisible NUL character (U+0000), which cannot be stored; remove it."


def _add(errors, key, messages):
    if messages:
        errors.setdefault(key, []).extend(messages)


def _messages(field, value) -> list[str]:
    try:
        normalise_value(field, value)
    except InvalidValue as exc:
        return [str(exc)]
    return []


def normalise_value(field: dict, value, *, draft_refs: bool = False):
    """One non-empty value -> its Webflow form; raises InvalidValue (a ValueError; message for the editor)."""
    checker = _CHECKERS.get(field.get("type"))
    if checker is None:
        # A field type newer than this code: pass it through rather than block the editor.
        return value
    if field.get("type") in ("Reference", "MultiReference"):
        return checker(field, value, field.get("validations") or {}, draft_refs=draft_refs)
    return checker(field, value, field.get("validations") or {})


def _text(field, value, validations):
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise InvalidValue("Enter text.")
    text = value if isinstance(value, str) else str(value)
    min_length, max_length = validations.get("minLength"), validations.get("maxLength")
    if max_length is not None and len(text) > max_length:
        raise InvalidValue(f"Too long: {len(text)} characters, at most {max_length} allowed.")
    if min_length is not None and len(text) < min_length:
        raise InvalidValue(f"Too short: {len(text)} characters, at least {min_length} needed.")
    if validations.get("singleLine") and "\n" in text:
        raise InvalidValue("Must be a single line.")
    return text


def _number(field, value, validations):
    if isinstance(value, bool):
        raise InvalidValue(f"'{value}' is not a number.")
    try:
        number = Decimal(value.strip().replace(" ", "")) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidValue(f"'{value}' is not a number.") from None
    if not number.is_finite():
        raise InvalidValue(f"'{value}' is not a number.")
    integral = number == number.to_integral_value()
    if validations.get("format") == "integer" and not integral:
        raise InvalidValue(f"{value} is not a whole number; this field only takes whole numbers.")
    if validations.get("allowNegative") is False and number < 0:
        raise InvalidValue("Must not be negative.")
    if validations.get("allowZero") is False and number == 0:
        raise InvalidValue("Must not be zero.")
    min_value, max_value = validations.get("minValue"), validations.get("maxValue")
    if min_value is not None and number < Decimal(str(min_value)):
        raise InvalidValue(f"Must be at least {min_value}.")
    if max_value is not None and number > Decimal(str(max_value)):
        raise InvalidValue(f"Must be at most {max_value}.")
    return int(number) if integral else float(number)


def _switch(field, value, validations):
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidValue(f"'{value}' is not on/off: use true or false.")


def _option(field, value, validations):
    options = [o for o in validations.get("options") or [] if isinstance(o, dict)]
    names = ", ".join(str(o.get("name")) for o in options) or "(no options defined)"
    if isinstance(value, str):
        wanted = value.strip()
        for matches in (lambda o: o.get("id") == wanted, lambda o: o.get("name") == wanted,
                        lambda o: str(o.get("name", "")).casefold() == wanted.casefold()):
            found = [o for o in options if matches(o)]
            if len(found) == 1:
                return found[0]["id"]
    raise InvalidValue(f"'{value}' is not one of the options; choose one of: {names}.")


def _reference_id(value, draft_refs: bool = False) -> str:
    if isinstance(value, str) and (draft := DRAFT_REF_RE.match(value.strip())):
        if draft_refs:
            return value.strip()
        raise InvalidValue(f"refers to draft item #{draft.group(1)}, which is not in Webflow yet; push that item "
                           "first so the reference can name its Webflow ID.")
    if not isinstance(value, str) or not LOOSE_ID_RE.match(value.strip()):
        raise InvalidValue(f"'{value}' is not a Webflow item ID (usually 24 hex characters).")
    return value.strip()


def _reference(field, value, validations, draft_refs=False):
    return _reference_id(value, draft_refs)


def _multi_reference(field, value, validations, draft_refs=False):
    if isinstance(value, str):
        value = [part for part in _REF_SPLIT_RE.split(value) if part]
    if not isinstance(value, list | tuple):
        raise InvalidValue("Enter a list of Webflow item IDs.")
    ids = [_reference_id(v, draft_refs) for v in value]
    return list(dict.fromkeys(ids))


def _datetime(field, value, validations):
    parsed = None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time.min)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None and (day := parse_date(text)) is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidValue(f"'{value}' is not an ISO-8601 date/time, e.g. 2024-05-01T09:30:00Z or 2024-05-01.")
    if parsed.tzinfo is None:
        # Spreadsheets carry no zone; Webflow stores UTC, so a naive value is read as UTC.
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _email(field, value, validations):
    try:
        validate_email(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        raise InvalidValue(f"'{value}' is not an email address.") from None
    return value.strip()


def _phone(field, value, validations):
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
    if text is None or not _PHONE_RE.match(text) or sum(c.isdigit() for c in text) < 3:
        raise InvalidValue(f"'{value}' is not a phone number: use digits, spaces and + ( ) - . only.")
    return text


def _url(value, what="a web address", schemes=("http", "https")) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"'{value}' is not {what}: use a full URL such as https://example.com/page.")
    try:
        URLValidator(schemes=list(schemes))(value.strip())
    except ValidationError:
        raise InvalidValue(f"'{value}' is not {what}: use a full URL such as https://example.com/page.") from None
    return value.strip()


def _link(field, value, validations):
    if isinstance(value, str) and value.strip().lower().startswith(("mailto:", "tel:")):
        return value.strip()
    return _url(value, "a link", schemes=("http", "https", "ftp", "ftps"))


def _video_link(field, value, validations):
    return _url(value, "a video link")


def _color(field, value, validations):
    if not isinstance(value, str) or not (_HEX_COLOR_RE.match(value.strip()) or _FUNC_COLOR_RE.match(value.strip())):
        raise InvalidValue(f"'{value}' is not a colour: use hex like #1a2b3c (or rgb()/rgba()).")
    return value.strip()


def _file(field, value, validations):
    if isinstance(value, str):
        return {"url": _url(value, "a file URL")}
    if isinstance(value, dict) and (value.get("url") or value.get("fileId")):
        unknown = sorted(set(value) - set(_FILE_KEYS))
        if unknown:
            raise InvalidValue(f"Unexpected keys {', '.join(unknown)}; a file takes url, alt and fileId.")
        result = {k: value[k] for k in _FILE_KEYS if value.get(k) not in (None, "")}
        if "url" in result:
            result["url"] = _url(result["url"], "a file URL")
        return result
    raise InvalidValue(f"'{value}' is not a file: give its public URL (https://...).")


def _multi_image(field, value, validations):
    if isinstance(value, str):
        value = [part for part in _URL_LIST_SPLIT_RE.split(value.strip()) if part]
    if not isinstance(value, list | tuple):
        raise InvalidValue("Enter a list of image URLs.")
    return [_file(field, v, validations) for v in value]


_CHECKERS = {
    "PlainText": _text,
    "RichText": _text,
    "Number": _number,
    "Switch": _switch,
    "Option": _option,
    "Reference": _reference,
    "MultiReference": _multi_reference,
    "DateTime": _datetime,
    "Email": _email,
    "Phone": _phone,
    "Link": _link,
    "VideoLink": _video_link,
    "Color": _color,
    "Image": _file,
    "File": _file,
    "ExtFileRef": _file,
    "MultiImage": _multi_image,
}
