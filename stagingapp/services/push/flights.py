"""Requests on their way: up to WEBFLOW_PUSH_IN_FLIGHT are sent before the oldest answer is read, so a Webflow
that takes a second per answer no longer holds the next request back and the run stays bound by the rate limit.

Only the HTTP exchange runs on the executor's threads. Everything that touches the database (the limiter slot,
marking a chunk in flight, the audit of each exchange, recording the answer) runs on the run's own thread, in the
order the crash-safety rules need: a create chunk is committed in flight before its request leaves, and answers
are recorded oldest first, each in its own transaction, by the same step functions a serial run uses.
"""
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings

from ...webflow.client import Flight
from ...webflow.errors import WebflowError

logger = logging.getLogger(__name__)


@dataclass
class Waiting:
    flight: Flight
    info: dict  # what the audit of this exchange names (run.request_info when it was sent)
    land: Callable[[], None]  # read and record the answer under the call policy (may send again)
    abandon: Callable[[], None]  # record what the answer says, without sending anything (the run is stopping)
    ref_pks: frozenset = frozenset()  # refs a PATCH in flight covers (not to be sent again meanwhile)


class Flights:
    """The run's requests in flight, landed oldest first."""

    def __init__(self, run, depth: int):
        self.run = run
        self.depth = max(1, depth)
        self.waiting: deque[Waiting] = deque()
        self.executor = None

    def open(self, client) -> None:
        if self.depth > 1:
            self.executor = ThreadPoolExecutor(max_workers=self.depth, thread_name_prefix="webflow-push")
            client.executor = self.executor

    def close(self, client) -> None:
        if self.executor is not None:
            client.executor = None
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def make_room(self) -> None:
        """Land answers until one more request may leave."""
        self.land_ready()
        while len(self.waiting) >= self.depth:
            self.land_oldest()

    def land_ready(self) -> None:
        """Land the answers already here, oldest first: an unknown outcome is then reconciled before more
        requests (whose items a window list would also have to page through) leave."""
        while self.waiting and self.waiting[0].flight.done():
            self.land_oldest()

    def add(self, waiting: Waiting) -> None:
        self.waiting.append(waiting)
        if self.executor is None:
            self.land_all()  # serial: the answer is already here

    def land_oldest(self) -> None:
        waiting = self.waiting.popleft()
        self.run.request_info = dict(waiting.info)
        waiting.land()

    def land_all(self) -> None:
        while self.waiting:
            self.land_oldest()

    def patching(self) -> set[int]:
        return {pk for waiting in self.waiting for pk in waiting.ref_pks}

    def conclude_all(self) -> None:
        """The run lost its batch to another worker: wait for the answers still on their way and audit each (the
        exchange happened), recording nothing in the batch, which is no longer this run's to write. Their chunks
        stay in flight for the run that took over to reconcile."""

        def audit(waiting: Waiting) -> None:
            with contextlib.suppress(WebflowError):  # (audited as the error it was)
                waiting.flight.result()

        self._each_left(audit, "audited")

    def abandon_all(self) -> None:
        """The run stops: record every answer still on its way (IDs of created items must not be lost), send
        nothing more. What cannot be recorded stays in flight for the next run's reconcile."""
        self._each_left(lambda waiting: waiting.abandon(), "recorded")

    def _each_left(self, handle: Callable[[Waiting], None], done: str) -> None:
        """Take every request still waiting, oldest first, through `handle`; one that fails is logged, not raised
        (the run is ending either way)."""
        while self.waiting:
            waiting = self.waiting.popleft()
            self.run.request_info = dict(waiting.info)
            try:
                handle(waiting)
            except Exception:
                logger.exception("Batch %s: an answer in flight could not be %s", self.run.batch.pk, done)


def in_flight_depth(run) -> int:
    """Creates of a batch whose drafts name each other go one at a time: a body may need the ID the previous
    create returns."""
    return 1 if run.names_drafts() else settings.WEBFLOW_PUSH_IN_FLIGHT
