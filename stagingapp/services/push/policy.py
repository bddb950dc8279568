"""The one Webflow call policy of the push: what happens after an error, and the messages editors read.

`decide()` maps an error (and the attempt it ended) to one Decision: wait as told (429), re-send the same
request after a backoff (idempotent requests), reconcile then re-send (a write whose outcome is unknown), refuse
these items (Webflow said no to them), or stop the batch with a message (after WEBFLOW_PUSH_MAX_ATTEMPTS of a
create or removal, or WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS of a request safe to repeat). It is the only retry layer
on the push path: the run builds its client with the client's own retries switched off. Backoff is exponential
with jitter; the jitter is a separate callable so tests can pin it. Modelled on stripe-python's `_should_retry` and
`_sleep_time_seconds`, adapted to Webflow having no idempotency key (an unanswered create is looked up first).
"""
import enum
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from ...webflow.errors import (
    WebflowAuthError,
    WebflowBadResponse,
    WebflowConflict,
    WebflowError,
    WebflowForbidden,
    WebflowNotFound,
    WebflowRateLimited,
    WebflowValidationError,
)
from .lease import nap

TOKEN_MESSAGE = (
    "Webflow refused the API token ({error}). Check WEBFLOW_API_TOKEN: it must be a valid site token with the "
    "cms:write scope for this site. The batch was stopped; nothing more was sent."
)
COLLECTION_GONE_MESSAGE = (
    "Webflow does not know collection {collection_id} ({error}). Check the collection's Webflow ID or sync it "
    "again. The batch was stopped."
)
RATE_LIMIT_MESSAGE = (
    "Webflow kept answering 429 Too Many Requests ({error}); another integration may be using the same token's "
    "budget. The batch was stopped."
)
KEPT_FAILING_MESSAGE = "Webflow kept failing ({error}) after {attempts} attempts; the batch was stopped."
INTERNAL_ERROR_MESSAGE = (
    "The push stopped on an internal error (reference {reference}). Nothing more was sent; an administrator "
    "finds the details in the worker log under that reference."
)
# A token stuck at its limit: this many 429 waits in one run stop the batch rather than spin.
MAX_RATE_LIMIT_WAITS = 20


class StopBatch(Exception):
    """Webflow answered in a way that makes every further request pointless (token, scope, missing collection)."""


class Action(enum.Enum):
    WAIT = "wait"            # nothing was written: wait `seconds`, send the same request again
    RESEND = "resend"        # an idempotent request failed: back off `seconds`, send it again
    RECONCILE = "reconcile"  # a write may have landed: back off `seconds`, look it up, re-send only what is missing
    REFUSE = "refuse"        # Webflow refused these items: isolate and fail them (the others go again)
    REROUTE = "reroute"      # a live PATCH of never-published items: update them staged and publish them
    STOP = "stop"            # stop the batch with `message`


@dataclass(frozen=True)
class Decision:
    action: Action
    seconds: float = 0.0
    message: str = ""


def backoff_seconds(attempt: int, *, jitter: Callable[[float, float], float] = random.uniform) -> float:
    """Exponential backoff (base * 2**attempt, capped) with jitter over its upper half."""
    cap = min(settings.WEBFLOW_PUSH_BACKOFF_MAX_SECONDS, settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS * 2 ** attempt)
    return jitter(cap / 2, cap)


class Step(enum.Enum):
    CREATE = "create"            # POST .../items/bulk or /items/live: not idempotent
    PATCH = "patch"
    PATCH_LIVE = "patch-live"
    PUBLISH = "publish"
    LOOKUP = "lookup"            # GET .../items
    REMOVE = "remove"            # DELETE .../items or .../items/live: checked by listing before it is re-sent


# Requests that may not simply be sent again: their outcome is looked up first, and they get fewer attempts.
LOOKED_UP_BEFORE_REPEATING = frozenset({Step.CREATE, Step.REMOVE})


def decide(exc: WebflowError, *, step: Step, attempt: int, collection_id: str, rate_limit_waits: int = 0,
           jitter: Callable[[float, float], float] = random.uniform) -> Decision:
    """The decision after `exc` ended attempt number `attempt` (1 = the first) of one `step` request.

    `rate_limit_waits`: 429 waits this run already made. Precondition: attempt >= 1.
    """
    if isinstance(exc, (WebflowAuthError, WebflowForbidden)):
        return Decision(Action.STOP, message=TOKEN_MESSAGE.format(error=exc))
    if isinstance(exc, WebflowNotFound) and (step in (Step.CREATE, Step.PUBLISH) or exc.resource == "collection"):
        return Decision(Action.STOP, message=COLLECTION_GONE_MESSAGE.format(collection_id=collection_id, error=exc))
    if isinstance(exc, WebflowRateLimited):
        if rate_limit_waits >= MAX_RATE_LIMIT_WAITS:
            return Decision(Action.STOP, message=RATE_LIMIT_MESSAGE.format(error=exc))
        return Decision(Action.WAIT, seconds=max(1.0, float(exc.retry_after or 60.0)))
    if isinstance(exc, WebflowConflict) and step is Step.PATCH_LIVE:
        return Decision(Action.REROUTE)
    if isinstance(exc, (WebflowValidationError, WebflowNotFound, WebflowConflict)):
        return Decision(Action.REFUSE, message=str(exc))
    write = step in LOOKED_UP_BEFORE_REPEATING
    # A garbled answer to an idempotent request is as safe to repeat as one that never came back.
    repeatable = exc.retryable or exc.outcome_unknown or (not write and isinstance(exc, WebflowBadResponse))
    if not repeatable:
        return Decision(Action.REFUSE, message=str(exc))
    if attempt >= max_attempts(step):
        return Decision(Action.STOP, message=KEPT_FAILING_MESSAGE.format(error=exc, attempts=attempt))
    seconds = backoff_seconds(attempt, jitter=jitter)
    return Decision(Action.RECONCILE if write and exc.outcome_unknown else Action.RESEND, seconds=seconds)


def max_attempts(step: Step) -> int:
    """Attempts of one request before the batch stops: a create or removal is looked up before each new attempt
    (WEBFLOW_PUSH_MAX_ATTEMPTS); a request safe to send again as it is gets WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS."""
    most = max(1, settings.WEBFLOW_PUSH_MAX_ATTEMPTS)
    if step in LOOKED_UP_BEFORE_REPEATING:
        return most
    return max(most, settings.WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS)


def wait_rate_limit(run, exc: WebflowRateLimited) -> None:
    """Wait out a 429 as Webflow told (or stop the batch when the token stays at its limit)."""
    decision = decide(exc, step=Step.LOOKUP, attempt=1, collection_id=run.collection_id,
                      rate_limit_waits=run.rate_limited)
    if decision.action is Action.STOP:
        raise StopBatch(decision.message)
    run.rate_limited += 1
    nap(run, decision.seconds)


def call_idempotent(run, request: Callable[[], object]):
    """Send a request that is safe to repeat (a GET) under the policy; raises StopBatch, or the WebflowError
    when the decision is to refuse (the caller decides what a refused lookup means)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return request()
        except WebflowRateLimited as exc:
            wait_rate_limit(run, exc)
        except WebflowError as exc:
            decision = decide(exc, step=Step.LOOKUP, attempt=attempt, collection_id=run.collection_id,
                              jitter=run.jitter)
            if decision.action is Action.STOP:
                raise StopBatch(decision.message) from exc
            if decision.action is not Action.RESEND:
                raise
            nap(run, decision.seconds)
