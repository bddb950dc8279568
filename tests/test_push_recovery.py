"""No batch stranded: the claim locks only the batch row, recovery finds dead runs and lost queued tasks, and the
heartbeat thread keeps a live run's claim fresh while it waits."""
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from stagingapp.models import AuditEvent, Collection, PushBatch, WebflowRateLimitState
from stagingapp.services.push import batch_claim, batch_push
from stagingapp.services.push.lease import Heartbeat
from stagingapp.services.push.recovery import STARTUP_SCHEDULE, batch_recover, recovery_check_after_start
from stagingapp.webflow.ratelimit import get_limiter
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import assert_webflow_matches, no_sleep, queue


def enqueued_batch_ids() -> list[int]:
    return [q.task["args"][0] for q in OrmQ.objects.all() if q.func() == "stagingapp.tasks.push_batch"]


def age(batch, **fields_seconds_ago):
    now = timezone.now()
    PushBatch.objects.filter(pk=batch.pk).update(
        **{name: now - timedelta(seconds=seconds) for name, seconds in fields_seconds_ago.items()})


@pytest.mark.django_db
def test_recovery_hands_over_stale_running_batches_and_queued_batches_no_task_started(
        collection, locales, publisher, settings):
    settings.WEBFLOW_PUSH_STALE_SECONDS = 30
    batches = [queue(collection, make_approved_items(collection, 1, start=n), publisher) for n in range(1, 6)]
    dead, alive, lost, fresh, later = batches
    OrmQ.objects.all().delete()  # the tasks batch_queue enqueued are "lost"
    for batch in (dead, alive):
        batch_claim(batch_id=batch.pk, worker="w1")
    age(dead, heartbeat_at=31)
    age(alive, heartbeat_at=5)
    age(lost, queued_at=31)
    age(later, queued_at=31)
    PushBatch.objects.filter(pk=later.pk).update(scheduled_for=timezone.now() + timedelta(hours=1))

    assert batch_recover() == [dead.pk, lost.pk]
    assert sorted(enqueued_batch_ids()) == [dead.pk, lost.pk]
    # The queued batch remembers the hand-over: the next check does not pile up a second task for it.
    assert batch_recover() == [dead.pk]
    assert fresh.pk not in enqueued_batch_ids()


@pytest.mark.django_db
def test_a_batch_whose_worker_died_resumes_from_recovery_without_duplicates(
        webflow_sandbox, site, locales, collection, publisher, settings):
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = queue(collection, items, publisher)
    assert batch_claim(batch_id=batch.pk, worker="killed-worker") is not None
    assert batch_push(batch_id=batch.pk, sleep=no_sleep) is None  # the dead worker's claim still looks alive
    age(batch, heartbeat_at=settings.WEBFLOW_PUSH_STALE_SECONDS + 1)

    assert batch.pk in batch_recover()
    batch = batch_push(batch_id=batch.pk, sleep=no_sleep)

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert AuditEvent.objects.filter(batch=batch, action="batch.resume").count() == 1
    assert_webflow_matches(webflow_sandbox, collection, items, locales)


@pytest.mark.django_db
def test_the_resumed_run_releases_the_rate_limit_slots_its_dead_predecessor_held(
        webflow_sandbox, site, locales, collection, publisher, settings):
    # A limit equal to the four creates the dead worker had on their way: without the release, its reservations
    # would hold the whole budget until they expire (here in 30 s; pending_hold is 3 minutes).
    settings.WEBFLOW_RATE_LIMIT_PER_MINUTE, settings.WEBFLOW_RATE_LIMIT_WINDOW_SECONDS = 4, 1.0
    webflow_sandbox.seed_from_models(site)
    items = make_approved_items(collection, 40, locales=locales[1:])
    batch = queue(collection, items, publisher)
    assert batch_claim(batch_id=batch.pk, worker="host:1:killed") is not None
    dead = get_limiter(base_url=settings.WEBFLOW_API_BASE_URL, token=settings.WEBFLOW_API_TOKEN)
    dead.owner, dead.pending_hold = "host:1:killed", 30.0
    for _ in range(4):
        dead.acquire()
    age(batch, heartbeat_at=settings.WEBFLOW_PUSH_STALE_SECONDS + 1)
    waits = []

    batch = batch_push(batch_id=batch.pk, sleep=lambda seconds: (waits.append(seconds), time.sleep(seconds)))

    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    state = WebflowRateLimitState.objects.get(key=dead.key)
    assert not [entry for entry in state.pending if entry[2:] == ["host:1:killed"]]
    assert sum(waits) < 5  # about one window (1 s) for the released slots to leave, not the 30 s hold
    assert_webflow_matches(webflow_sandbox, collection, items, locales)


@pytest.mark.django_db
def test_a_starting_worker_plans_one_recovery_check_after_the_stale_time(settings):
    settings.WEBFLOW_PUSH_STALE_SECONDS = 30
    recovery_check_after_start()
    recovery_check_after_start()  # every worker process of a cluster starts; one check is enough
    schedule = Schedule.objects.get(name=STARTUP_SCHEDULE)
    assert schedule.func == "stagingapp.tasks.push_recover"
    assert 30 < (schedule.next_run - timezone.now()).total_seconds() <= 32


