"""Contract: what the client sends and what the sandbox answers both validate against Webflow's OpenAPI spec.

The spec is shared/webflow-openapi/v2.yml (v2-beta.yml for /beta paths), loaded once per session. Where the
spec disagrees with itself, the sandbox follows the spec's *examples* (what Webflow really sends) and the
test below that names the disagreement says why:

- POST .../items/bulk 202, PATCH .../items 200 and PATCH .../items/live 200: the schemas require a single item
  at the top level (id, fieldData, createdOn...), while the spec's own examples, the docs and real integrations
  return {"items": [...]} (for bulk, one entry per item per locale). The examples fail their own schema (tested
  below). The sandbox returns the examples' shape; each entry is checked against the spec's item schema.
- POST .../items/live 202 with {"items": [...]}: the spec documents only the single-item answer; the sandbox
  answers a list the same way as the other multi-item endpoints ({"items": [...]}), entries checked as above.
- Schema normalisation (nullable, lastPublished null, oneOf without required keys -> anyOf, readOnly
  properties not required in requests): see webflow_sandbox/openapi.py.
"""
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.conf import settings as django_settings

from stagingapp import demo
from stagingapp.webflow import errors
from stagingapp.webflow.client import get_client
from webflow_sandbox import openapi
from webflow_sandbox.demo import DEMO_COLLECTION_ID, DEMO_LOCALES, DEMO_SITE_ID, seed_demo
from webflow_sandbox.server import route_template

LOCALES = [locale["cmsLocaleId"] for locale in DEMO_LOCALES]
ITEM_TEMPLATE = "/collections/{collection_id}/items/{item_id}"
# (method, template, status) whose answer is {"items": [...]} although the schema describes one item (see above).
ITEM_LIST_ANSWERS = {
    ("POST", "/collections/{collection_id}/items/bulk", 202),
    ("PATCH", "/collections/{collection_id}/items", 200),
    ("PATCH", "/collections/{collection_id}/items/live", 200),
    ("POST", "/collections/{collection_id}/items/live", 202),
}


@pytest.fixture(scope="session")
def specs():
    folder = django_settings.WEBFLOW_OPENAPI_DIR
    try:
        return {"v2": openapi.load_spec(folder / "v2.yml"), "beta": openapi.load_spec(folder / "v2-beta.yml")}
    except openapi.SpecNotFound as exc:
        pytest.fail(str(exc))


def assert_valid(schema, instance, where):
    problems = openapi.schema_errors(schema, instance)
    assert not problems, f"{where} breaks the spec schema:\n" + "\n".join(f"  {p}: {m}" for p, m in problems)


def exercise_every_endpoint(client, sandbox):
    """Call every client method once, including the answers that are errors."""
    variants = client.create_items_bulk(DEMO_COLLECTION_ID, field_data=[
        {"name": "One", "slug": "one", "summary": "s", "reading-minutes": 3, "featured": True,
         "category": demo.CATEGORY_OPTIONS[0]["id"], "published-on": "2026-01-02T00:00:00.000Z",
         "cover-image": {"url": "https://example.com/a.png", "alt": "A"}, "source-url": "https://example.com"},
        {"name": "Two", "slug": "two", "summary": "s"}],
        cms_locale_ids=LOCALES, is_draft=True, is_archived=False)
    client.create_items_bulk(DEMO_COLLECTION_ID, field_data=[{"name": "Three", "slug": "three", "summary": "s"}],
                             cms_locale_ids=[], is_draft=False, is_archived=False)
    get_client(use_beta_bulk=True).create_items_bulk(
        DEMO_COLLECTION_ID, field_data=[{"name": "Beta", "slug": "beta", "summary": "s"}],
        cms_locale_ids=LOCALES[:2], is_draft=True, is_archived=False)
    item_id = variants[0].id
    client.update_items(DEMO_COLLECTION_ID, items=[
        {"id": item_id, "cmsLocaleId": locale, "fieldData": {"name": f"One {locale}"}, "isDraft": False}
        for locale in LOCALES])
    client.publish_items(DEMO_COLLECTION_ID, items=[{"id": item_id, "cmsLocaleIds": LOCALES},
                                                     {"id": "f" * 24, "cmsLocaleIds": LOCALES[:1]}])
    client.update_items(DEMO_COLLECTION_ID, live=True,
                        items=[{"id": item_id, "cmsLocaleId": LOCALES[1], "fieldData": {"summary": "live"}}])
    client.create_items_live(DEMO_COLLECTION_ID, items=[{"fieldData": {"name": "L1", "slug": "l1", "summary": "s"},
                                                         "isDraft": False, "isArchived": False}])
    client.create_items_live(DEMO_COLLECTION_ID, items=[{"fieldData": {"name": "L2", "slug": "l2", "summary": "s"}},
                                                        {"fieldData": {"name": "L3", "slug": "l3", "summary": "s"}}])
    client.list_items(DEMO_COLLECTION_ID, slug="one", cms_locale_ids=LOCALES)
    client.list_items(DEMO_COLLECTION_ID, live=True)
    client.get_item(DEMO_COLLECTION_ID, item_id, cms_locale_id=LOCALES[2])
    client.get_site(DEMO_SITE_ID)
    client.get_collection(DEMO_COLLECTION_ID)
    for call in (
        lambda: client.create_items_bulk(DEMO_COLLECTION_ID, field_data=[{"name": "Dup", "slug": "one",
                                                                          "summary": "s"}],
                                         cms_locale_ids=LOCALES, is_draft=True, is_archived=False),
        lambda: client.update_items(DEMO_COLLECTION_ID, live=True, items=[
            {"id": variants[-1].id, "cmsLocaleId": LOCALES[0], "fieldData": {"name": "never published"}}]),
        lambda: client.get_collection("e" * 24),
        lambda: get_client(token="wrong-token").get_site(DEMO_SITE_ID),
    ):
        with pytest.raises(errors.WebflowAPIError):
            call()
    sandbox.set_rate_limit(1, window=60, retry_after=30)
    with pytest.raises(errors.WebflowRateLimited):
        get_client(limiter=None, max_rate_limit_retries=0).get_site(DEMO_SITE_ID)
        get_client(limiter=None, max_rate_limit_retries=0).get_site(DEMO_SITE_ID)


