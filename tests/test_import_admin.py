"""The admin import pages: check with a full preview and inline problems, confirm, big files in the background,
templates per collection, and uploads bound to their user and session and cleaned up."""
import os
import time
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from stagingapp import tasks
from stagingapp.models import AuditEvent, DraftItem, DraftTranslation, ImportJob
from stagingapp.services.import_jobs import import_cleanup
from tests import factories

IMPORT_URL = "/admin/stagingapp/draftitem/import/"
GOOD_CSV = "name,slug,summary,fr-FR:name,fr-FR:summary\nFirst,first,One,Premier,Un\nSecond,second,Two,,\n"
BAD_CSV = "name,slug,summary\nFirst,first,\nSecond,second,Two\n"


def upload(client, collection, content: str | bytes = GOOD_CSV, name="posts.csv", **extra):
    data = content.encode() if isinstance(content, str) else content
    return client.post(IMPORT_URL, {"collection": collection.pk, "import_file": SimpleUploadedFile(name, data),
                                    **extra})


def uploaded_job(client, collection, content=GOOD_CSV, name="posts.csv") -> ImportJob:
    response = upload(client, collection, content, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def stored_files(settings) -> list[str]:
    folder = settings.IMPORT_UPLOAD_DIR
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_an_editor_checks_a_file_sees_every_column_and_imports_it(client, editor, collection, settings):
    client.force_login(editor)
    job = uploaded_job(client, collection)
    page = client.get(reverse("admin:stagingapp_draftitem_import_job", args=[job.token])).content.decode()
    assert "Ready to import: 2 new, 0 updated, 0 unchanged." in page
    for column in ("name", "slug", "summary", "fr-FR:name", "fr-FR:summary", "Premier"):
        assert f"<th>{column}</th>" in page or f"<td>{column}</td>" in page
    assert not DraftItem.objects.exists()

    response = client.post(reverse("admin:stagingapp_draftitem_import_confirm", args=[job.token]))

    assert response.status_code == 302
    assert DraftItem.objects.count() == 2
    assert DraftTranslation.objects.get().name == "Premier"
    assert AuditEvent.objects.filter(action="item.import").count() == 1
    assert stored_files(settings) == []  # the upload is gone once imported
    again = client.post(reverse("admin:stagingapp_draftitem_import_confirm", args=[job.token]))
    assert again.status_code == 302 and DraftItem.objects.count() == 2  # a second confirm imports nothing


def test_row_problems_are_listed_inline_and_the_file_is_kept_for_another_check(client, editor, collection, site,
                                                                               settings):
    client.force_login(editor)
    job = uploaded_job(client, collection, BAD_CSV)
    page = client.get(reverse("admin:stagingapp_draftitem_import_job", args=[job.token])).content.decode()
    assert "1 problem found; nothing can be imported" in page
    assert "<li>Row 1, summary: This field is required.</li>" in page
    assert 'id="import-confirm"' not in page
    assert len(stored_files(settings)) == 1

    optional_summary = [{**f, "isRequired": False} if f["slug"] == "summary" else f for f in factories.BLOG_FIELDS]
    relaxed = factories.make_collection(site, name="Notes", fields_schema=optional_summary)
    response = client.post(IMPORT_URL, {"collection": relaxed.pk, "job": job.token})  # no new upload

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.collection, job.result["problem_count"], job.result["new"]) == (relaxed, 0, 2)


def test_an_unreadable_upload_is_refused_on_the_form_and_deleted_at_once(client, editor, collection, settings):
    client.force_login(editor)
    response = upload(client, collection, "{not json", name="posts.json")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "not valid JSON (line 1, column 2" in page
    assert job.status == ImportJob.Status.FAILED or ImportJob.objects.get().status == ImportJob.Status.FAILED
    assert stored_files(settings) == []


@pytest.mark.parametrize("intruder", ["other_user", "other_session"])
def test_an_upload_belongs_to_its_user_and_session(client, editor, collection, settings, intruder):
    client.force_login(editor)
    job = uploaded_job(client, collection)
    other = client.__class__()
    other.force_login(editor if intruder == "other_session" else factories.make_user("editor2", "Editors"))

    page = other.get(reverse("admin:stagingapp_draftitem_import_job", args=[job.token]), follow=True)
    confirm = other.post(reverse("admin:stagingapp_draftitem_import_confirm", args=[job.token]), follow=True)

    assert "This upload is not available any more" in page.content.decode()
    assert "Nothing was imported. This upload is not available any more" in confirm.content.decode()
    assert not DraftItem.objects.exists()
    assert len(stored_files(settings)) == 1


def test_a_big_file_is_imported_by_the_worker_in_chunks_with_progress(
        client, editor, collection, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_BACKGROUND_ROWS, settings.IMPORT_WRITE_CHUNK_ROWS = 2, 2
    rows = "".join(f"Post {n},post-{n},Summary {n}\n" for n in range(5))
    client.force_login(editor)
    job = uploaded_job(client, collection, "name,slug,summary\n" + rows)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("admin:stagingapp_draftitem_import_confirm", args=[job.token]))
    assert len(callbacks) == 1 and not DraftItem.objects.exists()
    page = client.get(reverse("admin:stagingapp_draftitem_import_job", args=[job.token])).content.decode()
    assert "Imported 0 of 5 rows so far" in page and 'http-equiv="refresh"' in page

    assert tasks.import_run(job.pk) == ImportJob.Status.DONE

    job.refresh_from_db()
    assert (job.rows_done, DraftItem.objects.count()) == (5, 5)
    assert AuditEvent.objects.get(action="item.import").data["new"] == 5
    page = client.get(reverse("admin:stagingapp_draftitem_import_job", args=[job.token])).content.decode()
    assert "Imported: 5 new, 0 updated, 0 unchanged." in page


def test_the_template_has_the_collections_real_columns(client, editor, collection):
    client.force_login(editor)
    csv = client.get(reverse("admin:stagingapp_draftitem_import_template", args=[collection.pk, "csv"]))
    header = csv.content.decode().splitlines()[0]
    assert header.startswith("name,slug,summary,body,reading-minutes,featured,category,is_archived,is_draft,")
    assert "de-DE:name,de-DE:slug,de-DE:summary" in header and "en-US:" not in header
    xlsx = client.get(reverse("admin:stagingapp_draftitem_import_template", args=[collection.pk, "xlsx"]))
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]] == header.split(",")


def test_cleanup_deletes_old_unconfirmed_uploads_and_strays_but_nothing_outside_its_folder(
        client, editor, collection, settings, tmp_path):
    client.force_login(editor)
    old_job = uploaded_job(client, collection)
    fresh_job = uploaded_job(client, collection)
    ImportJob.objects.filter(pk=old_job.pk).update(created_at=timezone.now() - timedelta(days=2))
    stray = settings.IMPORT_UPLOAD_DIR / "stray.csv"
    stray.write_text("x")
    os.utime(stray, (time.time() - 3 * 86400,) * 2)
    outside = tmp_path / "not-ours.csv"
    outside.write_text("keep me")

    assert import_cleanup() == 2

    assert list(ImportJob.objects.all()) == [fresh_job]
    assert stored_files(settings) == [fresh_job.stored_name]
    assert outside.read_text() == "keep me"
