"""Rate limiting shared by every process that uses the same Webflow token (60 or 120 requests a minute).

A sliding window: a request may start only when fewer than `limit` requests were answered in the last
`window` seconds or are still waiting for their answer. The state lives where all workers see it: the
database (row-locked, works across machines with the ORM broker) or Redis (under redis-py's Lock) when configured.
Webflow's own headers correct it: `X-RateLimit-Limit` lowers the limit, `X-RateLimit-Remaining` adds
requests this limiter never saw (other tools on the token), and a 429's Retry-After blocks everyone until
it passes.

Interface used by the client::

    reservation = limiter.acquire()            # sleeps until a slot is free, returns a reservation
    limiter.record(reservation, limit=..., remaining=..., retry_after=...)   # after the answer
"""
from __future__ import annotations

import contextlib
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

_KEY_SALT = "stagingapp.webflow.ratelimit.limiter_key"

# Reserve at most this long per sleep so a limit raised meanwhile (or a clock step) is noticed soon.
_MAX_SINGLE_SLEEP = 5.0
# How often to look again while every slot waits for an answer.
_IN_FLIGHT_POLL_SECONDS = 0.25
# Webflow counts a request when it arrives; the limiter stamps it when the answer is back, plus this slack.
_SLACK_SECONDS = 0.05
# Answered requests are counted in buckets this share of the window wide (0.25 s of a minute), each stamped at its
# bucket's end: at most window / 240 later than the answer (never earlier), while the state stays a few hundred
# entries whatever the limit. A list of every answer's own time grew with the limit: at no limit it held every
# request of the last minute, and encoding it made each request cost more the longer a push ran.
_BUCKETS_PER_WINDOW = 240


def limiter_key(*, base_url: str, token: str) -> str:
    """The storage key of one token's budget: an HMAC under SECRET_KEY, so neither the token nor a plain hash
    of it (which a guessed token could be checked against offline, from a copy of the database) is stored."""
    return salted_hmac(_KEY_SALT, f"{base_url.rstrip('/')}\n{token}", algorithm="sha256").hexdigest()


