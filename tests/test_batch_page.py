"""The batch page and list at scale and in plain words: paged entries by outcome, fixed query counts, a Queue that
never ignores an unsaved Mode, a Retry that opens the new batch's pre-flight, and only details that hold a value."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stagingapp.admin.batch_page import ENTRIES_PER_PAGE, estimate_sentence
from stagingapp.models import BatchItem, DraftItem, PushBatch
from stagingapp.services.batches import batch_create
from stagingapp.times import readable_time
from tests.push_support import make_approved_items

S = BatchItem.Status


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


def finished_batch(collection, publisher, *, done: int, failed: int, start: int = 1) -> PushBatch:
    """A partly failed batch with `done` + `failed` entries, written in bulk (no worker needed to read it)."""
    items = DraftItem.objects.bulk_create([
        DraftItem(collection=collection, name=f"Post {n}", slug=f"post-{n}", status=DraftItem.Status.STAGED)
        for n in range(start, start + done + failed)])
    batch = PushBatch.objects.create(collection=collection, created_by=publisher, finished_at=timezone.now(),
                                     status=PushBatch.Status.PARTLY_FAILED)
    BatchItem.objects.bulk_create([
        BatchItem(batch=batch, item=item, status=S.DONE if i < done else S.FAILED,
                  reason="" if i < done else "slug already used in Webflow") for i, item in enumerate(items)])
    return batch


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_batch_page_runs_the_same_queries_for_a_small_and_a_large_batch(publisher_client, collection, publisher):
    small = finished_batch(collection, publisher, done=3, failed=1)
    large = finished_batch(collection, publisher, done=140, failed=60, start=100)

    page = lambda batch: reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])  # noqa: E731
    publisher_client.get(page(small))  # the first request of a process fills caches (content types)
    small_queries = queries_for(publisher_client, page(small))
    assert queries_for(publisher_client, page(large)) == small_queries


def test_the_batch_list_runs_the_same_queries_for_few_and_many_batches(publisher_client, collection, publisher):
    url = reverse("admin:stagingapp_pushbatch_changelist")
    finished_batch(collection, publisher, done=2, failed=1)
    few = queries_for(publisher_client, url)
    for n in range(12):
        finished_batch(collection, publisher, done=2, failed=1, start=10 + 3 * n)

    assert queries_for(publisher_client, url) == few
    assert "2 done, 1 failed of 3" in publisher_client.get(url).content.decode()


def test_the_batch_page_pages_its_entries_and_filters_them_by_outcome(publisher_client, collection, publisher):
    batch = finished_batch(collection, publisher, done=ENTRIES_PER_PAGE + 5, failed=2)
    url = reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])

    first = publisher_client.get(url).context["entry_page"]
    failed = publisher_client.get(url, {"entries": "failed"}).context["entry_page"]
    last = publisher_client.get(url, {"page": 2}).context["entry_page"]

    assert (len(first.entries), first.pages) == (ENTRIES_PER_PAGE, 2)
    assert [tab["label"] for tab in first.tabs] == ["All", "Failed", "Done"]
    assert [entry.status for entry in failed.entries] == [S.FAILED, S.FAILED]
    assert len(last.entries) == 7 and not last.next_url
    assert "slug already used in Webflow" in publisher_client.get(url, {"entries": "failed"}).content.decode()


def test_queue_refuses_when_the_page_shows_a_mode_that_was_not_saved(publisher_client, collection, publisher):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in make_approved_items(collection, 2)],
                         mode="stage", actor=publisher)
    queue = reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "queue"])

    refused = publisher_client.post(queue, {"page_mode": "live"}, follow=True).content.decode()
    assert "Nothing was queued: Mode on the page is" in refused and "Save the settings first" in refused
    assert PushBatch.objects.get(pk=batch.pk).status == PushBatch.Status.PENDING

    queued = publisher_client.post(queue, {"page_mode": "stage"}, follow=True).content.decode()
    assert f"Queued {batch}: about 1 request, under a minute at 60/min." in queued
    assert PushBatch.objects.get(pk=batch.pk).status == PushBatch.Status.QUEUED


def test_a_pending_batch_has_one_save_beside_queue_and_no_second_save_bar(publisher_client, collection, publisher):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in make_approved_items(collection, 1)],
                         mode="stage", actor=publisher)
    url = reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])

    html = publisher_client.get(url).content.decode()

    assert 'id="submit-row"' not in html and 'name="_save"' not in html
    assert html.count(">Save settings</button>") == 2  # beside Queue, and in the "you did not save" dialog
    saved = publisher_client.post(url, {"mode": "live", "locales": [], "scheduled_for_0": "", "scheduled_for_1": "",
                                        "_continue": "Save settings"})
    assert saved.status_code == 302 and saved.url.startswith(url)  # stays on the page, ready to queue
    assert PushBatch.objects.get(pk=batch.pk).mode == "live"


def test_a_finished_batch_has_nothing_to_save(publisher_client, collection, publisher):
    html = publisher_client.get(reverse("admin:stagingapp_pushbatch_change",
                                        args=[finished_batch(collection, publisher, done=1, failed=0).pk]))
    assert ">Save settings</button>" not in html.content.decode() and 'id="submit-row"' not in html.content.decode()


def test_retry_makes_a_pending_batch_and_opens_its_preflight(publisher_client, collection, publisher):
    batch = finished_batch(collection, publisher, done=1, failed=1)
    failed_item = batch.entries.get(status=S.FAILED).item
    failed_item.status = DraftItem.Status.APPROVED
    failed_item.approved_fingerprint = failed_item.fingerprint()
    failed_item.save()

    answer = publisher_client.post(reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "retry"]), follow=True)

    retry = PushBatch.objects.get(retry_of=batch)
    assert retry.status == PushBatch.Status.PENDING
    assert answer.redirect_chain[-1][0] == reverse("admin:stagingapp_pushbatch_change", args=[retry.pk])
    html = answer.content.decode()
    assert "with the 1 failed item that can go again" in html and 'id="preflight"' in html


def test_the_batch_page_hides_empty_details_and_shows_times_without_seconds(publisher_client, collection, publisher):
    batch = finished_batch(collection, publisher, done=1, failed=0)
    url = reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])
    html = publisher_client.get(url).content.decode()
    assert "Claimed by" not in html and "Heartbeat" not in html and "Retry of" not in html

    PushBatch.objects.filter(pk=batch.pk).update(claimed_by="worker-1")
    assert "Claimed by" in publisher_client.get(url).content.decode()
    assert readable_time(timezone.now()).count(":") == 1


@pytest.mark.parametrize(("estimate", "sentence"), [
    ({"requests": 4, "rate_per_minute": 120}, "about 4 requests, under a minute at 120/min"),
    ({"requests": 1, "rate_per_minute": 60}, "about 1 request, under a minute at 60/min"),
    ({"requests": 300, "rate_per_minute": 60}, "about 5 minutes at 60/min"),
    ({"requests": 12000, "rate_per_minute": 120}, "about 1 h 40 min at 120/min"),
    ({}, ""),
])
def test_the_estimate_reads_as_a_sentence(estimate, sentence):
    assert estimate_sentence(estimate).endswith(sentence)


def test_an_empty_batch_list_says_where_batches_start_and_a_filtered_one_that_nothing_matches(client, publisher):
    client.force_login(publisher)
    changelist = reverse("admin:stagingapp_pushbatch_changelist")

    page = client.get(changelist).content.decode()
    assert "No batch yet." in page and 'href="/admin/">New batch</a>' in page
    assert "Create a new item" not in page  # batches have no Add button

    page = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "Nothing matches this search or these filters." in page
