"""The Webflow client against the local sandbox over real HTTP: errors, retries, pacing and redaction."""
import logging
import time

import pytest
import requests

from stagingapp.models import WebflowRateLimitState
from stagingapp.webflow import errors
from stagingapp.webflow.client import get_client, ids_by_slug
from stagingapp.webflow.redaction import RedactTokenFilter
from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_FIELDS, DEMO_LOCALES, DEMO_SITE_ID, seed_demo

LOCALES = [locale["cmsLocaleId"] for locale in DEMO_LOCALES]
PRIMARY = LOCALES[0]


def post(n, **extra):
    return {"name": f"Post {n}", "slug": f"post-{n}", "summary": f"Summary {n}", **extra}


class FakeClock:
    """Replaces time.sleep (recording each wait) and time.time (advanced by those waits) together."""

    def __init__(self):
        self.calls, self.offset = [], 0.0

    def __call__(self, seconds):
        self.calls.append(seconds)
        self.offset += seconds

    def time(self):
        return time.time() + self.offset


@pytest.fixture
def sandbox(webflow_sandbox):
    seed_demo(webflow_sandbox)
    return webflow_sandbox


@pytest.fixture
def sleeps():
    return FakeClock()


@pytest.fixture
def client(db, sandbox, sleeps):
    return get_client(sleep=sleeps, clock=sleeps.time)


def bulk(client, *entries, locales=LOCALES, is_draft=False):
    return client.create_items_bulk(DEMO_COLLECTION_ID, field_data=list(entries), cms_locale_ids=locales,
                                    is_draft=is_draft, is_archived=False)


def test_requests_carry_the_bearer_token_json_and_a_user_agent_naming_the_app(client, sandbox):
    bulk(client, post(1))
    request = sandbox.requests_to(r"/items/bulk$")[0]
    assert request["content_type"] == "application/json"
    assert "stagingapp" in request["user_agent"]
    assert request["body"]["fieldData"] == [post(1)]


def test_bulk_create_returns_one_variant_per_item_per_locale_sharing_the_item_id(client, sandbox):
    variants = bulk(client, post(1), post(2))
    assert len(variants) == 6
    ids = ids_by_slug(variants)
    assert set(ids) == {"post-1", "post-2"}
    assert {v.cms_locale_id for v in variants if v.id == ids["post-1"]} == set(LOCALES)
    stored = sandbox.items(DEMO_COLLECTION_ID)
    assert sorted((v["id"], v["cmsLocaleId"]) for v in stored) == sorted((v.id, v.cms_locale_id) for v in variants)


def test_bulk_create_can_be_sent_to_the_beta_endpoint(db, sandbox, settings):
    settings.WEBFLOW_USE_BETA_BULK = True
    bulk(get_client(), post(1))
    assert sandbox.requests_to(r"^/beta/collections/.+/items/bulk$", "POST")


def test_more_than_100_locale_variants_are_refused_before_anything_is_sent(client, sandbox):
    with pytest.raises(ValueError, match="at most 100"):
        bulk(client, *[post(n) for n in range(34)])
    assert not sandbox.requests_to("/items/bulk")


