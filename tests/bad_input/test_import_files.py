"""Bad import files through the real admin pages: each gets a message a person can act on, never a 500, and
nothing is written."""
import io
import json
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from stagingapp.models import DraftItem, ImportJob
from tests.bad_input.support import row_counts

IMPORT_URL = "/admin/stagingapp/draftitem/import/"
HEAD = "name,slug,summary,reading-minutes,featured,category\n"


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 1_500_000)
    return out.getvalue()


# (case id, file name, content, what the page says)
FILE_CASES = [
    ("unknown type", "posts.exe", b"MZ", "unknown file type '.exe'"),
    ("no extension", "posts", b"name\nA\n", "unknown file type '(none)'"),
    ("empty csv", "posts.csv", b"", "The submitted file is empty."),
    ("header only", "posts.csv", HEAD.encode(), "it has no rows to import"),
    ("too big", "posts.csv", (HEAD + "A,a,S,1,yes,News\n" * 200).encode(), "files up to 0.0 MB can be imported"),
    ("too many rows", "posts.csv", (HEAD + "".join(f"P{n},p-{n},S,,,\n" for n in range(30))).encode(),
     "more than 20 rows, the most one import takes"),
    ("cell too long", "posts.csv", (HEAD + "A,a," + "x" * 300 + ",,,\n").encode(),
     "row 1, column 'summary' holds 300 characters; a cell may hold at most 200"),
    ("more cells than headers", "posts.csv", b"name,slug\nA,a,extra\n", "row 1 has more cells than the header"),
    ("xlsx not a zip", "posts.xlsx", b"name,slug\n", "it is not an Excel .xlsx workbook"),
    ("xlsx unpacks too big", "posts.xlsx", zip_bomb(), "the workbook unpacks to 1.5 MB; at most 0.5 MB is read"),
    ("xlsx damaged", "posts.xlsx", b"PK\x03\x04broken", "Excel"),
    ("json not an array", "posts.json", b'{"name": "A"}', "expected a JSON array of objects"),
    ("json broken", "posts.json", b"[{", "not valid JSON (line 1, column 3"),
    ("json array of numbers", "posts.json", b"[1, 2]", "item 1 is not an object"),
    ("jsonl bad line", "posts.jsonl", b'{"name": "A"}\n[\n', "line 2 is not valid JSON"),
    ("utf-16 odd bytes", "posts.csv", b"\xff\xfen\x00a\x00\x00\xd8", "it starts like utf-16 but is not"),
    # NUL: PostgreSQL stores it in no text or JSON column (this was a 500 there, and silently kept on SQLite).
    ("NUL in a csv cell", "posts.csv", (HEAD + "A\x00B,a,S,,,\n").encode(),
     "row 1, column 'name' holds an invisible NUL character (U+0000)"),
    ("NUL in a json value", "posts.json", json.dumps([{"name": "A", "slug": "a", "summary": "S\u0000"}]).encode(),
     "row 1, column 'summary' holds an invisible NUL character"),
    ("NUL in a json key", "posts.json", json.dumps([{"name\u0000": "A", "slug": "a", "summary": "S"}]).encode(),
     "the column name 'name' holds an invisible NUL character"),
]


@pytest.fixture
def small_limits(settings):
    settings.IMPORT_MAX_FILE_BYTES = 2_000
    settings.IMPORT_MAX_ROWS = 20
    settings.IMPORT_MAX_CELL_CHARS = 200
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 500_000


@pytest.mark.parametrize(("name", "content", "message"), [c[1:] for c in FILE_CASES],
                         ids=[c[0] for c in FILE_CASES])
