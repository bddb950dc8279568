"""Removals through review and push, against the sandbox over HTTP: unpublish, archive, delete (all or some locales),
a lost answer on a delete, a 404 for an item already gone, four-eyes, and pre-flight / preview showing removals."""
import pytest

from stagingapp.exceptions import RemovalRefused, SelfReviewRefused
from stagingapp.models import AuditEvent, BatchItem, DraftItem, PushBatch, WebflowItemRef
from stagingapp.services.batches import batch_create, batch_preflight, batch_queue, batch_retry_failed
from stagingapp.services.push import batch_push
from stagingapp.services.push.preview import batch_preview
from stagingapp.services.removal_requests import item_request_removal
from stagingapp.services.workflow import items_approve
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import no_sleep

S = DraftItem.Status


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection, settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 4
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def push(collection, items, publisher, *, mode="stage"):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode=mode, actor=publisher)
    batch_queue(batch_id=batch.pk, actor=publisher)
    return batch_push(batch_id=batch.pk, sleep=no_sleep)


def in_webflow(sandbox, collection, locales, count, *, mode="live", publisher):
    """`count` items pushed (live by default) in every locale, as real items the app holds refs for."""
    items = make_approved_items(collection, count, locales=locales[1:])
    batch = push(collection, items, publisher, mode=mode)
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert len(sandbox.items(collection.webflow_id)) == count * len(locales)
    return [DraftItem.objects.get(pk=i.pk) for i in items]


def request_and_approve(items, kind, editor, approver, locale_ids=None):
    for item in items:
        item_request_removal(item_id=item.pk, kind=kind, locale_ids=locale_ids, actor=editor)
    items_approve(item_ids=[i.pk for i in items], actor=approver, comment="ok to remove")


def variants_of(sandbox, collection, item, *, live=False):
    webflow_id = WebflowItemRef.objects.filter(item=item).values_list("webflow_item_id", flat=True).first()
    return [v for v in sandbox.items(collection.webflow_id, live=live) if v["id"] == webflow_id]


def test_unpublish_batch_takes_items_off_the_live_site_and_keeps_them_staged(
        sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 3, publisher=publisher)
    ids = set(WebflowItemRef.objects.filter(item__in=items).values_list("webflow_item_id", flat=True))
    request_and_approve(items, "unpublish", editor, approver)
    sandbox.reset_requests()

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert len(sandbox.requests_to(r"/items/live$", "DELETE")) == 1  # 3 items, one request
    assert not [v for v in sandbox.items(collection.webflow_id, live=True) if v["id"] in ids]
    assert len(sandbox.items(collection.webflow_id)) == 3 * len(locales)  # still there, staged
    refs = WebflowItemRef.objects.filter(item__in=items)
    assert refs.count() == 3 * len(locales)
    assert set(refs.values_list("removal", "is_published")) == {("unpublished", False)}
    for item in DraftItem.objects.filter(pk__in=[i.pk for i in items]):
        assert (item.status, item.webflow_removal, item.removal_kind) == (S.DRAFT, "unpublished", "")
    assert AuditEvent.objects.filter(batch=batch, action="push.request", message__startswith="DELETE").count() == 1


def test_archive_batch_patches_is_archived_in_every_locale(sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 2, mode="stage", publisher=publisher)
    request_and_approve(items, "archive", editor, approver)
    sandbox.reset_requests()

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    patches = sandbox.requests_to(r"/items$", "PATCH")
    assert len(patches) == 1
    variants = sandbox.items(collection.webflow_id)
    assert len(variants) == 2 * len(locales) and all(v["isArchived"] for v in variants)
    assert set(WebflowItemRef.objects.filter(item__in=items).values_list("removal", flat=True)) == {"archived"}
    assert set(BatchItem.objects.filter(batch=batch).values_list("reason", flat=True)) == {"archived in Webflow"}


def test_delete_batch_removes_items_and_keeps_the_drafts_marked(sandbox, collection, locales, editor, approver,
                                                                 publisher):
    items = in_webflow(sandbox, collection, locales, 3, publisher=publisher)
    request_and_approve(items, "delete", editor, approver)
    sandbox.reset_requests()

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    deletes = sandbox.requests_to(r"/items$", "DELETE")
    assert len(deletes) == 1
    assert sandbox.items(collection.webflow_id) == [] and sandbox.items(collection.webflow_id, live=True) == []
    assert not WebflowItemRef.objects.filter(item__in=items).exists()
    for item in DraftItem.objects.filter(pk__in=[i.pk for i in items]):  # the drafts stay
        assert (item.status, item.webflow_removal) == (S.DRAFT, "deleted")
        assert item.webflow_removed_at is not None


