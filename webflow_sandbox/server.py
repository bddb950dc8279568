"""A local HTTP server that behaves like Webflow's CMS API for everything the app calls.

Use it from Python (tests: see the `webflow_sandbox` fixture) or as `python -m webflow_sandbox` (cli.py)::

    sandbox = WebflowSandbox(token="t0ken-for-tests", rate_limit=60, retry_after=1)
    sandbox.start()                   # 127.0.0.1, a free port; sandbox.url is the base URL (no /v2)
    sandbox.add_site(SITE_ID, locales=[{"tag": "en-US", "cmsLocaleId": ..., "primary": True}, ...])
    sandbox.add_collection(SITE_ID, COLLECTION_ID, fields=[...])
    sandbox.faults.add("drop_after_commit", path=r"/items/bulk$", method="POST", times=1)
    sandbox.items(COLLECTION_ID)      # every stored variant; sandbox.requests: every request received
    sandbox.stop()

Served (under /v2 and /beta): GET /sites/{id}, GET /collections/{id}, GET|POST|PATCH|DELETE
/collections/{id}/items, POST .../items/bulk, GET|POST|PATCH|DELETE .../items/live, POST .../items/publish,
GET|DELETE .../items/{item_id}[/live]. List filters, sorting and pagination: see listing.py.
Inspection over HTTP (no token needed): GET / (a page for people), GET /__sandbox__/state, /__sandbox__/requests.

Options that make it behave like Webflow in its less friendly moments: `latency` (+ `jitter`) seconds before
each answer; `duplicate_slugs="suffix"` (Webflow's older behaviour: a create with a taken slug is stored as
`slug-3f9a1` instead of refused); `list_filters=False` (list requests ignore the date filters and sorting:
creation order, every item, as an API that does not know them would answer); faults (faults.py), including
writes that land after the client gave up.
Faults that answer an unusable 2xx with nothing applied: "unapplied_null_ids", "unapplied_empty" (faults.py).
"""
from __future__ import annotations

import json
import logging
import random
import re
import secrets
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import listing, openapi, page
from .apierrors import ApiError, validation_error
from .faults import FAULT_KINDS, UNUSABLE_KINDS, WRITE_FAULTS, Fault, FaultPlan, unusable_body
from .faults import UNAPPLIED_2XX as UNUSABLE_2XX
from .removal import RemovalOperations

__all__ = ["FAULT_KINDS", "WRITE_FAULTS", "Fault", "FaultPlan", "WebflowSandbox", "route_template"]

logger = logging.getLogger(__name__)

MAX_VARIANTS_PER_REQUEST = 100
# "refuse": a taken slug is a 400 (Webflow today); "suffix": stored as slug-xxxxx (Webflow's older behaviour).
DUPLICATE_SLUG_MODES = ("refuse", "suffix")

# (method, regex on the path after /v2 or /beta, handler name, spec template)
ROUTES = [
    ("GET", r"/sites/(?P<site_id>[^/]+)", "get_site", "/sites/{site_id}"),
    ("GET", r"/collections/(?P<cid>[^/]+)", "get_collection", "/collections/{collection_id}"),
    ("GET", r"/collections/(?P<cid>[^/]+)/items", "list_items", "/collections/{collection_id}/items"),
    ("GET", r"/collections/(?P<cid>[^/]+)/items/live", "list_items_live", "/collections/{collection_id}/items/live"),
    ("POST", r"/collections/(?P<cid>[^/]+)/items", "create_items", "/collections/{collection_id}/items"),
    ("POST", r"/collections/(?P<cid>[^/]+)/items/bulk", "create_bulk", "/collections/{collection_id}/items/bulk"),
    ("POST", r"/collections/(?P<cid>[^/]+)/items/live", "create_live", "/collections/{collection_id}/items/live"),
    ("POST", r"/collections/(?P<cid>[^/]+)/items/publish", "publish",
     "/collections/{collection_id}/items/publish"),
    ("PATCH", r"/collections/(?P<cid>[^/]+)/items", "update_staged", "/collections/{collection_id}/items"),
    ("PATCH", r"/collections/(?P<cid>[^/]+)/items/live", "update_live", "/collections/{collection_id}/items/live"),
    ("GET", r"/collections/(?P<cid>[^/]+)/items/(?P<item_id>[0-9a-zA-Z]+)", "get_item",
     "/collections/{collection_id}/items/{item_id}"),
    ("GET", r"/collections/(?P<cid>[^/]+)/items/(?P<item_id>[0-9a-zA-Z]+)/live", "get_item_live",
     "/collections/{collection_id}/items/{item_id}/live"),
    ("DELETE", r"/collections/(?P<cid>[^/]+)/items", "delete_items", "/collections/{collection_id}/items"),
    ("DELETE", r"/collections/(?P<cid>[^/]+)/items/live", "unpublish_items",
     "/collections/{collection_id}/items/live"),
    ("DELETE", r"/collections/(?P<cid>[^/]+)/items/(?P<item_id>[0-9a-zA-Z]+)", "delete_item",
     "/collections/{collection_id}/items/{item_id}"),
    ("DELETE", r"/collections/(?P<cid>[^/]+)/items/(?P<item_id>[0-9a-zA-Z]+)/live", "unpublish_item",
     "/collections/{collection_id}/items/{item_id}/live"),
]
_COMPILED = [(method, re.compile(f"^/(?:v2|beta){pattern}$"), name, template)
             for method, pattern, name, template in ROUTES]