def test_the_recovery_schedule_runs_every_minute(db):
    schedule = Schedule.objects.get(name="push batch recovery")
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_the_claim_fresh_and_notices_a_takeover(collection, publisher):
    batch = queue(collection, make_approved_items(collection, 1), publisher)
    batch_claim(batch_id=batch.pk, worker="w1")
    age(batch, heartbeat_at=60)
    heartbeat = Heartbeat(batch_id=batch.pk, worker="w1", interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while PushBatch.objects.get(pk=batch.pk).heartbeat_at < timezone.now() - timedelta(seconds=30):
            assert time.monotonic() < deadline, "the heartbeat thread never wrote"
            time.sleep(0.05)
        PushBatch.objects.filter(pk=batch.pk).update(claimed_by="w2")
        while not heartbeat.lost:
            assert time.monotonic() < deadline, "the heartbeat thread did not notice the takeover"
            time.sleep(0.05)
    finally:
        heartbeat.stop()


def hold_lock_in_other_connection(model, pk, locked: threading.Event, release: threading.Event):
    """A second database connection (its own thread) that holds a row lock until told to let go."""
    from django.db import transaction

    try:
        with transaction.atomic():
            model.objects.select_for_update().get(pk=pk)
            locked.set()
            release.wait(20)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_on_the_collection_row_does_not_stop_a_claim_but_a_lock_on_the_batch_row_does(
        collection, publisher):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) are only meaningful on PostgreSQL")
    first = queue(collection, make_approved_items(collection, 1, start=1), publisher)
    second = queue(collection, make_approved_items(collection, 1, start=2), publisher)
    for model, pk, claimable in ((Collection, collection.pk, first), (PushBatch, second.pk, None)):
        locked, release = threading.Event(), threading.Event()
        other = threading.Thread(target=hold_lock_in_other_connection, args=(model, pk, locked, release))
        other.start()
        try:
            assert locked.wait(10)
            target = first if claimable is not None else second
            claimed = batch_claim(batch_id=target.pk, worker="w1")
            assert (claimed.pk if claimed else None) == (claimable.pk if claimable else None)
        finally:
            release.set()
            other.join()


@pytest.mark.django_db
def test_a_batch_whose_worker_process_is_gone_is_resumed_at_once_but_a_live_ones_is_not(
        collection, locales, publisher, settings):
    import socket
    import subprocess
    import sys

    settings.WEBFLOW_PUSH_STALE_SECONDS = 30
    dead, alive = (queue(collection, make_approved_items(collection, 1, start=n), publisher) for n in (1, 2))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = socket.gethostname()
        assert batch_claim(batch_id=dead.pk, worker=f"{host}:{gone.pid}:killed") is not None
        assert batch_claim(batch_id=alive.pk, worker=f"{host}:{running.pid}:busy") is not None
        OrmQ.objects.all().delete()

        # A worker starting right after the kill: the dead run's heartbeat is fresh, its process is not there.
        recovery_check_after_start()

        assert enqueued_batch_ids() == [dead.pk]
        assert batch_claim(batch_id=alive.pk, worker="w2") is None
        resumed = batch_claim(batch_id=dead.pk, worker="w2")
        assert (resumed.status, resumed.claimed_by) == (PushBatch.Status.RUNNING, "w2")
        assert AuditEvent.objects.filter(batch=dead, action="batch.resume").count() == 1
    finally:
        running.kill()
        running.wait()


@pytest.mark.django_db
def test_workers_restarting_often_do_not_keep_postponing_the_recovery_check(settings):
    settings.WEBFLOW_PUSH_STALE_SECONDS = 30
    recovery_check_after_start()
    first = Schedule.objects.get(name=STARTUP_SCHEDULE).next_run
    settings.WEBFLOW_PUSH_STALE_SECONDS = 60  # as if the next restart came 30 s later
    recovery_check_after_start()
    assert Schedule.objects.get(name=STARTUP_SCHEDULE).next_run == first
    Schedule.objects.filter(name=STARTUP_SCHEDULE).update(repeats=0)  # it ran
    recovery_check_after_start()
    assert Schedule.objects.get(name=STARTUP_SCHEDULE).next_run > first


@pytest.mark.django_db
def test_a_worker_starting_hands_over_a_queued_batch_whose_task_a_killed_worker_took(
        collection, locales, publisher, settings):
    # Workers dying sooner than django-q2's first scheduler pass (30 s) never run the recovery schedule: the start
    # itself must find a queued batch whose task was taken and lost, not only running ones.
    settings.WEBFLOW_PUSH_STALE_SECONDS = 30
    lost, fresh = (queue(collection, make_approved_items(collection, 1, start=n), publisher) for n in (1, 2))
    OrmQ.objects.all().delete()
    age(lost, queued_at=31)

    recovery_check_after_start()

    assert enqueued_batch_ids() == [lost.pk]
    recovery_check_after_start()  # the next worker's start, moments later, does not pile up a second task
    assert enqueued_batch_ids() == [lost.pk]
