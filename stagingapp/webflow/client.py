"""The Webflow CMS client: typed errors, shared rate limiting, and no blind retry of a write.

Build one with `get_client()` (settings read at call time) or `WebflowClient(base_url=..., token=...)`.

Methods (every one raises a `WebflowError` subclass from errors.py on failure):

- `get_site(site_id) -> dict`                      GET /v2/sites/{id} (locales)
- `get_collection(collection_id) -> dict`          GET /v2/collections/{id} (fields)
- `list_items(collection_id, *, slug=None, cms_locale_ids=None, offset=0, limit=100, live=False) -> ItemPage`
- `iter_items(collection_id, *, slug=None, cms_locale_ids=None, live=False) -> Iterator[ItemVariant]` (all pages)
- `get_item(collection_id, item_id, *, cms_locale_id=None, live=False) -> ItemVariant`
- `create_items_bulk(collection_id, *, field_data, cms_locale_ids, is_draft, is_archived) -> list[ItemVariant]`
  POST /v2 (or /beta with use_beta_bulk) /collections/{id}/items/bulk; one variant per item per locale.
- `create_items_live(collection_id, *, items) -> list[ItemVariant]`     POST .../items/live
- `update_items(collection_id, *, items, live=False) -> list[ItemVariant]` PATCH .../items or .../items/live
- `begin_create_items_bulk`, `begin_create_items_live`, `begin_update_items` -> Flight: the same request sent
  once without waiting for its answer (on `executor`, several at a time); `Flight.result()` gives the answer.
- `publish_items(collection_id, *, items) -> PublishResult`             POST .../items/publish (errors kept)
- `remove_items(collection_id, *, items, live=False) -> None`            DELETE .../items or .../items/live

Retries: GETs are retried after transport errors, 5xx and garbled bodies (`max_retries`); every request is
re-sent after a 429 (nothing was written) once Retry-After has passed, up to `max_rate_limit_retries`. A POST
or PATCH that times out, loses its connection or gets a 5xx is never re-sent here: the error's
`outcome_unknown` tells the caller to reconcile (list by slug) before deciding.

Call it outside transaction.atomic(): the shared database limiter commits one row update per request, and
inside an outer transaction that row stays locked (serialising every worker) until the caller commits.

`observer`, when given, is called once per HTTP attempt with an `Exchange` record (method, path, status or None,
duration_ms, attempt, request_excerpt, response_excerpt, error_code, error, rate_limit_remaining, request_id);
excerpts are redacted and truncated. An observer that raises is logged and ignored.
"""
from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

from . import storable
from .errors import (
    WebflowAPIError,
    WebflowBadResponse,
    WebflowConnectionError,
    WebflowError,
    WebflowNotConfigured,
    WebflowRateLimited,
    WebflowTimeout,
    WebflowTransportError,
    error_for,
)
from .redaction import redact, redact_head
from .transport import USER_AGENT, process_session

logger = logging.getLogger(__name__)

MAX_ITEMS_PER_REQUEST = 100
EXCERPT_LIMIT = 2000


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt, as handed to the observer (nothing in it holds the token)."""

    method: str
    path: str
    status: int | None
    duration_ms: int
    attempt: int
    request_excerpt: str = ""
    response_excerpt: str = ""
    error_code: str = ""
    error: str = ""
    rate_limit_remaining: int | None = None
    request_id: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ItemVariant:
    """One item in one locale, as Webflow returned it (variants of one item share `id`)."""

    id: str
    cms_locale_id: str | None
    slug: str | None
    name: str | None
    field_data: dict
    is_draft: bool | None
    is_archived: bool | None
    created_on: str | None
    last_updated: str | None
    last_published: str | None
    raw: dict = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: dict, *, cms_locale_id: str | None = None) -> ItemVariant:
        field_data = data.get("fieldData") if isinstance(data.get("fieldData"), dict) else {}
        return cls(
            id=str(data.get("id") or ""),
            cms_locale_id=data.get("cmsLocaleId") or cms_locale_id,
            slug=field_data.get("slug"),
            name=field_data.get("name"),
            field_data=field_data,
            is_draft=data.get("isDraft"),
            is_archived=data.get("isArchived"),
            created_on=data.get("createdOn"),
            last_updated=data.get("lastUpdated"),
            last_published=data.get("lastPublished"),
            raw=data,
        )


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemVariant]
    offset: int
    limit: int
    total: int


@dataclass(frozen=True)
class PublishResult:
    """The 202 of POST .../items/publish: what was published and the per-item errors Webflow put inside it."""

    published_item_ids: list[str]
    errors: list[str]


def iso_instant(moment: datetime) -> str:
    """A timezone-aware instant as Webflow writes them: UTC, milliseconds, "Z"."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ids_by_slug(variants: list[ItemVariant]) -> dict[str, str]:
    """slug -> item id over the variants of a create (every locale of one item shares the id)."""
    return {variant.slug: variant.id for variant in variants if variant.slug and variant.id}


