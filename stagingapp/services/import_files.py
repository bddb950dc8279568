"""Reading import files within limits: size, rows, cell length, an XLSX's unpacked size, and the text encoding.

Every limit comes from settings (IMPORT_* in project/settings.py) and is checked before the expensive step it
protects: the upload size before saving, the unpacked size before openpyxl opens the workbook, the row count
while rows are read (never after reading them all).
"""
import codecs
import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import tablib
from django.conf import settings

from ..db_limits import holds_nul, without_nul
from ..exceptions import ImportFileUnreadable
from .imports import FORMAT_BY_EXTENSION, JSONL, JSONObjects, objects_to_dataset

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
RESAVE_HINT = "re-save it as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8) and upload it again"


def _limit_text(number: int) -> str:
    return f"{number:,}"


def decode_text(raw: bytes, *, name: str) -> str:
    """Bytes -> text: a BOM decides, else UTF-8, else UTF-16 without BOM (many NUL bytes), else Windows-1252."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ImportFileUnreadable(path=name, reason=f"it starts like {encoding} but is not; {RESAVE_HINT}"
                                           ) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    sample = raw[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        encoding = "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ImportFileUnreadable(path=name, reason=f"the text encoding is not recognised; {RESAVE_HINT}"
                                       ) from exc
    try:
        # Latin-1 and Windows-1252 (what older Excel writes) agree on letters; 1252 adds quotes and the euro sign.
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFileUnreadable(path=name, reason=f"the text encoding is not recognised; {RESAVE_HINT}") from exc


def _check_rows(count: int, *, name: str):
    if count > settings.IMPORT_MAX_ROWS:
        raise ImportFileUnreadable(path=name, reason=(
            f"it has more than {_limit_text(settings.IMPORT_MAX_ROWS)} rows, the most one import takes; "
            "split it into smaller files"))


# A cell holding NUL (see db_limits) made the import's own record of the file a 500 on PostgreSQL.
NUL_HINT = "an invisible NUL character (U+0000), which cannot be stored; remove it, or export the file again"


def _check_cells(dataset: tablib.Dataset, *, name: str):
    limit = settings.IMPORT_MAX_CELL_CHARS
    headers = dataset.headers or []
    for column in headers:
        if holds_nul(column):
            raise ImportFileUnreadable(path=name, reason=f"the column name '{without_nul(column)}' holds {NUL_HINT}")
    for number, row in enumerate(dataset, 1):
        for column, value in zip(headers, row, strict=False):
            if isinstance(value, str) and len(value) > limit:
                raise ImportFileUnreadable(path=name, reason=(
                    f"row {number}, column '{column}' holds {_limit_text(len(value))} characters; "
                    f"a cell may hold at most {_limit_text(limit)}"))
            if holds_nul(value):
                raise ImportFileUnreadable(path=name, reason=f"row {number}, column '{column}' holds {NUL_HINT}")


def _read_csv(raw: bytes, *, name: str) -> tablib.Dataset:
    reader = csv.reader(io.StringIO(decode_text(raw, name=name), newline=""))
    try:
        headers = next(reader, [])
        dataset = tablib.Dataset(headers=headers)
        for number, row in enumerate(reader, 1):
            _check_rows(number, name=name)
            if not any(cell.strip() for cell in row):
                continue
            dataset.append((row + [""] * len(headers))[:len(headers)] if len(row) <= len(headers) else row)
    except csv.Error as exc:
        raise ImportFileUnreadable(path=name, reason=f"it is not valid CSV ({exc})") from exc
    except tablib.InvalidDimensions as exc:
        raise ImportFileUnreadable(path=name, reason=(
            f"row {number} has more cells than the header has columns; every value needs a column name")) from exc
    return dataset


def _read_xlsx(raw: bytes, *, name: str) -> tablib.Dataset:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportFileUnreadable(path=name, reason="it is not an Excel .xlsx workbook") from exc
    if unpacked > settings.IMPORT_MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileUnreadable(path=name, reason=(
            f"the workbook unpacks to {unpacked / 1_000_000:,.1f} MB; at most "
            f"{settings.IMPORT_MAX_XLSX_UNPACKED_BYTES / 1_000_000:,.1f} MB is read"))
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = [("" if h is None else str(h)) for h in next(rows, ())]
        dataset = tablib.Dataset(headers=headers)
        for number, row in enumerate(rows, 1):
            _check_rows(number, name=name)
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
                continue
            dataset.append((list(row) + [None] * len(headers))[:len(headers)])
        book.close()
    except ImportFileUnreadable:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook; all mean the same to a person
        raise ImportFileUnreadable(path=name, reason=f"the workbook cannot be read ({type(exc).__name__})") from exc
    return dataset


def _read_json(raw: bytes, *, name: str, lines: bool) -> tablib.Dataset:
    reader = JSONL() if lines else JSONObjects()
    try:
        objects = reader.parse(decode_text(raw, name=name))
        _check_rows(len(objects), name=name)
        return objects_to_dataset(objects)
    except ImportFileUnreadable:
        raise
    except ValueError as exc:
        raise ImportFileUnreadable(path=name, reason=str(exc)) from exc


def read_import_file(path: Path, *, name: str) -> tablib.Dataset:
    """The rows of an import file (format by the extension of `name`) within the IMPORT_* limits.

    Raises ImportFileUnreadable with a reason a person can act on: unknown type, too big, too many rows, a cell
    too long, an unreadable encoding or a damaged file.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in FORMAT_BY_EXTENSION:
        raise ImportFileUnreadable(path=name, reason=(
            f"unknown file type '{suffix or '(none)'}'; use one of {', '.join(FORMAT_BY_EXTENSION)}"))
    size = path.stat().st_size
    check_upload_size(size, name=name)
    raw = path.read_bytes()
    if suffix == ".xlsx":
        dataset = _read_xlsx(raw, name=name)
    elif suffix == ".csv":
        dataset = _read_csv(raw, name=name)
    else:
        dataset = _read_json(raw, name=name, lines=suffix == ".jsonl")
    if not len(dataset):
        raise ImportFileUnreadable(path=name, reason="it has no rows to import below the header row")
    _check_cells(dataset, name=name)
    return dataset


def check_upload_size(size: int, *, name: str):
    """Raises ImportFileUnreadable when a file is over IMPORT_MAX_FILE_BYTES."""
    if size > settings.IMPORT_MAX_FILE_BYTES:
        raise ImportFileUnreadable(path=name, reason=(
            f"it is {size / 1_000_000:.1f} MB; files up to "
            f"{settings.IMPORT_MAX_FILE_BYTES / 1_000_000:.1f} MB can be imported"))
