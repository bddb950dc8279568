"""The sandbox behaves like Webflow where it matters: list filters, slugs, latency, faults that still write, DELETE."""
import re
import time

import pytest
import requests

from tests.test_sandbox import PRIMARY, by_slug, call, create, rename
from webflow_sandbox import FaultPlan, WebflowSandbox
from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_LOCALES, DEMO_SITE_ID, seed_demo

ITEMS = f"/v2/collections/{DEMO_COLLECTION_ID}/items"
SECONDARY = DEMO_LOCALES[1]["cmsLocaleId"]


@pytest.fixture
def sandbox(webflow_sandbox):
    seed_demo(webflow_sandbox)
    return webflow_sandbox


def stamp_items(sandbox, stamps: dict[str, tuple[str, str]]) -> None:
    """Give items known createdOn/lastUpdated stamps (creates within one millisecond share a stamp)."""
    with sandbox.state.lock:
        for variants in sandbox.state.items[DEMO_COLLECTION_ID].values():
            for variant in variants.values():
                if variant["fieldData"]["slug"] in stamps:
                    variant["createdOn"], variant["lastUpdated"] = stamps[variant["fieldData"]["slug"]]


def slugs(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [variant["fieldData"]["slug"] for variant in answer.json()["items"]]


def test_list_filters_by_creation_and_update_window_inclusively_and_sorts_as_asked(sandbox):
    for slug in ("old", "mid", "new"):
        create(sandbox, slug)
    stamp_items(sandbox, {"old": ("2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"),
                          "mid": ("2026-02-01T00:00:00.000Z", "2026-02-02T00:00:00.000Z"),
                          "new": ("2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z")})
    window = "createdOn[gte]=2026-02-01T00:00:00.000Z&createdOn[lte]=2026-03-01T00:00:00Z"
    assert slugs(call(sandbox, "GET", f"{ITEMS}?{window}")) == ["mid", "new"]
    assert slugs(call(sandbox, "GET", f"{ITEMS}?lastUpdated[gte]=2026-03-01T00:00:00.000Z")) == ["old", "new"]
    assert slugs(call(sandbox, "GET", f"{ITEMS}?sortBy=lastUpdated&sortOrder=desc")) == ["new", "old", "mid"]
    assert slugs(call(sandbox, "GET", f"{ITEMS}?sortBy=slug")) == ["mid", "new", "old"]
    assert slugs(call(sandbox, "GET", f"{ITEMS}?lastPublished[gte]=2026-01-01T00:00:00Z")) == []
    refused = call(sandbox, "GET", f"{ITEMS}?sortBy=colour")
    assert refused.status_code == 400 and refused.json()["details"][0]["param"] == "sortBy"
    assert call(sandbox, "GET", f"{ITEMS}?createdOn[gte]=yesterday").status_code == 400


def test_lists_are_paginated_at_100_with_the_total_of_every_match(sandbox):
    body = {"fieldData": [{"name": f"p{n}", "slug": f"p{n}", "summary": "s"} for n in range(100)],
            "cmsLocaleIds": [PRIMARY]}
    assert call(sandbox, "POST", f"{ITEMS}/bulk", body).status_code == 202
    create(sandbox, "p100")
    first = call(sandbox, "GET", ITEMS).json()
    assert len(first["items"]) == 100 and first["pagination"] == {"limit": 100, "offset": 0, "total": 101}
    second = call(sandbox, "GET", f"{ITEMS}?offset=100&limit=100").json()
    assert slugs_of(second) == ["p100"] and second["pagination"]["total"] == 101
    assert call(sandbox, "GET", f"{ITEMS}?limit=101").status_code == 400


def slugs_of(payload) -> list[str]:
    return [variant["fieldData"]["slug"] for variant in payload["items"]]


def test_suffix_mode_stores_a_duplicate_slug_with_a_random_suffix_instead_of_refusing(settings):
    sandbox = WebflowSandbox(duplicate_slugs="suffix", openapi_dir=settings.WEBFLOW_OPENAPI_DIR).start()
    try:
        seed_demo(sandbox)
        first, second = create(sandbox, "article-7"), create(sandbox, "article-7")
        assert first.status_code == second.status_code == 202
        assert first.json()["items"][0]["fieldData"]["slug"] == "article-7"
        assert re.fullmatch(r"article-7-[0-9a-f]{5}", second.json()["items"][0]["fieldData"]["slug"])
        assert len(by_slug(sandbox, "article-7").json()["items"]) == 1
    finally:
        sandbox.stop()
    with pytest.raises(ValueError, match="duplicate_slugs"):
        WebflowSandbox(duplicate_slugs="sometimes")


def test_latency_with_jitter_sleeps_within_its_bounds_before_each_answer(sandbox, monkeypatch):
    slept = []
    monkeypatch.setattr("webflow_sandbox.server.time.sleep", slept.append)
    sandbox.set_latency(1.0, jitter=0.25)
    for _ in range(20):
        assert call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}").status_code == 200
    assert len(slept) == 20 and all(0.75 <= seconds <= 1.25 for seconds in slept)
    assert len(set(slept)) > 1
    with pytest.raises(ValueError, match="negative"):
        sandbox.set_latency(-1)


