"""Importing draft items (with translations) from CSV, XLSX, JSON and JSONL: one core for the admin and the command.

File layout: one row per item. Columns: ``collection`` (optional; the Webflow collection id, must match the
collection chosen for the import), ``name``, ``slug`` (optional: suggested from the name), ``is_archived``,
``is_draft``, one column per schema field slug, and ``<locale tag>:<key>`` translation columns such as
``fr-FR:name``, ``fr-FR:slug``, ``fr-FR:summary``. Rows match existing items on (collection, slug), so a re-import
updates them. A blank cell clears that value; a column that is absent leaves it alone.
The whole import is one transaction: any bad row means nothing is written.
"""
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.results import Result, RowResult

from ..models import DraftItem, DraftTranslation
from ..schema import clean_field_data, is_empty, schema_fields
from ..validators import suggest_slug
from .audit import actor_label_for, audit_record, audit_record_many, history_audit_entry, system_actor_label
from .import_slugs import FileSlugs, ImportSlugIndex
from .translations import translation_locale_problem
from .workflow import HISTORY_REASON_MAX, PINNED_FINGERPRINT_FIELD, item_content_changed, item_edit_lock_reason

ITEM_COLUMNS = ("collection", "name", "slug", "is_archived", "is_draft")
TRANSLATION_SEPARATOR = ":"
_TRUE = {"true", "yes", "y", "1", "on", "x"}
_FALSE = {"false", "no", "n", "0", "off"}
# Content changes to items that already left the editors' hands; the workflow decides what that means.
_EDITABLE_STATUSES = {DraftItem.Status.DRAFT, DraftItem.Status.REJECTED}
# Columns an import writes (bulk_update names them; the rest of a row is untouched).
_WRITTEN_ITEM_FIELDS = ["name", "slug", "field_data", "is_archived", "is_draft", "source_hash", "last_edited_by",
                        "updated_at"]
_WRITTEN_TRANSLATION_FIELDS = ["name", "slug", "field_data", "source_hash", "last_edited_by", "updated_at"]
# Model fields a file does not type directly (field_data is checked against the schema instead).
_NOT_TYPED_COLUMNS = [f.name for f in DraftItem._meta.fields if f.name not in ("name", "slug")]


