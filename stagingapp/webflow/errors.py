"""Typed Webflow errors: callers branch on meaning (validation, auth, not found, rate limit...), never on numbers.

Tree::

    WebflowError
    ├── WebflowNotConfigured           no token / base URL in settings
    ├── WebflowTransportError          no HTTP answer (outcome_unknown says whether the server may have acted)
    │   ├── WebflowTimeout
    │   └── WebflowConnectionError
    ├── WebflowBadResponse             an answer whose body could not be parsed (raw text kept)
    └── WebflowAPIError(status, code, message, details, body_text, request_id)
        ├── WebflowValidationError     400 (field_errors: [FieldError(field, message)])
        ├── WebflowAuthError           401
        ├── WebflowForbidden           403 (also missing_scopes)
        ├── WebflowNotFound            404 (resource: "collection" | "item" | None)
        ├── WebflowConflict            409
        ├── WebflowRateLimited         429 (retry_after seconds)
        └── WebflowServerError         5xx

Every message passes through `redact()`, so an error never carries the token.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import storable
from .redaction import redact

# Webflow sends 60 s in practice; the docs promise Retry-After but the spec lists only X-RateLimit-*.
DEFAULT_RETRY_AFTER_SECONDS = 60.0
BODY_TEXT_LIMIT = 2000


class WebflowError(Exception):
    """Root of every failure the Webflow client raises."""

    #: True when Webflow may have processed the request even though no usable answer came back.
    outcome_unknown: bool = False
    #: True when repeating the very same request later is expected to be safe and useful.
    retryable: bool = False

    def __init__(self, message: str = ""):
        super().__init__(redact(message))


class WebflowNotConfigured(WebflowError):
    """The client cannot be built: WEBFLOW_API_TOKEN or WEBFLOW_API_BASE_URL is missing."""


class WebflowTransportError(WebflowError):
    """No HTTP answer arrived: connection refused/reset, DNS, TLS or a timeout.

    `outcome_unknown` is True when the request bytes may have reached Webflow (everything but a failure to
    connect): a POST in that state may have created items, so the caller must reconcile before re-sending.
    """

    retryable = True

    def __init__(self, message: str = "", *, method: str = "", path: str = "", outcome_unknown: bool = True):
        self.method, self.path, self.outcome_unknown = method, path, outcome_unknown
        super().__init__(f"{method} {path}: {message}" if method else message)


class WebflowTimeout(WebflowTransportError):
    """Connect or read timeout. A read timeout means the request was sent: outcome unknown."""


class WebflowConnectionError(WebflowTransportError):
    """The connection failed (refused before sending, or reset/dropped while waiting for the answer)."""


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str

    def __str__(self):
        return f"{self.field}: {self.message}" if self.field else self.message


class WebflowBadResponse(WebflowError):
    """Webflow (or a proxy in front of it) answered with a body that is not the JSON expected.

    The request may have been processed (a 2xx with a truncated body), so `outcome_unknown` follows the status.
    """

    def __init__(self, message: str = "", *, status: int | None = None, body_text: str = "", request_id: str = ""):
        self.status, self.body_text, self.request_id = status, redact(body_text[:BODY_TEXT_LIMIT]), request_id
        self.outcome_unknown = status is None or status < 400 or status >= 500
        self.retryable = status is not None and status >= 500
        super().__init__(message or f"HTTP {status}: response body is not valid JSON: {self.body_text[:200]!r}")


class WebflowAPIError(WebflowError):
    """Webflow answered with an error status and (usually) its error body {code, message, details}."""

    def __init__(
        self,
        *,
        status: int,
        code: str = "",
        message: str = "",
        details: list | None = None,
        body_text: str = "",
        request_id: str = "",
    ):
        self.status, self.code, self.api_message = status, code or "", redact(message or "")
        self.details = details if isinstance(details, list) else ([] if details is None else [details])
        self.body_text, self.request_id = redact(body_text[:BODY_TEXT_LIMIT]), request_id
        super().__init__(self._summary())

    def _summary(self) -> str:
        text = f"Webflow HTTP {self.status}"
        if self.code:
            text += f" {self.code}"
        if self.api_message:
            text += f": {self.api_message}"
        return text


class WebflowValidationError(WebflowAPIError):
    """400: the body was refused. `field_errors` lists each problem, with the field when Webflow names it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.field_errors = parse_field_errors(self.api_message, self.details)

    def _summary(self) -> str:
        errors = parse_field_errors(self.api_message, self.details)
        if errors:
            return f"Webflow HTTP {self.status} {self.code or 'validation_error'}: " + "; ".join(map(str, errors))
        return super()._summary()