class _SlidingWindow:
    """The decision logic on a state dict {hits, pending, server_limit, blocked_until}; storage is the subclass's.

    `hits` are the answered requests as [stamp, count] buckets, stamped when their answer came back rounded up
    to the bucket's end (Webflow counted them somewhere between send and answer, so that stamp is never early).
    `pending` are requests sent but not answered yet: they count as "now" until recorded, so a slow answer can
    never let another process overtake Webflow's window. A pending entry whose process died expires after
    `pending_hold` seconds.
    """

    pending_hold = 180.0
    writes_in_transaction = False  # the storage's change is a database transaction acquire's `then` can join

    def __init__(self, *, key: str, limit: int, window: float = 60.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        if limit < 1:
            raise ValueError("a rate limit must allow at least one request per window")
        self.key, self.limit, self.window, self.clock, self.sleep = key, limit, window, clock, sleep
        # With hold_answers, answers (their arrival time and headers) wait here for the next change of the shared
        # state instead of taking a locked change of their own; until then each still counts as pending ("now"),
        # which only ever makes other processes wait longer, never shorter. A 429's block is never held.
        self.hold_answers = False
        self._held: list[tuple] = []
        # Who holds this limiter's reservations (a push run's worker label): its pending entries carry it, so the
        # run that takes over a dead one's batch can release them (release_owner) instead of waiting pending_hold.
        self.owner = ""

    def effective_limit(self, state: dict) -> int:
        server_limit = state.get("server_limit")
        return min(self.limit, server_limit) if server_limit else self.limit

    def _prune(self, state: dict, now: float) -> tuple[list[list], list[list]]:
        hits = sorted(hit for hit in map(_bucket, state.get("hits") or []) if hit[0] > now - self.window)
        pending = [entry for entry in state.get("pending") or [] if entry[1] > now]
        state["hits"], state["pending"] = hits, pending
        return hits, pending

    def _add_hits(self, hits: list[list], stamp: float, count: int = 1) -> None:
        """Count `count` answers at `stamp` into its bucket (`hits` stays sorted)."""
        width = self.window / _BUCKETS_PER_WINDOW
        end = math.ceil(stamp / width) * width
        for hit in reversed(hits):
            if hit[0] == end:
                hit[1] += count
                return
            if hit[0] < end:
                break
        hits.append([end, count])
        hits.sort()

    def _try_take(self, state: dict, now: float, reservation: str) -> float:
        """Take a slot (mutating state) and return 0, or return how long to wait."""
        hits, pending = self._prune(state, now)
        blocked_until = state.get("blocked_until") or 0.0
        if blocked_until > now:
            return blocked_until - now
        limit = self.effective_limit(state)
        answered = _count(hits)
        if answered + len(pending) < limit:
            pending.append([reservation, now + self.pending_hold, self.owner])
            return 0.0
        if len(pending) >= limit:
            # Every slot is in flight: an answer frees one soon (or the oldest expires if its process died).
            return min(_IN_FLIGHT_POLL_SECONDS, max(min(entry[1] for entry in pending) - now, 0.001))
        # A slot frees once the answers up to this one (oldest first) have left the window; fewer than `limit` are
        # pending, so the answers alone reach it.
        must_expire = answered + len(pending) - limit + 1
        expired = itertools.accumulate(count for _, count in hits)
        last = next(stamp for (stamp, _), total in zip(hits, expired, strict=True) if total >= must_expire)
        return max(last + self.window - now, 0.001)

    def _apply_answer(self, state: dict, reservation: str, now: float, limit, remaining, retry_after) -> None:
        hits, pending = self._prune(state, now)
        state["pending"] = [entry for entry in pending if entry[0] != reservation]
        self._add_hits(hits, now + _SLACK_SECONDS)
        if limit:
            state["server_limit"] = int(limit)
        if remaining is not None and retry_after is None:
            # (A 429's own "0 remaining" is already covered by its Retry-After block.)
            server_used = self.effective_limit(state) - int(remaining)
            # Requests on this token the limiter never saw (another tool, a sandbox restart): count them now.
            unseen = server_used - _count(hits) - len(state["pending"])
            if unseen > 0:
                self._add_hits(hits, now + _SLACK_SECONDS, unseen)
        if retry_after is not None:
            state["blocked_until"] = max(state.get("blocked_until") or 0.0, now + float(retry_after))

    def acquire(self, then: Callable[[], None] | None = None) -> str:
        """Block (with `sleep`) until a request may start; returns the reservation to pass to record().

        `then` runs once, right after the slot is taken: inside the same database transaction for the database
        limiter, so what it writes and the slot commit together (one commit per request fewer), and if it raises
        the slot is not taken. Other storage runs it once the slot is stored."""
        reservation = uuid.uuid4().hex
        while True:
            now = self.clock()
            wait = self._change(lambda state, now=now: self._try_take(state, now, reservation), then=then)
            if not wait:
                return reservation
            self.sleep(min(wait, _MAX_SINGLE_SLEEP))

    def record(self, reservation: str, *, limit=None, remaining=None, retry_after=None) -> None:
        """Turn the reservation into an answered request and fold in X-RateLimit-Limit/-Remaining/Retry-After
        (with hold_answers, in the next change of the shared state; a 429 at once)."""
        self._held.append((reservation, self.clock(), limit, remaining, retry_after))
        if not self.hold_answers or retry_after is not None:
            self.flush()

    def flush(self) -> None:
        """Write the answers held back by hold_answers."""
        if self._held:
            self._change(lambda state: None)

    def release_owner(self, owner: str) -> int:
        """A run that died left its requests pending, holding their slots for pending_hold (3 minutes): count
        them as answered now instead, so they leave the window one window from now. Webflow counted those that
        arrived when they did, before now, so that stamp is never early. Returns how many were released."""
        if not owner:
            return 0

        def change(state) -> int:
            now = self.clock()
            hits, pending = self._prune(state, now)
            state["pending"] = [entry for entry in pending if entry[2:3] != [owner]]
            released = len(pending) - len(state["pending"])
            if released:
                self._add_hits(hits, now + _SLACK_SECONDS, released)
            return released

        return self._change(change)

    def _change(self, change, then=None):
        """Run `change` on the shared state under the lock, after applying the answers held so far; `then` (see
        acquire) once `change` returned a false value."""
        held = list(self._held)

        def apply(state):
            for reservation, now, limit, remaining, retry_after in held:
                self._apply_answer(state, reservation, now, limit, remaining, retry_after)
            return change(state)

        if self.writes_in_transaction:
            result = self._locked(apply, then=then)
        else:
            result = self._locked(apply)
            if not result and then is not None:
                then()
        del self._held[:len(held)]
        return result

    def budget(self) -> dict:
        """The budget right now, read without a lock and without taking a slot (for the dashboard)."""
        now = self.clock()
        state = self._peek() or {}
        hits, pending = self._prune(dict(state), now)
        return {"limit": self.effective_limit(state), "used": _count(hits) + len(pending), "window": self.window,
                "blocked_for": max(0.0, (state.get("blocked_until") or 0.0) - now)}

    def _locked(self, change):
        raise NotImplementedError

    def _peek(self) -> dict | None:
        raise NotImplementedError


def _bucket(hit) -> list:
    """[stamp, count] of a stored hit (a bare stamp is one answer: the state as it was stored before buckets)."""
    return [hit, 1] if isinstance(hit, (int, float)) else [hit[0], hit[1]]


def _count(hits: list[list]) -> int:
    return sum(count for _, count in hits)


STATE_FIELDS = ("hits", "pending", "server_limit", "blocked_until")


class DatabaseRateLimiter(_SlidingWindow):
    """State in WebflowRateLimitState, changed under SELECT ... FOR UPDATE (SQLite serialises writers instead)."""

    _row_exists = False
    writes_in_transaction = True

    def _locked(self, change, then=None):
        from ..models import WebflowRateLimitState
        from ..statements import select_values, update_rows

        if not self._row_exists:  # rows are never deleted, so once per limiter (a third of its statements)
            WebflowRateLimitState.objects.get_or_create(key=self.key)
            self._row_exists = True
        # Plain statements rather than a model instance and save(), or even QuerySet.update(): this runs twice
        # per request, and building those statements cost ten times running them.
        with transaction.atomic():
            state = select_values(WebflowRateLimitState, STATE_FIELDS, for_update=True, key=self.key)
            state["hits"], state["pending"] = list(state["hits"] or []), list(state["pending"] or [])
            result = change(state)
            update_rows(WebflowRateLimitState, {"key": self.key}, updated_at=timezone.now(),
                        **{name: state[name] for name in STATE_FIELDS})
            if not result and then is not None:
                then()
        return result

    def _peek(self):
        from ..models import WebflowRateLimitState

        return (WebflowRateLimitState.objects.filter(key=self.key)
                .values("hits", "pending", "server_limit", "blocked_until").first())


class LimiterLockLost(RuntimeError):
    """The Redis lock expired while its holder was still working; its change was not written."""


class RedisRateLimiter(_SlidingWindow):
    """State in Redis, changed under redis-py's Lock.

    A waiter never takes a held lock over. A holder that died leaves a lock that expires after `lock_timeout`;
    a holder that merely stalled that long finds its lock gone and its write refused (the write is a MULTI
    watched on the lock key, so it only lands while the lock is still this holder's), and starts over.
    """

    lock_timeout = 10.0
    attempts = 5

    def __init__(self, *, client=None, url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if client is None:
            import redis
            from django.conf import settings

            client = redis.Redis.from_url(url or settings.REDIS_URL)
        self.client = client

    def _locked(self, change):
        for _ in range(self.attempts):
            with contextlib.suppress(LimiterLockLost):
                return self._locked_once(change)
        raise LimiterLockLost(f"the rate-limit lock expired {self.attempts} times in a row (Redis too slow?)")

    def _locked_once(self, change):
        from redis.exceptions import LockError, WatchError

        state_key = f"wf-rl:{self.key}"
        lock = self.client.lock(f"wf-rl-lock:{self.key}", timeout=self.lock_timeout, sleep=0.005)
        lock.acquire()
        try:
            raw = self.client.get(state_key)
            state = json.loads(raw) if raw else {"hits": [], "pending": [], "server_limit": None,
                                                 "blocked_until": 0.0}
            result = change(state)
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(lock.name)
                    holder = pipe.get(lock.name)
                    if (holder.encode() if isinstance(holder, str) else holder) != lock.local.token:
                        raise LimiterLockLost(lock.name)
                    pipe.multi()
                    pipe.set(state_key, json.dumps(state), ex=int(self.window + self.pending_hold) + 60)
                    pipe.execute()
                except WatchError as exc:
                    raise LimiterLockLost(lock.name) from exc
            return result
        finally:
            with contextlib.suppress(LockError):
                lock.release()

    def _peek(self):
        raw = self.client.get(f"wf-rl:{self.key}")
        return json.loads(raw) if raw else None


class NoRateLimiter:
    """For scripts that must not touch the database; still honours nothing but the server's 429s."""

    hold_answers = False

    def acquire(self, then: Callable[[], None] | None = None) -> str:
        if then is not None:
            then()
        return ""

    def record(self, reservation: str, **kwargs) -> None:
        return None

    def flush(self) -> None:
        return None

    def release_owner(self, owner: str) -> int:
        return 0

    def budget(self) -> None:
        return None


def get_limiter(*, base_url: str, token: str, sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.time):
    """The configured shared limiter for this token (settings read at call time).

    WEBFLOW_RATE_LIMITER: "auto" (Redis when REDIS_URL is set, else database), "database", "redis" ("cache" is
    its old name) or "none".
    """
    from django.conf import settings

    backend = getattr(settings, "WEBFLOW_RATE_LIMITER", "auto")
    if backend == "auto":
        backend = "redis" if getattr(settings, "REDIS_URL", "") else "database"
    if backend == "none":
        return NoRateLimiter()
    kwargs = {
        "key": limiter_key(base_url=base_url, token=token),
        "limit": settings.WEBFLOW_RATE_LIMIT_PER_MINUTE,
        "window": getattr(settings, "WEBFLOW_RATE_LIMIT_WINDOW_SECONDS", 60.0),
        "sleep": sleep,
        "clock": clock,
    }
    if backend in ("redis", "cache"):
        return RedisRateLimiter(**kwargs)
    if backend == "database":
        return DatabaseRateLimiter(**kwargs)
    raise ValueError(f"WEBFLOW_RATE_LIMITER must be auto, database, redis or none, not {backend!r}")