def test_delete_of_some_locales_sends_their_cms_locale_ids_only(sandbox, collection, locales, editor, approver,
                                                                 publisher):
    items = in_webflow(sandbox, collection, locales, 2, mode="stage", publisher=publisher)
    gone = locales[2]
    request_and_approve(items, "delete", editor, approver, locale_ids=[gone.pk])
    sandbox.reset_requests()

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    body = sandbox.requests_to(r"/items$", "DELETE")[0]["body"]
    assert all(entry["cmsLocaleIds"] == [gone.cms_locale_id] for entry in body["items"])
    left = {v["cmsLocaleId"] for v in sandbox.items(collection.webflow_id)}
    assert left == {loc.cms_locale_id for loc in locales if loc != gone}
    refs = WebflowItemRef.objects.filter(item__in=items)
    assert refs.count() == 2 * (len(locales) - 1) and not refs.filter(locale=gone).exists()
    item = DraftItem.objects.get(pk=items[0].pk)
    assert item.webflow_removal == f"deleted in {gone.tag}"


def test_a_delete_whose_answer_was_lost_is_checked_by_listing_and_not_sent_again(
        sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 2, publisher=publisher)
    request_and_approve(items, "delete", editor, approver)
    sandbox.faults.add("drop_after_commit", path=r"/items$", method="DELETE", times=1)
    sandbox.reset_requests()

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert sandbox.items(collection.webflow_id) == []
    assert len(sandbox.requests_to(r"/items$", "DELETE")) == 1  # exactly once: the listing showed it done
    assert sandbox.requests_to(r"/items$", "GET")  # the check by listing
    assert set(BatchItem.objects.filter(batch=batch).values_list("status", flat=True)) == {BatchItem.Status.DONE}
    assert AuditEvent.objects.filter(batch=batch, action="push.reconcile").exists()


def test_a_404_for_an_item_already_gone_counts_as_done_and_the_rest_is_deleted(
        sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 3, publisher=publisher)
    request_and_approve(items, "delete", editor, approver)
    first = WebflowItemRef.objects.filter(item=items[0]).first().webflow_item_id
    with sandbox.state.lock:  # someone deleted it in the Designer meanwhile
        for locale in list(sandbox.state.items[collection.webflow_id][first]):
            sandbox.state.drop_variant(collection.webflow_id, first, locale)
        sandbox.state.live[collection.webflow_id].pop(first, None)

    batch = push(collection, items, publisher)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert sandbox.items(collection.webflow_id) == []
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("webflow_removal", flat=True)) \
        == {"deleted"}


def test_a_failed_removal_is_retried_like_content(sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 2, publisher=publisher)
    request_and_approve(items, "unpublish", editor, approver)
    sandbox.faults.add("500", path=r"/items/live$", method="DELETE", times=4)  # more than the attempts allowed

    batch = push(collection, items, publisher)
    assert batch.status == PushBatch.Status.FAILED
    reasons = set(BatchItem.objects.filter(batch=batch).values_list("reason", flat=True))
    assert len(reasons) == 1 and "a retry lists Webflow first" in reasons.pop()
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {S.FAILED}

    retry, skipped = batch_retry_failed(batch_id=batch.pk, actor=publisher)
    retry = batch_push(batch_id=retry.pk, sleep=no_sleep)

    assert skipped == [] and retry.status == PushBatch.Status.SUCCEEDED, retry.last_error
    assert sandbox.items(collection.webflow_id, live=True) == []


def test_the_requester_cannot_approve_their_own_removal(sandbox, collection, locales, editor, approver, publisher,
                                                       settings):
    settings.STAGING_ALLOW_SELF_APPROVAL = False
    item = in_webflow(sandbox, collection, locales, 1, publisher=publisher)[0]
    approver.groups.add(*editor.groups.all())  # an approver who is also an editor requests the removal
    item_request_removal(item_id=item.pk, kind="delete", actor=approver)

    with pytest.raises(SelfReviewRefused):
        items_approve(item_ids=[item.pk], actor=approver)
    assert DraftItem.objects.get(pk=item.pk).status == S.IN_REVIEW


def test_a_removal_needs_webflow_ids_and_a_known_kind(db, collection, editor):
    from tests import factories

    item = factories.make_item(collection)
    with pytest.raises(RemovalRefused, match="no Webflow IDs"):
        item_request_removal(item_id=item.pk, kind="delete", actor=editor)
    with pytest.raises(RemovalRefused, match="Choose what to do"):
        item_request_removal(item_id=item.pk, kind="burn", actor=editor)
    assert DraftItem.objects.get(pk=item.pk).removal_kind == ""


