"""The shared rate limiter: sliding-window decisions, Webflow's headers, and two OS processes sharing one budget."""
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from stagingapp.models import WebflowRateLimitState
from stagingapp.webflow.ratelimit import DatabaseRateLimiter, RedisRateLimiter, get_limiter, limiter_key
from webflow_sandbox.demo import DEMO_SITE_ID, seed_demo

BASE_DIR = Path(django_settings.BASE_DIR)


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 1_000_000.0, []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def db_limiter(clock, limit=3, window=10.0):
    return DatabaseRateLimiter(key="k" * 64, limit=limit, window=window, clock=clock.time, sleep=clock.sleep)


def test_requests_within_the_limit_start_at_once_and_the_next_waits_for_the_window(db, clock):
    limiter = db_limiter(clock)
    for _ in range(3):
        limiter.record(limiter.acquire())
    assert clock.sleeps == []
    limiter.acquire()
    assert sum(clock.sleeps) == pytest.approx(10.0, abs=0.1)


def test_an_unanswered_request_of_a_crashed_process_frees_its_slot_eventually(db, clock):
    limiter = db_limiter(clock, limit=1)
    limiter.pending_hold = 3.0
    limiter.acquire()  # never recorded
    limiter.acquire()
    assert sum(clock.sleeps) == pytest.approx(limiter.pending_hold, abs=0.1)


def test_a_request_still_waiting_for_its_answer_keeps_its_slot(db, clock):
    limiter = db_limiter(clock, limit=2, window=10.0)
    slow = limiter.acquire()
    limiter.record(limiter.acquire())
    clock.now += 30  # the answered request has left the window; the slow one is still in flight
    limiter.acquire()
    limiter.record(slow)
    assert clock.sleeps == [] and WebflowRateLimitState.objects.get().pending != []


def test_webflows_lower_announced_limit_and_remaining_count_are_honoured(db, clock):
    limiter = db_limiter(clock, limit=100)
    reservation = limiter.acquire()
    limiter.record(reservation, limit=2, remaining=0)  # someone else used the rest of the budget
    limiter.acquire()
    assert sum(clock.sleeps) >= 10.0


def test_a_retry_after_blocks_every_user_of_the_token_until_it_passes(db, clock):
    first, second = db_limiter(clock), db_limiter(clock)
    first.record(first.acquire(), retry_after=30)
    second.acquire()
    assert sum(clock.sleeps) == pytest.approx(30.0, abs=0.1)


def test_held_answers_count_as_pending_until_the_next_slot_applies_them_with_their_own_time(db, clock):
    limiter, other = db_limiter(clock, limit=2, window=10.0), db_limiter(clock, limit=2, window=10.0)
    limiter.hold_answers = True
    first = limiter.acquire()
    limiter.record(first, remaining=1)
    state = WebflowRateLimitState.objects.get()
    assert len(state.pending) == 1 and state.hits == []  # held: still "now" for every other process
    clock.now += 4
    limiter.record(limiter.acquire())  # the first answer went in with this slot, stamped when it came
    state = WebflowRateLimitState.objects.get()
    assert state.hits == [[pytest.approx(1_000_000.05, abs=10 / 240), 1]] and len(state.pending) == 1
    clock.now += 7  # the first answer has left the window; the held second one still counts
    other.acquire()
    assert clock.sleeps == []
    limiter.flush()
    assert len(WebflowRateLimitState.objects.get().hits) == 1  # (the first one pruned, the second one written)


def test_the_stored_window_stays_small_however_many_answers_it_counts(db, clock):
    # At a limit far above the traffic (the benchmark's "no limit") every answer of the last minute is in the
    # window: counted in buckets of a 240th of it, so the state and its encoding stay the same size.
    limiter = db_limiter(clock, limit=1_000_000, window=60.0)
    limiter.hold_answers = True
    for _ in range(6_000):  # 100 a second for a minute
        limiter.record(limiter.acquire())
        clock.now += 0.01
    limiter.flush()
    hits = WebflowRateLimitState.objects.get().hits
    assert len(hits) <= 241 and sum(count for _, count in hits) == 6_000
    assert limiter.budget()["used"] == 6_000


def test_a_bucketed_answer_leaves_the_window_late_by_at_most_a_bucket_never_early(db, clock):
    limiter = db_limiter(clock, limit=2, window=60.0)
    limiter.record(limiter.acquire())
    clock.now += 0.1
    limiter.record(limiter.acquire())
    limiter.acquire()  # waits for the first answer (stamped 0.05 s after it came) to leave the window
    waited = sum(clock.sleeps)
    assert 60.0 - 0.1 + 0.05 <= waited <= 60.0 - 0.1 + 0.05 + 60 / 240


