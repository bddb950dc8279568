"""The local Webflow sandbox itself: persistence, rate limiting, faults and its command line."""
import re
import time
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from webflow_sandbox import FaultPlan, WebflowSandbox
from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_LOCALES, DEMO_SITE_ID, seed_demo

PRIMARY = DEMO_LOCALES[0]["cmsLocaleId"]
ROOT = Path(__file__).resolve().parent.parent


def call(sandbox, method, path, body=None, token=None):
    return requests.request(method, sandbox.url + path, json=body, timeout=30,
                            headers={"Authorization": f"Bearer {token or sandbox.token}"})


def create(sandbox, slug):
    return call(sandbox, "POST", f"/v2/collections/{DEMO_COLLECTION_ID}/items/bulk",
                {"fieldData": {"name": slug, "slug": slug, "summary": "s"}, "cmsLocaleIds": [PRIMARY]})


@pytest.fixture
def sandbox(webflow_sandbox):
    seed_demo(webflow_sandbox)
    return webflow_sandbox


def test_state_saved_to_a_file_survives_a_restart(tmp_path, settings):
    state_file = tmp_path / "sandbox.json"
    first = WebflowSandbox(state_file=state_file, openapi_dir=settings.WEBFLOW_OPENAPI_DIR).start()
    try:
        seed_demo(first)
        assert create(first, "kept").status_code == 202
    finally:
        first.stop()
    second = WebflowSandbox(token=first.token, state_file=state_file, openapi_dir=settings.WEBFLOW_OPENAPI_DIR)
    second.start()
    try:
        seed_demo(second)  # a no-op: the file already has the demo site
        assert [v["fieldData"]["slug"] for v in second.items(DEMO_COLLECTION_ID)] == ["kept"]
    finally:
        second.stop()


def test_the_rate_limit_answers_429_with_retry_after_and_the_headers(sandbox):
    sandbox.set_rate_limit(2, window=60, retry_after=3)
    answers = [call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    assert answers[2].headers["Retry-After"] == "3"
    assert answers[2].json()["code"] == "too_many_requests"


def test_the_limit_is_per_token_and_a_bad_token_is_refused_first(sandbox):
    sandbox.set_rate_limit(1, window=60)
    assert call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}", token="intruder-token").status_code == 401
    assert call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}").status_code == 200


def test_a_slow_fault_delays_the_answer_and_then_answers_normally(sandbox):
    sandbox.faults.add("slow", path="/sites/", delay=0.4)
    started = time.monotonic()
    assert call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_a_fault_with_times_zero_repeats_until_cleared(sandbox):
    sandbox.faults.add("503", path="/sites/", times=0)
    assert [call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}").status_code for _ in range(3)] == [503] * 3
    sandbox.faults.clear()
    assert call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}").status_code == 200


def test_a_duplicate_slug_within_one_request_is_refused_too(sandbox):
    body = {"fieldData": [{"name": "a", "slug": "same", "summary": "s"}, {"name": "b", "slug": "same",
                                                                          "summary": "s"}]}
    answer = call(sandbox, "POST", f"/v2/collections/{DEMO_COLLECTION_ID}/items/bulk", body)
    assert answer.status_code == 400
    assert answer.json()["details"] == [{"param": "slug", "description": "Unique value is already in database: 'same'"}]
    assert sandbox.items(DEMO_COLLECTION_ID) == []


def rename(sandbox, item_id, slug):
    return call(sandbox, "PATCH", f"/v2/collections/{DEMO_COLLECTION_ID}/items",
                {"items": [{"id": item_id, "cmsLocaleId": PRIMARY, "fieldData": {"slug": slug}}]})


def by_slug(sandbox, slug):
    return call(sandbox, "GET", f"/v2/collections/{DEMO_COLLECTION_ID}/items?slug={slug}&cmsLocaleId={PRIMARY}")


def test_a_renamed_item_frees_its_old_slug_and_holds_the_new_one(sandbox):
    item_id = create(sandbox, "first-name").json()["items"][0]["id"]
    assert create(sandbox, "first-name").status_code == 400
    assert rename(sandbox, item_id, "second-name").status_code == 200
    assert by_slug(sandbox, "first-name").json()["items"] == []
    assert [v["id"] for v in by_slug(sandbox, "second-name").json()["items"]] == [item_id]
    assert create(sandbox, "second-name").status_code == 400
    assert create(sandbox, "first-name").status_code == 202
    other = create(sandbox, "third-name").json()["items"][0]["id"]
    answer = rename(sandbox, other, "second-name")
    assert answer.status_code == 400
    assert "second-name" in answer.json()["details"][0]["description"]


def test_slug_uniqueness_survives_a_restart_from_the_state_file(tmp_path, settings):
    state_file = tmp_path / "sandbox.json"
    first = WebflowSandbox(state_file=state_file, openapi_dir=settings.WEBFLOW_OPENAPI_DIR).start()
    try:
        seed_demo(first)
        item_id = create(first, "kept").json()["items"][0]["id"]
    finally:
        first.stop()
    second = WebflowSandbox(token=first.token, state_file=state_file, openapi_dir=settings.WEBFLOW_OPENAPI_DIR)
    second.start()
    try:
        assert create(second, "kept").status_code == 400
        assert [v["id"] for v in by_slug(second, "kept").json()["items"]] == [item_id]
    finally:
        second.stop()


