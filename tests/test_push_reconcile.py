"""Reconciling unanswered creates with list requests: few requests per fault kind, nothing duplicated or lost,
even when Webflow ignores the list filters. 300 items x 3 locales need 16 requests without faults."""
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from stagingapp.models import AuditEvent, PushBatch, WebflowItemRef
from stagingapp.selectors import batch_locales
from stagingapp.services.push import batch_push
from stagingapp.services.push.planning import plan_items
from stagingapp.services.push.window import webflow_floor
from stagingapp.webflow.client import get_client, iso_instant
from stagingapp.webflow.errors import WebflowBadResponse, WebflowConnectionError, WebflowServerError
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import assert_webflow_matches, push, queue
from webflow_sandbox.faults import FaultPlan


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection, settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 4
    settings.WEBFLOW_READ_TIMEOUT_SECONDS = 2
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def seeded(sandbox, seed: int) -> FaultPlan:
    """Faults whose probabilities pick the same requests every run (the picks follow the request order)."""
    sandbox.faults = FaultPlan(seed=seed)
    return sandbox.faults


def push_counted(sandbox, collection, locales, publisher, count=300, *, only_ours=True):
    items = make_approved_items(collection, count, locales=locales[1:])
    batch = queue(collection, items, publisher)
    fault_free = plan_items(batch, items, batch_locales(batch)).requests
    sandbox.reset_requests()
    batch = push(batch)
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    if only_ours:
        assert_webflow_matches(sandbox, collection, items, locales)  # no duplicates, every ID stored
    assert len(sandbox.requests) == batch.requests_sent == AuditEvent.objects.filter(
        action="push.request", batch=batch).count()
    return batch, len(sandbox.requests), fault_free


def lookups_by_slug(sandbox):
    return [r for r in sandbox.requests if r["method"] == "GET" and "slug" in r["query"]]


@pytest.mark.parametrize("depth", [1, 4])
def test_dropped_creates_are_settled_by_a_list_not_a_lookup_per_item(sandbox, collection, locales, publisher,
                                                                     settings, depth):
    settings.WEBFLOW_PUSH_IN_FLIGHT = depth
    drops = seeded(sandbox, 1).add("drop_after_commit", path="/items/bulk$", method="POST", times=0,
                                   probability=0.15)

    batch, sent, fault_free = push_counted(sandbox, collection, locales, publisher)

    assert fault_free == 16 and drops.used >= 1
    if depth == 1:
        # One at a time, the seed picks the same 3 creates every run; each drop costs one list page.
        assert drops.used == 3 and sent == fault_free + drops.used == 19, sent
    else:
        # Which creates it picks depends on the order they reach the sandbox. The creates marked after a drop
        # had come back bound its window from above (webflow_ceiling), so its own items are the first page; only
        # a create marked between the dropped one leaving and its error coming back (a few ms) can still sit
        # above them. 8 seeds here: exactly one page per drop; before the ceiling, up to one per chunk in flight.
        assert fault_free < sent <= fault_free + 2 * drops.used, (sent, drops.used)
    assert not lookups_by_slug(sandbox)
    reconciled = AuditEvent.objects.filter(action="push.reconcile", batch=batch)
    assert reconciled.count() == drops.used
    assert {event.data["slug_lookups"] for event in reconciled} == {0}


