"""Batch services and screens: who may do what, pre-flight before queueing, schedules, cancel, retry, progress."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from stagingapp.exceptions import BatchActionRefused, BatchStateError, PreflightFailed
from stagingapp.models import BatchItem, DraftItem, PushBatch, WebflowItemRef
from stagingapp.selectors import batch_counts
from stagingapp.services.batches import (
    batch_cancel,
    batch_create,
    batch_queue,
    batch_retry_failed,
)
from stagingapp.services.push import batch_push
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import no_sleep

S = DraftItem.Status


def new_batch(collection, items, actor, **kwargs):
    return batch_create(collection=collection, item_ids=[i.pk for i in items], mode=kwargs.pop("mode", "stage"),
                        actor=actor, **kwargs)


@pytest.mark.parametrize("role", ["editor", "approver"])
def test_only_publishers_and_superusers_manage_batches(request, collection, publisher, superuser, role):
    items = make_approved_items(collection, 2)
    outsider = request.getfixturevalue(role)
    with pytest.raises(BatchActionRefused):
        new_batch(collection, items, outsider)
    batch = new_batch(collection, items[:1], publisher)
    with pytest.raises(BatchActionRefused):
        batch_queue(batch_id=batch.pk, actor=outsider)
    with pytest.raises(BatchActionRefused):
        batch_cancel(batch_id=batch.pk, actor=outsider)
    assert new_batch(collection, items[1:], superuser).status == PushBatch.Status.PENDING


def test_queueing_runs_preflight_pins_items_and_asks_the_worker_after_commit(
    collection, locales, publisher, django_capture_on_commit_callbacks
):
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = new_batch(collection, items, publisher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = batch_queue(batch_id=batch.pk, actor=publisher)
    assert len(callbacks) == 1
    assert batch.status == PushBatch.Status.QUEUED and batch.queued_at
    assert batch.estimate["requests"] == 2 + 1
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        S.IN_BATCH}
    assert set(batch.locales.all()) == set(locales)


def test_queueing_pins_every_entry_to_its_items_approved_fingerprint(collection, locales, publisher):
    items = make_approved_items(collection, 3, locales=locales[1:])
    batch = new_batch(collection, items, publisher)
    batch_queue(batch_id=batch.pk, actor=publisher)
    pins = {e.item_id: (e.status, e.approved_fingerprint) for e in batch.entries.all()}
    assert pins == {i.pk: (BatchItem.Status.PENDING, i.approved_fingerprint) for i in items}
    assert all(len(fingerprint) == 64 for _, fingerprint in pins.values())


def queries_to_queue(collection, locales, publisher, count, start):
    items = make_approved_items(collection, count, locales=locales[1:], start=start)
    batch = new_batch(collection, items, publisher)
    with CaptureQueriesContext(connection) as captured:
        batch_queue(batch_id=batch.pk, actor=publisher)
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("INSERT")]


def test_queueing_costs_the_same_statements_for_forty_items_as_for_four(collection, locales, publisher):
    """The queueing transaction holds SQLite's write lock: its reads and updates must not grow per item."""
    queries_to_queue(collection, locales, publisher, 1, start=1000)  # first-use lookups (content types, caches)
    four = queries_to_queue(collection, locales, publisher, 4, start=1)
    forty = queries_to_queue(collection, locales, publisher, 40, start=100)
    assert len(forty) == len(four), "\n".join(forty)


