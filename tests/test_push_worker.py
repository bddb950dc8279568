"""Pushes through real django-q2 `qcluster` processes: a killed worker resumes without duplicates, and two
clusters never push one batch twice.

The worker processes must see the test database, so these tests use `transactional_db` (committed data) and the
file-based SQLite test database from settings (or the PostgreSQL test database). They are slow by nature.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from stagingapp.models import AuditEvent, PushBatch, PushChunk
from stagingapp.services.batches import batch_create, batch_queue
from tests import factories
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.test_push import assert_webflow_matches

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def restore_migration_data(django_db_setup, django_db_blocker):
    """Transactional tests end with a flush; put the migrations' data (role groups, permissions, schedules) back
    so transactional tests that run later still find it."""
    yield
    with django_db_blocker.unblock():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            connection.creation.deserialize_db_from_string(contents)


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker_env(webflow_sandbox, settings, tmp_path):
    settings.WEBFLOW_PUSH_STALE_SECONDS = 3
    return {
        **os.environ, "DEBUG": "True", "DATABASE_URL": database_url(), "WEBFLOW_API_BASE_URL": webflow_sandbox.url,
        "WEBFLOW_API_TOKEN": webflow_sandbox.token, "Q_WORKERS": "1", "Q_ORM_POLL_SECONDS": "0.2",
        "WEBFLOW_PUSH_STALE_SECONDS": "3", "WEBFLOW_PUSH_BACKOFF_BASE_SECONDS": "0.1",
        "WEBFLOW_RATE_LIMIT_PER_MINUTE": str(settings.WEBFLOW_RATE_LIMIT_PER_MINUTE), "LOG_LEVEL": "WARNING",
        # The sandbox answers in milliseconds. With the production 60 s read timeout + 30 s margin, a resume after
        # a kill that caught a create in flight waits 90 s for a late write before it looks (and overran the
        # test's window in CI); the rule is the same with a shorter timeout.
        "WEBFLOW_READ_TIMEOUT_SECONDS": "8", "WEBFLOW_PUSH_LANDING_MARGIN_SECONDS": "1",
    }


@pytest.fixture
def clusters(transactional_db, worker_env, tmp_path):
    """Start `manage.py qcluster` processes (each in its own process group); all are killed at the end."""
    started = []

    def start(name="cluster"):
        log = (tmp_path / f"{name}-{len(started)}.log").open("w")
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=worker_env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        kill(process)


def kill(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def finished(*batches):
    return lambda: all(PushBatch.objects.get(pk=b.pk).status in PushBatch.FINISHED_STATUSES for b in batches)


@pytest.fixture
def seeded(webflow_sandbox):
    site = factories.make_site()
    locales = factories.make_locales(site)
    collection = factories.make_collection(site)
    publisher = factories.make_user("publisher", "Publishers")
    webflow_sandbox.seed_from_models(site)
    return collection, locales, publisher


def queued_batch(collection, items, publisher, locales=None):
    batch = batch_create(collection=collection, item_ids=[i.pk for i in items], mode="stage", actor=publisher,
                         locale_ids=[loc.pk for loc in locales] if locales else None)
    return batch_queue(batch_id=batch.pk, actor=publisher)  # autocommit: on_commit enqueues at once


def test_a_batch_runs_in_a_real_worker(clusters, seeded, webflow_sandbox):
    collection, locales, publisher = seeded
    items = make_approved_items(collection, 120, locales=locales[1:])
    batch = queued_batch(collection, items, publisher)
    clusters()
    wait_for(finished(batch), what="the worker to finish the batch")
    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(webflow_sandbox, collection, items, locales)


def test_a_killed_worker_resumes_where_it_stopped_without_duplicates(clusters, seeded, webflow_sandbox, settings,
                                                                     worker_env):
    collection, locales, publisher = seeded
    # Paced (6 requests in any second) so the kill lands mid-batch: 10 creates + 6 PATCH requests. Unpaced, the
    # whole batch can finish between two looks at it. The killed worker's reservations in the shared limiter are
    # released by the run that resumes (before that, at 4 a second they could hold its whole budget for the
    # 3-minute pending_hold: this test timed out in 3 of about 30 runs).
    worker_env["WEBFLOW_RATE_LIMIT_PER_MINUTE"], worker_env["WEBFLOW_RATE_LIMIT_WINDOW_SECONDS"] = "6", "1"
    items = make_approved_items(collection, 320, locales=locales[1:])
    batch = queued_batch(collection, items, publisher)
    first = clusters("first")
    wait_for(lambda: PushChunk.objects.filter(batch=batch, status="done").count() >= 3, what="three chunks")
    kill(first)
    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.RUNNING
    done_before = PushChunk.objects.filter(batch=batch, status="done").count()
    assert done_before < 10

    # Nobody calls recovery by hand: the new cluster's start plans a check once the dead claim is stale, and the
    # scheduler (every 30 s) runs it, so the batch resumes within about a minute of a worker being back.
    clusters("second")
    wait_for(finished(batch), timeout=120, what="the resumed batch")

    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert AuditEvent.objects.filter(batch=batch, action="batch.resume").count() == 1
    assert_webflow_matches(webflow_sandbox, collection, items, locales)


def test_a_worker_killed_with_several_creates_in_flight_resumes_without_duplicates(clusters, seeded, webflow_sandbox,
                                                                                  worker_env):
    """Four creates on their way when the worker dies; Webflow applies them after the worker is gone. The resumed
    run looks every one of them up before it sends anything, so each item lands once and every ID is stored."""
    collection, locales, publisher = seeded
    worker_env["WEBFLOW_PUSH_IN_FLIGHT"] = "4"
    webflow_sandbox.set_latency(0.6)
    items = make_approved_items(collection, 400, locales=locales[1:])  # 13 creates of 33 items × 3 locales
    batch = queued_batch(collection, items, publisher)
    first = clusters("first")
    in_flight = PushChunk.objects.filter(batch=batch, status=PushChunk.Status.IN_FLIGHT)
    # Killed while the sandbox is answering two or more of them: a chunk is committed in flight just before its
    # request leaves, so its row alone may be seen (and the worker killed) before that request has arrived.
    wait_for(lambda: in_flight.count() >= 2 and webflow_sandbox.in_progress >= 2, what="several creates in flight")
    kill(first)
    assert in_flight.count() >= 2
    assert webflow_sandbox.peak_in_progress >= 2
    # What the dead worker had sent still arrives and is answered (Webflow applies it after the worker is gone);
    # the resumed run's requests are those logged after that.
    wait_for(lambda: webflow_sandbox.in_progress == 0, what="the dead worker's requests answered")
    resumed_at = time.time()

    clusters("second")
    wait_for(finished(batch), timeout=75, what="the resumed batch")

    batch.refresh_from_db()
    assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
    assert_webflow_matches(webflow_sandbox, collection, items, locales)
    resumed = [r for r in webflow_sandbox.requests if r["time"] > resumed_at]
    first_write = next(n for n, r in enumerate(resumed) if r["method"] != "GET")
    assert first_write > 0 and all(r["method"] == "GET" for r in resumed[:first_write])
    assert_history_accounts_for_every_request(batch, webflow_sandbox, lost_with_the_worker=2)


def assert_history_accounts_for_every_request(batch, sandbox, *, lost_with_the_worker):
    """Every request that reached the sandbox is in the history: with its own entry, or counted in the entry
    the resumed run wrote for the requests the killed worker sent and never recorded an answer for. A request
    counted just before the kill may not have left yet, so the counts may exceed the sandbox's by a few."""
    batch.refresh_from_db()
    answered = AuditEvent.objects.filter(batch=batch, action="push.request").count()
    unanswered = sum(e.data["requests"] for e in AuditEvent.objects.filter(batch=batch, action="push.unanswered"))
    reached = len([r for r in sandbox.requests if r["path"].startswith("/v2")])
    assert unanswered >= lost_with_the_worker  # the kill caught them on their way
    assert answered + unanswered == batch.requests_sent == batch.requests_audited
    assert reached <= batch.requests_sent <= reached + 4  # at most the in-flight depth counted but not sent


@pytest.mark.postgres
def test_two_clusters_never_push_a_batch_twice(clusters, seeded, webflow_sandbox):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) are only meaningful on PostgreSQL")
    from django_q.tasks import async_task

    collection, locales, publisher = seeded
    batches = []
    for n in range(4):
        items = make_approved_items(collection, 60, locales=locales[1:], start=1 + n * 60)
        batch = queued_batch(collection, items, publisher)
        async_task("stagingapp.tasks.push_batch", batch.pk)  # a second delivery of the same batch
        batches.append((batch, items))
    clusters("a")
    clusters("b")
    wait_for(finished(*[b for b, _ in batches]), what="all batches")

    all_items = []
    for batch, items in batches:
        batch.refresh_from_db()
        assert batch.status == PushBatch.Status.SUCCEEDED, batch.last_error
        assert AuditEvent.objects.filter(batch=batch, action__in=["batch.start", "batch.resume"]).count() == 1
        all_items += items
    assert_webflow_matches(webflow_sandbox, collection, all_items, locales)