def test_mixed_faults_cost_only_the_requests_that_answer_them(sandbox, collection, locales, publisher, settings):
    """The bound is per fault: each faulted request costs at most one request more (a wait-and-resend, a retried
    GET, one list page), plus the re-send of a create that was not applied. No request is spent otherwise."""
    settings.WEBFLOW_PUSH_IN_FLIGHT = 1  # one at a time, so every page a drop costs is its own (see above)
    plan = seeded(sandbox, 5)
    faults = [
        plan.add("drop_after_commit", path="/items/bulk$", method="POST", times=0, probability=0.15),
        plan.add("500", path="/items", times=0, probability=0.05),
        plan.add("429", path="/items", times=0, probability=0.05, retry_after=0.01),
        plan.add("503", path="/items", times=0, probability=0.05, json_body=False),
    ]

    _, sent, fault_free = push_counted(sandbox, collection, locales, publisher)

    assert all(fault.used for fault in faults), [fault.used for fault in faults]
    faulted = [r for r in sandbox.requests if r["fault"]]
    unknown_creates = [r for r in sandbox.requests
                       if r["method"] == "POST" and r["fault"] in ("drop_after_commit", "500", "503")]
    unapplied_creates = [r for r in unknown_creates if r["fault"] != "drop_after_commit"]
    assert sent <= fault_free + len(faulted) + len(unapplied_creates), (sent, len(faulted))
    list_pages = [r for r in sandbox.requests if r["method"] == "GET" and r["status"] == 200]
    assert len(list_pages) <= len(unknown_creates)  # one page settles a chunk
    assert not lookups_by_slug(sandbox)


@pytest.mark.parametrize("depth", [1, 4])
def test_a_create_that_wrote_nothing_is_proved_missing_by_the_list_and_sent_again(sandbox, collection, locales,
                                                                                   publisher, settings, depth):
    settings.WEBFLOW_PUSH_IN_FLIGHT = depth
    sandbox.faults.add("500", path="/items/bulk$", method="POST", times=2)

    _, sent, fault_free = push_counted(sandbox, collection, locales, publisher)

    list_pages = [r for r in sandbox.requests if r["method"] == "GET" and r["status"] == 200]
    if depth == 1:
        # Each 500: the failed create, one list page proving nothing landed, the create again.
        assert sent == fault_free + 2 * 2 and len(list_pages) == 2, sent
    else:
        # Usually the same. But a create marked while the 500 was on its way back sits in its window above the
        # floor, and its 99 variants are listed before the floor is reached: the other creates in flight fill at
        # most depth - 1 pages (seen on a loaded machine: 22 requests, two pages per 500).
        assert len(list_pages) <= 2 * (depth - 1) and sent == fault_free + 2 + len(list_pages), sent
    assert not lookups_by_slug(sandbox)


def make_others(collection, locales, count):
    """Items someone else made: an unfiltered list holds them all, before ours."""
    client = get_client()
    for start in range(0, count, 33):
        client.create_items_bulk(collection.webflow_id, field_data=[
            {"name": f"Other {n}", "slug": f"other-{n}", "summary": "Not ours"}
            for n in range(start, min(start + 33, count))],
            cms_locale_ids=[loc.cms_locale_id for loc in locales], is_draft=False, is_archived=False)


@pytest.mark.parametrize("depth", [1, 4])
def test_a_webflow_that_ignores_the_list_filters_still_reconciles_without_duplicates(
    sandbox, collection, locales, publisher, settings, depth
):
    settings.WEBFLOW_PUSH_IN_FLIGHT = depth
    make_others(collection, locales, 200)
    sandbox.list_filters = False
    drops = sandbox.faults.add("drop_after_commit", path="/items/bulk$", method="POST", times=3)

    batch, sent, fault_free = push_counted(sandbox, collection, locales, publisher, count=100, only_ours=False)

    assert drops.used == 3
    ours = [v for v in sandbox.items(collection.webflow_id) if not v["fieldData"]["slug"].startswith("other-")]
    assert len(ours) == len({(v["cmsLocaleId"], v["fieldData"]["slug"]) for v in ours}) == 100 * len(locales)
    stored = set(WebflowItemRef.objects.filter(item__collection=collection).values_list("webflow_item_id", flat=True))
    assert stored == {v["id"] for v in ours}
    assert AuditEvent.objects.filter(action="push.reconcile", batch=batch).count() == 3
    if depth == 1:
        # Paged through the whole collection (7 to 9 pages a drop), fewer requests than 33 lookups a drop.
        assert sent <= fault_free + 3 * 10, sent
        assert not lookups_by_slug(sandbox)
    else:
        # With creates sent after a dropped one, the look below their oldest stamp comes first (the filters
        # ignored, it pages the whole collection and checks each stamp itself). When some of the chunk's items
        # share that millisecond, whatever it missed is settled by the cheaper of the whole window again or a
        # lookup per slug (seen once in about 20 runs on a loaded machine): still fewer than 33 lookups a drop.
        assert sent <= fault_free + 3 * 20, sent