def test_a_dead_owners_slots_are_released_as_answered_now_and_leave_after_one_window(db, clock):
    dead, taker = db_limiter(clock, limit=2, window=10.0), db_limiter(clock, limit=2, window=10.0)
    dead.owner, taker.owner = "host:1:dead", "host:2:taker"
    dead.acquire()
    dead.acquire()  # both slots on their way when the process died: held for pending_hold (180 s)
    clock.now += 1

    assert taker.release_owner("host:1:dead") == 2
    assert taker.release_owner("host:1:dead") == 0
    state = WebflowRateLimitState.objects.get()
    assert state.pending == [] and sum(count for _, count in state.hits) == 2  # Webflow may have counted them
    taker.acquire()
    assert 10.0 <= sum(clock.sleeps) <= 10.0 + 10 / 240 + 0.06  # one window from the release, not 180 s


def test_releasing_one_owner_keeps_the_slots_of_the_others(db, clock):
    alive, dead = db_limiter(clock, limit=3), db_limiter(clock, limit=3)
    alive.owner, dead.owner = "alive", "dead"
    alive.acquire()
    dead.acquire()
    assert alive.release_owner("dead") == 1
    assert [entry[2] for entry in WebflowRateLimitState.objects.get().pending] == ["alive"]


def test_a_held_429_blocks_every_user_of_the_token_at_once(db, clock):
    first, second = db_limiter(clock), db_limiter(clock)
    first.hold_answers = True
    first.record(first.acquire(), retry_after=30)
    second.acquire()
    assert sum(clock.sleeps) == pytest.approx(30.0, abs=0.1)


@pytest.mark.django_db(transaction=True)
def test_what_runs_with_a_slot_commits_with_it_and_a_failure_there_takes_no_slot(clock):
    limiter = db_limiter(clock, limit=2)
    limiter.acquire(then=lambda: WebflowRateLimitState.objects.create(key="written-with-the-slot"))
    assert WebflowRateLimitState.objects.filter(key="written-with-the-slot").exists()
    assert len(WebflowRateLimitState.objects.get(key=limiter.key).pending) == 1

    def refuse():
        WebflowRateLimitState.objects.create(key="rolled-back")
        raise RuntimeError("the chunk could not be marked")

    with pytest.raises(RuntimeError):
        limiter.acquire(then=refuse)
    assert not WebflowRateLimitState.objects.filter(key="rolled-back").exists()
    assert len(WebflowRateLimitState.objects.get(key=limiter.key).pending) == 1  # no second slot taken
    limiter.acquire()
    assert clock.sleeps == []


def test_the_limiter_is_keyed_by_an_hmac_under_the_secret_key_never_the_token_or_its_plain_hash(db, settings):
    settings.WEBFLOW_RATE_LIMITER = "database"
    limiter = get_limiter(base_url="http://x", token="plain-token-value")
    limiter.record(limiter.acquire(), limit=60, remaining=59)
    row = WebflowRateLimitState.objects.get()
    stored = json.dumps(row.__dict__, default=str)
    plain_hash = hashlib.sha256(b"http://x\nplain-token-value").hexdigest()
    assert row.key == limiter_key(base_url="http://x", token="plain-token-value")
    assert "plain-token-value" not in stored and plain_hash not in stored
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert limiter_key(base_url="http://x", token="plain-token-value") != row.key


def test_the_redis_limiter_is_chosen_with_redis_and_shared_between_threads(settings):
    settings.REDIS_URL, settings.WEBFLOW_RATE_LIMITER = "redis://unused", "auto"
    assert isinstance(get_limiter(base_url="http://x", token="t" * 10), RedisRateLimiter)
    client = redis_client_or_skip()
    client.delete("wf-rl:threads", "wf-rl-lock:threads")
    starts = []
    lock = threading.Lock()

    def worker():
        limiter = RedisRateLimiter(client=client, key="threads", limit=4, window=1.0)
        for _ in range(4):
            reservation = limiter.acquire()
            with lock:
                starts.append(time.time())  # the "request": Webflow sees it between acquire and record
            limiter.record(reservation)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    starts.sort()
    assert len(starts) == 8
    assert max_in_window(starts, 1.0) <= 4


LOCK_HOLDER = textwrap.dedent("""
    import sys, time
    import redis
    from stagingapp.webflow.ratelimit import RedisRateLimiter
    url, key, count, stall = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    limiter = RedisRateLimiter(client=redis.Redis.from_url(url), key=key, limit=5)
    limiter.lock_timeout = 0.3
    stalls = [stall]

    def change(state):
        state["count"] = state.get("count", 0) + 1
        if stalls and stalls.pop():
            print("holding", flush=True)
            time.sleep(stall)  # longer than the lock's expiry: the other process gets the lock meanwhile

    for _ in range(count):
        limiter._locked(change)
    print("done", flush=True)
""")