def test_the_sandbox_counts_every_locale_variant_against_the_100_limit(sandbox):
    body = {"fieldData": [post(n) for n in range(34)], "cmsLocaleIds": LOCALES, "isDraft": False}
    response = requests.post(f"{sandbox.url}/v2/collections/{DEMO_COLLECTION_ID}/items/bulk", json=body,
                             headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not sandbox.items(DEMO_COLLECTION_ID)


def test_a_wrong_token_raises_an_auth_error(db, sandbox):
    with pytest.raises(errors.WebflowAuthError) as caught:
        get_client(token="not-the-sandbox-token").get_site(DEMO_SITE_ID)
    assert caught.value.status == 401 and caught.value.code == "not_authorized"


def test_an_unknown_collection_is_not_found_and_says_collection(client):
    with pytest.raises(errors.WebflowNotFound) as caught:
        client.get_collection("ffffffffffffffffffffffff")
    assert caught.value.resource == "collection"


def test_an_unknown_item_is_not_found_and_says_item(client):
    with pytest.raises(errors.WebflowNotFound) as caught:
        client.update_items(DEMO_COLLECTION_ID, items=[{"id": "ffffffffffffffffffffffff", "cmsLocaleId": PRIMARY,
                                                        "fieldData": {"name": "x"}}])
    assert caught.value.resource == "item"


def test_a_duplicate_slug_is_a_validation_error_on_the_slug_field_and_nothing_is_written(client, sandbox):
    bulk(client, post(1))
    with pytest.raises(errors.WebflowValidationError) as caught:
        bulk(client, post(2), post(1))
    assert [(e.field, e.message) for e in caught.value.field_errors] == [
        ("slug", "Unique value is already in database: 'post-1'")]
    assert {v["fieldData"]["slug"] for v in sandbox.items(DEMO_COLLECTION_ID)} == {"post-1"}


def test_field_values_that_break_the_collection_schema_give_per_field_errors(client):
    with pytest.raises(errors.WebflowValidationError) as caught:
        bulk(client, post(1, **{"reading-minutes": "ten", "unknown-field": 1}))
    fields = {e.field for e in caught.value.field_errors}
    assert fields == {"fieldData[0].reading-minutes", "fieldData[0].unknown-field"}


def test_a_live_update_of_a_never_published_item_is_a_conflict(client):
    item_id = bulk(client, post(1))[0].id
    with pytest.raises(errors.WebflowConflict):
        client.update_items(DEMO_COLLECTION_ID, live=True,
                            items=[{"id": item_id, "cmsLocaleId": PRIMARY, "fieldData": {"name": "New"}}])


def test_staged_updates_change_only_the_given_locale(client, sandbox):
    item_id = bulk(client, post(1))[0].id
    updated = client.update_items(DEMO_COLLECTION_ID, items=[
        {"id": item_id, "cmsLocaleId": LOCALES[1], "fieldData": {"name": "Article 1"}}])
    assert [(v.cms_locale_id, v.name) for v in updated] == [(LOCALES[1], "Article 1")]
    names = {v["cmsLocaleId"]: v["fieldData"]["name"] for v in sandbox.items(DEMO_COLLECTION_ID)}
    assert names == {LOCALES[0]: "Post 1", LOCALES[1]: "Article 1", LOCALES[2]: "Post 1"}


def test_publish_returns_published_ids_and_the_errors_inside_the_202(client, sandbox):
    item_id = bulk(client, post(1), is_draft=True)[0].id
    result = client.publish_items(DEMO_COLLECTION_ID, items=[
        {"id": item_id, "cmsLocaleIds": LOCALES}, {"id": "ffffffffffffffffffffffff", "cmsLocaleIds": LOCALES}])
    assert result.published_item_ids == [item_id]
    assert result.errors == ["Staging item ID ffffffffffffffffffffffff not found."]
    assert all(v["lastPublished"] and not v["isDraft"] for v in sandbox.items(DEMO_COLLECTION_ID))
    assert len(sandbox.items(DEMO_COLLECTION_ID, live=True)) == 3


def test_create_live_sends_a_single_item_or_an_items_list(client, sandbox):
    one = client.create_items_live(DEMO_COLLECTION_ID, items=[{"fieldData": post(1), "isDraft": False}])
    many = client.create_items_live(DEMO_COLLECTION_ID, items=[{"fieldData": post(2)}, {"fieldData": post(3)}])
    assert [v.slug for v in one] == ["post-1"] and [v.slug for v in many] == ["post-2", "post-3"]
    bodies = [r["body"] for r in sandbox.requests_to(r"/items/live$", "POST")]
    assert "fieldData" in bodies[0] and "items" in bodies[1]
    assert all(v["lastPublished"] for v in sandbox.items(DEMO_COLLECTION_ID, live=True))


def test_listing_filters_by_slug_and_locale_and_iterates_over_every_page(client, sandbox):
    bulk(client, *[post(n) for n in range(100)], locales=[PRIMARY])
    bulk(client, *[post(n) for n in range(100, 130)], locales=LOCALES)
    page = client.list_items(DEMO_COLLECTION_ID, slug="post-120", cms_locale_ids=LOCALES)
    assert page.total == 3 and {v.cms_locale_id for v in page.items} == set(LOCALES)
    sandbox.reset_requests()
    everything = list(client.iter_items(DEMO_COLLECTION_ID, cms_locale_ids=[PRIMARY]))
    assert len(everything) == 130
    assert [r["query"]["offset"] for r in sandbox.requests_to("/items$", "GET")] == ["0", "100"]
    assert all(r["query"]["limit"] == "100" for r in sandbox.requests_to("/items$", "GET"))


def test_a_429_waits_retry_after_and_sends_the_same_request_again(client, sandbox, sleeps):
    sandbox.faults.add("429", path="/items/bulk$", times=2, retry_after=7)
    variants = bulk(client, post(1))
    assert len(variants) == 3
    assert sleeps.calls == [7.0, 7.0]
    assert [r["status"] for r in sandbox.requests_to("/items/bulk$")] == [429, 429, 202]
    assert len(sandbox.items(DEMO_COLLECTION_ID)) == 3


def test_a_get_is_retried_after_the_connection_is_reset(client, sandbox):
    sandbox.faults.add("drop_before", path=f"/sites/{DEMO_SITE_ID}$", times=2)
    assert client.get_site(DEMO_SITE_ID)["id"] == DEMO_SITE_ID
    assert len(sandbox.requests_to("/sites/")) == 3


def test_a_get_is_retried_after_a_server_error_without_a_json_body(client, sandbox):
    sandbox.faults.add("502", path="/collections/", method="GET", json_body=False)
    assert client.get_collection(DEMO_COLLECTION_ID)["fields"] == DEMO_FIELDS


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
def test_a_get_is_retried_after_a_garbled_answer(client, sandbox, kind):
    sandbox.faults.add(kind, path=f"/sites/{DEMO_SITE_ID}$")
    assert client.get_site(DEMO_SITE_ID)["id"] == DEMO_SITE_ID
    assert len(sandbox.requests_to("/sites/")) == 2


def test_a_list_whose_items_have_no_id_is_a_bad_answer(client, sandbox):
    """Such an answer says nothing about what Webflow holds (the push's policy asks again; test_push_reconcile)."""
    bulk(client, post(1), locales=[PRIMARY])
    sandbox.faults.add("unapplied_null_ids", path="/items$", method="GET", times=1)
    with pytest.raises(errors.WebflowBadResponse, match="without an id") as raised:
        client.list_items(DEMO_COLLECTION_ID, slug="post-1")
    assert raised.value.outcome_unknown
    assert [v.slug for v in client.list_items(DEMO_COLLECTION_ID, slug="post-1").items] == ["post-1"]


def test_a_post_is_never_resent_when_the_connection_drops_after_the_write(db, sandbox):
    seen = []
    sandbox.faults.add("drop_after_commit", path="/items/bulk$")
    with pytest.raises(errors.WebflowConnectionError) as caught:
        bulk(get_client(observer=seen.append), post(1))
    assert caught.value.outcome_unknown is True
    assert [(e.status, e.error, e.attempt) for e in seen] == [(None, "WebflowConnectionError", 1)]
    assert len(sandbox.requests_to("/items/bulk$")) == 1
    assert len(sandbox.items(DEMO_COLLECTION_ID)) == 3  # the duplicate trap: Webflow did create it


def test_a_post_is_never_resent_after_a_server_error(client, sandbox):
    sandbox.faults.add("500", path="/items/bulk$")
    with pytest.raises(errors.WebflowServerError) as caught:
        bulk(client, post(1))
    assert caught.value.outcome_unknown and caught.value.code == "internal_error"
    assert len(sandbox.requests_to("/items/bulk$")) == 1


def test_a_read_timeout_after_the_write_is_a_timeout_with_an_unknown_outcome(db, sandbox, settings):
    settings.WEBFLOW_READ_TIMEOUT_SECONDS = 0.3
    sandbox.faults.add("timeout_after_commit", path="/items/bulk$", delay=1.5)
    with pytest.raises(errors.WebflowTimeout) as caught:
        bulk(get_client(), post(1))
    assert caught.value.outcome_unknown is True
    assert len(sandbox.requests_to("/items/bulk$")) == 1
    assert len(sandbox.items(DEMO_COLLECTION_ID)) == 3


def test_a_refused_connection_is_known_not_to_have_reached_webflow(db, settings):
    settings.WEBFLOW_API_BASE_URL, settings.WEBFLOW_API_TOKEN = "http://127.0.0.1:9", "some-token-value"
    with pytest.raises(errors.WebflowConnectionError) as caught:
        get_client(limiter=None, max_retries=0).get_site(DEMO_SITE_ID)
    assert caught.value.outcome_unknown is False


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_garbled_success_body_is_a_bad_response_not_a_crash(client, sandbox, kind):
    sandbox.faults.add(kind, path="/items/bulk$")
    with pytest.raises(errors.WebflowBadResponse) as caught:
        bulk(client, post(1))
    assert caught.value.outcome_unknown is True
    if kind == "malformed":
        assert caught.value.status == 202 and "<html>" in caught.value.body_text


def test_the_observer_sees_every_attempt(db, sandbox):
    seen = []
    sandbox.faults.add("429", path="/items/bulk$", retry_after=0)
    clock = FakeClock()
    get_client(observer=seen.append, sleep=clock, clock=clock.time).create_items_bulk(
        DEMO_COLLECTION_ID, field_data=[post(1)], cms_locale_ids=[PRIMARY], is_draft=False, is_archived=False)
    assert [(e.method, e.status, e.attempt, e.error_code) for e in seen] == [
        ("POST", 429, 1, "too_many_requests"), ("POST", 202, 2, "")]
    assert '"post-1"' in seen[1].request_excerpt and '"items"' in seen[1].response_excerpt
    assert seen[1].path == f"/v2/collections/{DEMO_COLLECTION_ID}/items/bulk"


def test_a_body_is_sent_as_the_utf8_json_its_audit_excerpt_is_cut_from(db, sandbox):
    seen = []
    get_client(observer=seen.append).create_items_bulk(
        DEMO_COLLECTION_ID, field_data=[post(1, summary="Café – crème brûlée")], cms_locale_ids=[PRIMARY],
        is_draft=False, is_archived=False)
    request = sandbox.requests_to(r"/items/bulk$")[0]
    assert request["body"]["fieldData"][0]["summary"] == "Café – crème brûlée"
    assert '"summary": "Café – crème brûlée"' in seen[0].request_excerpt


def test_a_body_that_is_not_json_is_refused_before_it_leaves(client, sandbox):
    with pytest.raises(errors.WebflowTransportError):
        bulk(client, post(1, summary=float("nan")))
    assert sandbox.requests_to(r"/items/bulk$") == []


def test_the_token_never_appears_in_errors_observer_records_limiter_rows_or_repr(db, sandbox, capfd):
    seen = []
    client = get_client(observer=seen.append)
    item_id = bulk(client, post(1))[0].id
    with pytest.raises(errors.WebflowValidationError) as caught:
        # The sandbox echoes the refused value, as Webflow's schema errors do: here the token itself.
        client.update_items(DEMO_COLLECTION_ID, items=[{"id": item_id, "isDraft": sandbox.token}])
    error = caught.value
    logging.getLogger("stagingapp.test").error("failed with %s using Bearer %s", error, sandbox.token)
    texts = [str(error), repr(error), error.body_text, error.api_message, repr(client),
             *(str(e) for e in error.field_errors), *(repr(record) for record in seen),
             *(str(row.__dict__) for row in WebflowRateLimitState.objects.all()), capfd.readouterr().err]
    assert sandbox.token in str(sandbox.requests_to("/items$", "PATCH")[0]["body"])  # it really was echoed
    assert "[REDACTED]" in error.body_text
    assert not [text for text in texts if sandbox.token in text]


def test_the_logging_filter_removes_the_configured_token_and_any_bearer_value(settings):
    settings.WEBFLOW_API_TOKEN = "configured-secret-token"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s header %s", (
        "configured-secret-token", "Bearer other-secret"), None)
    RedactTokenFilter().filter(record)
    assert record.getMessage() == "token [REDACTED] header Bearer [REDACTED]"