class JSONObjects(base_formats.Format):
    """A JSON array of objects (or {"items": [...]}), keyed by column; keys may differ between objects.

    tablib's own JSON reader takes column order from the first object and values in each object's own order,
    which silently shifts values between columns when objects differ, so this reader aligns by key.
    """

    TITLE, EXTENSION, CONTENT_TYPE = "json", "json", "application/json"

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return self.TITLE

    def get_extension(self):
        return self.EXTENSION

    def get_content_type(self):
        return self.CONTENT_TYPE

    def is_binary(self):
        return False

    def get_read_mode(self):
        return "r"

    def can_import(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        return objects_to_dataset(self.parse(in_stream))

    def parse(self, text: str) -> list:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise ValueError("expected a JSON array of objects, one per item")
        return data


class JSONL(JSONObjects):
    """JSON Lines: one JSON object per line (blank lines ignored)."""

    TITLE, EXTENSION, CONTENT_TYPE = "jsonl", "jsonl", "application/jsonl"

    def parse(self, text: str) -> list:
        objects = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not valid JSON: {exc.msg}") from exc
        return objects


def objects_to_dataset(objects: list) -> tablib.Dataset:
    for number, obj in enumerate(objects, 1):
        if not isinstance(obj, dict):
            raise ValueError(f"item {number} is not an object of column -> value")
    headers = list(dict.fromkeys(key for obj in objects for key in obj))
    dataset = tablib.Dataset(headers=headers)
    for obj in objects:
        dataset.append([obj.get(key) for key in headers])
    return dataset


IMPORT_FORMATS = [base_formats.CSV, base_formats.XLSX, JSONObjects, JSONL]
FORMAT_BY_EXTENSION = {".csv": base_formats.CSV, ".xlsx": base_formats.XLSX, ".json": JSONObjects, ".jsonl": JSONL}


def _content_of(item: DraftItem) -> tuple:
    return item.name, item.slug, item.is_archived, item.is_draft, dict(item.field_data or {})


def _cell(value):
    """Spreadsheet cells as values: text stripped, everything else as the file typed it."""
    return value.strip() if isinstance(value, str) else value


def _text(value) -> str:
    value = _cell(value)
    return "" if value is None else str(value)


def _header(value) -> str:
    """Webflow field slugs are lowercase, so 'Name' or 'fr-FR:Summary' headers mean the lowercase column."""
    text = _text(value)
    tag, separator, key = text.partition(TRANSLATION_SEPARATOR)
    return f"{tag.strip()}{separator}{key.strip().lower()}" if separator else text.lower()


def _row_slug(row) -> str:
    """The slug a row matches on: its own, else the one suggested from its name."""
    return _text(row.get("slug")) or suggest_slug(_text(row.get("name")))


def _boolean(value, column, errors, current: bool) -> bool:
    value = _cell(value)
    if is_empty(value):
        return current
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    errors[column] = [f"'{value}' is not true/false (use true, false, yes, no, 1 or 0)."]
    return current


class DraftItemResource(resources.ModelResource):
    """django-import-export resource for one collection's draft items; build it with collection= and actor=."""

    class Meta:
        model = DraftItem
        fields = ("name", "slug", "field_data", "is_archived", "is_draft")
        # Not import-export's full_clean: it costs two queries a row (the collection exists; collection and slug
        # unique), which the import knows already; import_instance checks the typed fields itself.
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, *, collection=None, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.collection, self.actor = collection, actor
        self._locales = {}
        self._slug_rows: dict[str, int] = {}
        self.non_draft_updated: list[int] = []
        self._pending: list[tuple[DraftItem, bool]] = []

    def get_user_visible_fields(self):
        """The columns a file may have, as the admin import page lists them."""
        if self.collection is not None:
            slugs = [f["slug"] for f in schema_fields(self.collection) if f["slug"] not in ("name", "slug")]
        else:
            slugs = ["<field slug>"]
        columns = [*ITEM_COLUMNS, *slugs, "<locale tag>:name", "<locale tag>:slug", "<locale tag>:<field slug>"]
        return [Field(column_name=column) for column in columns]

    # --- hooks, in the order import-export calls them ---------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        if self.collection is None:
            raise ValueError("Choose the collection to import into.")
        dataset.headers = [_header(h) for h in dataset.headers or []]
        self._locales = {loc.tag.lower(): loc for loc in self.collection.site.locales.all()}
        self._slug_rows, self._translated_slug_rows, self.non_draft_updated = {}, {}, []
        self._pending, self._file_slugs = [], FileSlugs()
        # One query each for the items the rows match and their translations, instead of two per row.
        rows = dataset.dict
        slugs = {_row_slug(row) for row in rows} - {""}
        self._existing = {item.slug: item for item in self.get_queryset().filter(slug__in=slugs)}
        self._existing_translations = {
            (t.item_id, t.locale_id): t for t in DraftTranslation.objects.filter(item__in=self._existing.values())}
        translated = {_text(value) for row in rows for column, value in row.items()
                      if column.endswith(f"{TRANSLATION_SEPARATOR}slug")}
        self._slugs = ImportSlugIndex(collection=self.collection, slugs=slugs | translated,
                                      item_ids=[item.pk for item in self._existing.values()])

    def get_queryset(self):
        return DraftItem.objects.filter(collection=self.collection)

    def get_instance(self, instance_loader, row):
        # Rows match on (collection, slug); a missing slug is suggested from the name first so re-imports match.
        row["slug"] = slug = _row_slug(row)
        existing = self._existing.get(slug) if slug else None
        return copy.copy(existing) if existing is not None else None

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        collection = self.collection
        before = _content_of(instance)
        instance.collection = collection
        given = _text(row.get("collection"))
        if given and given != collection.webflow_id:
            errors["collection"] = [
                f"this row is for collection '{given}' but the import is into '{collection}' "
                f"({collection.webflow_id})."
            ]
        if "name" in row:
            instance.name = _text(row["name"])
        instance.slug = row["slug"]
        if instance.slug:
            first = self._slug_rows.setdefault(instance.slug, kwargs.get("row_number"))
            if first != kwargs.get("row_number"):
                errors["slug"] = [f"slug '{instance.slug}' is also used by row {first} of this file; "
                                  "each row needs its own slug."]
        if "is_archived" in row:
            instance.is_archived = _boolean(row["is_archived"], "is_archived", errors, instance.is_archived)
        if "is_draft" in row:
            instance.is_draft = _boolean(row["is_draft"], "is_draft", errors, instance.is_draft)

        values = dict(instance.field_data or {})
        for column, value in row.items():
            if column in ITEM_COLUMNS or TRANSLATION_SEPARATOR in column:
                continue
            if not column:
                if not is_empty(value):
                    errors["(no header)"] = ["a value sits in a column without a header."]
                continue
            if is_empty(_cell(value)):
                values.pop(column, None)
            else:
                values[column] = _cell(value)
        try:
            instance.field_data = clean_field_data(collection, values, name=instance.name, slug=instance.slug)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)

        instance._import_translations = self._plan_translations(instance, row, errors, kwargs.get("row_number"))
        self._check_file_slugs(instance, errors, kwargs.get("row_number"))
        if instance.slug and "slug" not in errors:
            own = {locale.pk for locale, _, _, slug, _ in instance._import_translations if slug}
            for clash in self._slugs.item_slug_clashes(slug=instance.slug, item_pk=instance.pk):
                if clash.locale.pk not in own:
                    errors.setdefault("slug", []).append(f"{clash} Choose a different slug.")
        if instance.pk and (instance._import_translations or _content_of(instance) != before):
            # Items in review or in a batch are locked for every write path, the import included.
            lock_reason = item_edit_lock_reason(instance)
            if lock_reason:
                errors.setdefault("item", []).append(f"'{instance.name}' cannot be changed now: {lock_reason}")
        try:
            instance.clean_fields(exclude=_NOT_TYPED_COLUMNS)
        except ValidationError as exc:
            for key, field_errors in exc.error_dict.items():
                known = errors.setdefault(key, [])
                for error in field_errors:
                    if error.code == "blank" and known:
                        continue  # the empty cell the field check already reported ("This field is required.")
                    known.extend(message for message in error.messages if message not in known)
        if errors:
            raise ValidationError(errors)

    def _check_file_slugs(self, instance, errors, row_number) -> None:
        """This row's slugs against the other rows' in every locale: a primary slug against translated ones."""
        own = self._slugs.own_slug_locales(instance.pk)
        translated = {}
        for locale, _, _, slug, _ in instance._import_translations:
            if slug:
                own.add(locale.pk)
                translated[locale.pk] = slug
            else:
                own.discard(locale.pk)
        for locale, _, _, slug, _ in instance._import_translations:
            message = slug and self._file_slugs.translated_clash(row=row_number, locale=locale, slug=slug)
            if message:
                errors.setdefault(f"{locale.tag}:slug", []).append(message)
        if instance.slug and "slug" not in errors:
            message = self._file_slugs.primary_clash(row=row_number, slug=instance.slug, own_locales=own,
                                                     locales=self._locales.values())
            if message:
                errors["slug"] = [message]
        self._file_slugs.add(row=row_number, slug=instance.slug, own_locales=own, translated=translated)

    def _plan_translations(self, instance, row, errors, row_number) -> list:
        """Translation columns -> [(locale, existing, name, slug, field_data)] for translations that change."""
        by_locale: dict = {}
        for column, value in row.items():
            if TRANSLATION_SEPARATOR not in column:
                continue
            tag, key = (part.strip() for part in column.split(TRANSLATION_SEPARATOR, 1))
            locale = self._locales.get(tag.lower())
            if locale is None and is_empty(_cell(value)):
                continue  # a blank cell under an unknown tag loses nothing; only real content is refused
            if locale is None:
                known = ", ".join(loc.tag for loc in self._locales.values() if not loc.is_primary) or "(none)"
                errors[column] = [f"unknown locale '{tag}' for site '{self.collection.site}'; "
                                  f"translation columns may use: {known}."]
            elif locale.is_primary:
                errors[column] = [f"{locale.tag} is the site's primary locale; put its content in the "
                                  f"'{key}' column instead."]
            elif not locale.is_enabled:
                errors[column] = [f"{translation_locale_problem(item=instance, locale=locale)}."]
            else:
                by_locale.setdefault(locale, {})[key] = _cell(value)

        plans = []
        for locale, values in by_locale.items():
            existing = self._existing_translations.get((instance.pk, locale.pk)) if instance.pk else None
            name = _text(values.pop("name")) if "name" in values else (existing.name if existing else "")
            slug = _text(values.pop("slug")) if "slug" in values else (existing.slug if existing else "")
            data = dict(existing.field_data) if existing else {}
            for key, value in values.items():
                if is_empty(value):
                    data.pop(key, None)
                else:
                    data[key] = value
            try:
                DraftTranslation(name=name, slug=slug).clean_fields(exclude=["item", "locale", "field_data"])
                data = clean_field_data(self.collection, data, name=name, slug=slug, partial=True)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors.setdefault(f"{locale.tag}:{key}", []).extend(messages)
                continue
            if existing is None and not (name or slug or data):
                continue
            first = self._translated_slug_rows.setdefault((locale.pk, slug), row_number) if slug else row_number
            if first != row_number:
                errors.setdefault(f"{locale.tag}:slug", []).append(
                    f"the {locale.tag} slug '{slug}' is also used by row {first} of this file; each row needs its own.")
                continue
            clash = self._slugs.translation_slug_clash(locale=locale, slug=slug, item_pk=instance.pk)
            if clash is not None:
                errors.setdefault(f"{locale.tag}:slug", []).append(f"{clash} Choose a different slug.")
                continue
            if existing is None or (existing.name, existing.slug, existing.field_data) != (name, slug, data):
                plans.append((locale, existing, name, slug, data))
        return plans

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or original.pk is None:
            return False
        if getattr(instance, "_import_translations", None):
            return False
        return all(getattr(instance, f) == getattr(original, f)
                   for f in ("name", "slug", "field_data", "is_archived", "is_draft"))

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._is_dry_run(kwargs):
            return  # a check writes nothing, not even inside a transaction that is rolled back afterwards
        self.before_save_instance(instance, row, **kwargs)
        self._pending.append((instance, is_create))  # written in bulk by after_import, a few queries in all

    def before_save_instance(self, instance, row, **kwargs):
        actor = self.actor or kwargs.get("user")
        if instance.pk is None:
            instance.created_by = actor
        instance.last_edited_by = actor
        # simple-history takes the user and reason from these attributes (no request in the command).
        instance._history_user = actor
        instance._change_reason = f"Imported from {kwargs.get('file_name') or 'a file'}"[:HISTORY_REASON_MAX]

    def _write_pending(self, actor) -> None:
        """Write the rows' items and translations with a fixed number of queries: bulk INSERT/UPDATE, one INSERT
        of simple-history rows per model and kind, one of audit entries. The entries are the ones the per-save
        receiver writes (item/translation create or edit with the field diff); items whose approval was pinned
        go back to draft as after any edit (a few queries for each such item)."""
        now = timezone.now()
        items = [instance for instance, _ in self._pending]
        for item in items:
            item.source_hash = item.primary_fingerprint()  # what DraftItem.save() maintains
            item.updated_at = now  # bulk_update skips auto_now
        created = DraftItem.objects.bulk_create([item for item, is_create in self._pending if is_create])
        updated = [item for item, is_create in self._pending if not is_create]
        if updated:
            DraftItem.objects.bulk_update(updated, _WRITTEN_ITEM_FIELDS)
        history = {
            **_history_by_pk(DraftItem, created, actor, now, update=False),
            **_history_by_pk(DraftItem, updated, actor, now, update=True),
        }
        # Rows match on slug, so self._existing (never modified: rows work on copies) holds each one's "before".
        events = [history_audit_entry(instance=item, history_instance=history[item.pk], history_user=actor,
                                      previous=None if is_create else self._existing.get(item.slug))
                  for item, is_create in self._pending]

        new_translations, changed_translations, before = [], [], {}
        for item in items:
            for locale, existing, name, slug, data in getattr(item, "_import_translations", []):
                translation = existing or DraftTranslation(item=item, locale=locale)
                if existing is not None:
                    before[existing.pk] = copy.copy(existing)
                translation.item, translation.locale = item, locale
                translation.name, translation.slug, translation.field_data = name, slug, data
                translation.source_hash = item.source_hash  # what DraftTranslation.save() maintains
                translation.last_edited_by = actor
                translation.updated_at = now
                translation._history_user, translation._change_reason = actor, item._change_reason
                (changed_translations if existing is not None else new_translations).append(translation)
        DraftTranslation.objects.bulk_create(new_translations)
        if changed_translations:
            DraftTranslation.objects.bulk_update(changed_translations, _WRITTEN_TRANSLATION_FIELDS)
        history = {
            **_history_by_pk(DraftTranslation, new_translations, actor, now, update=False),
            **_history_by_pk(DraftTranslation, changed_translations, actor, now, update=True),
        }
        events += [history_audit_entry(instance=t, history_instance=history[t.pk], history_user=actor,
                                       previous=before.get(t.pk), item=t.item)
                   for t in [*new_translations, *changed_translations]]
        audit_record_many([event for event in events if event is not None])

        self.non_draft_updated += [item.pk for item in updated if item.status not in _EDITABLE_STATUSES]
        label = actor_label_for(actor, fallback=system_actor_label())
        for item in updated:
            if PINNED_FINGERPRINT_FIELD.get(item.status):
                item_content_changed(item_id=item.pk, actor=actor, actor_label=label)
        for item in items:
            del item._change_reason  # it belongs to this import only (simple-history reuses a leftover one)
        self._pending = []

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self._is_dry_run(kwargs) or result.has_errors() or result.has_validation_errors():
            return  # with a problem the whole import is rolled back, so the pending rows are never written
        self._write_pending(self.actor or kwargs.get("user"))
        if not kwargs.get("audit", True):
            return  # a chunked import writes one entry for the whole file itself
        counts = import_counts(result)
        file_name = kwargs.get("file_name") or ""
        audit_record(
            action="item.import",
            actor=self.actor or kwargs.get("user"),
            collection=self.collection,
            object_repr=file_name or str(self.collection),
            message=f"Imported {file_name or 'a file'}: {counts['new']} new, {counts['updated']} updated, "
                    f"{counts['unchanged']} unchanged.",
            data={"file_name": file_name, "rows": result.total_rows, **counts,
                  "skipped": counts["unchanged"], "updated_outside_draft": self.non_draft_updated},
        )