def test_a_500_after_commit_answers_an_error_although_the_item_was_stored(sandbox):
    sandbox.faults.add("500_after_commit", path="/items/bulk$")
    answer = create(sandbox, "stored-anyway")
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert [v["fieldData"]["slug"] for v in sandbox.items(DEMO_COLLECTION_ID)] == ["stored-anyway"]


def test_a_late_commit_lands_after_the_client_has_timed_out(sandbox):
    sandbox.faults.add("late_commit", path="/items/bulk$", delay=0.6)
    body = {"fieldData": {"name": "late", "slug": "late", "summary": "s"}, "cmsLocaleIds": [PRIMARY]}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(sandbox.url + f"{ITEMS}/bulk", json=body, timeout=0.2,
                      headers={"Authorization": f"Bearer {sandbox.token}"})
    assert sandbox.items(DEMO_COLLECTION_ID) == []  # the client gave up; nothing there yet
    deadline = time.monotonic() + 10
    while not sandbox.items(DEMO_COLLECTION_ID) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [v["fieldData"]["slug"] for v in sandbox.items(DEMO_COLLECTION_ID)] == ["late"]


def test_unusable_2xx_answers_for_creates_and_lookups(sandbox):
    sandbox.faults.add("null_ids", path="/items/bulk$")
    answer = create(sandbox, "no-id")
    assert answer.status_code == 202 and [v["id"] for v in answer.json()["items"]] == [None]
    assert len(sandbox.items(DEMO_COLLECTION_ID)) == 1  # written all the same
    sandbox.faults.add("empty_answer", path="/items/bulk$")
    assert create(sandbox, "empty").json() == {"items": [], "pagination": {"total": 0}}
    sandbox.faults.add("empty_answer", path="/items$", method="GET")
    assert by_slug(sandbox, "no-id").json() == {"items": [], "pagination": {"total": 0}}
    sandbox.faults.add("null_ids", path="/items$", method="GET")
    assert [v["id"] for v in by_slug(sandbox, "empty").json()["items"]] == [None]
    assert len(sandbox.items(DEMO_COLLECTION_ID)) == 2


def test_a_patch_of_a_missing_item_or_locale_variant_is_a_404_and_changes_nothing(sandbox):
    item_id = create(sandbox, "only-primary").json()["items"][0]["id"]
    missing_locale = call(sandbox, "PATCH", ITEMS, {"items": [
        {"id": item_id, "cmsLocaleId": PRIMARY, "fieldData": {"name": "changed"}},
        {"id": item_id, "cmsLocaleId": SECONDARY, "fieldData": {"name": "nouveau"}}]})
    assert missing_locale.status_code == 404 and SECONDARY in missing_locale.json()["message"]
    assert rename(sandbox, "f" * 24, "ghost").status_code == 404
    assert [v["fieldData"]["name"] for v in sandbox.items(DEMO_COLLECTION_ID)] == ["only-primary"]