def route_template(method: str, path: str) -> tuple[str, str] | None:
    """("v2"|"beta", OpenAPI path template) for a request path the sandbox serves, else None."""
    for route_method, pattern, _, template in _COMPILED:
        if route_method == method.upper() and pattern.match(path):
            return path.split("/")[1], template
    return None


def now_iso() -> str:
    now = datetime.now(UTC)  # one reading: two could straddle a second and stamp a moment ~1 s in the past
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_id() -> str:
    return secrets.token_hex(12)


class RateLimiter:
    """Per-token sliding window, as Webflow applies its per-key limit."""

    def __init__(self, limit: int, window: float, retry_after: float | None):
        self.limit, self.window, self.retry_after = limit, window, retry_after
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, token: str) -> tuple[bool, int, float]:
        """(allowed, remaining after this request, seconds until a slot frees)."""
        now = time.monotonic()
        with self._lock:
            hits = [hit for hit in self._hits.get(token, []) if hit > now - self.window]
            if len(hits) >= self.limit:
                self._hits[token] = hits
                return False, 0, hits[0] + self.window - now
            hits.append(now)
            self._hits[token] = hits
            return True, self.limit - len(hits), 0.0


def _schema_details(errors: list[tuple[str, str]]) -> list[dict]:
    return [{"param": path.removeprefix("$.") or "body", "description": message} for path, message in errors]


class SandboxState:
    """Sites, collections and item variants (staged and live), guarded by one lock; optionally saved to a file."""

    def __init__(self, state_file: str | Path | None = None):
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file else None
        self.sites: dict[str, dict] = {}
        self.collections: dict[str, dict] = {}
        # collection id -> item id -> cmsLocaleId -> variant (the staged copy)
        self.items: dict[str, dict[str, dict[str, dict]]] = {}
        # collection id -> item id -> cmsLocaleId -> variant (what a publish made live)
        self.live: dict[str, dict[str, dict[str, dict]]] = {}
        # (collection id, cmsLocaleId, slug) -> item id over the staged copies: Webflow checks slug uniqueness
        # with an index, and a scan per slug made every create cost O(items already stored).
        self.slug_owners: dict[tuple[str, str, str], str] = {}
        if self.state_file and self.state_file.is_file():
            self.load()

    def load(self) -> None:
        data = json.loads(self.state_file.read_text())
        self.sites, self.collections = data.get("sites", {}), data.get("collections", {})
        self.items, self.live = data.get("items", {}), data.get("live", {})
        self.slug_owners = {
            (cid, locale, variant["fieldData"]["slug"]): item_id
            for cid, items in self.items.items() for item_id, variants in items.items()
            for locale, variant in variants.items() if variant["fieldData"].get("slug")
        }

    def put_variant(self, cid: str, item_id: str, locale: str, variant: dict) -> None:
        """Store the staged copy of one item in one locale, keeping the slug index in step (caller holds lock)."""
        variants = self.items[cid].setdefault(item_id, {})
        old_slug = (variants.get(locale) or {}).get("fieldData", {}).get("slug")
        if old_slug and self.slug_owners.get((cid, locale, old_slug)) == item_id:
            del self.slug_owners[(cid, locale, old_slug)]
        variants[locale] = variant
        slug = variant["fieldData"].get("slug")
        if slug:
            self.slug_owners[(cid, locale, slug)] = item_id

    def drop_variant(self, cid: str, item_id: str, locale: str) -> None:
        """Remove the staged copy of one item in one locale (and the item once no locale is left; lock held)."""
        variants = self.items[cid].get(item_id, {})
        variant = variants.pop(locale, None)
        slug = (variant or {}).get("fieldData", {}).get("slug")
        if slug and self.slug_owners.get((cid, locale, slug)) == item_id:
            del self.slug_owners[(cid, locale, slug)]
        if not variants:
            self.items[cid].pop(item_id, None)

    def slug_owner(self, cid: str, locale: str, slug: str) -> str | None:
        return self.slug_owners.get((cid, locale, slug))

    def save(self) -> None:
        if not self.state_file:
            return
        data = {"sites": self.sites, "collections": self.collections, "items": self.items, "live": self.live}
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.state_file)  # atomic: a crash mid-write never leaves half a file

    def site_locales(self, site_id: str) -> tuple[str, list[str]]:
        locales = self.sites[site_id].get("locales") or {}
        primary = (locales.get("primary") or {}).get("cmsLocaleId") or self.sites[site_id]["_defaultLocaleId"]
        return primary, [primary] + [loc["cmsLocaleId"] for loc in locales.get("secondary") or []]


