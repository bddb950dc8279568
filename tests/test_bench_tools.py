"""The benchmark's reference runs measure what they claim: the bare loop re-sends exactly the push's bodies."""
from tests.test_sandbox import PRIMARY, call
from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_LOCALES, seed_demo
from webflow_sandbox.floors import replay_floor
from webflow_sandbox.management.commands.bench_push import busiest_window, request_gaps

ITEMS = f"/v2/collections/{DEMO_COLLECTION_ID}/items"


def test_the_floor_replays_every_accepted_write_with_the_new_item_ids(webflow_sandbox):
    seed_demo(webflow_sandbox)
    locales = [PRIMARY, DEMO_LOCALES[1]["cmsLocaleId"]]
    created = call(webflow_sandbox, "POST", f"{ITEMS}/bulk", {"fieldData": [
        {"name": "A", "slug": "a", "summary": "s"}, {"name": "B", "slug": "b", "summary": "s"}],
        "cmsLocaleIds": locales}).json()["items"]
    call(webflow_sandbox, "PATCH", ITEMS, {"items": [{"id": created[1]["id"], "cmsLocaleId": locales[1],
                                                      "fieldData": {"name": "A (fr)"}}]})
    webflow_sandbox.faults.add("500", path="/items$")
    call(webflow_sandbox, "PATCH", ITEMS, {"items": [{"id": created[0]["id"], "fieldData": {"name": "never"}}]})
    sent, seconds = replay_floor(webflow_sandbox, DEMO_COLLECTION_ID)
    assert sent == 2 and seconds > 0  # the refused PATCH is not part of the floor
    names = sorted(v["fieldData"]["name"] for v in webflow_sandbox.items(DEMO_COLLECTION_ID))
    assert names == ["A", "A (fr)", "B", "B"]
    assert not {v["id"] for v in webflow_sandbox.items(DEMO_COLLECTION_ID)} & {v["id"] for v in created}


def test_the_busiest_window_counts_the_most_requests_inside_any_60_seconds():
    assert busiest_window([0, 10, 59.9, 60, 61, 119, 200]) == 4
    assert busiest_window([]) == 0


def test_request_gaps_compare_the_first_and_last_tenth_of_the_run():
    # 21 requests: ten gaps of 0.1 s, then ten of 0.3 s; the first and last tenth are one gap each.
    times = [0.1 * n for n in range(11)] + [1.0 + 0.3 * n for n in range(1, 11)]
    early, late = request_gaps(times)
    assert (round(early, 3), round(late, 3)) == (0.1, 0.3)


def test_bench_and_soak_workers_run_without_debug_and_with_the_key_the_queued_tasks_are_signed_with(
        webflow_sandbox, monkeypatch, settings):
    from webflow_sandbox.scenario import worker_env

    monkeypatch.setenv("DATABASE_URL", "sqlite:///scratch.sqlite3")
    env = worker_env(webflow_sandbox, Q_WORKERS="1")
    assert env["DEBUG"] == "False"  # no query log: the cost measured is production's
    # django-q signs each task with SECRET_KEY: a worker with another key refuses them all ("BadSignature"),
    # and the batches then only ran once the recovery schedule found them.
    assert env["SECRET_KEY"] == settings.SECRET_KEY
    assert (env["WEBFLOW_API_BASE_URL"], env["Q_WORKERS"]) == (webflow_sandbox.url, "1")
    # No scheduled drift check: its list pages would be counted as the push's requests.
    assert env["WEBFLOW_VERIFY_INTERVAL_MINUTES"] == "0"
