"""Several push requests in flight (WEBFLOW_PUSH_IN_FLIGHT): against a sandbox that takes its time to answer, the
requests really overlap, never more than the setting allows, and the crash-safety rules hold: every answer is
recorded, also when the run stops while others are still on their way."""
import pytest

from stagingapp.models import PushBatch, PushChunk, WebflowItemRef
from stagingapp.services.batches import batch_create, batch_queue, batch_retry_failed
from stagingapp.services.push import batch_push
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import assert_webflow_matches, no_sleep


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def run(collection, items, publisher):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher)
    batch_queue(batch_id=batch.pk, actor=publisher)
    return batch_push(batch_id=batch.pk, sleep=no_sleep)


@pytest.mark.parametrize("depth", [1, 3])
def test_requests_overlap_up_to_the_setting_and_land_once(sandbox, collection, locales, publisher, settings, depth):
    settings.WEBFLOW_PUSH_IN_FLIGHT = depth
    sandbox.set_latency(0.15)
    # 700 items × 3 locales: 22 bulk creates of 33 items (99 variants), then PATCHes of the translations.
    items = make_approved_items(collection, 700, locales=locales[1:])

    batch = run(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert sandbox.peak_in_progress == depth
    assert_webflow_matches(sandbox, collection, items, locales)
    assert len(sandbox.requests_to(r"/items/bulk$", "POST")) == 22


def test_a_run_that_stops_records_every_answer_already_on_its_way(sandbox, collection, locales, publisher, settings):
    """One create fails for good (one attempt allowed) while others are in flight: the batch stops, every item
    Webflow did create is linked to its draft (no orphan), and a retry finishes the batch without a duplicate."""
    settings.WEBFLOW_PUSH_IN_FLIGHT = 4
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 1
    sandbox.set_latency(0.3)
    # The third create fails at once, while the first two (and the fourth, sent meanwhile) are still on their way.
    sandbox.faults.add("slow", path=r"/items/bulk$", method="POST", times=2, delay=0.2)
    sandbox.faults.add("500", path=r"/items/bulk$", method="POST", times=1)
    items = make_approved_items(collection, 600, locales=locales[1:])

    batch = run(collection, items, publisher)

    assert batch.status == PushBatch.Status.FAILED, batch.status
    assert sandbox.peak_in_progress >= 2
    # Every create Webflow answered is recorded (how many left before the stop depends on timing), the failed one
    # was looked up; none is left in flight.
    chunks = list(PushChunk.objects.filter(batch=batch).values_list("status", flat=True))
    done = chunks.count(PushChunk.Status.DONE)
    assert done >= 2 and chunks.count(PushChunk.Status.RECONCILED) == 1 and len(chunks) == done + 1
    created = sandbox.items(collection.webflow_id)
    refs = set(WebflowItemRef.objects.filter(item__in=items).values_list("webflow_item_id", "cms_locale_id"))
    assert len(created) == done * 33 * 3
    assert {(v["id"], v["cmsLocaleId"]) for v in created} == refs

    retry, _ = batch_retry_failed(batch_id=batch.pk, actor=publisher)
    retry = batch_push(batch_id=retry.pk, sleep=no_sleep)
    assert retry.status == PushBatch.Status.SUCCEEDED, retry.last_error
    assert_webflow_matches(sandbox, collection, items, locales)
