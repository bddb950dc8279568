"""DELETE endpoints: removing items (staged and live) and unpublishing them, per locale as Webflow does.

Without cmsLocaleIds (cmsLocaleId for one item) only the primary locale is touched, as the spec's tip says.
Every requested item and locale is checked before anything changes, so a 404 leaves the state as it was.
"""
from __future__ import annotations

from .apierrors import ApiError, validation_error

MAX_ITEMS_PER_DELETE = 100


class RemovalOperations:
    """Mixed into WebflowSandbox: needs self.state (with .lock, .items, .live, .save) and self._collection."""

    def _targets(self, cid: str, entries, *, live: bool) -> list[tuple[str, list[str]]]:
        collection = self._collection(cid)
        primary, _ = self.state.site_locales(collection["_siteId"])
        if not isinstance(entries, list) or not entries:
            raise validation_error([{"param": "items", "description": "items must be a non-empty list"}])
        if len(entries) > MAX_ITEMS_PER_DELETE:
            raise validation_error([{"param": "items", "description": "At most 100 items per request"}])
        targets = []
        for entry in entries:
            item_id, locales = entry["id"], list(entry.get("cmsLocaleIds") or [primary])
            store = self.state.live if live else self.state.items
            variants = store[cid].get(item_id)
            if variants is None:
                raise ApiError(404, "resource_not_found", f"Item not found: {item_id}")
            missing = [locale for locale in locales if locale not in variants]
            if missing:
                raise ApiError(404, "resource_not_found", f"Item {item_id} not found in locale {missing[0]}")
            targets.append((item_id, locales))
        return targets

    def _remove(self, cid: str, targets, *, unpublish_only: bool):
        for item_id, locales in targets:
            for locale in locales:
                live = self.state.live[cid].get(item_id, {})
                live.pop(locale, None)
                if not live:
                    self.state.live[cid].pop(item_id, None)
                staged = self.state.items[cid].get(item_id, {})
                if unpublish_only:
                    if locale in staged:
                        staged[locale].update(isDraft=True, lastPublished=None)
                    continue
                self.state.drop_variant(cid, item_id, locale)
        self.state.save()
        return 204, None

    def _op_delete_items(self, *, cid, query, body):
        with self.state.lock:
            targets = self._targets(cid, (body or {}).get("items"), live=False)
            return self._remove(cid, targets, unpublish_only=False)

    def _op_unpublish_items(self, *, cid, query, body):
        with self.state.lock:
            targets = self._targets(cid, (body or {}).get("items"), live=True)
            return self._remove(cid, targets, unpublish_only=True)

    def _single(self, cid: str, item_id: str, query: dict) -> list[dict]:
        locale = (query.get("cmsLocaleId") or [None])[0]
        return [{"id": item_id, **({"cmsLocaleIds": [locale]} if locale else {})}]

    def _op_delete_item(self, *, cid, item_id, query, body):
        with self.state.lock:
            targets = self._targets(cid, self._single(cid, item_id, query), live=False)
            return self._remove(cid, targets, unpublish_only=False)

    def _op_unpublish_item(self, *, cid, item_id, query, body):
        with self.state.lock:
            targets = self._targets(cid, self._single(cid, item_id, query), live=True)
            return self._remove(cid, targets, unpublish_only=True)