@dataclass(frozen=True)
class RowProblem:
    """One reason a row (or the whole file, row 0) cannot be imported."""

    row: int
    field: str
    message: str

    def __str__(self):
        where = f"row {self.row}" if self.row else "file"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a failed import, would have done: then nothing was written)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    result: Result | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        verb = "would import" if self.dry_run or not self.ok else "imported"
        text = f"{verb}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        if not self.ok:
            text += f"; {len(self.problems)} problem(s), nothing was written"
        elif self.dry_run:
            text += " (dry run, nothing was written)"
        return text


def _history_by_pk(model, instances, actor, now, *, update: bool) -> dict:
    """One INSERT of simple-history rows for bulk-written instances -> {instance pk: its history row}."""
    if not instances:
        return {}
    rows = model.history.bulk_history_create(instances, update=update, default_user=actor, default_date=now)
    return {row.id: row for row in rows}


def import_counts(result: Result) -> dict[str, int]:
    return {
        "new": result.totals[RowResult.IMPORT_TYPE_NEW],
        "updated": result.totals[RowResult.IMPORT_TYPE_UPDATE],
        "unchanged": result.totals[RowResult.IMPORT_TYPE_SKIP],
    }


def problems_from_result(result: Result) -> list[RowProblem]:
    """Every base error, row exception and per-field validation message, in row order."""
    problems = [RowProblem(0, "", str(error.error)) for error in result.base_errors]
    for number, errors in result.row_errors():
        problems.extend(RowProblem(number, "", str(error.error)) for error in errors)
    for invalid in result.invalid_rows:
        for key, messages in invalid.error_dict.items():
            key = "" if key == NON_FIELD_ERRORS else key
            problems.extend(RowProblem(invalid.number, key, message) for message in messages)
    return sorted(problems, key=lambda p: p.row)