def test_slugs_are_looked_up_when_that_costs_fewer_requests_than_paging_the_window(sandbox, collection, locales,
                                                                                   publisher):
    make_others(collection, locales, 300)
    sandbox.list_filters = False
    sandbox.faults.add("drop_after_commit", path="/items/bulk$", method="POST")

    batch, sent, fault_free = push_counted(sandbox, collection, locales, publisher, count=1, only_ours=False)

    # One page shows 9 more to come for one unsettled item: its slug is looked up instead.
    assert sent == fault_free + 1 + 1, sent
    assert len(lookups_by_slug(sandbox)) == 1
    assert [v["id"] for v in sandbox.items(collection.webflow_id) if v["fieldData"]["slug"] == "post-1"] == [
        batch.entries.get().item.webflow_refs.first().webflow_item_id] * len(locales)
    assert AuditEvent.objects.get(action="push.reconcile", batch=batch).data["slug_lookups"] == 1


def push_earlier_batch(sandbox, collection, locales, publisher, count=300):
    """Another batch of the same collection, pushed just before: its items fill the clock margin's window."""
    items = make_approved_items(collection, count, locales=locales[1:], start=1001)
    batch = push(queue(collection, items, publisher))
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    sandbox.reset_requests()


@pytest.mark.parametrize("fault", ["drop_after_commit", "500"])
def test_a_chunk_costs_one_page_in_a_collection_another_batch_just_filled(sandbox, collection, locales, publisher,
                                                                          fault):
    """The window starts at the newest item Webflow held when the chunk left (whichever batch made it), not a
    clock margin earlier: 900 variants another batch made a moment before cost no pages and no slug lookups,
    whether the chunk's items are found (a dropped answer) or proved missing (a 500 that wrote nothing)."""
    push_earlier_batch(sandbox, collection, locales, publisher)
    sandbox.faults.add(fault, path="/items/bulk$", method="POST")

    batch, sent, fault_free = push_counted(sandbox, collection, locales, publisher, count=5, only_ours=False)

    assert not lookups_by_slug(sandbox)
    lists = [r for r in sandbox.requests if r["method"] == "GET"]
    resent = 1 if fault == "500" else 0
    assert len(lists) == 1 and sent == fault_free + 1 + resent, [r["query"] for r in lists]
    if not resent:
        assert AuditEvent.objects.get(action="push.reconcile", batch=batch).data == {
            "adopted": [e.item_id for e in batch.entries.order_by("pk")], "missing": [], "list_requests": 1,
            "slug_lookups": 0}


def test_the_floor_counts_only_refs_written_before_the_chunk_left(collection, locales, publisher):
    """A ref written after the chunk was marked in flight may be of an item made after its request: a floor that
    counted it could rise above the chunk's own items, which would then look missing and be sent twice."""
    items = make_approved_items(collection, 2, locales=locales[1:])
    run = SimpleNamespace(batch=queue(collection, items, publisher))
    sent_at = timezone.now()

    def ref(item, created_on):
        return WebflowItemRef.objects.create(item=item, locale=locales[0], webflow_item_id=f"{item.pk:024x}",
                                             cms_locale_id=locales[0].cms_locale_id, created_on=created_on)

    known = ref(items[0], sent_at - timedelta(seconds=5))
    ref(items[1], sent_at + timedelta(seconds=5))  # another batch's answer, recorded after the chunk left

    assert webflow_floor(run, sent_at, known.pk) == known.created_on
    assert webflow_floor(run, sent_at, None) is None  # a chunk from before the field: this batch's own refs only


def land_late(sandbox, settings, *, margin: float, delay: float):
    """Webflow in its older slug auto-suffixing mode, applying the first create `delay` s after it arrived, with
    a client that stops waiting after 0.5 s and a run that waits `margin` s more before it looks."""
    settings.WEBFLOW_READ_TIMEOUT_SECONDS = 0.5
    settings.WEBFLOW_PUSH_LANDING_MARGIN_SECONDS = margin
    settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS = 0.01
    sandbox.duplicate_slugs = "suffix"
    return sandbox.faults.add("late_commit", path="/items/bulk$", method="POST", delay=delay)