def test_a_failing_preflight_lists_reasons_and_queues_nothing(collection, publisher,
                                                             django_capture_on_commit_callbacks):
    good, bad = make_approved_items(collection, 2)
    DraftItem.objects.filter(pk=bad.pk).update(field_data={"summary": ""})
    batch = new_batch(collection, [good, bad], publisher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(PreflightFailed) as exc:
        batch_queue(batch_id=batch.pk, actor=publisher)
    assert not callbacks
    assert any(p.item == bad for p in exc.value.problems)
    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.PENDING
    assert DraftItem.objects.get(pk=good.pk).status == S.APPROVED


def test_a_scheduled_batch_runs_from_a_django_q_schedule(collection, publisher, django_capture_on_commit_callbacks):
    when = timezone.now() + timedelta(hours=2)
    batch = new_batch(collection, make_approved_items(collection, 1), publisher, scheduled_for=when)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = batch_queue(batch_id=batch.pk, actor=publisher)
    assert not callbacks
    schedule = Schedule.objects.get(pk=batch.schedule_id)
    assert (schedule.func, schedule.schedule_type, schedule.next_run) == (
        "stagingapp.tasks.push_batch", Schedule.ONCE, when)
    assert eval(schedule.args) == (batch.pk,)  # noqa: S307 - django-q2 stores args as a Python literal


def test_cancelling_a_queued_batch_gives_the_items_back(collection, publisher):
    items = make_approved_items(collection, 3)
    batch = new_batch(collection, items, publisher, scheduled_for=timezone.now() + timedelta(days=1))
    batch = batch_queue(batch_id=batch.pk, actor=publisher)
    batch = batch_cancel(batch_id=batch.pk, actor=publisher)
    assert batch.status == PushBatch.Status.CANCELLED
    assert not Schedule.objects.filter(pk=batch.schedule_id).exists()
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        S.APPROVED}
    assert set(batch.entries.values_list("status", flat=True)) == {BatchItem.Status.CANCELLED}
    with pytest.raises(BatchStateError):
        batch_cancel(batch_id=batch.pk, actor=publisher)


def test_a_cancel_request_stops_a_running_batch_before_its_next_chunk(
    webflow_sandbox, site, collection, locales, publisher
):
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 5)
    batch = batch_queue(batch_id=new_batch(collection, items, publisher).pk, actor=publisher)
    PushBatch.objects.filter(pk=batch.pk).update(status=PushBatch.Status.RUNNING)
    batch_cancel(batch_id=batch.pk, actor=publisher)
    PushBatch.objects.filter(pk=batch.pk).update(status=PushBatch.Status.QUEUED)

    batch = batch_push(batch_id=batch.pk, sleep=no_sleep)

    assert batch.status == PushBatch.Status.CANCELLED
    assert not webflow_sandbox.requests
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        S.APPROVED}


def test_an_item_is_in_at_most_one_open_batch(collection, publisher):
    items = make_approved_items(collection, 2)
    new_batch(collection, items, publisher)
    with pytest.raises(BatchStateError, match="already in another open batch"):
        new_batch(collection, items[:1], publisher)


def test_retry_takes_only_failed_items_that_are_fixed_and_approved(collection, publisher):
    items = make_approved_items(collection, 3)
    batch = batch_queue(batch_id=new_batch(collection, items, publisher).pk, actor=publisher)
    finished_ok, transient, edited = items
    # What a finished run leaves behind: one done, two failed; one of the failed was then edited (back to draft).
    BatchItem.objects.filter(batch=batch, item=finished_ok).update(status=BatchItem.Status.DONE)
    BatchItem.objects.filter(batch=batch, item__in=[transient, edited]).update(status=BatchItem.Status.FAILED)
    DraftItem.objects.filter(pk=finished_ok.pk).update(status=S.STAGED)
    DraftItem.objects.filter(pk=transient.pk).update(status=S.FAILED)
    DraftItem.objects.filter(pk=edited.pk).update(status=S.DRAFT)
    PushBatch.objects.filter(pk=batch.pk).update(status=PushBatch.Status.PARTLY_FAILED)

    retry, skipped = batch_retry_failed(batch_id=batch.pk, actor=publisher)

    assert list(retry.entries.values_list("item_id", flat=True)) == [transient.pk]
    assert retry.status == PushBatch.Status.QUEUED and retry.retry_of_id == batch.pk
    assert len(skipped) == 1 and "fix it and have it approved again" in skipped[0]


# --- admin ---------------------------------------------------------------------------------------------------

@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


def test_publishers_create_a_batch_from_selected_items(publisher_client, collection):
    items = make_approved_items(collection, 3)
    response = publisher_client.post(reverse("admin:stagingapp_draftitem_changelist"), {
        "action": "create_push_batch", "_selected_action": [i.pk for i in items]})
    batch = PushBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:stagingapp_pushbatch_change",
                                                                     args=[batch.pk])
    assert batch.entries.count() == 3


def test_the_batch_page_shows_preflight_estimate_and_the_exact_bodies(publisher_client, collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 2), publisher)
    page = publisher_client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()
    assert "All checks passed." in page
    assert "Estimate: about 1 request, under a minute at 60/min." in page
    assert f"POST /v2/collections/{collection.webflow_id}/items/bulk" in page
    assert "&quot;slug&quot;: &quot;post-1&quot;" in page
    assert "Queue this batch" in page