@pytest.mark.slow
def test_two_processes_never_lose_an_update_even_when_a_lock_holder_stalls_past_the_expiry():
    """The old cache lock let a waiter take the lock over after a timeout, and the stalled holder then wrote
    its stale state over the newer one. With redis-py's Lock the stalled holder's write is refused and redone."""
    client = redis_client_or_skip()
    key = f"two-processes-{os.getpid()}"
    client.delete(f"wf-rl:{key}", f"wf-rl-lock:{key}")

    def start(count, stall):
        return subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, TEST_REDIS_URL, key, str(count), str(stall)],
                                cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    staller = start(5, 1.0)
    assert staller.stdout.readline() == "holding\n", staller.stderr.read()
    other = start(30, 0)
    outputs = [process.communicate(timeout=120) for process in (staller, other)]
    assert [process.returncode for process in (staller, other)] == [0, 0], outputs
    assert json.loads(client.get(f"wf-rl:{key}"))["count"] == 35


def max_in_window(times, window):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def shared_database_url(tmp_path) -> str:
    """A URL other processes can open for this test's database (a migrated file when SQLite is in memory)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=BASE_DIR, check=True,
                   env={**os.environ, "DATABASE_URL": url, "DEBUG": "True"}, capture_output=True, timeout=120)
    return url


WORKER = textwrap.dedent("""
    import os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from stagingapp.webflow.client import get_client
    client = get_client(max_rate_limit_retries=0)
    for _ in range(int(sys.argv[1])):
        client.get_site(sys.argv[2])
""")


TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_client_or_skip():
    if not redis_is_up():
        pytest.skip(f"no Redis at {TEST_REDIS_URL} (CI starts one)")
    import redis

    return redis.Redis.from_url(TEST_REDIS_URL)


def redis_is_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_the_redis_limiters_budget_reads_the_shared_state(settings):
    client = redis_client_or_skip()
    limiter = RedisRateLimiter(client=client, key="budget-" + os.urandom(4).hex(), limit=5, window=60.0)
    assert limiter.budget()["used"] == 0
    limiter.record(limiter.acquire())
    limiter.acquire()
    assert limiter.budget() == {"limit": 5, "used": 2, "window": 60.0, "blocked_for": 0.0}
    client.delete(f"wf-rl:{limiter.key}")


def test_the_redis_limiter_runs_what_goes_with_a_slot_once_the_slot_is_stored():
    client = redis_client_or_skip()
    limiter = RedisRateLimiter(client=client, key="then-" + os.urandom(4).hex(), limit=5, window=60.0)
    seen = []
    limiter.acquire(then=lambda: seen.append(limiter.budget()["used"]))
    assert seen == [1]
    client.delete(f"wf-rl:{limiter.key}")


def test_the_redis_limiter_releases_a_dead_owners_slots_and_buckets_its_answers():
    client = redis_client_or_skip()
    dead = RedisRateLimiter(client=client, key="release-" + os.urandom(4).hex(), limit=3, window=60.0)
    taker = RedisRateLimiter(client=client, key=dead.key, limit=3, window=60.0)
    dead.owner, taker.owner = "host:1:dead", "host:2:taker"
    dead.acquire()
    dead.acquire()
    taker.record(taker.acquire())

    assert taker.release_owner("host:1:dead") == 2
    state = json.loads(client.get(f"wf-rl:{dead.key}"))
    assert state["pending"] == [] and sum(count for _, count in state["hits"]) == 3
    assert taker.budget()["used"] == 3
    client.delete(f"wf-rl:{dead.key}")


def run_two_workers(sandbox, backend_env):
    seed_demo(sandbox)
    sandbox.set_rate_limit(5, window=2.0, retry_after=30)
    env = {
        **os.environ, "DEBUG": "True", **backend_env,
        "WEBFLOW_API_BASE_URL": sandbox.url, "WEBFLOW_API_TOKEN": sandbox.token,
        "WEBFLOW_RATE_LIMIT_PER_MINUTE": "5", "WEBFLOW_RATE_LIMIT_WINDOW_SECONDS": "2",
    }
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, "8", DEMO_SITE_ID], cwd=BASE_DIR, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    received = sandbox.requests_to("/sites/", "GET")
    assert [r["status"] for r in received] == [200] * 16  # a 429 would have failed a worker, too
    assert max_in_window([r["time"] for r in received], 2.0) <= 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_sharing_the_database_limiter_stay_under_the_limit_together(webflow_sandbox, tmp_path):
    run_two_workers(webflow_sandbox, {"DATABASE_URL": shared_database_url(tmp_path),
                                      "WEBFLOW_RATE_LIMITER": "database"})


@pytest.mark.slow
def test_two_processes_sharing_the_redis_limiter_stay_under_the_limit_together(webflow_sandbox):
    redis_client_or_skip()
    run_two_workers(webflow_sandbox, {"REDIS_URL": TEST_REDIS_URL, "WEBFLOW_RATE_LIMITER": "redis"})