class WebflowSandbox(RemovalOperations):
    """The server plus its state, faults and request log. Thread-safe; start() serves in a daemon thread."""

    def __init__(
        self,
        *,
        token: str | None = None,
        rate_limit: int = 120,
        rate_window: float = 60.0,
        retry_after: float | None = 60.0,
        state_file: str | Path | None = None,
        openapi_dir: str | Path | None = None,
        validate_requests: bool = True,
        latency: float = 0.0,
        jitter: float = 0.0,
        duplicate_slugs: str = "refuse",
        list_filters: bool = True,
    ):
        if duplicate_slugs not in DUPLICATE_SLUG_MODES:
            raise ValueError(f"duplicate_slugs must be one of {', '.join(DUPLICATE_SLUG_MODES)}")
        if latency < 0 or jitter < 0:
            raise ValueError("latency and jitter must not be negative")
        self.latency, self.jitter, self.duplicate_slugs = latency, jitter, duplicate_slugs
        self.list_filters = list_filters
        self.token = token or "wf-sandbox-" + secrets.token_hex(16)
        self.rate = RateLimiter(rate_limit, rate_window, retry_after)
        self.state = SandboxState(state_file)
        self.faults = FaultPlan()
        self.requests: list[dict] = []
        self._requests_lock = threading.Lock()
        # Webflow API requests being answered right now, and the most there ever were at once: a client that
        # claims to keep several requests in flight can be held to it.
        self.in_progress = self.peak_in_progress = 0
        self.openapi_dir = Path(openapi_dir) if openapi_dir else None
        self.validate_requests = validate_requests
        self._spec: dict | None = None
        self._request_schemas: dict[tuple[str, str], dict | None] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- configuration -----------------------------------------------------------------------------------

    def set_rate_limit(self, limit: int, *, window: float | None = None, retry_after: float | None = None) -> None:
        self.rate = RateLimiter(limit, window if window is not None else self.rate.window,
                                retry_after if retry_after is not None else self.rate.retry_after)

    def add_site(self, site_id: str, *, locales: list[dict] | None = None, name: str = "Sandbox site",
                 localized: bool = True) -> dict:
        """Add a site. `locales`: [{"tag", "cmsLocaleId", "primary"?, "displayName"?, "id"?}], first = primary
        unless one says primary. localized=False answers without `locales`, as a site without localization."""
        locales = list(locales or [{"tag": "en-US", "cmsLocaleId": new_id(), "primary": True}])
        primary = next((loc for loc in locales if loc.get("primary")), locales[0])
        as_json = [
            {
                "id": loc.get("id") or new_id(), "cmsLocaleId": loc["cmsLocaleId"],
                "enabled": loc.get("enabled", True), "displayName": loc.get("displayName") or loc["tag"],
                "displayImageId": None, "redirect": True,
                "subdirectory": "" if loc is primary else loc.get("subdirectory", loc["tag"].lower()),
                "tag": loc["tag"],
            }
            for loc in locales
        ]
        site = {
            "id": site_id, "workspaceId": new_id(), "displayName": name,
            "shortName": re.sub(r"\W+", "-", name.lower()).strip("-"),
            "previewUrl": "", "timeZone": "UTC", "createdOn": now_iso(), "lastUpdated": now_iso(),
            "lastPublished": None, "parentFolderId": None, "customDomains": [],
            "_defaultLocaleId": primary["cmsLocaleId"],
        }
        if localized:
            site["locales"] = {
                "primary": as_json[locales.index(primary)],
                "secondary": [entry for index, entry in enumerate(as_json) if locales[index] is not primary],
            }
        with self.state.lock:
            self.state.sites[site_id] = site
            self.state.save()
        return site

    def add_collection(self, site_id: str, collection_id: str, *, fields: list[dict], name: str = "Blog Posts",
                       slug: str = "blog-posts") -> dict:
        with self.state.lock:
            if site_id not in self.state.sites:
                raise KeyError(f"add_site({site_id!r}) first")
            self.state.collections[collection_id] = {
                "id": collection_id, "displayName": name, "singularName": name.rstrip("s"), "slug": slug,
                "createdOn": now_iso(), "lastUpdated": now_iso(), "fields": [dict(f) for f in fields],
                "_siteId": site_id,
            }
            self.state.items.setdefault(collection_id, {})
            self.state.live.setdefault(collection_id, {})
            self.state.save()
            return self.state.collections[collection_id]

    def load_config(self, config: dict) -> None:
        """Sites and collections from {"sites": [{"id", "name"?, "locales"?, "localized"?}],
        "collections": [{"siteId", "id", "fields", "name"?, "slug"?}]} (the --config file's shape)."""
        for site in config.get("sites") or []:
            self.add_site(site["id"], locales=site.get("locales"), name=site.get("name", "Sandbox site"),
                          localized=site.get("localized", True))
        for collection in config.get("collections") or []:
            self.add_collection(collection["siteId"], collection["id"], fields=collection["fields"],
                                name=collection.get("name", "Blog Posts"), slug=collection.get("slug", "blog-posts"))

    def seed_from_models(self, site, collections=None) -> None:
        """Mirror our Site (with its LocaleMappings) and Collections (with fields_schema) into the sandbox."""
        locales = [
            {"tag": loc.tag, "cmsLocaleId": loc.cms_locale_id, "primary": loc.is_primary,
             "displayName": loc.display_name or loc.tag}
            for loc in site.locales.order_by("-is_primary", "tag")
        ]
        self.add_site(site.webflow_id, locales=locales or None, name=site.name)
        for collection in collections if collections is not None else site.collections.all():
            self.add_collection(site.webflow_id, collection.webflow_id, fields=collection.fields_schema,
                                name=collection.name, slug=collection.slug or "items")

    # --- inspection ----------------------------------------------------------------------------------------

    def items(self, collection_id: str, *, live: bool = False) -> list[dict]:
        """Every stored variant: dicts with id, cmsLocaleId, fieldData, isDraft, isArchived, lastPublished..."""
        store = self.state.live if live else self.state.items
        with self.state.lock:
            return [json.loads(json.dumps(variant))
                    for variants in store.get(collection_id, {}).values() for variant in variants.values()]

    def clear_items(self, collection_id: str) -> None:
        """Forget every item of a collection (staged and live): the benchmark re-sends the same bodies."""
        with self.state.lock:
            self.state.items[collection_id], self.state.live[collection_id] = {}, {}
            self.state.slug_owners = {key: owner for key, owner in self.state.slug_owners.items()
                                      if key[0] != collection_id}

    def requests_to(self, path_regex: str, method: str | None = None) -> list[dict]:
        with self._requests_lock:
            return [r for r in self.requests if re.search(path_regex, r["path"])
                    and (method is None or r["method"] == method.upper())]

    def reset_requests(self) -> None:
        with self._requests_lock:
            self.requests.clear()
            self.peak_in_progress = self.in_progress

    def answer_started(self) -> None:
        with self._requests_lock:
            self.in_progress += 1
            self.peak_in_progress = max(self.peak_in_progress, self.in_progress)

    def answer_finished(self) -> None:
        with self._requests_lock:
            self.in_progress -= 1

    # --- lifecycle -----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> WebflowSandbox:
        self._server = _Server((host, port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webflow-sandbox", daemon=True)
        self._thread.start()
        return self

    def bind(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        """Listen (raises OSError if the port is taken) without serving yet; serve_bound() then serves."""
        self._server = _Server((host, port), _Handler, self)

    def serve_bound(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.bind(host, port)
        self.serve_bound()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def set_latency(self, latency: float, jitter: float = 0.0) -> None:
        if latency < 0 or jitter < 0:
            raise ValueError("latency and jitter must not be negative")
        self.latency, self.jitter = latency, jitter

    def wait_latency(self) -> None:
        """Sleep like Webflow's processing time: `latency` ± up to `jitter` seconds (never below zero)."""
        if self.latency or self.jitter:
            time.sleep(max(0.0, self.latency + random.uniform(-self.jitter, self.jitter)))

    def spec(self) -> dict | None:
        if self._spec is None and self.openapi_dir is not None and self.validate_requests:
            try:
                self._spec = openapi.load_spec(self.openapi_dir / "v2.yml")
            except openapi.SpecNotFound as exc:
                logger.warning("%s; request bodies are checked against collection fields only.", exc)
                self.validate_requests = False
        return self._spec

    # --- request handling (called by the handler thread) -----------------------------------------------

    def log_request(self, entry: dict) -> None:
        with self._requests_lock:
            self.requests.append(entry)

    def dispatch(self, method: str, path: str, query: dict, body):
        """(status, payload) for one authorised, rate-checked request; raises ApiError."""
        for route_method, pattern, name, template in _COMPILED:
            match = pattern.match(path)
            if match and route_method == method:
                if body is not None or method in ("POST", "PATCH"):
                    self._check_against_spec(method, template, body)
                return getattr(self, "_op_" + name)(query=query, body=body, **match.groupdict())
        raise ApiError(404, "resource_not_found", f"Route not found: {method} {path}")

    def _check_against_spec(self, method: str, template: str, body) -> None:
        if method in ("POST", "PATCH") and not isinstance(body, dict):
            raise validation_error([{"param": "body", "description": "Request body must be a JSON object"}])
        spec = self.spec()
        if spec is None:
            return
        if (method, template) not in self._request_schemas:
            self._request_schemas[(method, template)] = openapi.request_schema(spec, method, template)
        errors = openapi.schema_errors(self._request_schemas[(method, template)], body)
        if errors:
            raise validation_error(_schema_details(errors))

    # --- operations ----------------------------------------------------------------------------------------

    def _collection(self, cid: str) -> dict:
        collection = self.state.collections.get(cid)
        if collection is None:
            raise ApiError(404, "resource_not_found", f"Collection not found: {cid}")
        return collection

    def _public(self, data: dict) -> dict:
        return {key: value for key, value in data.items() if not key.startswith("_")}

    def _op_get_site(self, *, site_id, query, body):
        with self.state.lock:
            site = self.state.sites.get(site_id)
            if site is None:
                raise ApiError(404, "resource_not_found", f"Site not found: {site_id}")
            return 200, self._public(site)

    def _op_get_collection(self, *, cid, query, body):
        with self.state.lock:
            return 200, self._public(self._collection(cid))

    def _validate_field_data(self, collection: dict, field_data, *, prefix: str, partial: bool) -> list[dict]:
        details = []
        if not isinstance(field_data, dict):
            return [{"param": prefix, "description": "fieldData must be an object"}]
        fields = {f["slug"]: f for f in collection["fields"]}
        for slug in field_data:
            if slug not in fields and slug not in ("name", "slug"):
                details.append({"param": f"{prefix}.{slug}",
                                "description": f"Field not described in schema: '{slug}'"})
        if not partial:
            for slug in ("name", "slug"):
                if not field_data.get(slug):
                    details.append({"param": f"{prefix}.{slug}", "description": "Field is required"})
            for slug, spec in fields.items():
                if spec.get("isRequired") and slug not in ("name", "slug") and field_data.get(slug) in (None, ""):
                    details.append({"param": f"{prefix}.{slug}",
                                    "description": f"Field '{slug}' is required"})
        for slug, value in field_data.items():
            spec = fields.get(slug)
            if spec is None or value is None:
                continue
            problem = _field_problem(spec, value) or self._reference_problem(spec, value)
            if problem:
                details.append({"param": f"{prefix}.{slug}", "description": problem})
        if "slug" in field_data and isinstance(field_data["slug"], str) and field_data["slug"] and not re.fullmatch(
            r"[a-z0-9]+(?:[-_][a-z0-9]+)*", field_data["slug"]
        ):
            details.append({"param": f"{prefix}.slug",
                            "description": "Slug must contain only lowercase letters, numbers and dashes"})
        return details

    def _reference_problem(self, spec: dict, value) -> str | None:
        """A Reference / MultiReference value names items (objectid) of the collection in its validations."""
        if spec.get("type") not in ("Reference", "MultiReference"):
            return None
        target = (spec.get("validations") or {}).get("collectionId")
        with self.state.lock:
            known = self.state.items.get(target) if target else None
            for item_id in [value] if spec["type"] == "Reference" else value:
                if not re.fullmatch(r"[0-9a-f]{24}", item_id):
                    return f"Value for '{spec['slug']}' is not an item id: '{item_id}'"
                if known is not None and item_id not in known:
                    return f"Referenced item not found in collection {target}: '{item_id}'"
        return None

    def _slug_for_create(self, cid: str, locales: list[str], slug: str, seen: set) -> str:
        """The slug a create stores: `slug` if free in every locale (and not earlier in the same request), else
        a 400 or, in "suffix" mode, `slug-` plus five hex digits (adds the result to `seen`; caller holds lock)."""
        def taken(candidate):
            return any((locale, candidate) in seen or self.state.slug_owner(cid, locale, candidate)
                       for locale in locales)

        candidate = slug
        while taken(candidate):
            if self.duplicate_slugs == "refuse":
                raise self._duplicate_slug(slug)
            candidate = f"{slug}-{secrets.token_hex(3)[:5]}"
        seen.update((locale, candidate) for locale in locales)
        return candidate

    def _duplicate_slug(self, slug: str) -> ApiError:
        return validation_error([{"param": "slug", "description": f"Unique value is already in database: '{slug}'"}])

    def _new_variant(self, item_id: str, locale: str, field_data: dict, *, is_draft: bool, is_archived: bool,
                     published: bool = False) -> dict:
        stamp = now_iso()
        return {
            "id": item_id, "cmsLocaleId": locale, "lastPublished": stamp if published else None,
            "lastUpdated": stamp, "createdOn": stamp, "isArchived": bool(is_archived), "isDraft": bool(is_draft),
            "fieldData": dict(field_data),
        }

    def _op_create_bulk(self, *, cid, query, body):
        with self.state.lock:
            collection = self._collection(cid)
            primary, site_locales = self.state.site_locales(collection["_siteId"])
            locales = list(body.get("cmsLocaleIds") or [primary])
            unknown = [loc for loc in locales if loc not in site_locales]
            if unknown:
                raise validation_error([{"param": "cmsLocaleIds",
                                         "description": f"Unknown cmsLocaleId: {', '.join(unknown)}"}])
            entries = body["fieldData"] if isinstance(body["fieldData"], list) else [body["fieldData"]]
            if not entries:
                raise validation_error([{"param": "fieldData", "description": "At least one item is required"}])
            if len(entries) * len(set(locales)) > MAX_VARIANTS_PER_REQUEST:
                raise validation_error([{"param": "fieldData", "description": (
                    f"Too many items: {len(entries)} items x {len(set(locales))} locales = "
                    f"{len(entries) * len(set(locales))} exceeds the limit of {MAX_VARIANTS_PER_REQUEST}")}])
            details = []
            for index, entry in enumerate(entries):
                prefix = f"fieldData[{index}]" if isinstance(body["fieldData"], list) else "fieldData"
                details += self._validate_field_data(collection, entry, prefix=prefix, partial=False)
            if details:
                raise validation_error(details)
            seen: set = set()
            entries = [dict(entry, slug=self._slug_for_create(cid, locales, entry["slug"], seen))
                       for entry in entries]
            created = []
            for entry in entries:
                item_id = new_id()
                for locale in dict.fromkeys(locales):
                    variant = self._new_variant(item_id, locale, entry, is_draft=body.get("isDraft", True),
                                                is_archived=body.get("isArchived", False))
                    self.state.put_variant(cid, item_id, locale, variant)
                    created.append(variant)
            self.state.save()
            return 202, {"items": [json.loads(json.dumps(v)) for v in created]}

    def _create_single(self, cid: str, collection: dict, entry: dict, *, live: bool, prefix: str) -> list:
        primary, site_locales = self.state.site_locales(collection["_siteId"])
        locale = entry.get("cmsLocaleId") or primary
        if locale not in site_locales:
            return [{"param": f"{prefix}cmsLocaleId", "description": f"Unknown cmsLocaleId: {locale}"}]
        return self._validate_field_data(collection, entry.get("fieldData"), prefix=prefix + "fieldData",
                                         partial=False)

    def _create_items(self, cid: str, body: dict, *, live: bool):
        with self.state.lock:
            collection = self._collection(cid)
            primary, _ = self.state.site_locales(collection["_siteId"])
            many = isinstance(body.get("items"), list)
            entries = body["items"] if many else [body]
            if len(entries) > MAX_VARIANTS_PER_REQUEST:
                raise validation_error([{"param": "items", "description": "At most 100 items per request"}])
            details = []
            for index, entry in enumerate(entries):
                details += self._create_single(cid, collection, entry, live=live,
                                               prefix=f"items[{index}]." if many else "")
            if details:
                raise validation_error(details)
            seen: set = set()
            entries = [dict(entry, fieldData=dict(entry["fieldData"], slug=self._slug_for_create(
                cid, [entry.get("cmsLocaleId") or primary], entry["fieldData"]["slug"], seen))) for entry in entries]
            created = []
            for entry in entries:
                item_id, locale = new_id(), entry.get("cmsLocaleId") or primary
                variant = self._new_variant(item_id, locale, entry["fieldData"],
                                            is_draft=False if live else entry.get("isDraft", True),
                                            is_archived=entry.get("isArchived", False), published=live)
                self.state.put_variant(cid, item_id, locale, variant)
                if live:
                    self.state.live[cid][item_id] = {locale: json.loads(json.dumps(variant))}
                created.append(variant)
            self.state.save()
            created = [json.loads(json.dumps(v)) for v in created]
            return 202, ({"items": created} if many else created[0])

    def _op_create_items(self, *, cid, query, body):
        return self._create_items(cid, body, live=False)

    def _op_create_live(self, *, cid, query, body):
        return self._create_items(cid, body, live=True)

    def _update(self, cid: str, body: dict, *, live: bool):
        with self.state.lock:
            collection = self._collection(cid)
            primary, site_locales = self.state.site_locales(collection["_siteId"])
            entries = body.get("items") or []
            if len(entries) > MAX_VARIANTS_PER_REQUEST:
                raise validation_error([{"param": "items", "description": "At most 100 items per request"}])
            details = []
            for index, entry in enumerate(entries):
                locale = entry.get("cmsLocaleId") or primary
                if locale not in site_locales:
                    details.append({"param": f"items[{index}].cmsLocaleId",
                                    "description": f"Unknown cmsLocaleId: {locale}"})
                details += self._validate_field_data(collection, entry.get("fieldData") or {},
                                                     prefix=f"items[{index}].fieldData", partial=True)
            if details:
                raise validation_error(details)
            for entry in entries:
                locale = entry.get("cmsLocaleId") or primary
                # Webflow answers 404 for an item, or an item's locale variant, it does not hold.
                if entry["id"] not in self.state.items[cid]:
                    raise ApiError(404, "resource_not_found", f"Item not found: {entry['id']}")
                if locale not in self.state.items[cid][entry["id"]]:
                    raise ApiError(404, "resource_not_found", f"Item {entry['id']} not found in locale {locale}")
                if live and not (self.state.items[cid][entry["id"]].get(locale) or {}).get("lastPublished"):
                    raise ApiError(409, "conflict",
                                   "Live PATCH updates can't be applied to items that have never been published")
                slug = (entry.get("fieldData") or {}).get("slug")
                owner = self.state.slug_owner(cid, locale, slug) if slug else None
                if owner and owner != entry["id"]:
                    raise self._duplicate_slug(slug)
            updated = []
            stamp = now_iso()
            for entry in entries:
                variants = self.state.items[cid][entry["id"]]
                locale = entry.get("cmsLocaleId") or primary
                variant = json.loads(json.dumps(variants[locale]))
                variant["fieldData"].update(entry.get("fieldData") or {})
                for flag in ("isDraft", "isArchived"):
                    if flag in entry:
                        variant[flag] = bool(entry[flag])
                variant["lastUpdated"] = stamp
                if live:
                    variant["lastPublished"] = stamp
                    self.state.live[cid].setdefault(entry["id"], {})[locale] = json.loads(json.dumps(variant))
                self.state.put_variant(cid, entry["id"], locale, variant)
                updated.append(json.loads(json.dumps(variant)))
            self.state.save()
            return 200, {"items": updated}

    def _op_update_staged(self, *, cid, query, body):
        return self._update(cid, body, live=False)

    def _op_update_live(self, *, cid, query, body):
        return self._update(cid, body, live=True)

    def _op_publish(self, *, cid, query, body):
        with self.state.lock:
            collection = self._collection(cid)
            primary, _ = self.state.site_locales(collection["_siteId"])
            if "items" in body:
                requested = [(entry["id"], list(entry.get("cmsLocaleIds") or [primary])) for entry in body["items"]]
            else:
                requested = [(item_id, [primary]) for item_id in body.get("itemIds") or []]
            published, errors, stamp = [], [], now_iso()
            for item_id, locales in requested:
                variants = self.state.items[cid].get(item_id)
                if variants is None:
                    errors.append(f"Staging item ID {item_id} not found.")
                    continue
                done = False
                for locale in locales:
                    variant = variants.get(locale)
                    if variant is None:
                        errors.append(f"Staging item ID {item_id} not found in locale {locale}.")
                        continue
                    variant.update(isDraft=False, lastPublished=stamp, lastUpdated=stamp)
                    self.state.live[cid].setdefault(item_id, {})[locale] = json.loads(json.dumps(variant))
                    done = True
                if done:
                    published.append(item_id)
            self.state.save()
            return 202, {"publishedItemIds": published, "errors": errors}

    def _list(self, cid: str, query: dict, *, live: bool):
        with self.state.lock:
            collection = self._collection(cid)
            primary, _ = self.state.site_locales(collection["_siteId"])
            locales = [loc for value in query.get("cmsLocaleId", []) for loc in value.split(",") if loc] or [primary]
            slug = (query.get("slug") or [None])[0]
            store = self.state.live if live else self.state.items
            candidates = store[cid].values()
            if slug is not None and not live:
                # The slug index answers a lookup by slug (the reconcile path) without scanning the collection.
                owners = {self.state.slug_owner(cid, locale, slug) for locale in locales} - {None}
                candidates = [store[cid][item_id] for item_id in owners]
            in_locales = [variant for variants in candidates for locale, variant in variants.items()
                          if locale in locales]
            in_locales.sort(key=lambda v: (v["createdOn"], v["id"], locales.index(v["cmsLocaleId"])))
            if not self.list_filters:
                query = listing.without_filters(query)
            try:
                page, offset, limit, total = listing.select(in_locales, query)
            except listing.BadQuery as exc:
                raise validation_error([{"param": exc.param, "description": exc.description}]) from exc
            page = [json.loads(json.dumps(v)) for v in page]
            return 200, {"items": page, "pagination": {"limit": limit, "offset": offset, "total": total}}

    def _op_list_items(self, *, cid, query, body):
        return self._list(cid, query, live=False)

    def _op_list_items_live(self, *, cid, query, body):
        return self._list(cid, query, live=True)

    def _get_item(self, cid, item_id, query, *, live):
        with self.state.lock:
            collection = self._collection(cid)
            primary, _ = self.state.site_locales(collection["_siteId"])
            locale = (query.get("cmsLocaleId") or [primary])[0]
            store = self.state.live if live else self.state.items
            variant = store[cid].get(item_id, {}).get(locale)
            if variant is None:
                raise ApiError(404, "resource_not_found", f"Item not found: {item_id}")
            return 200, json.loads(json.dumps(variant))

    def _op_get_item(self, *, cid, item_id, query, body):
        return self._get_item(cid, item_id, query, live=False)

    def _op_get_item_live(self, *, cid, item_id, query, body):
        return self._get_item(cid, item_id, query, live=True)


def _field_problem(spec: dict, value) -> str | None:
    kind, validations = spec.get("type"), spec.get("validations") or {}
    if kind in ("PlainText", "RichText", "Email", "Phone", "Link", "VideoLink", "Color"):
        if not isinstance(value, str):
            return f"Value for '{spec['slug']}' must be a string"
        max_length = validations.get("maxLength")
        if kind == "PlainText" and max_length and len(value) > max_length:
            return f"Value for '{spec['slug']}' is longer than {max_length} characters"
    elif kind == "Number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"Value for '{spec['slug']}' must be a number"
        if validations.get("format") == "integer" and float(value) != int(value):
            return f"Value for '{spec['slug']}' must be an integer"
        if validations.get("allowNegative") is False and value < 0:
            return f"Value for '{spec['slug']}' must not be negative"
        if validations.get("allowZero") is False and value == 0:
            return f"Value for '{spec['slug']}' must not be zero"
    elif kind == "Switch":
        if not isinstance(value, bool):
            return f"Value for '{spec['slug']}' must be true or false"
    elif kind == "Option":
        option_ids = {option.get("id") for option in validations.get("options") or []}
        if value not in option_ids:
            return f"Value for '{spec['slug']}' is not one of the option ids"
    elif kind == "DateTime" and not isinstance(value, str):
        return f"Value for '{spec['slug']}' must be an ISO 8601 date"
    elif kind in ("Image", "File") and not _is_file_value(value):
        return f"Value for '{spec['slug']}' must be a file URL or an object with url or fileId"
    elif kind == "MultiImage" and not (isinstance(value, list) and all(map(_is_file_value, value))):
        return f"Value for '{spec['slug']}' must be a list of file URLs or objects with url or fileId"
    elif kind == "Reference" and not isinstance(value, str):
        return f"Value for '{spec['slug']}' must be an item id"
    elif kind == "MultiReference" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return f"Value for '{spec['slug']}' must be a list of item ids"
    return None


def _is_file_value(value) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and bool(value.get("url") or value.get("fileId")))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, sandbox: WebflowSandbox):
        self.sandbox = sandbox
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WebflowSandbox/1.0"
    # Without TCP_NODELAY a small answer waits for the client's delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        logger.debug("sandbox: " + format, *args)

    def do_GET(self):  # noqa: N802
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")

    def do_PATCH(self):  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self):  # noqa: N802
        self._handle("DELETE")

    def _send(self, status: int, payload=None, *, headers: dict | None = None, raw: bytes | None = None,
              content_type: str = "application/json", declared_length: int | None = None):
        data = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(declared_length if declared_length is not None else len(data)))
        self.send_header("x-request-id", secrets.token_hex(8))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        # Headers and body leave in one write (one segment), so no answer is split around a delayed ACK.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _drop(self):
        """Close without an answer; an RST makes the client see a reset connection at once."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self, method: str):
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        entry = {"method": method, "path": path, "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
                 "body": None, "status": None, "fault": None, "time": time.time(),
                 "user_agent": self.headers.get("User-Agent", ""), "content_type": self.headers.get("Content-Type")}
        try:
            entry["body"] = json.loads(raw_body) if raw_body else None
        except ValueError:
            entry["body"] = raw_body.decode("utf-8", "replace")
        if path.startswith("/__sandbox__/") or (path == "/" and method == "GET"):
            # Looking at the sandbox is not talking to Webflow: kept out of the request log.
            self._inspect(path, entry)
            return
        sandbox.log_request(entry)
        sandbox.answer_started()
        try:
            self._answer(method, path, query, raw_body, entry)
        finally:
            sandbox.answer_finished()

    def _answer(self, method, path, query, raw_body, entry):
        status, payload, headers = self._process(method, path, query, raw_body, entry)
        if status is None:
            return
        entry["status"], entry["response"] = status, payload
        fault = entry.pop("_write_fault", None)
        if fault is not None and 200 <= status < 300:
            entry["fault"] = fault.kind
            self._write_fault(fault, status, payload, headers)
            return
        self._send(status, payload, headers=headers)

    def _process(self, method, path, query, raw_body, entry):
        sandbox = self.server.sandbox
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {sandbox.token}":
            return 401, {"code": "not_authorized", "message": "Request not authorized", "externalReference": None,
                         "details": []}, {}
        allowed, remaining, wait = sandbox.rate.check(sandbox.token)
        headers = {"X-RateLimit-Limit": sandbox.rate.limit, "X-RateLimit-Remaining": remaining}
        if not allowed:
            retry_after = sandbox.rate.retry_after if sandbox.rate.retry_after is not None else max(1, round(wait))
            headers["Retry-After"] = _seconds(retry_after)
            return 429, {"code": "too_many_requests", "message": "Too many requests", "externalReference": None,
                         "details": []}, headers
        fault = sandbox.faults.take(method, path)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "drop_before":
                entry["status"] = "dropped"
                self._drop()
                return None, None, None
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "429":
                headers["Retry-After"] = _seconds(fault.retry_after if fault.retry_after is not None
                                                  else sandbox.rate.retry_after or 60)
                headers["X-RateLimit-Remaining"] = 0
                return 429, {"code": "too_many_requests", "message": "Too many requests",
                             "externalReference": None, "details": []}, headers
            elif fault.kind in ("500", "502", "503"):
                status = int(fault.kind)
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.retry_after is not None:
                    headers["Retry-After"] = _seconds(fault.retry_after)
                if not fault.json_body:
                    entry["status"], entry["response"] = status, "<html>"
                    self._send(status, raw=f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode(),
                               content_type="text/html", headers=headers)
                    return None, None, None
                return status, _server_error(status), headers
            elif fault.kind == "late_commit":
                # The client's read timeout passes first; the write lands afterwards and nobody hears of it.
                time.sleep(fault.delay or 5.0)
                entry["_write_fault"] = fault
            elif fault.kind in WRITE_FAULTS:
                entry["_write_fault"] = fault
            elif fault.kind in UNUSABLE_2XX:
                return 200, json.loads(json.dumps(UNUSABLE_2XX[fault.kind])), headers
        sandbox.wait_latency()
        if isinstance(entry["body"], str):
            return 400, {"code": "bad_request", "message": "Request body is not valid JSON",
                         "externalReference": None, "details": []}, headers
        try:
            status, payload = sandbox.dispatch(method, path, query, entry["body"])
        except ApiError as exc:
            entry["error_code"] = exc.code
            return exc.status, exc.body(), headers
        except Exception as exc:  # a sandbox bug must look like Webflow's 500, and be visible in the log
            logger.exception("sandbox failure on %s %s", method, path)
            return 500, {"code": "internal_error", "message": f"Sandbox error: {exc}", "externalReference": None,
                         "details": []}, headers
        return status, payload, headers

    def _write_fault(self, fault: Fault, status: int, payload, headers: dict):
        if fault.kind in ("drop_after_commit", "late_commit"):
            self._drop()
        elif fault.kind == "500_after_commit":
            self._send(500, _server_error(500), headers=headers)
        elif fault.kind in UNUSABLE_KINDS:
            self._send(status, unusable_body(fault.kind, payload), headers=headers)
        elif fault.kind == "timeout_after_commit":
            time.sleep(fault.delay or 5.0)
            self._drop()
        elif fault.kind == "malformed":
            self._send(status, raw=json.dumps(payload).encode()[:40] + b"<html>", headers=headers)
        elif fault.kind == "truncated":
            data = json.dumps(payload).encode()
            self._send(status, raw=data[: max(1, len(data) // 2)], headers=headers, declared_length=len(data))
            self._drop()

    def _inspect(self, path: str, entry: dict):
        sandbox = self.server.sandbox
        entry["status"] = 200
        if path == "/":
            self._send(200, raw=page.render(sandbox), content_type="text/html; charset=utf-8")
        elif path == "/__sandbox__/state":
            with sandbox.state.lock:
                data = {"sites": sandbox.state.sites, "collections": sandbox.state.collections,
                        "items": sandbox.state.items, "live": sandbox.state.live}
                self._send(200, json.loads(json.dumps(data)))
        elif path == "/__sandbox__/requests":
            with sandbox._requests_lock:
                data = [{k: v for k, v in r.items() if not k.startswith("_")} for r in sandbox.requests]
            self._send(200, json.loads(json.dumps(data, default=str)))
        else:
            entry["status"] = 404
            self._send(404, {"code": "resource_not_found", "message": "unknown sandbox endpoint"})


def _server_error(status: int) -> dict:
    return {"code": "service_unavailable" if status == 503 else "internal_error",
            "message": "An internal error occurred", "externalReference": None, "details": []}


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