def test_the_batch_page_lists_preflight_problems(publisher_client, collection, publisher):
    item = make_approved_items(collection, 1)[0]
    batch = new_batch(collection, [item], publisher)
    DraftItem.objects.filter(pk=item.pk).update(field_data={"summary": ""})
    page = publisher_client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()
    assert "cannot be queued" in page and "This field is required." in page
    response = publisher_client.post(reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "queue"]),
                                     follow=True)
    assert "Nothing was queued: the pre-flight found problems." in response.content.decode()
    assert PushBatch.objects.get(pk=batch.pk).status == PushBatch.Status.PENDING


def test_queue_button_queues_and_the_progress_endpoint_reports_counts(publisher_client, collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 4), publisher)
    response = publisher_client.post(reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "queue"]),
                                     follow=True)
    assert ": about 1 request, under a minute at 60/min." in response.content.decode()
    data = publisher_client.get(reverse("admin:stagingapp_pushbatch_progress", args=[batch.pk])).json()
    assert data["status"] == "queued"
    assert (data["counts"]["pending"], data["counts"]["done"], data["counts"]["total"]) == (4, 0, 4)


def test_editors_see_batches_but_cannot_queue_them(client, editor, collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 1), publisher)
    client.force_login(editor)
    page = client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()
    assert "Queue this batch" not in page
    response = client.post(reverse("admin:stagingapp_pushbatch_do", args=[batch.pk, "queue"]), follow=True)
    assert "only Publishers can" in response.content.decode()
    assert PushBatch.objects.get(pk=batch.pk).status == PushBatch.Status.PENDING


def test_the_changelist_shows_status_badges_and_counts(publisher_client, collection, publisher):
    new_batch(collection, make_approved_items(collection, 2), publisher)
    page = publisher_client.get(reverse("admin:stagingapp_pushbatch_changelist")).content.decode()
    assert 'class="sa-badge"' in page and ">Pending<" in page and "0 done of 2" in page


def test_the_item_page_shows_every_webflow_id(publisher_client, collection, locales, superuser, client):
    item = make_approved_items(collection, 1)[0]
    WebflowItemRef.objects.create(item=item, locale=locales[1], webflow_item_id="a" * 24,
                                  cms_locale_id=locales[1].cms_locale_id, slug=item.slug)
    client.force_login(superuser)
    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    assert "a" * 24 in page and locales[1].cms_locale_id in page


# --- command -------------------------------------------------------------------------------------------------

def test_the_push_batch_command_runs_a_batch_in_the_foreground(webflow_sandbox, site, collection, locales,
                                                               publisher):
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 50, locales=locales[1:])
    batch = batch_queue(batch_id=new_batch(collection, items, publisher).pk, actor=publisher)
    out = io.StringIO()
    call_command("push_batch", str(batch.pk), "--sync", stdout=out)
    text = out.getvalue()
    assert "100%" in text and "Succeeded (50 done" in text
    assert batch_counts(PushBatch.objects.get(pk=batch.pk))["done"] == 50


def test_the_push_batch_command_refuses_a_batch_that_is_not_queued(collection, publisher):
    from django.core.management.base import CommandError

    batch = new_batch(collection, make_approved_items(collection, 1), publisher)
    with pytest.raises(CommandError, match="Queue it in the admin first"):
        call_command("push_batch", str(batch.pk), "--sync")
    with pytest.raises(CommandError, match="No push batch"):
        call_command("push_batch", "999999", "--sync")



def test_a_finished_batch_page_lists_items_with_reasons_and_webflow_ids(
    webflow_sandbox, site, collection, locales, publisher, publisher_client
):
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 3, locales=locales[1:])
    batch = batch_queue(batch_id=new_batch(collection, items, publisher).pk, actor=publisher)
    batch_push(batch_id=batch.pk, sleep=no_sleep)
    page = publisher_client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()
    ref = WebflowItemRef.objects.filter(item=items[0], locale=locales[1]).get()
    assert ">Succeeded<" in page and "staged in Webflow" in page
    assert f"<b>fr-FR</b> <code>{ref.webflow_item_id}</code>" in page
    assert "Queue this batch" not in page and "Retry failed items" not in page
    timeline = publisher_client.get(reverse("admin:stagingapp_auditevent_changelist") + f"?batch={batch.pk}")
    assert f'href="/admin/stagingapp/auditevent/?batch={batch.pk}"' in page
    assert timeline.status_code == 200 and "push.request" in timeline.content.decode()