class WebflowAuthError(WebflowAPIError):
    """401: the token is missing, wrong or expired."""


class WebflowForbidden(WebflowAPIError):
    """403: the token lacks a scope (code missing_scopes) or access to this site."""


class WebflowNotFound(WebflowAPIError):
    """404: `resource` says what was missing ("collection", "item", or None when Webflow does not say)."""

    def __init__(self, *, resource: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.resource = resource


class WebflowConflict(WebflowAPIError):
    """409: e.g. a live PATCH of an item that was never published, or a collection changed since publish."""


class WebflowRateLimited(WebflowAPIError):
    """429: nothing was written; the same request may be sent again after `retry_after` seconds."""

    retryable = True

    def __init__(self, *, retry_after: float = DEFAULT_RETRY_AFTER_SECONDS, **kwargs):
        self.retry_after = retry_after
        super().__init__(**kwargs)


class WebflowServerError(WebflowAPIError):
    """5xx: Webflow failed. For a write, whether anything was committed is unknown."""

    retryable = True
    outcome_unknown = True


_EMBEDDED_LIST = re.compile(r"^(?P<head>[^\[]*?):?\s*(?P<list>\[.*\])\s*$", re.S)
_FIELD_IN_TEXT = re.compile(r"\((?P<field>[A-Za-z0-9_.\-\[\]]+)\)|^(?P<lead>[A-Za-z0-9_.\-]+):\s")


def _field_from_text(text: str) -> str | None:
    match = _FIELD_IN_TEXT.search(text)
    if not match:
        return None
    return match.group("field") or match.group("lead")


def _detail_to_error(detail) -> FieldError | None:
    if isinstance(detail, str):
        return FieldError(_field_from_text(detail), detail) if detail.strip() else None
    if isinstance(detail, dict):
        field = detail.get("param") or detail.get("field") or detail.get("path") or detail.get("key")
        if isinstance(field, list):
            field = ".".join(str(part) for part in field)
        message = detail.get("description") or detail.get("message") or detail.get("msg") or detail.get("reason")
        if message is None:
            message = json.dumps(detail, sort_keys=True)
        return FieldError(str(field) if field else _field_from_text(str(message)), redact(str(message)))
    if detail is None:
        return None
    return FieldError(None, redact(str(detail)))


def parse_field_errors(message: str, details) -> list[FieldError]:
    """Every validation detail shape Webflow is known to send, as FieldError(field, message).

    Handles `details` as [{param, description}], [{field, message}], [str], and a JSON list embedded in
    `message` ("Validation Error: [\\"Value (cmsLocaleId)'s type should be string\\"]").
    """
    errors = [error for error in map(_detail_to_error, details or []) if error is not None]
    match = _EMBEDDED_LIST.match(message or "")
    if match:
        try:
            embedded = json.loads(match.group("list"))
        except ValueError:
            embedded = None
        if isinstance(embedded, list):
            errors.extend(error for error in map(_detail_to_error, embedded) if error is not None)
    return errors


def _not_found_resource(code: str, message: str) -> str | None:
    if code == "collection_not_found":
        return "collection"
    if code == "item_not_found":
        return "item"
    lowered = (message or "").lower()
    if "collection" in lowered and "item" not in lowered:
        return "collection"
    if "item" in lowered:
        return "item"
    return None


def parse_retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds form); 60 s when absent or unreadable."""
    try:
        seconds = float(value) if value not in (None, "") else DEFAULT_RETRY_AFTER_SECONDS
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(0.0, seconds)


def error_for(*, status: int, body_text: str, headers, secrets: tuple[str, ...] = ()) -> WebflowError:
    """The typed error for one non-2xx answer; never raises, whatever the body holds."""
    body_text = redact(storable.without_nul(body_text or ""), *secrets)
    request_id = (headers.get("x-request-id") or headers.get("x-webflow-request-id") or "") if headers else ""
    payload = None
    if body_text and body_text.strip():
        try:
            payload = storable.loads(body_text)
        except ValueError:
            payload = None
    if not isinstance(payload, dict):
        if status in (429,) or status >= 500 or status in (401, 403, 404):
            # A proxy's HTML 502 page still means "server error"; keep the raw text for the audit trail.
            payload = {"message": body_text.strip()[:200]}
        else:
            return WebflowBadResponse(status=status, body_text=body_text or "", request_id=request_id)
    code = str(payload.get("code") or payload.get("name") or "")
    message = payload.get("message") or payload.get("msg") or ""
    if not isinstance(message, str):
        message = json.dumps(message)
    details = payload.get("details") if payload.get("details") is not None else payload.get("problems")
    common = {
        "status": status, "code": code, "message": message, "details": details,
        "body_text": body_text or "", "request_id": request_id,
    }
    if status == 400 or code == "validation_error":
        return WebflowValidationError(**common)
    if status == 401:
        return WebflowAuthError(**common)
    if status == 403:
        return WebflowForbidden(**common)
    if status == 404:
        return WebflowNotFound(resource=_not_found_resource(code, message), **common)
    if status == 409:
        return WebflowConflict(**common)
    if status == 429:
        return WebflowRateLimited(retry_after=parse_retry_after(headers.get("Retry-After") if headers else None),
                                  **common)
    if status >= 500:
        return WebflowServerError(**common)
    return WebflowAPIError(**common)


# --- which items of a request a 400 names ---------------------------------------------------------------------

_DUPLICATE_SLUG = re.compile(r"unique|already|duplicate", re.I)
_INDEX_IN_TEXT = re.compile(r"(?:fieldData|items)\s*(?:\[|\.)\s*(\d+)", re.I)
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


@dataclass(frozen=True)
class NamedItem:
    """One item of a refused request that Webflow's 400 names: its index in the request, the message, the field
    (its last part, "" when Webflow named none or only fieldData) and whether it says the slug is taken."""

    index: int
    message: str
    field: str
    duplicate_slug: bool


def leaf_field(field: str | None) -> str:
    """`fieldData[3].slug` -> `slug`, `items[2].fieldData` -> "" (a whole fieldData is no field an editor sees)."""
    leaf = (field or "").split(".")[-1].split("]")[-1] or ""
    return "" if leaf.startswith("fieldData") else leaf


def items_named(exc: WebflowValidationError, count: int, slugs: list[str] | None = None) -> dict[int, NamedItem]:
    """Index -> NamedItem for the items of a `count`-item request that a 400 names.

    An item is named by an index in the field or text (`fieldData[3]`, `items.3`), or, when `slugs` (the request's
    slugs in order) are given, by one of them in quotes ('post-7' or "post-7"). Errors naming nothing are left out.
    """
    by_slug = {slug: index for index, slug in enumerate(slugs or [])}
    named: dict[int, NamedItem] = {}
    for error in exc.field_errors or []:
        index = None
        match = _INDEX_IN_TEXT.search(f"{error.field or ''} {error.message}")
        if match and int(match.group(1)) < count:
            index = int(match.group(1))
        if index is None:
            for quoted in _QUOTED.finditer(error.message):
                value = quoted.group(1) or quoted.group(2)
                if value in by_slug:
                    index = by_slug[value]
                    break
        if index is None:
            continue
        field = leaf_field(error.field)
        named[index] = NamedItem(index=index, message=error.message, field=field,
                                 duplicate_slug=field == "slug" and bool(_DUPLICATE_SLUG.search(error.message)))
    return named


def first_field(exc: WebflowValidationError) -> str:
    """The first field a 400 names, as Webflow wrote it ("" when none)."""
    return next((error.field for error in exc.field_errors or [] if error.field), "") or ""


def says_slug_taken(exc: WebflowValidationError) -> bool:
    """A 400 for a single item that says its slug is already used (Webflow's duplicate-slug refusal)."""
    return first_field(exc) == "slug" and bool(_DUPLICATE_SLUG.search(str(exc)))