@pytest.fixture
def exchanges(db, webflow_sandbox):
    seed_demo(webflow_sandbox)
    exercise_every_endpoint(get_client(), webflow_sandbox)
    routed = []
    for request in webflow_sandbox.requests:
        version, template = route_template(request["method"], request["path"])
        routed.append((version, template, request))
    return routed


def test_every_request_body_the_client_sends_validates_against_the_spec(specs, exchanges, settings):
    checked = set()
    for version, template, request in exchanges:
        if request["body"] is None:
            continue
        schema = openapi.request_schema(specs[version], request["method"], template)
        assert schema is not None, f"the spec has no request schema for {request['method']} {template}"
        assert_valid(schema, request["body"], f"request body of {request['method']} /{version}{template}")
        checked.add((request["method"], template))
    assert any(version == "beta" for version, _, request in exchanges if request["body"] is not None)
    assert checked == {
        ("POST", "/collections/{collection_id}/items/bulk"), ("PATCH", "/collections/{collection_id}/items"),
        ("PATCH", "/collections/{collection_id}/items/live"), ("POST", "/collections/{collection_id}/items/publish"),
        ("POST", "/collections/{collection_id}/items/live"),
    }


def test_every_sandbox_answer_validates_against_the_spec(specs, exchanges):
    statuses = set()
    for version, template, request in exchanges:
        method, status, body = request["method"], request["status"], request["response"]
        spec = specs[version]
        where = f"{status} answer to {method} /{version}{template}"
        if (method, template, status) in ITEM_LIST_ANSWERS and "items" in body:
            item_schema = openapi.response_schema(spec, "GET", ITEM_TEMPLATE, 200)
            for index, entry in enumerate(body["items"]):
                assert_valid(item_schema, entry, f"{where}, items[{index}]")
        else:
            schema = openapi.response_schema(spec, method, template, status)
            if schema is None and status >= 400:
                # Statuses the spec lists for other operations only (409 on live PATCH): same error body.
                schema = openapi.response_schema(spec, method, template, 400)
            assert schema is not None, f"the spec documents no {where}"
            assert_valid(schema, body, where)
        statuses.add(status)
    assert statuses == {200, 202, 400, 401, 404, 409, 429}


@pytest.mark.parametrize(("method", "template", "status"), sorted(ITEM_LIST_ANSWERS - {
    ("POST", "/collections/{collection_id}/items/live", 202)}))
def test_item_list_answers_follow_the_spec_examples_because_the_schemas_contradict_them(specs, method, template,
                                                                                         status):
    schema = openapi.response_schema(specs["v2"], method, template, status)
    examples = openapi.response_examples(specs["v2"], method, template, status)
    # The spec's own examples fail its schema: they are {"items": [...]}, the schema wants one item object.
    assert examples and all("items" in example for example in examples.values())
    assert all(("$", "'id' is a required property") in openapi.schema_errors(schema, example)
               for example in examples.values())


def test_the_bulk_answer_has_one_entry_per_item_per_locale_sharing_the_item_id(exchanges):
    template = "/collections/{collection_id}/items/bulk"
    [answer] = [r["response"] for _, t, r in exchanges if t == template and r["status"] == 202][:1]
    assert set(answer) == {"items"} and len(answer["items"]) == 6
    item_ids = {entry["id"] for entry in answer["items"]}
    assert len(item_ids) == 2 and {e["cmsLocaleId"] for e in answer["items"]} == set(LOCALES)