def test_a_low_limit_is_paced_so_webflow_never_answers_429(db, sandbox, settings):
    sandbox.set_rate_limit(4, window=1.0, retry_after=1)
    settings.WEBFLOW_RATE_LIMIT_PER_MINUTE, settings.WEBFLOW_RATE_LIMIT_WINDOW_SECONDS = 4, 1.0
    client = get_client()
    started = time.monotonic()
    for _ in range(10):
        client.get_site(DEMO_SITE_ID)
    assert time.monotonic() - started >= 2.0
    assert [r["status"] for r in sandbox.requests_to("/sites/")] == [200] * 10


def test_the_limit_webflow_announces_in_its_headers_lowers_the_configured_one(db, sandbox, settings):
    sandbox.set_rate_limit(3, window=1.0, retry_after=1)
    settings.WEBFLOW_RATE_LIMIT_PER_MINUTE, settings.WEBFLOW_RATE_LIMIT_WINDOW_SECONDS = 100, 1.0
    client = get_client()
    for _ in range(7):
        client.get_site(DEMO_SITE_ID)
    assert [r["status"] for r in sandbox.requests_to("/sites/")] == [200] * 7


def test_a_redirect_is_an_error_naming_the_base_url_setting_not_a_silent_get(db, settings):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example/v2/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = get_client(base_url=f"http://127.0.0.1:{server.server_address[1]}", token="some-token-value",
                            limiter=None)
        with pytest.raises(errors.WebflowAPIError, match="WEBFLOW_API_BASE_URL") as caught:
            client.publish_items(DEMO_COLLECTION_ID, items=[{"id": "a" * 24, "cmsLocaleIds": [PRIMARY]}])
        assert caught.value.status == 301
    finally:
        server.shutdown()
        server.server_close()