def land_after_the_look(sandbox, settings):
    """The original lands 1.95 s after it arrived: 0.65 s after the run looked for it (0.5 s read timeout + 0.8 s
    margin) and 0.65 s before the copy check (twice that wait), so it makes a copy of the re-send even when a
    loaded CI machine delays each step by a few hundred milliseconds (0.4 s on each side was not enough)."""
    return land_late(sandbox, settings, margin=0.8, delay=1.95)


def test_a_create_applied_after_the_read_timeout_is_adopted_not_copied(sandbox, collection, locales, publisher,
                                                                       settings):
    """Webflow still working after the client gave up, with its older slug auto-suffixing: a look made at once
    finds nothing, the re-send lands, and the original then lands as `post-1-xxxxx` beside it."""
    late = land_late(sandbox, settings, margin=1.0, delay=1.0)
    items = make_approved_items(collection, 10, locales=locales[1:])
    batch = queue(collection, items, publisher)

    batch = batch_push(batch_id=batch.pk, sleep=time.sleep)  # the wait for the late write is real

    assert late.used == 1
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(sandbox, collection, items, locales)  # no copy, every ID stored
    assert [r["method"] for r in sandbox.requests] == ["POST", "GET", "PATCH"]  # adopted, never re-sent


def test_a_list_that_hid_a_late_create_costs_one_refusal_then_one_list_not_one_refusal_per_item(
        sandbox, collection, locales, publisher, settings):
    """The unanswered create did land, but the list after the wait showed nothing (an empty 2xx), so the chunk
    went again and Webflow refused its first slug as taken. That item is adopted; the create that made it made
    the other nine too, so one list from its send time adopts them instead of nine more refusals and lookups."""
    land_late(sandbox, settings, margin=1.0, delay=1.0)
    sandbox.duplicate_slugs = "refuse"
    sandbox.faults.add("unapplied_empty", path="/items$", method="GET", times=1)
    items = make_approved_items(collection, 10, locales=locales[1:])
    batch = queue(collection, items, publisher)

    batch = batch_push(batch_id=batch.pk, sleep=time.sleep)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(sandbox, collection, items, locales)
    # create, list (empty), create again (400), slug lookup, list from the first send, PATCH, copy check
    assert [(r["method"], r["status"]) for r in sandbox.requests] == [
        ("POST", 202), ("GET", 200), ("POST", 400), ("GET", 200), ("GET", 200), ("PATCH", 200), ("GET", 200)]
    assert "slug" in sandbox.requests[3]["query"] and "createdOn[gte]" in sandbox.requests[4]["query"]


def push_ten_after(sandbox, settings, collection, locales, publisher, create_fault: str, list_fault: str):
    """Push 10 items whose first create meets `create_fault` and whose first list meets `list_fault`."""
    settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS = 0.01
    sandbox.faults.add(create_fault, path="/items/bulk$", method="POST", times=1)
    sandbox.faults.add(list_fault, path="/items$", method="GET", times=1)
    items = make_approved_items(collection, 10, locales=locales[1:])
    batch = push(queue(collection, items, publisher))
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(sandbox, collection, items, locales)  # one item per draft and locale, IDs stored
    return batch, items


def test_a_resend_webflow_suffixed_because_the_first_create_landed_keeps_the_original(
        sandbox, collection, locales, publisher, settings):
    """Older auto-suffixing Webflow: the create was applied but answered 500, and the list after it came back
    empty, so the chunk went again and Webflow made `post-n-xxxxx` copies. Each draft adopts its original (its
    own slug) and the copy is deleted and recorded; nothing is left for the end of the run to find."""
    sandbox.duplicate_slugs = "suffix"
    batch, items = push_ten_after(sandbox, settings, collection, locales, publisher, "500_after_commit",
                                  "unapplied_empty")

    assert {v["fieldData"]["slug"] for v in sandbox.items(collection.webflow_id)} == {i.slug for i in items}
    removed = AuditEvent.objects.filter(action="push.copy_removed", batch=batch)
    assert removed.count() == 10 and all(e.data["slug"] != e.item.slug for e in removed)
    assert not batch.entries.filter(late_copy_check_from__isnull=False).exists()