def test_preflight_and_preview_show_the_removal_bodies(sandbox, collection, locales, editor, approver, publisher):
    items = in_webflow(sandbox, collection, locales, 2, publisher=publisher)
    request_and_approve(items[:1], "delete", editor, approver, locale_ids=[locales[1].pk])
    request_and_approve(items[1:], "archive", editor, approver)
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher)

    report = batch_preflight(batch=batch)
    preview = batch_preview(batch)

    assert report.estimate["removal_requests"] == 2 and report.estimate["requests"] == 2
    refs = {(r.item_id, r.locale_id): r for r in WebflowItemRef.objects.filter(item__in=items)}
    assert preview[0] == {
        "method": "PATCH", "path": f"/v2/collections/{collection.webflow_id}/items", "removal": "archive",
        "body": {"items": [{"id": refs[(items[1].pk, loc.pk)].webflow_item_id,
                            "cmsLocaleId": loc.cms_locale_id, "isArchived": True}
                           for loc in sorted(locales, key=lambda loc: (not loc.is_primary, loc.tag))]}}
    assert preview[1] == {
        "method": "DELETE", "path": f"/v2/collections/{collection.webflow_id}/items", "removal": "delete",
        "body": {"items": [{"id": refs[(items[0].pk, locales[1].pk)].webflow_item_id,
                            "cmsLocaleIds": [locales[1].cms_locale_id]}]}}
    sandbox.reset_requests()
    batch_queue(batch_id=batch.pk, actor=publisher)
    batch_push(batch_id=batch.pk, sleep=no_sleep)
    sent = [(r["method"], r["body"]) for r in sandbox.requests if r["method"] in ("PATCH", "DELETE")]
    assert sent == [(p["method"], p["body"]) for p in preview]  # the worker sent exactly what the preview showed


@pytest.mark.parametrize("sent_before_the_crash", [True, False])
def test_a_run_that_died_with_a_delete_in_flight_lists_before_sending_again(
        sandbox, collection, locales, editor, approver, publisher, settings, sent_before_the_crash):
    from datetime import timedelta

    from django.utils import timezone

    from stagingapp.models import PushChunk
    from stagingapp.services.push.removals import removal_requests
    from stagingapp.webflow.client import get_client

    items = in_webflow(sandbox, collection, locales, 2, publisher=publisher)
    request_and_approve(items, "delete", editor, approver)
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher)
    batch_queue(batch_id=batch.pk, actor=publisher)
    # A worker claimed it, committed the delete in flight, maybe sent it, and died.
    chunk = PushChunk.objects.create(batch=batch, endpoint="remove/delete", size=2, attempts=1)
    batch.entries.update(status=BatchItem.Status.IN_FLIGHT, chunk=chunk)
    stale = timezone.now() - timedelta(seconds=settings.WEBFLOW_PUSH_STALE_SECONDS + 1)
    PushBatch.objects.filter(pk=batch.pk).update(status=PushBatch.Status.RUNNING, claimed_by="dead",
                                                 heartbeat_at=stale)
    if sent_before_the_crash:
        request = removal_requests(list(DraftItem.objects.filter(pk__in=[i.pk for i in items])))[0]
        get_client().remove_items(collection.webflow_id, items=request.items())
    sandbox.reset_requests()

    batch = batch_push(batch_id=batch.pk, sleep=no_sleep)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert sandbox.items(collection.webflow_id) == []
    assert sandbox.requests_to(r"/items$", "GET")  # looked first
    assert len(sandbox.requests_to(r"/items$", "DELETE")) == (0 if sent_before_the_crash else 1)
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("webflow_removal", flat=True)) \
        == {"deleted"}


def test_pushing_an_unpublished_or_archived_item_again_clears_what_its_refs_say_was_removed(
        sandbox, collection, locales, editor, approver, publisher):
    from tests.push_support import approve

    unpublished, archived = in_webflow(sandbox, collection, locales, 2, publisher=publisher)
    request_and_approve([unpublished], "unpublish", editor, approver)
    request_and_approve([archived], "archive", editor, approver)
    assert push(collection, [unpublished, archived], publisher).status == PushBatch.Status.SUCCEEDED
    for item in (unpublished, archived):
        DraftItem.objects.filter(pk=item.pk).update(field_data={"summary": "Back again"})

    batch = push(collection, [approve(unpublished), approve(archived)], publisher, mode="live")

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert set(WebflowItemRef.objects.filter(item__in=[unpublished, archived]).values_list(
        "removal", flat=True)) == {""}
    assert {v["id"] for v in sandbox.items(collection.webflow_id, live=True)} >= set(
        WebflowItemRef.objects.filter(item=unpublished).values_list("webflow_item_id", flat=True))
    assert not any(v["isArchived"] for v in variants_of(sandbox, collection, archived))