def test_the_sandbox_refuses_bodies_the_spec_refuses(db, webflow_sandbox):
    seed_demo(webflow_sandbox)
    client = get_client()
    with pytest.raises(errors.WebflowValidationError) as caught:
        client.update_items(DEMO_COLLECTION_ID, items=[{"cmsLocaleId": LOCALES[0], "fieldData": {"name": "x"}}])
    assert caught.value.field_errors[0].field == "items[0]"
    assert "'id' is a required property" in caught.value.field_errors[0].message


def test_filtered_lists_and_deletes_answer_what_the_spec_documents(specs, webflow_sandbox):
    """Raw requests for what the client does not call yet: list filters, sorting, paging and the DELETEs."""
    seed_demo(webflow_sandbox)
    base = f"{webflow_sandbox.url}/v2/collections/{DEMO_COLLECTION_ID}/items"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {webflow_sandbox.token}"
    created = session.post(f"{base}/bulk", timeout=30, json={
        "fieldData": [{"name": f"N{n}", "slug": f"n{n}", "summary": "s"} for n in range(3)], "cmsLocaleIds": LOCALES})
    item_id = created.json()["items"][0]["id"]
    session.post(f"{base}/publish", timeout=30, json={"items": [{"id": item_id, "cmsLocaleIds": LOCALES}]})
    exchanges = [
        ("GET", "/collections/{collection_id}/items", session.get(base, timeout=30, params={
            "createdOn[gte]": "2020-01-01T00:00:00.000Z", "lastUpdated[lte]": "2999-01-01T00:00:00.000Z",
            "sortBy": "name", "sortOrder": "desc", "offset": 2, "limit": 2, "cmsLocaleId": ",".join(LOCALES)})),
        ("GET", "/collections/{collection_id}/items/live", session.get(f"{base}/live", timeout=30, params={
            "lastPublished[gte]": "2020-01-01T00:00:00.000Z", "sortBy": "lastPublished"})),
        ("GET", "/collections/{collection_id}/items", session.get(base, timeout=30, params={"sortOrder": "up"})),
        ("DELETE", "/collections/{collection_id}/items/live", session.delete(f"{base}/live", timeout=30, json={
            "items": [{"id": item_id, "cmsLocaleIds": LOCALES}]})),
        ("DELETE", "/collections/{collection_id}/items", session.delete(base, timeout=30, json={
            "items": [{"id": item_id, "cmsLocaleIds": LOCALES}]})),
        ("DELETE", "/collections/{collection_id}/items/{item_id}", session.delete(f"{base}/{item_id}", timeout=30)),
    ]
    assert [answer.status_code for *_, answer in exchanges] == [200, 200, 400, 204, 204, 404]
    for method, template, answer in exchanges:
        request = answer.request
        schema = openapi.request_schema(specs["v2"], method, template) if request.body else None
        if schema is not None:
            assert_valid(schema, json.loads(request.body), f"request body of {method} {template}")
        documented = (openapi.operation(specs["v2"], method, template).get("responses") or {})
        assert str(answer.status_code) in documented, f"{answer.status_code} not documented for {method} {template}"
        if answer.status_code == 204:
            assert answer.content == b""
            continue
        assert_valid(openapi.response_schema(specs["v2"], method, template, answer.status_code), answer.json(),
                     f"{answer.status_code} answer to {method} {template}")
    listed = exchanges[0][2].json()
    assert listed["pagination"] == {"limit": 2, "offset": 2, "total": 9}
    assert [v["fieldData"]["name"] for v in listed["items"]] == ["N2", "N1"]


def test_the_window_list_the_push_reconciles_with_sends_only_query_parameters_the_spec_declares(
    specs, db, webflow_sandbox
):
    seed_demo(webflow_sandbox)
    now = datetime.now(UTC)
    get_client().list_items(DEMO_COLLECTION_ID, cms_locale_ids=LOCALES, created_from=now - timedelta(minutes=2),
                            created_to=now + timedelta(minutes=2), sort_by="createdOn", sort_order="desc")
    (request,) = webflow_sandbox.requests
    declared = {}
    for parameter in openapi.operation(specs["v2"], "GET", "/collections/{collection_id}/items")["parameters"]:
        if parameter["in"] == "query":
            properties = (parameter.get("schema") or {}).get("properties") or {}
            names = [f"{parameter['name']}[{key}]" for key in properties] if parameter.get("style") == "deepObject" \
                else [parameter["name"]]
            declared.update(dict.fromkeys(names, parameter))
    assert set(request["query"]) == {"cmsLocaleId", "offset", "limit", "createdOn[gte]", "createdOn[lte]",
                                     "sortBy", "sortOrder"}
    assert set(request["query"]) <= set(declared)
    assert request["query"]["sortBy"] in declared["sortBy"]["schema"]["enum"]
    assert request["query"]["sortOrder"] in declared["sortOrder"]["schema"]["enum"]
    assert datetime.fromisoformat(request["query"]["createdOn[gte]"].replace("Z", "+00:00")) < now
    assert request["status"] == 200