def test_after_a_500_that_wrote_and_a_list_that_hid_it_one_refusal_settles_the_chunk(sandbox, collection, locales,
                                                                                      publisher, settings):
    """Webflow refusing duplicate slugs; the create was written but answered 500 (so it cannot land later and
    no copy check follows), and the list after it came back empty."""
    push_ten_after(sandbox, settings, collection, locales, publisher, "500_after_commit", "unapplied_empty")

    # create (written, answered 500), list (empty), create again (400), slug lookup, list from the first send, PATCH
    assert [(r["method"], r.get("fault") or r["status"]) for r in sandbox.requests] == [
        ("POST", "500_after_commit"), ("GET", "unapplied_empty"), ("POST", 400), ("GET", 200), ("GET", 200),
        ("PATCH", 200)]


def test_a_list_answer_without_ids_or_pagination_is_asked_again_not_believed(sandbox, collection, locales,
                                                                               publisher, settings):
    """A 2xx list whose items have no id says nothing about what Webflow holds: believing it "empty" would
    re-send a create that landed."""
    push_ten_after(sandbox, settings, collection, locales, publisher, "drop_after_commit", "unapplied_null_ids")

    assert [r["method"] for r in sandbox.requests] == ["POST", "GET", "GET", "PATCH"]  # asked again, adopted


def test_a_create_applied_later_than_the_wait_leaves_no_copy_behind(sandbox, collection, locales, publisher,
                                                                    settings):
    """Webflow applies the unanswered create after the run's wait (read timeout + margin) and after the re-send:
    with slug auto-suffixing it makes `post-n-xxxxx` copies. The end of the run finds and deletes each of them,
    records it, and every draft ends with exactly one Webflow item per locale."""
    late = land_after_the_look(sandbox, settings)
    items = make_approved_items(collection, 10, locales=locales[1:])
    batch = queue(collection, items, publisher)

    batch = batch_push(batch_id=batch.pk, sleep=time.sleep)

    assert late.used == 1
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(sandbox, collection, items, locales)
    removed = AuditEvent.objects.filter(action="push.copy_removed", batch=batch)
    assert removed.count() == 10
    assert {e.data["slug"].rsplit("-", 1)[0] for e in removed} == {i.slug for i in items}
    assert not batch.entries.filter(late_copy_check_from__isnull=False).exists()
    methods = [r["method"] for r in sandbox.requests]
    assert methods[:3] == ["POST", "GET", "POST"] and methods.count("DELETE") == 10


def test_copies_are_looked_up_by_name_when_the_window_holds_more_pages_than_suspects(sandbox, collection,
                                                                                     locales, publisher, settings):
    make_others(collection, locales, 1200)  # 36 pages of other items created in the window
    late = land_after_the_look(sandbox, settings)
    items = make_approved_items(collection, 10, locales=locales[1:])

    batch = batch_push(batch_id=queue(collection, items, publisher).pk, sleep=time.sleep)

    assert late.used == 1
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    ours = [v for v in sandbox.items(collection.webflow_id) if not v["fieldData"]["slug"].startswith("other-")]
    assert len(ours) == len({(v["cmsLocaleId"], v["fieldData"]["slug"]) for v in ours}) == 10 * len(locales)
    assert AuditEvent.objects.filter(action="push.copy_removed", batch=batch).count() == 10
    by_name = [r for r in sandbox.requests if r["method"] == "GET" and "name" in r["query"]]
    assert sorted(r["query"]["name"] for r in by_name) == sorted(i.name for i in items)


