"""The push's one Webflow call policy: the decision for every error type, backoff and its caps."""
import pytest

from stagingapp.services.push.policy import (
    MAX_RATE_LIMIT_WAITS,
    Action,
    Step,
    backoff_seconds,
    decide,
)
from stagingapp.webflow.errors import (
    WebflowAuthError,
    WebflowBadResponse,
    WebflowConflict,
    WebflowConnectionError,
    WebflowForbidden,
    WebflowNotFound,
    WebflowRateLimited,
    WebflowServerError,
    WebflowTimeout,
    WebflowValidationError,
)


def top(low, high):
    """Pinned jitter: always the top of the range."""
    return high


@pytest.fixture(autouse=True)
def policy_settings(settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS = 3
    settings.WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS = 6
    settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS = 2.0
    settings.WEBFLOW_PUSH_BACKOFF_MAX_SECONDS = 60.0


def api(cls, status, **kwargs):
    return cls(status=status, code="x", message="nope", **kwargs)


CASES = [
    # (error, step, attempt, expected action)
    (api(WebflowAuthError, 401), Step.PATCH, 1, Action.STOP),
    (api(WebflowForbidden, 403), Step.CREATE, 1, Action.STOP),
    (api(WebflowNotFound, 404, resource="collection"), Step.PATCH, 1, Action.STOP),
    (api(WebflowNotFound, 404, resource=None), Step.CREATE, 1, Action.STOP),
    (api(WebflowNotFound, 404, resource=None), Step.PUBLISH, 1, Action.STOP),
    (api(WebflowNotFound, 404, resource="item"), Step.PATCH, 1, Action.REFUSE),
    (api(WebflowConflict, 409), Step.PATCH_LIVE, 1, Action.REROUTE),
    (api(WebflowConflict, 409), Step.PATCH, 1, Action.REFUSE),
    (api(WebflowValidationError, 400), Step.CREATE, 1, Action.REFUSE),
    (api(WebflowServerError, 500), Step.CREATE, 1, Action.RECONCILE),
    (api(WebflowServerError, 500), Step.PATCH, 1, Action.RESEND),
    (api(WebflowServerError, 500), Step.LOOKUP, 2, Action.RESEND),
    (api(WebflowServerError, 500), Step.CREATE, 3, Action.STOP),
    # Requests safe to send again as they are get WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS, the others stop at 3.
    (api(WebflowServerError, 500), Step.LOOKUP, 5, Action.RESEND),
    (api(WebflowServerError, 500), Step.LOOKUP, 6, Action.STOP),
    (api(WebflowServerError, 502), Step.PATCH, 5, Action.RESEND),
    (api(WebflowServerError, 502), Step.PATCH, 6, Action.STOP),
    (api(WebflowServerError, 503), Step.PUBLISH, 5, Action.RESEND),
    (WebflowTimeout("read timeout"), Step.REMOVE, 2, Action.RECONCILE),
    (WebflowTimeout("read timeout"), Step.REMOVE, 3, Action.STOP),
    (WebflowTimeout("read timeout"), Step.CREATE, 1, Action.RECONCILE),
    (WebflowConnectionError("refused", outcome_unknown=False), Step.CREATE, 1, Action.RESEND),
    (WebflowBadResponse("2xx without usable IDs", status=200), Step.CREATE, 2, Action.RECONCILE),
    (WebflowBadResponse("2xx without usable IDs", status=200), Step.CREATE, 3, Action.STOP),
    (WebflowBadResponse("garbled", status=200), Step.LOOKUP, 1, Action.RESEND),
    (WebflowBadResponse("an HTML 400 page", status=400), Step.CREATE, 1, Action.REFUSE),
    (WebflowBadResponse("an HTML 400 page", status=400), Step.PATCH, 1, Action.RESEND),
]


@pytest.mark.parametrize(("error", "step", "attempt", "action"), CASES,
                         ids=[f"{type(c[0]).__name__}-{c[1].value}-{c[2]}" for c in CASES])
def test_each_error_maps_to_one_decision(error, step, attempt, action):
    assert decide(error, step=step, attempt=attempt, collection_id="c1", jitter=top).action is action


def test_safe_requests_never_get_fewer_attempts_than_creates(settings):
    settings.WEBFLOW_PUSH_MAX_ATTEMPTS, settings.WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS = 8, 2
    lookup = api(WebflowServerError, 500)
    assert decide(lookup, step=Step.LOOKUP, attempt=7, collection_id="c1", jitter=top).action is Action.RESEND
    assert decide(lookup, step=Step.LOOKUP, attempt=8, collection_id="c1", jitter=top).action is Action.STOP


def test_a_rate_limit_waits_as_told_until_the_run_has_waited_too_often():
    exc = api(WebflowRateLimited, 429, retry_after=7.0)
    wait = decide(exc, step=Step.CREATE, attempt=1, collection_id="c1")
    assert (wait.action, wait.seconds) == (Action.WAIT, 7.0)
    stop = decide(exc, step=Step.CREATE, attempt=1, collection_id="c1", rate_limit_waits=MAX_RATE_LIMIT_WAITS)
    assert stop.action is Action.STOP and "429" in stop.message


def test_stop_messages_tell_editors_what_to_do():
    token = decide(api(WebflowAuthError, 401), step=Step.CREATE, attempt=1, collection_id="c1")
    assert "WEBFLOW_API_TOKEN" in token.message
    gone = decide(api(WebflowNotFound, 404, resource="collection"), step=Step.PATCH, attempt=1, collection_id="c1")
    assert "collection c1" in gone.message
    failing = decide(WebflowBadResponse("it sent: []", status=200), step=Step.CREATE, attempt=3, collection_id="c1")
    assert "after 3 attempts" in failing.message and "it sent: []" in failing.message


def test_backoff_doubles_per_attempt_up_to_the_cap_and_jitters_over_its_upper_half():
    assert [backoff_seconds(n, jitter=top) for n in (1, 2, 3, 5, 9)] == [4.0, 8.0, 16.0, 60.0, 60.0]
    assert backoff_seconds(2, jitter=lambda low, high: low) == 4.0
    assert 4.0 <= backoff_seconds(2) <= 8.0


def test_the_backoff_goes_with_the_decision():
    decision = decide(api(WebflowServerError, 503), step=Step.PATCH, attempt=2, collection_id="c1", jitter=top)
    assert (decision.action, decision.seconds) == (Action.RESEND, 8.0)
