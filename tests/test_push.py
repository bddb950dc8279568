"""Pushing batches to the Webflow sandbox over real HTTP: exactly one Webflow item per item and locale,
the right text per locale, every ID stored, and the fewest requests the 100-variant limit allows."""
import pytest

from stagingapp.models import AuditEvent, BatchItem, DraftItem, PushBatch, WebflowItemRef
from stagingapp.selectors import batch_locales
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push import batch_push
from stagingapp.services.push.planning import plan_items
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401


def no_sleep(seconds):
    """Time is the only thing mocked: backoff and Retry-After waits return at once."""


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def queue(collection, items, publisher, *, mode="stage", locales=None, django_capture_on_commit_callbacks=None):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode=mode, actor=publisher,
                         locale_ids=[loc.pk for loc in locales] if locales else None)
    return batch_queue(batch_id=batch.pk, actor=publisher)


def push(batch):
    return batch_push(batch_id=batch.pk, sleep=no_sleep)


def assert_webflow_matches(sandbox, collection, items, locales, *, live=False):
    """One Webflow variant per item and locale, with that locale's text, and our refs hold the same IDs."""
    variants = sandbox.items(collection.webflow_id, live=live)
    by_key = {}
    for variant in variants:
        key = (variant["cmsLocaleId"], variant["fieldData"]["slug"])
        assert key not in by_key, f"duplicate Webflow item for {key}"
        by_key[key] = variant
    assert len(variants) == len(items) * len(locales)
    refs = {(r.item_id, r.locale_id): r for r in WebflowItemRef.objects.filter(item__in=items)}
    for item in items:
        translations = {t.locale_id: t for t in item.translations.all()}
        for loc in locales:
            variant = by_key[(loc.cms_locale_id, item.slug)]
            translation = translations.get(loc.pk)
            assert variant["fieldData"]["name"] == (translation.name if translation else item.name)
            expected_summary = (translation.field_data.get("summary") if translation else None) or \
                item.field_data["summary"]
            assert variant["fieldData"]["summary"] == expected_summary
            ref = refs[(item.pk, loc.pk)]
            assert (ref.webflow_item_id, ref.cms_locale_id) == (variant["id"], loc.cms_locale_id)
            assert ref.created_on is not None and ref.last_updated is not None
            if live:
                assert ref.is_published and ref.last_published is not None


@pytest.mark.parametrize("mode", ["stage", "live"])
@pytest.mark.parametrize("locale_count", [1, 3])
@pytest.mark.parametrize("count", [1, 99, 100, 101, pytest.param(1000, marks=pytest.mark.slow)])
def test_a_batch_lands_once_per_item_and_locale_in_the_fewest_requests(
    sandbox, collection, locales, publisher, mode, locale_count, count
):
    chosen = locales[:locale_count]
    items = make_approved_items(collection, count, locales=[loc for loc in chosen if not loc.is_primary])
    batch = queue(collection, items, publisher, mode=mode, locales=chosen)
    minimum = plan_items(batch, items, batch_locales(batch)).requests
    sandbox.reset_requests()

    batch = push(batch)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(sandbox, collection, items, chosen, live=(mode == "live"))
    writes = [r for r in sandbox.requests if r["method"] != "GET"]
    assert len(writes) == len(sandbox.requests) == minimum == batch.requests_sent
    expected_status = DraftItem.Status.LIVE if mode == "live" else DraftItem.Status.STAGED
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        expected_status}
    assert set(batch.entries.values_list("status", flat=True)) == {BatchItem.Status.DONE}


def test_every_request_is_audited_with_the_batch_and_its_items(sandbox, collection, locales, publisher):
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = push(queue(collection, items, publisher))
    requests = AuditEvent.objects.filter(action="push.request", batch=batch).order_by("pk")
    assert requests.count() == batch.requests_sent == 2 + 1
    first = requests.first().data
    assert (first["method"], first["status"], first["attempt"]) == ("POST", 202, 1)
    assert "/items/bulk" in first["path"] and first["duration_ms"] >= 0
    assert set(first["items"]) == {i.pk for i in items[:33]}
    assert sandbox.token not in str(list(requests.values_list("data", flat=True)))


def test_each_request_is_audited_with_the_time_its_answer_came(sandbox, collection, locales, publisher):
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = push(queue(collection, items, publisher))
    requests = list(AuditEvent.objects.filter(action="push.request", batch=batch).order_by("pk"))
    arrived = sorted(r["time"] for r in sandbox.requests)
    assert len(requests) == len(arrived) == 3
    # Written with the next step's transaction, stamped when the answer was read: in order, right after the
    # request reached Webflow.
    assert all(0 <= e.created_at.timestamp() - t < 2 for e, t in zip(requests, arrived, strict=True))
    assert [e.created_at for e in requests] == sorted(e.created_at for e in requests)


def test_a_run_whose_batch_is_taken_over_still_audits_every_request_it_sent(sandbox, collection, locales,
                                                                            publisher):
    items = make_approved_items(collection, 120, locales=locales[1:])  # 4 creates
    batch = queue(collection, items, publisher)
    sandbox.set_latency(0.3)  # all four on their way before the first answer is back

    def take_over(counts):  # another worker claims the batch right after the first chunk is recorded
        PushBatch.objects.filter(pk=batch.pk).update(claimed_by="another-worker")

    assert batch_push(batch_id=batch.pk, sleep=no_sleep, progress=take_over) is None
    batch.refresh_from_db()
    sent = len(sandbox.requests)
    assert sent == 4
    # Answers that came back after the claim was lost are audited too, though not recorded (not this run's).
    assert AuditEvent.objects.filter(action="push.request", batch=batch).count() == batch.requests_sent == sent
    # Only the first create was recorded (the second's recording found the claim gone): the rest is left in
    # flight for the run that took over to reconcile.
    assert batch.entries.filter(status="in_flight").count() == 120 - 33


def test_the_worker_acts_as_the_publisher_who_queued_the_batch(sandbox, collection, locales, publisher):
    items = make_approved_items(collection, 3, locales=locales[1:])
    batch = push(queue(collection, items, publisher))
    worker_entries = AuditEvent.objects.filter(
        batch=batch, action__in=["batch.start", "push.request", "item.push_staged", "batch.finish"]
    )
    assert {e.action for e in worker_entries} == {"batch.start", "push.request", "item.push_staged", "batch.finish"}
    assert {e.actor_id for e in worker_entries} == {publisher.pk}
    assert all(e.actor_label.startswith("publisher (worker ") for e in worker_entries)


def test_the_process_objects_are_frozen_for_the_run_only(sandbox, collection, locales, publisher):
    """What the worker held before the run stays out of the garbage collector's passes while it pushes, and is
    handed back afterwards, also when the run fails, so a long-lived worker never keeps cyclic garbage."""
    import gc

    items = make_approved_items(collection, 3, locales=locales[1:])
    frozen_during = []
    batch = batch_push(batch_id=queue(collection, items, publisher).pk, sleep=no_sleep,
                       progress=lambda counts: frozen_during.append(gc.get_freeze_count()))
    assert batch.status == PushBatch.Status.SUCCEEDED
    assert frozen_during and min(frozen_during) > 0
    assert gc.get_freeze_count() == 0

    def broken_progress(counts):
        raise RuntimeError("boom")

    failing = queue(collection, make_approved_items(collection, 2, start=10), publisher)
    with pytest.raises(RuntimeError):
        batch_push(batch_id=failing.pk, sleep=no_sleep, progress=broken_progress)
    assert gc.get_freeze_count() == 0