def test_the_inspection_endpoints_show_state_and_requests(sandbox):
    create(sandbox, "seen")
    state = requests.get(f"{sandbox.url}/__sandbox__/state", timeout=30).json()
    assert len(state["items"][DEMO_COLLECTION_ID]) == 1
    logged = requests.get(f"{sandbox.url}/__sandbox__/requests", timeout=30).json()
    assert logged[0]["method"] == "POST" and logged[0]["status"] == 202


def test_command_line_faults_are_parsed_and_bad_ones_explained():
    assert FaultPlan.parse("502:path=/items/bulk,times=2,json_body=false") == {
        "kind": "502", "path": "/items/bulk", "times": 2, "json_body": False}
    with pytest.raises(ValueError, match="unknown fault option 'colour'"):
        FaultPlan.parse("502:colour=red")
    with pytest.raises(ValueError, match="unknown fault 'boom'"):
        FaultPlan().add("boom")


def test_a_fault_with_after_lets_that_many_matching_requests_through_first():
    plan = FaultPlan()
    fault = plan.add(**FaultPlan.parse("500:method=POST,after=2"))
    assert [plan.take("GET", "/v2/x") is None, plan.take("POST", "/v2/x"), plan.take("POST", "/v2/x")] == [
        True, None, None]
    assert plan.take("POST", "/v2/x") is fault and plan.take("POST", "/v2/x") is None  # times=1: used up


def test_the_command_refuses_an_unknown_fault_before_listening(settings):
    settings.WEBFLOW_API_TOKEN = "some-token-value"
    with pytest.raises(CommandError, match="unknown fault 'explode'"):
        call_command("webflow_sandbox", "--port", "0", "--fault", "explode")


def test_sites_and_collections_can_come_from_a_config(settings):
    sandbox = WebflowSandbox(openapi_dir=settings.WEBFLOW_OPENAPI_DIR)
    sandbox.load_config({
        "sites": [{"id": "1" * 24, "name": "Shop", "locales": [{"tag": "en-GB", "cmsLocaleId": "2" * 24}]}],
        "collections": [{"siteId": "1" * 24, "id": "3" * 24, "fields": [{"slug": "name", "type": "PlainText"}]}],
    })
    assert sandbox.state.sites["1" * 24]["locales"]["primary"]["tag"] == "en-GB"
    assert sandbox.state.collections["3" * 24]["fields"] == [{"slug": "name", "type": "PlainText"}]


def test_the_command_explains_an_unreadable_config(settings, tmp_path):
    settings.WEBFLOW_API_TOKEN = "some-token-value"
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CommandError, match="Cannot use --config"):
        call_command("webflow_sandbox", "--port", "0", "--config", str(tmp_path / "bad.json"))


def test_each_answer_leaves_in_one_write_on_a_no_delay_socket(sandbox, monkeypatch):
    """Headers and body written separately without TCP_NODELAY stalled every keep-alive request ~40 ms."""
    import socket
    import socketserver

    writes = []
    original = socketserver._SocketWriter.write

    def counting_write(self, data):
        writes.append(self._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counting_write)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.token}"
        answers = [session.get(f"{sandbox.url}/v2/sites/{DEMO_SITE_ID}", timeout=30) for _ in range(50)]
    assert [a.status_code for a in answers] == [200] * 50
    assert len(writes) == 50 and all(writes)


def test_python_m_webflow_sandbox_runs_without_django_and_says_how_to_point_the_app_at_it(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "WEBFLOW_API_TOKEN"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "webflow_sandbox", "--port", "0", "--seed-demo", "--fault", "503:path=/sites/",
         "--latency", "0.01", "--jitter", "0.005", "--duplicate-slugs", "suffix"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [process.stdout.readline() for _ in range(2)]
        url, token = re.search(r"WEBFLOW_API_BASE_URL=(\S+) WEBFLOW_API_TOKEN=(\S+)", banner[1]).groups()
        site = f"{url}/v2/sites/{DEMO_SITE_ID}"
        headers = {"Authorization": f"Bearer {token}"}
        assert [requests.get(site, headers=headers, timeout=30).status_code for _ in range(2)] == [503, 200]
        assert "Webflow sandbox" in requests.get(url + "/", timeout=30).text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "Sandbox stopped." in out, err
    assert "Traceback" not in err


def test_the_standalone_command_explains_a_bad_fault_in_one_line(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "webflow_sandbox", "--port", "0", "--fault", "explode"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("webflow_sandbox: unknown fault 'explode'") and "Traceback" not in done.stderr


def test_the_root_page_shows_people_what_the_sandbox_holds_and_was_asked(sandbox):
    create(sandbox, "on-the-page")
    page = requests.get(f"{sandbox.url}/", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Acme Journal (demo)" in page.text and "/items/bulk" in page.text and "<td>1</td>" in page.text
    assert not any(r["path"] == "/" for r in sandbox.requests)