def dataset_from_file(path) -> tablib.Dataset:
    """Read a .csv/.xlsx/.json/.jsonl file into rows within the IMPORT_* limits; raises ImportFileUnreadable."""
    from .import_files import read_import_file  # reads with this module's formats, so it imports them

    return read_import_file(Path(path), name=str(path))


def drafts_import(*, collection, dataset: tablib.Dataset, actor, file_name: str = "", dry_run: bool = False,
                  audit: bool = True) -> ImportReport:
    """Create or update the collection's draft items from rows -> ImportReport.

    Everything happens in one transaction: with any problem (or dry_run) it is rolled back and nothing is
    written. On success history rows are recorded per item/translation and one `item.import` audit entry is
    added (unless audit=False). Raises nothing for bad rows: they come back as report.problems.
    """
    resource = DraftItemResource(collection=collection, actor=actor)
    result = resource.import_data(
        dataset, dry_run=dry_run, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True,
        file_name=file_name, user=actor, audit=audit,
    )
    return ImportReport(**import_counts(result), problems=problems_from_result(result), dry_run=dry_run,
                        result=result)


def drafts_import_file(*, path, collection, actor, dry_run: bool = False) -> ImportReport:
    """drafts_import for a file, its format chosen by extension; raises ImportFileUnreadable if unreadable."""
    dataset = dataset_from_file(path)
    return drafts_import(collection=collection, dataset=dataset, actor=actor, file_name=Path(path).name,
                         dry_run=dry_run)
