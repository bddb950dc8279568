"""Answers the push cannot use never loop, unexpected errors show a reference, and only approved content leaves."""
import logging

import pytest

from stagingapp.models import BatchItem, DraftTranslation, PushBatch
from stagingapp.services.push import batch_push
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import no_sleep, queue


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection, settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 3
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


@pytest.mark.parametrize(("create_answer", "posts", "stopped", "sent"), [
    # Lists whose items have no id are no answer either: the list is asked again (a request safe to repeat, up to
    # WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS), and no create is sent again.
    ("unapplied_null_ids", 1, "after 6 attempts", "list items answer has items without an id"),
    # Empty lists are a real answer (nothing landed), so the create goes again, three times in all.
    ("unapplied_empty", 3, "after 3 attempts", "it sent: []"),
])
def test_a_create_answer_without_usable_ids_stops_the_batch_after_its_attempts(
        sandbox, collection, locales, publisher, settings, create_answer, posts, stopped, sent):
    settings.WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS = 6
    items = make_approved_items(collection, 2, locales=locales[1:])
    sandbox.faults.add(create_answer, path=r"/items/bulk$", method="POST", times=0)
    sandbox.faults.add(create_answer, path=r"/items$", method="GET", times=0)  # lookups find nothing usable either
    batch = batch_push(batch_id=queue(collection, items, publisher).pk, sleep=no_sleep)

    assert [r["method"] for r in sandbox.requests].count("POST") == posts
    assert batch.status == PushBatch.Status.FAILED
    assert stopped in batch.last_error and sent in batch.last_error
    for entry in BatchItem.objects.filter(batch=batch):
        assert entry.status == BatchItem.Status.FAILED and entry.attempts == posts
        assert "Webflow may hold this item" in entry.reason
    assert sandbox.items(collection.webflow_id) == []


def test_a_translation_added_while_queued_is_never_sent(sandbox, collection, locales, publisher):
    items = make_approved_items(collection, 3, locales=locales[1:2])
    batch = queue(collection, items, publisher)
    # What the Translations add page let through: new, unreviewed text on an item in a queued batch.
    DraftTranslation.objects.create(item=items[0], locale=locales[2], name="Unreviewed", field_data={})
    batch = batch_push(batch_id=batch.pk, sleep=no_sleep)

    assert batch.status == PushBatch.Status.PARTLY_FAILED
    changed = BatchItem.objects.get(batch=batch, item=items[0])
    assert changed.status == BatchItem.Status.FAILED and "changed after it was approved" in changed.reason
    slugs = {v["fieldData"]["slug"] for v in sandbox.items(collection.webflow_id)}
    assert slugs == {items[1].slug, items[2].slug}


def test_a_translation_changed_after_the_create_is_not_patched(sandbox, collection, locales, publisher):
    items = make_approved_items(collection, 2, locales=locales[1:])
    batch = queue(collection, items, publisher)
    edited = []

    def edit_once(counts):
        if not edited:  # right after the create was recorded, before the locales are PATCHed
            translation = items[0].translations.get(locale=locales[1])
            translation.name = "Edited after approval"
            translation.save()
            edited.append(translation)

    batch = batch_push(batch_id=batch.pk, sleep=no_sleep, progress=edit_once)

    entry = BatchItem.objects.get(batch=batch, item=items[0])
    assert entry.status == BatchItem.Status.FAILED and "locales were not updated" in entry.reason
    names = {v["fieldData"]["name"] for v in sandbox.items(collection.webflow_id)}
    assert "Edited after approval" not in names


def test_an_item_edited_after_its_page_was_read_but_before_its_create_left_is_never_sent(
        sandbox, collection, locales, publisher, settings):
    """Create chunks hold 33 items here. The first item changes after queueing, so the first page leaves 32 and the
    first chunk takes one item of the second page; the 32 left over were read before that request left. One of
    them is edited once the first create is recorded (one request at a time, so before the next one leaves): it
    is read and checked again before it goes, and fails."""
    settings.WEBFLOW_PUSH_IN_FLIGHT = 1
    items = make_approved_items(collection, 66, locales=locales[1:])
    batch = queue(collection, items, publisher)
    DraftTranslation.objects.filter(item=items[0]).update(name="Changed after queueing")
    late = items[40]
    edited = []

    def edit_once(counts):
        if counts["sent"] and not edited:
            translation = late.translations.get(locale=locales[1])
            translation.name = "Edited between page read and send"
            translation.save()
            edited.append(translation)

    batch = batch_push(batch_id=batch.pk, sleep=no_sleep, progress=edit_once)

    assert edited
    failed = {e.item_id: e.reason for e in BatchItem.objects.filter(batch=batch, status=BatchItem.Status.FAILED)}
    assert set(failed) == {items[0].pk, late.pk}
    assert all("changed after it was approved" in reason for reason in failed.values())
    names = {v["fieldData"]["name"] for v in sandbox.items(collection.webflow_id)}
    assert "Edited between page read and send" not in names and late.name not in names
    assert len({v["id"] for v in sandbox.items(collection.webflow_id)}) == 64


def test_an_unexpected_error_shows_editors_a_reference_and_logs_the_traceback(
        sandbox, collection, locales, publisher, caplog):
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = queue(collection, items, publisher)
    calls = []

    def broken_progress(counts):
        calls.append(counts)
        if len(calls) == 1:
            raise TypeError("unsupported operand type(s)")

    with caplog.at_level(logging.ERROR), pytest.raises(TypeError):
        batch_push(batch_id=batch.pk, sleep=no_sleep, progress=broken_progress)

    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.FAILED
    entries = BatchItem.objects.filter(batch=batch)
    assert all(e.status == BatchItem.Status.FAILED and batch.last_error in e.reason for e in entries)
    assert "TypeError" not in batch.last_error and "internal error (reference " in batch.last_error
    reference = batch.last_error.split("reference ")[1][:12]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None
