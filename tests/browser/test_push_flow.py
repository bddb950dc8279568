"""A publisher's push in a real browser: a batch from selected items, pre-flight and preview, queue, and the
batch page following the worker on its own until Webflow's IDs are shown."""
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
    page.goto("/admin/stagingapp/draftitem/")
    for item in items:
        page.check(f"input[name=_selected_action][value='{item.pk}']")
    page.select_option("select[name=action]", "create_push_batch")
    page.click("button[name=index]")
    expect(page.locator("#push-status")).to_have_text("Pending")
    expect(page.locator("body")).to_contain_text("All checks passed.")
    expect(page.locator("body")).to_contain_text(f"POST /v2/collections/{collection.webflow_id}/items/bulk")

    page.click("text=Queue this batch")
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
    assert page.eval_on_selector("#push-bar", "bar => bar.style.width") == "100%"
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

    page.click("text=Retry failed items")
    expect(page.locator("#push-status")).to_have_text("Queued")  # the follow-up batch's own page
    retry = PushBatch.objects.get(retry_of=batch)
    expect(page).to_have_url(re.compile(rf"/admin/stagingapp/pushbatch/{retry.pk}/change/$"))
    assert list(retry.entries.values_list("item_id", flat=True)) == [items[1].pk]
