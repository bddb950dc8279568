"""A publisher's push in a real browser: a batch from the dashboard, pre-flight and preview, a confirmed queue,
and the batch page following the worker on its own until Webflow's IDs are shown; cancel and a retry that opens
the new batch's pre-flight."""
import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from stagingapp.models import PushBatch, WebflowItemRef
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push import batch_push
from stagingapp.webflow.client import get_client
from tests.push_support import make_approved_items

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def push_in_background(batch_id: int) -> threading.Thread:
    """The worker's part, in a thread with its own database connection (what a qcluster process does)."""
    def run():
        try:
            batch_push(batch_id=batch_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="test-push-worker")
    thread.start()
    return thread


def test_a_publisher_queues_approved_items_and_the_batch_page_follows_the_push_to_the_end(
    page, login, publisher, site, locales, collection, webflow_sandbox
):
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 3, locales=locales[1:])
    # The localizing PATCH answers slowly, so the page is seen mid-push: created, not yet done.
    webflow_sandbox.faults.add("slow", path="/items$", method="PATCH", delay=5)

    login("publisher")
    page.goto("/admin/")
    ready = page.locator("#dash-ready")
    expect(ready).to_contain_text("3 items")
    ready.locator("button[name=new_batch]").click()
    expect(page.locator("#push-status")).to_have_text("Pending")
    expect(page.locator(".messagelist .success")).to_contain_text("with 3 approved items")
    expect(page.locator("#preflight")).to_contain_text("All checks passed.")
    page.click("#preview summary")
    expect(page.locator("#preview")).to_contain_text(f"POST /v2/collections/{collection.webflow_id}/items/bulk")

    # An unsaved change of Mode is never queued silently: the dialog says so and offers to save.
    page.select_option("#id_mode", "live")
    page.click("#queue-button")
    expect(page.locator("#queue-dialog [data-when=unsaved]")).to_contain_text("You changed Mode")
    page.click("#queue-dialog [data-when=unsaved] [data-close]")
    page.select_option("#id_mode", "stage")
    page.click("#queue-button")
    dialog = page.locator("#queue-dialog [data-when=saved]")
    expect(dialog).to_contain_text("Stage")
    expect(dialog).to_contain_text("en-US, de-DE, fr-FR")
    expect(dialog).to_contain_text("now")
    expect(dialog).to_contain_text("under a minute")
    box, window = page.locator("#queue-dialog").bounding_box(), page.viewport_size
    assert abs(box["x"] + box["width"] / 2 - window["width"] / 2) < 2  # centred, not in the corner
    page.click("#queue-confirm")
    expect(page.locator("#push-status")).to_have_text("Queued")
    batch = PushBatch.objects.get()
    worker = push_in_background(batch.pk)
    try:
        # No reload by the test: the page's own polling shows the run and its counts as they change.
        expect(page.locator("#push-status")).to_have_text("Running", timeout=10_000)
        expect(page.locator("#push-counts b[data-k=sent]")).to_have_text("3", timeout=10_000)
        expect(page.locator("#push-requests")).not_to_have_text("0")
        # Finished: the page reloads itself, shows the outcome and every Webflow ID per item and locale.
        expect(page.locator("#push-status")).to_have_text("Succeeded", timeout=20_000)
    finally:
        worker.join(timeout=30)
    assert not worker.is_alive()
    expect(page.locator("#push-counts b[data-k=done]")).to_have_text("3")
    assert page.eval_on_selector("#push-progress [data-seg=done]", "bar => bar.style.width") == "100%"
    refs = WebflowItemRef.objects.filter(item__in=items)
    assert refs.count() == 3 * len(locales)
    body = page.locator("body")
    for webflow_id in set(refs.values_list("webflow_item_id", flat=True)):
        expect(body).to_contain_text(webflow_id)
    expect(page.locator("text=Queue this batch")).to_have_count(0)


def test_the_cancel_and_retry_buttons_act_from_the_batch_page(
    page, login, publisher, site, locales, collection, webflow_sandbox
):
    webflow_sandbox.seed_from_models(site)
    pending = make_approved_items(collection, 2, start=1)
    pending_batch = batch_create(collection=collection, item_ids=[i.pk for i in pending], mode="stage",
                                 actor=publisher)
    login("publisher")
    page.goto(f"/admin/stagingapp/pushbatch/{pending_batch.pk}/change/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Cancel batch")  # asked first; dismissed, nothing happens
    expect(page.locator("#push-status")).to_have_text("Pending")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Cancel batch")
    expect(page.locator("#push-status")).to_have_text("Cancelled")
    assert PushBatch.objects.get(pk=pending_batch.pk).status == PushBatch.Status.CANCELLED

    # Someone created post-12 in Webflow directly, so that item of the next batch fails and can be retried.
    get_client().create_items_bulk(collection.webflow_id, field_data=[
        {"name": "Theirs", "slug": "post-12", "summary": "not ours"}], cms_locale_ids=[locales[0].cms_locale_id],
        is_draft=True, is_archived=False)
    items = make_approved_items(collection, 3, start=11)
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher,
                         locale_ids=[locales[0].pk])
    batch_queue(batch_id=batch.pk, actor=publisher)
    batch_push(batch_id=batch.pk)
    page.goto(f"/admin/stagingapp/pushbatch/{batch.pk}/change/")
    expect(page.locator("#push-status")).to_have_text("Partly failed")
    expect(page.locator("body")).to_contain_text("slug 'post-12' is already used in Webflow")

    expect(page.locator("#push-progress [data-seg=failed]")).not_to_have_attribute("style", "width:0%")
    page.click("text=Retry failed items")
    # The follow-up batch's own page, pending with its pre-flight: nothing is queued blind.
    expect(page.locator("#push-status")).to_have_text("Pending")
    expect(page.locator("#preflight")).to_be_visible()
    retry = PushBatch.objects.get(retry_of=batch)
    expect(page).to_have_url(re.compile(rf"/admin/stagingapp/pushbatch/{retry.pk}/change/$"))
    assert list(retry.entries.values_list("item_id", flat=True)) == [items[1].pk]