def test_the_send_hook_runs_before_every_request_leaves_and_a_raising_one_keeps_it_home(client, sandbox):
    """The push counts each request durably in send_hook before Webflow can see it; a hook that raises (the run
    lost its claim) sends nothing. A begin_* call's own before_send is handed to the hook, which runs it."""
    seen = []

    def hook(own):
        seen.append((len(sandbox.requests), own is not None))
        if own is not None:
            own()

    client.send_hook = hook
    client.list_items(DEMO_COLLECTION_ID)
    marked = []
    client.begin_create_items_bulk(DEMO_COLLECTION_ID, field_data=[post(1)], cms_locale_ids=LOCALES,
                                   is_draft=True, is_archived=False,
                                   before_send=lambda: marked.append(len(sandbox.requests))).result()
    assert seen == [(0, False), (1, True)] and marked == [1]
    assert len(sandbox.requests) == 2

    def refuse(own):
        raise RuntimeError("claim lost")

    client.send_hook = refuse
    with pytest.raises(RuntimeError):
        client.list_items(DEMO_COLLECTION_ID)
    assert len(sandbox.requests) == 2


def test_a_netrc_entry_never_replaces_the_bearer_token(client, sandbox, tmp_path, monkeypatch):
    """requests applies ~/.netrc to a session without auth of its own, and a `default` entry would turn every
    request into Basic auth: Webflow would refuse the token and every push would stop."""
    netrc = tmp_path / "netrc"
    netrc.write_text("default login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    client.list_items(DEMO_COLLECTION_ID)

    assert sandbox.requests[-1]["status"] == 200
