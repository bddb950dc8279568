"""Reference runs for the benchmark: the same request bodies sent by a bare `requests` loop, and the official
`webflow` SDK (PyPI) doing the same job one item at a time and with its bulk call. Both against the same sandbox."""
from __future__ import annotations

import logging
import time

import requests

WRITES = ("POST", "PATCH", "DELETE")


def replay_floor(sandbox, collection_id: str) -> tuple[int, float]:
    """Clear the collection, then send every write the push got a 2xx for, in order, on one keep-alive session:
    (requests, seconds). Nothing but HTTP: the floor any push client could reach against this sandbox."""
    writes = [r for r in list(sandbox.requests) if r["method"] in WRITES and isinstance(r.get("status"), int)
              and 200 <= r["status"] < 300 and not r.get("fault")]
    sandbox.clear_items(collection_id)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sandbox.token}"
    new_ids: dict[str, str] = {}  # the replayed creates make new item ids; later PATCHes must name those
    started = time.monotonic()
    for request in writes:
        body = _renamed(request["body"], new_ids)
        answer = session.request(request["method"], sandbox.url + request["path"], json=body, timeout=60)
        if answer.status_code >= 300:
            raise RuntimeError(f"the floor replay got {answer.status_code} for {request['method']} {request['path']}")
        if request["method"] == "POST" and isinstance(request.get("response"), dict):
            old, new = _by_slug(request["response"]), _by_slug(answer.json())
            new_ids.update({old[key]: new[key] for key in old.keys() & new.keys()})
    return len(writes), time.monotonic() - started


def _by_slug(payload: dict) -> dict[tuple, str]:
    entries = payload.get("items") if "items" in payload else [payload]
    return {(entry["fieldData"].get("slug"), entry.get("cmsLocaleId")): entry["id"] for entry in entries or []}


def _renamed(value, new_ids: dict[str, str]):
    if isinstance(value, dict):
        return {key: _renamed(item, new_ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, new_ids) for item in value]
    return new_ids.get(value, value) if isinstance(value, str) else value


def sdk_runs(sandbox, collection, locales, items: list[dict], *, one_by_one: int) -> list[tuple[str, int, float]] | str:
    """[(label, requests, seconds)] for the SDK one item at a time (the first `one_by_one` items: two requests
    per item make the whole set take minutes) and in bulk (all items), or why it could not run."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    try:
        from webflow import Webflow
        from webflow.environment import WebflowEnvironment
    except ImportError:
        return "the webflow SDK is not installed (pip install -e '.[bench]')"
    base = sandbox.url + "/v2"
    client = Webflow(environment=WebflowEnvironment(base=base, data_api=base, content_delivery_api=base),
                     access_token=sandbox.token)
    cms = [loc.cms_locale_id for loc in locales]
    results = []
    runs = ((f"one item at a time, first {min(one_by_one, len(items))} items", 1, items[:one_by_one]),
            (f"bulk, all {len(items)} items (33 per create)", 33, items))
    for label, size, subset in runs:
        sandbox.clear_items(collection.webflow_id)
        before, started = len(sandbox.requests), time.monotonic()
        for start in range(0, len(subset), size):
            chunk = subset[start:start + size]
            created = client.collections.items.create_items(
                collection.webflow_id, field_data=[entry["primary"] for entry in chunk] if size > 1
                else chunk[0]["primary"], cms_locale_ids=cms, is_draft=True, is_archived=False)
            ids = _ids_by_slug(created)
            patches = [{"id": ids[entry["primary"]["slug"]], "cmsLocaleId": cms_id, "fieldData": data}
                       for entry in chunk for cms_id, data in entry["translations"].items()]
            for offset in range(0, len(patches), 100):
                client.collections.items.update_items(collection.webflow_id, items=patches[offset:offset + 100])
        results.append((label, len(sandbox.requests) - before, time.monotonic() - started))
    return results


def _ids_by_slug(created) -> dict[str, str]:
    """The SDK types the bulk answer as one item (as the spec's schema does); Webflow's {"items": [...]} comes
    back as plain dicts in its extra fields."""
    entries = getattr(created, "items", None) or [created]
    return {_slug(entry): entry["id"] if isinstance(entry, dict) else entry.id for entry in entries}


def _slug(entry) -> str:
    if isinstance(entry, dict):
        return entry["fieldData"]["slug"]
    data = entry.field_data
    return data.get("slug") if isinstance(data, dict) else data.slug