def test_retry_after_is_sent_as_configured_on_429_and_5xx_faults(sandbox):
    sandbox.faults.add("429", path="/sites/", retry_after=7)
    sandbox.faults.add("503", path="/sites/", retry_after=2.5)
    sandbox.faults.add("500", path="/sites/")
    answers = [call(sandbox, "GET", f"/v2/sites/{DEMO_SITE_ID}") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 503, 500]
    assert [a.headers.get("Retry-After") for a in answers] == ["7", "2.5", None]


def test_random_faults_fire_on_about_their_share_of_requests():
    plan = FaultPlan(seed=7)  # seeded: the same draw every run
    plan.add("503", times=0, probability=0.1)
    fired = sum(plan.take("GET", "/v2/sites/x") is not None for _ in range(2000))
    assert 120 < fired < 280
    with pytest.raises(ValueError, match="probability"):
        plan.add("503", probability=0)


def test_delete_removes_items_per_locale_and_unpublish_only_takes_them_off_the_live_site(sandbox):
    body = {"fieldData": [{"name": n, "slug": n, "summary": "s"} for n in ("keep", "gone")],
            "cmsLocaleIds": [PRIMARY, SECONDARY]}
    keep, gone = (v["id"] for v in call(sandbox, "POST", f"{ITEMS}/bulk", body).json()["items"][::2])
    call(sandbox, "POST", f"{ITEMS}/publish", {"items": [{"id": keep, "cmsLocaleIds": [PRIMARY, SECONDARY]}]})
    refused = call(sandbox, "DELETE", ITEMS, {"items": [{"id": gone}, {"id": "f" * 24}]})
    assert refused.status_code == 404 and len(sandbox.items(DEMO_COLLECTION_ID)) == 4
    assert call(sandbox, "DELETE", ITEMS, {"items": [{"id": gone}]}).status_code == 204  # primary only
    assert {(v["id"], v["cmsLocaleId"]) for v in sandbox.items(DEMO_COLLECTION_ID) if v["id"] == gone} == {
        (gone, SECONDARY)}
    assert call(sandbox, "DELETE", f"{ITEMS}/{gone}?cmsLocaleId={SECONDARY}").status_code == 204
    assert create(sandbox, "gone").status_code == 202  # its slug is free again
    unpublished = call(sandbox, "DELETE", f"{ITEMS}/live", {"items": [{"id": keep, "cmsLocaleIds": [SECONDARY]}]})
    assert unpublished.status_code == 204
    assert [v["cmsLocaleId"] for v in sandbox.items(DEMO_COLLECTION_ID, live=True)] == [PRIMARY]
    staged = {v["cmsLocaleId"]: v for v in sandbox.items(DEMO_COLLECTION_ID) if v["id"] == keep}
    assert staged[SECONDARY]["isDraft"] is True and staged[PRIMARY]["isDraft"] is False
    assert call(sandbox, "DELETE", f"{ITEMS}/{keep}/live").status_code == 204
    assert sandbox.items(DEMO_COLLECTION_ID, live=True) == []
    assert call(sandbox, "DELETE", f"{ITEMS}/{keep}/live").status_code == 404


def test_date_filters_compare_instants_to_the_millisecond_whatever_the_bound_looks_like():
    """Stamps in the sandbox's own format are compared as text (fast on a large collection); the bound is
    rounded so that gives the instants' answer, and a stamp written another way is still compared as a date."""
    from webflow_sandbox import listing

    variants = [{"id": "a", "createdOn": "2026-12-03T10:00:00.123Z", "fieldData": {}},
                {"id": "b", "createdOn": "2026-12-03T10:00:01+00:00", "fieldData": {}}]

    def ids(**bounds):
        query = {f"createdOn[{side}]": [value] for side, value in bounds.items()}
        return [v["id"] for v in listing.select(variants, query)[0]]

    assert ids(gte="2026-12-03T10:00:00.123Z") == ["a", "b"]
    assert ids(gte="2026-12-03T10:00:00.1231Z") == ["b"]  # a microsecond after a's instant
    assert ids(lte="2026-12-03T10:00:00.1239Z") == ["a"]
    assert ids(lte="2026-12-03T10:00:00.122999Z") == []
    assert ids(gte="2026-12-03T11:00:00.5+01:00") == ["b"]  # another offset: 10:00:00.500 UTC
    assert ids(lte="2026-12-03T10:00:00.5") == ["a"]  # no offset: UTC
