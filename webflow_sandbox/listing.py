"""GET .../items and .../items/live as the spec defines them: filters, sorting and pagination at 100.

Filters (deepObject style): `createdOn[gte]`, `createdOn[lte]`, `lastUpdated[...]`, `lastPublished[...]`
(ISO 8601, bounds inclusive), plus the exact `name` and `slug`; `sortBy` one of createdOn, lastPublished,
lastUpdated, name, slug with `sortOrder` asc (default) or desc; `offset` and `limit` (1..100, default 100).
Without sortBy the order is creation order, as Webflow answers. `pagination.total` counts every match.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

DATE_FILTERS = ("createdOn", "lastUpdated", "lastPublished")
SORT_KEYS = ("createdOn", "lastPublished", "lastUpdated", "name", "slug")
MAX_LIMIT = 100


class BadQuery(ValueError):
    """A query parameter the spec does not allow: (param, description) for the 400's details."""

    def __init__(self, param: str, description: str):
        super().__init__(description)
        self.param, self.description = param, description


def _first(query: dict, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _instant(param: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # no offset given: UTC
    except ValueError as exc:
        raise BadQuery(param, f"{param} must be an ISO 8601 date-time, not {value!r}") from exc


def parse_window(query: dict) -> tuple[int, int]:
    """(offset, limit) from the query; BadQuery when they are not what the spec allows."""
    try:
        offset = int(_first(query, "offset") or 0)
        limit = int(_first(query, "limit") or MAX_LIMIT)
    except ValueError as exc:
        raise BadQuery("offset", "offset and limit must be integers") from exc
    if limit < 1 or limit > MAX_LIMIT:
        raise BadQuery("limit", f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadQuery("offset", "offset must not be negative")
    return offset, limit


def _date_bounds(query: dict) -> list[tuple[str, str, datetime, str]]:
    bounds = []
    for field in DATE_FILTERS:
        for side in ("gte", "lte"):
            param = f"{field}[{side}]"
            value = _first(query, param)
            if value:
                limit = _instant(param, value)
                bounds.append((field, side, limit, _stamp_bound(side, limit)))
    return bounds


def _stamp_bound(side: str, limit: datetime) -> str:
    """The bound as the sandbox writes its stamps (UTC, milliseconds, "Z"), rounded so that comparing stamps as
    text gives the same answer as comparing the instants: up to the next millisecond for gte, down for lte."""
    limit = limit.astimezone(UTC)
    if side == "gte" and limit.microsecond % 1000:
        limit += timedelta(microseconds=1000 - limit.microsecond % 1000)
    return limit.strftime("%Y-%m-%dT%H:%M:%S.") + f"{limit.microsecond // 1000:03d}Z"


def _is_stamp(value: str) -> bool:
    return len(value) == 24 and value[19] == "." and value[23] == "Z"


def _matches_dates(variant: dict, bounds) -> bool:
    """Stamps in the sandbox's own format compare as text (a list of a large collection parses no dates)."""
    for field, side, limit, text_limit in bounds:
        stamp = variant.get(field)
        if not stamp:
            return False  # a never-published item has no lastPublished to fall inside a window
        if _is_stamp(stamp):
            outside = stamp < text_limit if side == "gte" else stamp > text_limit
        else:  # a stamp written some other way (a state file, a seed)
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            outside = moment < limit if side == "gte" else moment > limit
        if outside:
            return False
    return True


def _sort_value(variant: dict, key: str):
    if key in ("name", "slug"):
        return (variant.get("fieldData") or {}).get(key) or ""
    return variant.get(key) or ""  # ISO stamps with the same format sort as text; None (never) first


def without_filters(query: dict) -> dict:
    """The query as an API that ignores date filters and sorting sees it (slug, name and paging still apply)."""
    dropped = {f"{field}[{side}]" for field in DATE_FILTERS for side in ("gte", "lte")} | {"sortBy", "sortOrder"}
    return {name: values for name, values in query.items() if name not in dropped}


def select(variants: list[dict], query: dict) -> tuple[list[dict], int, int, int]:
    """(page, offset, limit, total) of `variants` (already in creation order) under the query's filters."""
    offset, limit = parse_window(query)
    bounds = _date_bounds(query)
    sort_by, sort_order = _first(query, "sortBy"), _first(query, "sortOrder") or "asc"
    if sort_by and sort_by not in SORT_KEYS:
        raise BadQuery("sortBy", f"sortBy must be one of {', '.join(SORT_KEYS)}")
    if sort_order not in ("asc", "desc"):
        raise BadQuery("sortOrder", "sortOrder must be asc or desc")
    name, slug = _first(query, "name"), _first(query, "slug")
    matches = [
        variant for variant in variants
        if (name is None or variant["fieldData"].get("name") == name)
        and (slug is None or variant["fieldData"].get("slug") == slug)
        and _matches_dates(variant, bounds)
    ]
    if sort_by:
        matches.sort(key=lambda variant: _sort_value(variant, sort_by), reverse=sort_order == "desc")
    elif sort_order == "desc":
        matches.reverse()
    return matches[offset: offset + limit], offset, limit, len(matches)