def test_the_copy_check_pages_only_what_was_made_after_the_original_left(sandbox, collection, locales,
                                                                        publisher, settings):
    """Another batch's 900 variants, made just before the unanswered original left, are below the window."""
    push_earlier_batch(sandbox, collection, locales, publisher)
    late = land_after_the_look(sandbox, settings)
    items = make_approved_items(collection, 10, locales=locales[1:])

    batch = batch_push(batch_id=queue(collection, items, publisher).pk, sleep=time.sleep)

    assert late.used == 1
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert AuditEvent.objects.filter(action="push.copy_removed", batch=batch).count() == 10
    copy_checks = [r for r in sandbox.requests if r["method"] == "GET" and r["query"].get("createdOn[gte]")][1:]
    # one page: the 10 items sent again and their 10 copies, 3 locales each; no lookups by name
    assert len(copy_checks) == 1 and not [r for r in sandbox.requests if "name" in r["query"]]


def test_a_copy_that_cannot_be_deleted_fails_its_item_instead_of_reading_succeeded(sandbox, collection, locales,
                                                                                   publisher, settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 2
    land_after_the_look(sandbox, settings)
    sandbox.faults.add("500", path="/items$", method="DELETE", times=0)
    items = make_approved_items(collection, 2, locales=locales[1:])
    batch = queue(collection, items, publisher)

    batch = batch_push(batch_id=batch.pk, sleep=time.sleep)

    assert batch.status == PushBatch.Status.FAILED
    copies = [v["id"] for v in sandbox.items(collection.webflow_id)
              if v["fieldData"]["slug"] not in {item.slug for item in items}]
    assert len(copies) == 2 * len(locales)
    reasons = " ".join(batch.entries.values_list("reason", flat=True))
    assert reasons.count("could not be checked or deleted") == 2
    assert all(webflow_id in reasons for webflow_id in copies)


def test_a_batch_that_stops_before_its_copy_check_names_the_items_that_may_have_a_copy(sandbox, collection,
                                                                                      locales, publisher, settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 2
    land_after_the_look(sandbox, settings)
    sandbox.faults.add("500", path="/items$", method="PATCH", times=0)
    items = make_approved_items(collection, 3, locales=locales[1:])

    batch = batch_push(batch_id=queue(collection, items, publisher).pk, sleep=time.sleep)

    assert batch.status == PushBatch.Status.FAILED
    assert "Webflow kept failing" in batch.last_error
    assert "sent again after a create that got no answer ('post-1', 'post-2', 'post-3')" in batch.last_error
    assert not AuditEvent.objects.filter(action="push.copy_removed").exists()


def test_below_the_ceiling_the_dropped_chunk_is_the_first_page_not_after_the_chunks_sent_beside_it(
    sandbox, collection, locales, publisher
):
    """A create answered with an error was finished by Webflow when the error came back; creates marked after
    that made their items later. Their oldest createdOn bounds the window from above, so the dropped chunk's
    items are the first page, newest first, instead of coming after the pages of 300 variants made since."""
    from stagingapp.services.push.context import RunContext
    from stagingapp.services.push.lease import batch_claim
    from stagingapp.services.push.window import scan_window

    items = make_approved_items(collection, 5, locales=locales[1:])
    batch = batch_claim(batch_id=queue(collection, items, publisher).pk, worker="test")
    run = RunContext(batch=batch, client=None, worker="test", progress=None, sleep=time.sleep)
    sent_at = timezone.now()
    run.client.create_items_bulk(collection.webflow_id, field_data=[{"name": i.name, "slug": i.slug,
                                                                     "summary": "s"} for i in items],
                                 cms_locale_ids=run.cms_ids, is_draft=True, is_archived=False)
    time.sleep(0.01)
    later = [variant for start in (0, 33, 66) for variant in run.client.create_items_bulk(  # three chunks sent since
        collection.webflow_id, field_data=[{"name": f"Later {n}", "slug": f"later-{n}", "summary": "s"}
                                           for n in range(start, start + 33)],
        cms_locale_ids=run.cms_ids, is_draft=True, is_archived=False)]
    ceiling = min(parse_datetime(v.created_on) for v in later)
    entries = list(batch.entries.select_related("item"))

    sandbox.reset_requests()
    bounded = scan_window(run, entries, sent_at=sent_at, ceiling=ceiling)
    first_list = sandbox.requests[0]["query"]
    unbounded = scan_window(run, entries, sent_at=sent_at)
    # The dropped chunk's newest items made in the ceiling's own millisecond: the look below it misses them, and
    # the look at that millisecond finds them (the later creates were made 10 ms after: none there). One item's
    # locales were made on both sides of that millisecond: each look sees part of it, together all of it.
    with sandbox.state.lock:
        straddling = [variant for by_locale in sandbox.state.items[collection.webflow_id].values()
                      for variant in by_locale.values() if variant["fieldData"]["slug"] == items[-1].slug]
        newest = max(parse_datetime(variant["createdOn"]) for variant in straddling)
        straddling[0]["createdOn"] = iso_instant(newest + timedelta(milliseconds=1))
    dropped = [parse_datetime(v["createdOn"]) for v in sandbox.items(collection.webflow_id)
               if not v["fieldData"]["slug"].startswith("later-")]
    same_millisecond = scan_window(run, entries, sent_at=sent_at, ceiling=max(dropped))
    # A hint that misses them all (a later create made first): an empty page below it, one at its millisecond,
    # then the whole window decides, as without a hint.
    missed = scan_window(run, entries, sent_at=sent_at, ceiling=min(dropped) - timedelta(milliseconds=5))

    everything = {e.pk for e in entries}
    assert set(bounded.found) == set(unbounded.found) == set(same_millisecond.found) == everything
    assert (bounded.pages, unbounded.pages, same_millisecond.pages) == (1, 4, 1 + 1)
    assert set(missed.found) == everything and missed.pages == 1 + 1 + 4
    assert first_list["createdOn[lte]"] == iso_instant(ceiling - timedelta(milliseconds=1))


def test_the_ceiling_hint_comes_from_the_creates_sent_after_the_chunk_that_answered_themselves(
    sandbox, collection, locales, publisher
):
    """The creates sent after the chunk, each recorded from its own answer, hint where its items lie: below the
    oldest of their stamps. Their answers are landed before the stamps are read."""
    from stagingapp.models import BatchItem, PushChunk
    from stagingapp.services.push.window import webflow_ceiling

    items = make_approved_items(collection, 4, locales=locales[1:])
    batch = queue(collection, items, publisher)
    landed = []
    run = SimpleNamespace(batch=batch, flights=SimpleNamespace(land_all=lambda: landed.append(1)))
    chunks, stamps = [], []
    for n, (item, status) in enumerate(zip(items, ["done", "done", "reconciled", "done"], strict=True)):
        chunks.append(PushChunk.objects.create(batch=batch, endpoint="items/bulk", status=status))
        BatchItem.objects.filter(batch=batch, item=item).update(chunk=chunks[-1])
        stamps.append(timezone.now() - timedelta(seconds=10 - n))
        WebflowItemRef.objects.create(item=item, locale=locales[0], webflow_item_id=f"{item.pk:024x}",
                                      cms_locale_id=locales[0].cms_locale_id, created_on=stamps[-1])

    assert webflow_ceiling(run, chunks[0]) == stamps[1]
    assert webflow_ceiling(run, chunks[1]) == stamps[3]  # a reconciled chunk's refs may be older items adopted
    assert webflow_ceiling(run, chunks[3]) is None
    assert len(landed) == 3


@pytest.mark.parametrize(("error", "written"), [
    (WebflowServerError(status=500, code="internal_error", body_text=""), False),
    (WebflowBadResponse(status=503, body_text="<html>busy</html>"), False),
    (WebflowConnectionError("reset by peer"), True),
    (WebflowBadResponse(status=202, body_text="{\"items\": ["), True),
])
def test_only_a_create_that_probably_wrote_waits_for_the_creates_sent_after_it(error, written):
    """An answered 5xx most often wrote nothing: its items are then proved absent by one immediate list, while
    waiting for the creates sent after it would first add their items to the window. A lost or unusable answer
    most often means the create did write: then the hint finds it in one page."""
    from stagingapp.services.push.reconcile import probably_written

    assert probably_written(error) is written