def parse_item_variants(payload, *, cms_locale_ids: list[str] | None = None) -> list[ItemVariant]:
    """Variants from any documented item-list answer.

    `{"items": [...]}` is read item by item; a stray top-level `id` beside `items` (a docs artifact) is ignored.
    A single item object is one variant, or one per `cmsLocaleIds` entry when the answer has the bulk schema's
    single-object shape.
    """
    if not isinstance(payload, dict):
        raise WebflowBadResponse(f"expected a JSON object with items, got {type(payload).__name__}",
                                 body_text=json.dumps(payload)[:EXCERPT_LIMIT])
    if isinstance(payload.get("items"), list):
        return [ItemVariant.from_json(entry) for entry in payload["items"] if isinstance(entry, dict)]
    if payload.get("id"):
        locales = payload.get("cmsLocaleIds") if isinstance(payload.get("cmsLocaleIds"), list) else None
        if locales and not payload.get("cmsLocaleId"):
            return [ItemVariant.from_json(payload, cms_locale_id=locale) for locale in locales]
        fallback = cms_locale_ids[0] if cms_locale_ids and len(cms_locale_ids) == 1 else None
        return [ItemVariant.from_json(payload, cms_locale_id=fallback)]
    raise WebflowBadResponse("the answer holds neither items nor an item id",
                             body_text=json.dumps(payload)[:EXCERPT_LIMIT])


@dataclass
class _Sending:
    """A dispatched request: what the observer needs, and its transport outcome (inline) or future."""

    method: str
    path: str
    body: object
    attempt: int
    reservation: object
    outcome: tuple | None = None
    future: object = None
    text: str | None = None  # the body as sent (JSON), None without one


def _json_text(body) -> str | None:
    """The JSON text of a request body, encoded once: the request sends it and its audit excerpt is cut from it
    (a 100-item body is tens of kB). None for no body, or for one that is not JSON (NaN, an object): requests
    then encodes it itself and fails as before."""
    if body is None:
        return None
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Call:
    """One endpoint call: the request and how its answer becomes the method's return value."""

    method: str
    path: str
    body: object = None
    params: dict | None = None
    parse: Callable = lambda payload: payload


class Flight:
    """A request sent once (no retry) whose answer is read later with result().

    The limiter slot is taken when the flight begins and the answer is concluded (limiter told, observer called,
    answer parsed) in result(), both on the thread that uses the client: only the HTTP exchange itself runs on
    the client's executor, so the limiter and the observer, which may use the database, stay on that thread.
    result() returns what the blocking method returns, or raises its typed error; it concludes once.
    """

    def __init__(self, client: WebflowClient, call: _Call, sending: _Sending):
        self._client, self._call, self._sending = client, call, sending
        self._concluded = False
        self._value = self._error = None

    def done(self) -> bool:
        """Whether the answer is here (result() will not wait)."""
        return self._concluded or self._sending.future is None or self._sending.future.done()

    def result(self):
        if not self._concluded:
            self._concluded = True
            try:
                _, payload, _ = self._client._conclude(self._sending)
                self._value = self._call.parse(payload)
            except WebflowError as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return self._value


def _excerpt(value, *secrets: str) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return redact_head(text, EXCERPT_LIMIT, *secrets)


def _int_header(headers, name: str) -> int | None:
    try:
        return int(headers.get(name))
    except (TypeError, ValueError):
        return None


class WebflowClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        session: requests.Session | None = None,
        limiter=None,
        timeouts: tuple[float, float] = (5.0, 60.0),
        use_beta_bulk: bool = False,
        observer: Callable[[Exchange], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        max_rate_limit_retries: int = 5,
        backoff_seconds: float = 0.5,
    ):
        if not base_url:
            raise WebflowNotConfigured("WEBFLOW_API_BASE_URL is empty.")
        if not token:
            raise WebflowNotConfigured("WEBFLOW_API_TOKEN is not set: put the site token in the environment.")
        base_url = base_url.rstrip("/")
        # Settings hold the host; tolerate a copied ".../v2" so paths below never double it.
        for suffix in ("/v2", "/beta"):
            if base_url.endswith(suffix):
                base_url = base_url[: -len(suffix)]
        self.base_url = base_url
        self._token = token
        self._session = session if session is not None else process_session()
        self._limiter = limiter
        self.timeouts = timeouts
        self.use_beta_bulk = use_beta_bulk
        self.observer = observer
        self._sleep = sleep
        self.max_retries = max_retries
        self.max_rate_limit_retries = max_rate_limit_retries
        self.backoff_seconds = backoff_seconds
        # A concurrent.futures executor: begin_* methods send on it so several requests can be on their way.
        self.executor = None
        # Called as send_hook(before_send) in place of `before_send` just before every request leaves (in the
        # limiter slot's transaction where the limiter has one): the push counts each request there, durably,
        # before Webflow can see it. It must run `before_send` when one is given.
        self.send_hook: Callable[[Callable[[], None] | None], None] | None = None

    def __repr__(self):
        return f"<WebflowClient {self.base_url} token=[REDACTED]>"

    def hold_limiter_answers(self) -> None:
        """Let the shared limiter fold each answer into its next change (the next request's slot) instead of a
        locked change of its own; whoever asks for this calls flush_limiter() before waiting or stopping."""
        if self._limiter is not None and hasattr(self._limiter, "hold_answers"):
            self._limiter.hold_answers = True

    def flush_limiter(self) -> None:
        """Hand the shared limiter the answers hold_limiter_answers kept back."""
        flush = getattr(self._limiter, "flush", None)
        if flush is not None:
            flush()

    def reserve_as(self, owner: str) -> None:
        """Tag this client's slots in the shared limiter with `owner` (a push run's worker label), so that the
        run taking over after this one died can hand them back (release_reservations)."""
        if self._limiter is not None and hasattr(self._limiter, "owner"):
            self._limiter.owner = owner

    def release_reservations(self, owner: str) -> int:
        """Count the slots a dead `owner` still held as answered now (see the limiter's release_owner)."""
        release = getattr(self._limiter, "release_owner", None)
        return release(owner) if release is not None else 0

    # --- transport ---------------------------------------------------------------------------------------

    def _headers(self, has_body: bool) -> dict:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _notify(self, exchange: Exchange) -> None:
        if self.observer is None:
            return
        try:
            self.observer(exchange)
        except Exception:  # an audit hiccup must not turn a successful write into a failure
            logger.exception("Webflow observer failed for %s %s", exchange.method, exchange.path)

    def _send_once(self, method: str, path: str, *, body, params, attempt: int):
        """One attempt. Returns (status, payload, headers) for 2xx; raises the typed error otherwise."""
        return self._conclude(self._dispatch(method, path, body=body, params=params, attempt=attempt))

    def _dispatch(self, method: str, path: str, *, body, params, attempt: int, before_send=None) -> _Sending:
        """Take a limiter slot (on the calling thread), run `before_send`, then send: on the executor when the
        client has one (the answer waits in a future), else right here."""
        if self.send_hook is not None:
            before_send = functools.partial(self.send_hook, before_send)
        if self._limiter is not None:
            reservation = self._limiter.acquire(then=before_send)  # (in the slot's transaction, if it has one)
        else:
            reservation = None
            if before_send is not None:
                before_send()
        sending = _Sending(method=method, path=path, body=body, attempt=attempt, reservation=reservation,
                           text=_json_text(body))
        if self.executor is None:
            sending.outcome = self._transmit(method, path, body=body, encoded=sending.text, params=params)
        else:
            sending.future = self.executor.submit(self._transmit, method, path, body=body, encoded=sending.text,
                                                  params=params)
        return sending

    def _transmit(self, method: str, path: str, *, body, encoded: str | None, params):
        """The HTTP exchange alone (no database, no limiter): (status, text, headers, typed error or None, ms).
        `encoded` is `body` as JSON text already (see _json_text)."""
        started = time.monotonic()
        content = {"data": encoded.encode()} if encoded is not None else {"json": body}
        status, text, headers, error = None, "", {}, None
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, headers=self._headers(body is not None),
                timeout=self.timeouts, allow_redirects=False,  # a redirected POST would silently become a GET
                **content,
            )
            status, headers = response.status_code, response.headers
            text = response.text
        except requests.exceptions.ConnectTimeout as exc:
            error = WebflowTimeout(f"connect timeout: {exc}", method=method, path=path, outcome_unknown=False)
        except requests.exceptions.ReadTimeout as exc:
            error = WebflowTimeout(f"no answer within {self.timeouts[1]} s: {exc}", method=method, path=path)
        except requests.exceptions.ChunkedEncodingError as exc:
            # The status line came, the body was cut off: Webflow acted on the request, the answer is lost.
            error = WebflowBadResponse(f"{method} {path}: truncated response body ({exc})", status=status)
        except requests.exceptions.ConnectionError as exc:
            error = WebflowConnectionError(str(exc), method=method, path=path, outcome_unknown=not _never_sent(exc))
        except requests.exceptions.RequestException as exc:
            error = WebflowTransportError(str(exc), method=method, path=path)
        return status, text, headers, error, int((time.monotonic() - started) * 1000)

    def _conclude(self, sending: _Sending):
        """Read the answer of a dispatched request on the calling thread: tell the limiter and the observer,
        then return (status, payload, headers) for 2xx or raise the typed error."""
        status, text, headers, error, duration_ms = sending.future.result() if sending.future else sending.outcome
        text = storable.without_nul(text) if text else text
        payload = None
        if error is None:
            if 300 <= status < 400:
                error = WebflowAPIError(
                    status=status, code="redirect", body_text=redact(text, self._token),
                    message=f"unexpected redirect to {headers.get('Location')!r}; check WEBFLOW_API_BASE_URL",
                )
            elif 200 <= status < 300:
                if text.strip():
                    try:
                        payload = storable.loads(text)
                    except ValueError:
                        error = WebflowBadResponse(status=status, body_text=redact(text, self._token))
            else:
                error = error_for(status=status, body_text=text, headers=headers, secrets=(self._token,))
        remaining = _int_header(headers, "X-RateLimit-Remaining")
        if self._limiter is not None:
            retry_after = error.retry_after if isinstance(error, WebflowRateLimited) else None
            try:
                self._limiter.record(sending.reservation, limit=_int_header(headers, "X-RateLimit-Limit"),
                                     remaining=remaining, retry_after=retry_after)
            except Exception:  # the limiter is advisory after the fact; the answer must still reach the caller
                logger.exception("Webflow rate limiter could not record an answer")
        self._notify(Exchange(
            method=sending.method, path=sending.path, status=status, duration_ms=duration_ms,
            attempt=sending.attempt,
            request_excerpt=_excerpt(sending.body if sending.text is None else sending.text, self._token),
            response_excerpt=_excerpt(text, self._token),
            error_code=getattr(error, "code", "") or "", error=type(error).__name__ if error else "",
            rate_limit_remaining=remaining,
            request_id=(headers.get("x-request-id") or "") if headers else "",
        ))
        if error is not None:
            raise error
        return status, payload, headers

    def _begin(self, call: _Call, before_send=None) -> Flight:
        """Send `call` once, without waiting for its answer (see Flight)."""
        return Flight(self, call, self._dispatch(call.method, call.path, body=call.body, params=call.params,
                                                 attempt=1, before_send=before_send))

    def _call(self, call: _Call):
        """Send `call` with the retry policy of _request and parse its answer."""
        return call.parse(self._request(call.method, call.path, body=call.body, params=call.params))

    def _request(self, method: str, path: str, *, body=None, params=None):
        """Send with the retry policy in the module docstring; returns the parsed JSON (None when empty)."""
        safe_to_repeat = method == "GET"
        attempt, failures, rate_limited = 0, 0, 0
        while True:
            attempt += 1
            try:
                _, payload, _ = self._send_once(method, path, body=body, params=params, attempt=attempt)
                return payload
            except WebflowRateLimited as exc:
                rate_limited += 1
                if rate_limited > self.max_rate_limit_retries:
                    raise
                logger.warning("Webflow rate limit hit on %s %s; waiting %.1f s", method, path, exc.retry_after)
                self._sleep(exc.retry_after)
            except WebflowError as exc:
                failures += 1
                # A GET whose answer came back garbled is as safe to repeat as one that never came back.
                repeatable = exc.retryable or isinstance(exc, WebflowBadResponse)
                if not (safe_to_repeat and repeatable) or failures > self.max_retries:
                    raise
                delay = self.backoff_seconds * (2 ** (failures - 1))
                logger.warning("Webflow %s %s failed (%s); retry %d in %.1f s", method, path,
                               type(exc).__name__, failures, delay)
                self._sleep(delay)

    # --- endpoints -----------------------------------------------------------------------------------------

    @staticmethod
    def _id(value: str) -> str:
        if not value:
            raise ValueError("a Webflow id is required")
        return quote(str(value), safe="")

    def _items_path(self, collection_id: str, suffix: str = "", *, beta: bool = False) -> str:
        return f"/{'beta' if beta else 'v2'}/collections/{self._id(collection_id)}/items{suffix}"

    def get_site(self, site_id: str) -> dict:
        """GET /v2/sites/{site_id} -> the site object (locales.primary / locales.secondary when localized).

        Raises WebflowAuthError, WebflowNotFound, WebflowTransportError...
        """
        return self._request("GET", f"/v2/sites/{self._id(site_id)}") or {}

    def get_collection(self, collection_id: str) -> dict:
        """GET /v2/collections/{collection_id} -> {id, displayName, slug, fields: [...]}."""
        return self._request("GET", f"/v2/collections/{self._id(collection_id)}") or {}

    def list_items(self, collection_id: str, *, slug: str | None = None, name: str | None = None,
                   cms_locale_ids: list[str] | None = None,
                   offset: int = 0, limit: int = MAX_ITEMS_PER_REQUEST, live: bool = False,
                   created_from: datetime | None = None, created_to: datetime | None = None,
                   sort_by: str | None = None, sort_order: str | None = None) -> ItemPage:
        """One page of GET .../items (or .../items/live), filtered by exact slug or name, locales (comma-joined) and
        creation time (`createdOn[gte]`/`createdOn[lte]`, inclusive), sorted by `sort_by` (a spec sort key).
        Webflow may ignore a filter: callers check what they get."""
        params = {"offset": offset, "limit": min(max(limit, 1), MAX_ITEMS_PER_REQUEST)}
        if slug:
            params["slug"] = slug
        if name:
            params["name"] = name
        if created_from:
            params["createdOn[gte]"] = iso_instant(created_from)
        if created_to:
            params["createdOn[lte]"] = iso_instant(created_to)
        if sort_by:
            params["sortBy"] = sort_by
            params["sortOrder"] = sort_order or "asc"
        if cms_locale_ids:
            params["cmsLocaleId"] = ",".join(cms_locale_ids)
        payload = self._request("GET", self._items_path(collection_id, "/live" if live else ""), params=params)
        if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
            raise WebflowBadResponse("list items answer has no items list",
                                     body_text=json.dumps(payload)[:EXCERPT_LIMIT])
        # The spec requires both, and an item without its id cannot be matched to anything: an answer like that
        # (a proxy's, or Webflow's on a bad day) says nothing about what Webflow holds, so it is no answer.
        if not isinstance(payload.get("pagination"), dict) or any(
                not isinstance(entry, dict) or not entry.get("id") for entry in payload["items"]):
            raise WebflowBadResponse("list items answer has items without an id, or no pagination",
                                     status=200, body_text=json.dumps(payload)[:EXCERPT_LIMIT])
        pagination = payload["pagination"]
        items = [ItemVariant.from_json(entry) for entry in payload["items"]]
        return ItemPage(
            items=items,
            offset=int(pagination.get("offset", offset) or 0),
            limit=int(pagination.get("limit", params["limit"]) or params["limit"]),
            total=int(pagination.get("total", len(items)) or 0),
        )

    def iter_items(self, collection_id: str, *, slug: str | None = None, cms_locale_ids: list[str] | None = None,
                   live: bool = False) -> Iterator[ItemVariant]:
        """Every item variant over all pages (100 per request)."""
        offset = 0
        while True:
            page = self.list_items(collection_id, slug=slug, cms_locale_ids=cms_locale_ids, offset=offset,
                                   limit=MAX_ITEMS_PER_REQUEST, live=live)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def get_item(self, collection_id: str, item_id: str, *, cms_locale_id: str | None = None,
                 live: bool = False) -> ItemVariant:
        params = {"cmsLocaleId": cms_locale_id} if cms_locale_id else None
        suffix = f"/{self._id(item_id)}" + ("/live" if live else "")
        payload = self._request("GET", self._items_path(collection_id, suffix), params=params)
        return ItemVariant.from_json(payload or {}, cms_locale_id=cms_locale_id)

    def create_items_bulk(self, collection_id: str, *, field_data: list[dict], cms_locale_ids: list[str],
                          is_draft: bool, is_archived: bool) -> list[ItemVariant]:
        """POST .../items/bulk: each fieldData entry becomes one item in every listed locale (same content).

        Precondition: len(field_data) * len(cms_locale_ids) <= 100 (Webflow counts every locale variant).
        Returns one ItemVariant per item per locale. Never re-sent after a timeout/5xx (see module docstring).
        Raises ValueError before sending when over the limit; WebflowValidationError (e.g. duplicate slug)...
        """
        return self._call(self._bulk_create(collection_id, field_data=field_data, cms_locale_ids=cms_locale_ids,
                                            is_draft=is_draft, is_archived=is_archived))

    def begin_create_items_bulk(self, collection_id: str, *, before_send=None, **arguments) -> Flight:
        """create_items_bulk sent once without waiting (see Flight); `before_send` runs once the limiter
        granted the slot (in its transaction, with the database limiter), just before the request leaves."""
        return self._begin(self._bulk_create(collection_id, **arguments), before_send)

    def _bulk_create(self, collection_id: str, *, field_data: list[dict], cms_locale_ids: list[str],
                     is_draft: bool, is_archived: bool) -> _Call:
        if not field_data:
            raise ValueError("create_items_bulk needs at least one item")
        variants = len(field_data) * max(1, len(cms_locale_ids or []))
        if variants > MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"{variants} item variants in one request; Webflow accepts at most "
                             f"{MAX_ITEMS_PER_REQUEST} (items x locales)")
        body = {"fieldData": list(field_data), "isDraft": bool(is_draft), "isArchived": bool(is_archived)}
        if cms_locale_ids:
            body["cmsLocaleIds"] = list(cms_locale_ids)
        return _Call("POST", self._items_path(collection_id, "/bulk", beta=self.use_beta_bulk), body=body,
                     parse=lambda payload: parse_item_variants(payload, cms_locale_ids=cms_locale_ids))

    def create_items_live(self, collection_id: str, *, items: list[dict]) -> list[ItemVariant]:
        """POST .../items/live: items are created and published at once (primary or given cmsLocaleId).

        Each item is {"fieldData": {...}, "isDraft"?, "isArchived"?, "cmsLocaleId"?}; one item is sent in the
        single-item body, several as {"items": [...]}.
        """
        return self._call(self._live_create(collection_id, items=items))

    def begin_create_items_live(self, collection_id: str, *, items: list[dict], before_send=None) -> Flight:
        return self._begin(self._live_create(collection_id, items=items), before_send)

    def _live_create(self, collection_id: str, *, items: list[dict]) -> _Call:
        if not items:
            raise ValueError("create_items_live needs at least one item")
        if len(items) > MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"at most {MAX_ITEMS_PER_REQUEST} items per request")
        body = dict(items[0]) if len(items) == 1 else {"items": [dict(item) for item in items]}
        return _Call("POST", self._items_path(collection_id, "/live"), body=body, parse=parse_item_variants)

    def update_items(self, collection_id: str, *, items: list[dict], live: bool = False) -> list[ItemVariant]:
        """PATCH .../items (staged) or .../items/live: each item {id, cmsLocaleId, fieldData, isDraft?, isArchived?}.

        Raises WebflowConflict on a live update of a never-published item, WebflowNotFound for unknown ids.
        """
        return self._call(self._update(collection_id, items=items, live=live))

    def begin_update_items(self, collection_id: str, *, items: list[dict], live: bool = False,
                           before_send=None) -> Flight:
        return self._begin(self._update(collection_id, items=items, live=live), before_send)

    def _update(self, collection_id: str, *, items: list[dict], live: bool) -> _Call:
        if not items:
            raise ValueError("update_items needs at least one item")
        if len(items) > MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"at most {MAX_ITEMS_PER_REQUEST} item variants per request")
        body = {"items": [{key: value for key, value in item.items() if value is not None} for item in items]}
        return _Call("PATCH", self._items_path(collection_id, "/live" if live else ""), body=body,
                     parse=lambda payload: parse_item_variants(payload) if payload else [])

    def remove_items(self, collection_id: str, *, items: list[dict], live: bool = False) -> None:
        """DELETE .../items (delete) or .../items/live (unpublish) with [{"id", "cmsLocaleIds"?}] (204, no body).

        Without cmsLocaleIds Webflow touches the primary locale only. Raises WebflowNotFound when any listed
        item (or locale variant) is not there; then nothing was removed.
        """
        if not items:
            raise ValueError("remove_items needs at least one item")
        if len(items) > MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"at most {MAX_ITEMS_PER_REQUEST} items per request")
        self._request("DELETE", self._items_path(collection_id, "/live" if live else ""), body={"items": items})

    def publish_items(self, collection_id: str, *, items: list[dict]) -> PublishResult:
        """POST .../items/publish with [{"id", "cmsLocaleIds"}]; a 202 may still carry per-item `errors`."""
        if not items:
            raise ValueError("publish_items needs at least one item")
        body = {"items": [{"id": item["id"], "cmsLocaleIds": list(item.get("cmsLocaleIds") or [])}
                          for item in items]}
        payload = self._request("POST", self._items_path(collection_id, "/publish"), body=body) or {}
        if not isinstance(payload, dict):
            raise WebflowBadResponse("publish answer is not an object", body_text=json.dumps(payload))
        errors = payload.get("errors") or []
        return PublishResult(
            published_item_ids=[str(value) for value in payload.get("publishedItemIds") or []],
            errors=[error if isinstance(error, str) else json.dumps(error) for error in errors],
        )


