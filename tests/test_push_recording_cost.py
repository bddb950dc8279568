"""Recording what Webflow answered costs a constant number of queries per chunk, not per item, and still leaves
one history row and one audit entry per item under the worker's name."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stagingapp.models import AuditEvent, DraftItem, PushBatch
from stagingapp.services.batches import batch_create, batch_queue
from stagingapp.services.push import batch_push
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401


def no_sleep(seconds):
    """Time is the only thing mocked."""


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def queries_to_push(collection, publisher, locales, count, start, worker="bench-worker", translated=True):
    items = make_approved_items(collection, count, start=start,
                                locales=[loc for loc in locales if not loc.is_primary] if translated else [])
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher,
                         locale_ids=[loc.pk for loc in locales])
    batch_queue(batch_id=batch.pk, actor=publisher)
    with CaptureQueriesContext(connection) as captured:
        batch = batch_push(batch_id=batch.pk, sleep=no_sleep, worker=worker)
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    sqls = [q["sql"] for q in captured.captured_queries]
    return (sum(1 for q in sqls if not q.startswith("INSERT")), sum(1 for q in sqls if q.startswith("INSERT"))), \
        items, batch


@pytest.mark.parametrize("locale_count", [1, 3])
def test_pushing_one_chunk_of_fifty_items_costs_the_same_queries_as_five(
    sandbox, collection, locales, publisher, locale_count
):
    chosen = locales[:locale_count]
    queries_to_push(collection, publisher, chosen, 1, start=1000)  # first-use lookups (content types, caches)
    five, *_ = queries_to_push(collection, publisher, chosen, 5, start=1)
    fifty, *_ = queries_to_push(collection, publisher, chosen, 30 if locale_count == 3 else 50, start=100)

    assert five[0] == fifty[0]  # every UPDATE, DELETE and SELECT: the same statements whatever the chunk size
    # Refs and audit entries go in one executemany per table and history rows in one INSERT ... SELECT, on every
    # backend (bulk_create used to split the ~30-column history rows under SQLite's parameter cap).
    assert five[1] == fifty[1]


def test_a_pushed_chunk_still_writes_a_history_row_and_an_audit_entry_per_item_as_the_queuing_publisher(
    sandbox, collection, locales, publisher
):
    _, items, batch = queries_to_push(collection, publisher, locales[:1], 20, start=1, worker="worker-7")

    entries = AuditEvent.objects.filter(action="item.push_staged", batch=batch)
    assert sorted(entries.values_list("item_id", flat=True)) == sorted(i.pk for i in items)
    assert {(e.actor_label, e.actor_id, e.data["from"], e.data["to"], e.message) for e in entries} == {
        ("publisher (worker worker-7)", publisher.pk, "in_batch", "staged", "staged in Webflow")}
    assert {e.collection_id for e in entries} == {collection.pk}
    for item in items:
        latest = item.history.order_by("-history_id").first()
        assert (latest.status, latest.history_type, latest.history_user) == ("staged", "~", publisher)
        assert latest.history_change_reason == "item.push_staged: staged in Webflow"
        assert latest.status_reason == "staged in Webflow"
    # Pure status moves are bookkeeping: no "item.edit" entries and no approval reset came of them.
    assert not AuditEvent.objects.filter(action__in=["item.edit", "item.approval_reset"], item__in=items).exists()
    assert set(DraftItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        "staged"}


def test_each_create_chunk_costs_the_same_statements_whatever_the_batch_size(sandbox, collection, locales, publisher):
    """Entries are read page by page: a create chunk (33 items x 3 locales, no PATCH owed) costs the same in a
    batch of 2, 3 or 4 chunks."""
    queries_to_push(collection, publisher, locales, 1, start=1000)  # first-use lookups (content types, caches)
    costs = [queries_to_push(collection, publisher, locales, 33 * chunks, start=2000 * chunks, translated=False)[0]
             for chunks in (2, 3, 4)]
    selects_and_updates = [cost[0] for cost in costs]
    assert selects_and_updates[1] - selects_and_updates[0] == selects_and_updates[2] - selects_and_updates[1]
    inserts = [cost[1] for cost in costs]
    assert inserts[1] - inserts[0] <= inserts[2] - inserts[1] + 3  # SQLite splits big history INSERTs