def test_an_unusable_file_gets_a_plain_reason_and_nothing_is_written(client, editor, collection, small_limits,
                                                                     settings, name, content, message):
    client.force_login(editor)
    before = row_counts()
    response = client.post(IMPORT_URL, {"collection": collection.pk,
                                        "import_file": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page.replace("&#x27;", "'")
    assert row_counts() == before
    assert not any(settings.IMPORT_UPLOAD_DIR.glob("*")) if settings.IMPORT_UPLOAD_DIR.exists() else True


# (case id, rows after HEAD, what the page lists under the row)
ROW_CASES = [
    ("required value missing", "A,a,,,,\n", "Row 1, summary: This field is required."),
    ("number that is text", "A,a,S,three,,\n", "Row 1, reading-minutes:"),
    ("negative number", "A,a,S,-3,,\n", "Row 1, reading-minutes:"),
    ("boolean that is a sentence", "A,a,S,,yes please,\n", "Row 1, featured:"),
    ("unknown option", "A,a,S,,,Opinions\n", "Row 1, category:"),
    ("slug twice in the file", "A,a,S,,,\nB,a,S,,,\n", "Row 2, slug: slug &#x27;a&#x27; is also used by row 1"),
    ("slug with spaces", "A,Bad Slug!,S,,,\n", "Row 1, slug:"),
]


@pytest.mark.parametrize(("rows", "message"), [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES])
def test_a_bad_row_is_listed_under_its_row_and_nothing_is_written(client, editor, collection, rows, message):
    client.force_login(editor)
    before = row_counts()
    response = client.post(IMPORT_URL, {"collection": collection.pk, "import_file": SimpleUploadedFile(
        "posts.csv", (HEAD + rows).encode())}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="import-confirm"' not in page
    assert row_counts() == before


# (case id, header and row, what the page lists)
COLUMN_CASES = [
    ("primary locale column", "name,slug,summary,en-US:name\nA,a,S,X\n", "en-US is the site&#x27;s primary locale"),
    ("unknown locale column", "name,slug,summary,xx-XX:name\nA,a,S,X\n", "unknown locale &#x27;xx-XX&#x27;"),
    ("another collection's row", "collection,name,slug,summary\nffffffffffffffffffffffff,A,a,S\n",
     "this row is for collection"),
    ("flag that is not true or false", "name,slug,summary,is_draft\nA,a,S,maybe\n", "is not true/false"),
    ("value without a header", "name,slug,summary,\nA,a,S,lost\n", "a value sits in a column without a header"),
    # A row's slug is also its slug in every locale where it has no translated slug: Webflow refuses the second.
    ("translated slug is an earlier row's slug", "name,slug,summary,fr-FR:slug\nA,a,S,\nB,b,S,a\n",
     "Row 2, fr-FR:slug: the fr-FR slug &#x27;a&#x27; is row 1&#x27;s slug"),
    ("slug is an earlier row's translated slug", "name,slug,summary,fr-FR:slug\nA,a,S,b\nB,b,S,\n",
     "Row 2, slug: slug &#x27;b&#x27; is also row 1&#x27;s fr-FR slug"),
]


@pytest.mark.parametrize(("content", "message"), [c[1:] for c in COLUMN_CASES], ids=[c[0] for c in COLUMN_CASES])
def test_a_column_the_collection_cannot_take_is_named_and_nothing_is_written(client, editor, collection, content,
                                                                              message):
    client.force_login(editor)
    before = row_counts()
    response = client.post(IMPORT_URL, {"collection": collection.pk, "import_file": SimpleUploadedFile(
        "posts.csv", content.encode())}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert row_counts() == before


def checked_job(client, collection) -> ImportJob:
    client.post(IMPORT_URL, {"collection": collection.pk, "import_file": SimpleUploadedFile(
        "posts.csv", (HEAD + "A,a,S,,,\n").encode())})
    return ImportJob.objects.latest("pk")


# Fields the old import-export confirm form took from the browser; they are ignored now, whatever they say.
TAMPERED_CONFIRMS = [
    ("format abc", {"format": "abc"}),
    ("format 99", {"format": "99"}),
    ("file name outside the folder", {"import_file_name": "../../etc/passwd", "original_file_name": "x.csv"}),
    ("another collection", {"collection": "99999"}),
]


@pytest.mark.parametrize("fields", [c[1] for c in TAMPERED_CONFIRMS], ids=[c[0] for c in TAMPERED_CONFIRMS])
def test_tampered_confirm_fields_change_nothing_but_what_was_checked(client, editor, collection, fields):
    client.force_login(editor)
    job = checked_job(client, collection)
    response = client.post(f"{IMPORT_URL}{job.token}/confirm/", fields, follow=True)
    assert response.status_code == 200
    assert "Import finished: 1 new, 0 updated, 0 unchanged." in response.content.decode()
    assert list(DraftItem.objects.values_list("slug", "collection")) == [("a", collection.pk)]


@pytest.mark.parametrize("token", ["abc", "..", "x" * 300, "%2e%2e%2fetc%2fpasswd"])
def test_an_unknown_upload_token_is_a_message_and_nothing_is_written(client, editor, collection, token):
    client.force_login(editor)
    before = row_counts()
    response = client.post(f"{IMPORT_URL}{token}/confirm/", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    # A token with slashes never reaches the import pages: the admin answers that no such item exists.
    assert "Nothing was imported. This upload is not available any more" in page or "doesn’t exist" in page
    assert row_counts() == before


def test_a_missing_upload_file_is_a_message_and_nothing_is_written(client, editor, collection, settings):
    client.force_login(editor)
    job = checked_job(client, collection)
    (settings.IMPORT_UPLOAD_DIR / job.stored_name).unlink()
    response = client.post(f"{IMPORT_URL}{job.token}/confirm/", follow=True)
    assert response.status_code == 200
    assert "Nothing was imported: the uploaded file is gone; upload it again." in response.content.decode()
    assert not DraftItem.objects.exists()


def test_a_json_file_with_a_collection_field_for_elsewhere_is_refused(client, editor, collection):
    client.force_login(editor)
    content = json.dumps([{"collection": "f" * 24, "name": "A", "slug": "a", "summary": "S"}]).encode()
    response = client.post(IMPORT_URL, {"collection": collection.pk,
                                        "import_file": SimpleUploadedFile("posts.json", content)}, follow=True)
    assert "this row is for collection" in response.content.decode()
    assert not DraftItem.objects.exists()


ENCODINGS = [
    ("latin-1", "latin-1", b""),
    ("windows-1252", "cp1252", b""),
    ("utf-16 with BOM", "utf-16", b""),
    ("utf-16-le without BOM", "utf-16-le", b""),
    ("utf-8 with BOM", "utf-8", b"\xef\xbb\xbf"),
]


@pytest.mark.parametrize(("encoding", "prefix"), [c[1:] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS])
def test_csv_files_in_common_encodings_are_read_with_their_accents(client, editor, collection, encoding, prefix):
    client.force_login(editor)
    text = "name,slug,summary\nCafé déjà vu,cafe,Crème brûlée\n"
    job_page = client.post(IMPORT_URL, {"collection": collection.pk, "import_file": SimpleUploadedFile(
        "posts.csv", prefix + text.encode(encoding))}, follow=True)
    assert "Crème brûlée" in job_page.content.decode()
    job = ImportJob.objects.get()
    client.post(f"{IMPORT_URL}{job.token}/confirm/")
    assert DraftItem.objects.get().name == "Café déjà vu"
