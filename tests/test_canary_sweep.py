"""A canary token through a whole flow (sync, import, review, push with faults): afterwards it is nowhere but in
the Authorization header, not in the database, the logs, any page shown, the CSV export or the sandbox's log."""
import io
import json
import logging
import secrets

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from stagingapp.models import DraftItem, ImportJob, PushBatch
from stagingapp.services.push import batch_push
from tests.push_support import fast_passwords  # noqa: F401
from tests.test_push import no_sleep

ADMIN = "/admin/stagingapp"


def test_the_token_appears_only_in_the_authorization_header(client, webflow_sandbox, site, locales, collection,
                                                            editor, approver, publisher, caplog, settings):
    canary = "wf-canary-" + secrets.token_hex(12)
    webflow_sandbox.token = settings.WEBFLOW_API_TOKEN = canary
    webflow_sandbox.seed_from_models(site)
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []

    def visit(user, method, url, data=None, **extra):
        client.force_login(user)
        response = getattr(client, method)(url, data or {}, follow=True, **extra)
        assert response.status_code == 200, url
        pages.append(response.content.decode() if not response.streaming else
                     b"".join(response.streaming_content).decode())
        return response

    # Sync, also through a refused (401) request whose message is shown to the publisher.
    visit(publisher, "post", f"{ADMIN}/site/", {"action": "sync_locales_from_webflow", "_selected_action": [site.pk]})
    webflow_sandbox.token = "someone-else"
    visit(publisher, "post", f"{ADMIN}/collection/", {"action": "sync_fields_from_webflow",
                                                      "_selected_action": [collection.pk]})
    webflow_sandbox.token = canary
    visit(publisher, "post", f"{ADMIN}/collection/", {"action": "sync_fields_from_webflow",
                                                      "_selected_action": [collection.pk]})
    # Import, review.
    csv = "name,slug,summary,fr-FR:name\n" + "".join(f"Post {n},post-{n},Summary {n},Article {n}\n" for n in range(6))
    visit(editor, "post", f"{ADMIN}/draftitem/import/", {"collection": collection.pk,
                                                         "import_file": SimpleUploadedFile("posts.csv", csv.encode())})
    visit(editor, "post", f"{ADMIN}/draftitem/import/{ImportJob.objects.get().token}/confirm/")
    ids = list(DraftItem.objects.values_list("pk", flat=True))
    visit(editor, "post", f"{ADMIN}/draftitem/", {"action": "submit_selected", "_selected_action": ids})
    visit(approver, "post", f"{ADMIN}/draftitem/", {"action": "approve_selected", "_selected_action": ids,
                                                    "apply": "1", "comment": "ok"})
    # Push with faults: a 500, a dropped answer after Webflow wrote, and a refused token half-way.
    visit(publisher, "post", f"{ADMIN}/draftitem/", {"action": "create_push_batch", "_selected_action": ids})
    batch = PushBatch.objects.get()
    visit(publisher, "post", f"{ADMIN}/pushbatch/{batch.pk}/do/queue/")
    webflow_sandbox.faults.add("500", path="/items/bulk$", method="POST", times=1)
    webflow_sandbox.faults.add("drop_after_commit", path="/items$", method="PATCH", times=1)
    batch_push(batch_id=batch.pk, sleep=no_sleep)
    assert PushBatch.objects.get().status == PushBatch.Status.SUCCEEDED
    for url in (f"{ADMIN}/pushbatch/{batch.pk}/change/", f"{ADMIN}/pushbatch/", f"{ADMIN}/auditevent/",
                f"{ADMIN}/draftitem/{ids[0]}/change/", f"{ADMIN}/auditevent/export-csv/",
                f"{ADMIN}/pushbatch/{batch.pk}/progress/", "/admin/"):
        visit(publisher, "get", url)

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    sandbox_log = json.dumps(webflow_sandbox.requests, default=str)
    assert len(webflow_sandbox.requests) > 5 and "/items/bulk" in sandbox_log  # the flow really talked to it
    assert any("auditevent" in page and "push." in page for page in pages)
    for where, text in [("database dump", dump.getvalue()), ("logs", caplog.text), ("sandbox log", sandbox_log),
                        *((f"page {n}", page) for n, page in enumerate(pages))]:
        assert canary not in text, f"the token leaked into the {where}"
