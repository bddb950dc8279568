"""HTTP transport: one pooled requests.Session per process, with a default (connect, read) timeout on every call."""
from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "stagingapp-webflow-staging/0.1 (+Django; python-requests)"


class TimeoutSession(requests.Session):
    """A Session whose request() always carries a timeout; the only thing it adds (as Zulip's OutgoingSession)."""

    def __init__(self, *, timeout: tuple[float, float] = (5.0, 60.0), pool_maxsize: int = 10):
        super().__init__()
        self.default_timeout = timeout
        # urllib3 must not retry on its own: whether a request may be repeated is the client's decision.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        # Without an auth of its own, requests looks the host up in ~/.netrc on every request (two file checks
        # on the sending threads) and a matching or `default` entry replaces the Bearer header with Basic auth:
        # the token would be refused. The client sets Authorization itself; this auth leaves it as it is.
        # Proxies and CA bundles from the environment still apply.
        self.auth = _keep_headers

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


def _keep_headers(request):
    return request


# A connection pool is a process resource, not configuration: it is keyed by pid so a forked worker never
# reuses its parent's sockets, and it holds no token or settings (those travel with each client).
_sessions: dict[int, TimeoutSession] = {}
_sessions_lock = threading.Lock()


def process_session() -> TimeoutSession:
    """The pooled Session of this process (created on first use; a fresh one after fork)."""
    pid = os.getpid()
    with _sessions_lock:
        session = _sessions.get(pid)
        if session is None:
            _sessions.clear()
            session = _sessions[pid] = TimeoutSession()
        return session