def _never_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was refused/unresolvable, so the request bytes never left this machine."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def get_client(**overrides) -> WebflowClient:
    """A client configured from settings at call time; keyword arguments override any constructor argument.

    `clock=` (a time.time replacement) goes to the shared limiter along with `sleep=`.

    Raises WebflowNotConfigured when no token is configured.
    """
    from django.conf import settings

    base_url = overrides.pop("base_url", settings.WEBFLOW_API_BASE_URL)
    token = overrides.pop("token", settings.WEBFLOW_API_TOKEN)
    sleep = overrides.get("sleep", time.sleep)
    # `clock` only feeds the shared limiter; tests that replace sleep pass a matching clock.
    clock = overrides.pop("clock", time.time)
    if "limiter" not in overrides and token and base_url:
        from .ratelimit import get_limiter

        overrides["limiter"] = get_limiter(base_url=base_url, token=token, sleep=sleep, clock=clock)
    overrides.setdefault(
        "timeouts", (settings.WEBFLOW_CONNECT_TIMEOUT_SECONDS, settings.WEBFLOW_READ_TIMEOUT_SECONDS)
    )
    overrides.setdefault("use_beta_bulk", settings.WEBFLOW_USE_BETA_BULK)
    return WebflowClient(base_url=base_url, token=token, **overrides)
