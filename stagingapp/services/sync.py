"""Reading configuration from Webflow: a site's locales into LocaleMappings, a collection's fields into its schema."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from ..exceptions import WebflowSyncFailed
from ..models import Collection, DraftItem, LocaleMapping, Site
from ..schema import FIELD_TYPES
from ..validators import LANGUAGE_TAG_MAX_LENGTH, validate_language_tag, validate_webflow_id
from ..webflow import errors as wf
from ..webflow.client import get_client
from .audit import audit_record


@dataclass
class LocaleSyncResult:
    site: Site
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{label}: {', '.join(tags)}" for label, tags in (
            ("created", self.created), ("updated", self.updated), ("unchanged", self.unchanged),
            ("disabled (no longer in Webflow)", self.disabled)) if tags]
        return f"Locales of {self.site} synced from Webflow — " + "; ".join(parts) + "."


@dataclass
class SchemaSyncResult:
    collection: Collection
    field_slugs: list[str]
    added: list[str]
    removed: list[str]
    items_holding_removed: int = 0  # drafts (or their translations) with a value for a removed field

    def summary(self) -> str:
        text = f"Fields of {self.collection} synced from Webflow: {len(self.field_slugs)} fields"
        if self.added:
            text += f"; added {', '.join(self.added)}"
        if self.removed:
            text += f"; removed {', '.join(self.removed)}"
        text += "."
        if self.items_holding_removed:
            count = self.items_holding_removed
            text += (f" {count} draft item{pluralize(count)} still hold{pluralize(count, 's,')} a value for a "
                     "removed field; Webflow would refuse it, so clear it on the item (its \"Other field values\") "
                     "before pushing. The batch pre-flight names each.")
        return text


def _items_holding(collection: Collection, field_slugs: list[str]) -> int:
    """Draft items of `collection` whose own or translated values include any of `field_slugs`."""
    if not field_slugs:
        return 0
    return DraftItem.objects.filter(
        Q(field_data__has_any_keys=field_slugs) | Q(translations__field_data__has_any_keys=field_slugs),
        collection=collection).distinct().count()


def _explain(exc: wf.WebflowError, *, what: str, webflow_id: str) -> WebflowSyncFailed:
    """An editor-facing message for a failed read: what went wrong and what to check."""
    if isinstance(exc, wf.WebflowNotConfigured):
        message = f"Cannot read {what} {webflow_id}: {exc}"
    elif isinstance(exc, wf.WebflowAuthError):
        message = (f"Webflow refused the API token (401) while reading {what} {webflow_id}. "
                   "Check WEBFLOW_API_TOKEN: it may be wrong, expired or revoked.")
    elif isinstance(exc, wf.WebflowForbidden):
        message = (f"The API token may not read {what} {webflow_id} (403 {exc.code or 'forbidden'}). "
                   "Give the token the sites:read and cms:read scopes for this site.")
    elif isinstance(exc, wf.WebflowNotFound):
        message = (f"Webflow has no {what} with ID {webflow_id} (404). Check the ID in Webflow "
                   "and that the token belongs to the same site.")
    elif isinstance(exc, wf.WebflowRateLimited):
        message = f"Webflow's rate limit was reached; try again in {exc.retry_after:g} seconds."
    elif isinstance(exc, wf.WebflowTransportError):
        message = f"Webflow could not be reached while reading {what} {webflow_id}: {exc}"
    else:
        message = f"Reading {what} {webflow_id} from Webflow failed: {exc}"
    return WebflowSyncFailed(message, cause=exc)


def _locales_from_site(data: dict, site_id: str) -> list[dict]:
    locales = data.get("locales")
    if not isinstance(locales, dict) or not isinstance(locales.get("primary"), dict):
        raise WebflowSyncFailed(
            f"Webflow returned no locales for site {site_id}. Enable Localization for the site in the "
            "Webflow Designer (Settings → Localization), then sync again. Nothing was changed."
        )
    entries = [dict(locales["primary"], _primary=True)]
    entries += [dict(entry, _primary=False) for entry in locales.get("secondary") or [] if isinstance(entry, dict)]
    for entry in entries:
        if not entry.get("cmsLocaleId") or not entry.get("tag"):
            raise WebflowSyncFailed(
                f"Webflow returned a locale without a tag or cmsLocaleId for site {site_id} "
                f"({_shown(entry.get('id'))}). Nothing was changed."
            )
        problem = _locale_problem(entry)
        if problem:
            raise WebflowSyncFailed(f"Webflow's locales for site {site_id} cannot be used: {problem}. "
                                    "Nothing was changed.")
    for key, label in (("cmsLocaleId", "cmsLocaleId"), ("tag", "tag")):
        seen: dict[str, str] = {}
        for entry in entries:
            value = str(entry[key]).lower()
            if value in seen:
                raise WebflowSyncFailed(
                    f"Webflow's locales for site {site_id} cannot be used: two locales have the {label} "
                    f"{_shown(entry[key])} ({_shown(seen[value])} and {_shown(entry['tag'])}). Nothing was changed.")
            seen[value] = entry["tag"]
    return entries


def _text(value, default: str = "") -> str:
    """A name Webflow sent, as text: anything that is not a non-empty string counts as missing."""
    return value if isinstance(value, str) and value else default


def _shown(value, limit: int = 60) -> str:
    """A value from Webflow quoted for a message, cut short so a hostile answer cannot flood the page."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _locale_problem(entry: dict) -> str:
    tag, cms_id = entry["tag"], entry["cmsLocaleId"]
    if not isinstance(tag, str):
        return f"a locale's tag is {_shown(tag)}, not text"
    if not isinstance(cms_id, str):
        return f"locale {_shown(tag)} has cmsLocaleId {_shown(cms_id)}, not text"
    try:
        validate_language_tag(tag)
    except ValidationError:
        return f"the tag {_shown(tag)} is not a language tag (at most {LANGUAGE_TAG_MAX_LENGTH} characters)"
    try:
        validate_webflow_id(cms_id)
    except ValidationError:
        return f"locale {tag} has cmsLocaleId {_shown(cms_id)}, which is not a Webflow ID (12 to 64 letters and digits)"
    if not isinstance(entry.get("displayName") or "", str):
        return f"locale {tag} has displayName {_shown(entry.get('displayName'))}, not text"
    return ""


def _fields_problem(fields) -> str:
    """Why a collection's `fields` answer cannot be stored, or "" when it can."""
    if not isinstance(fields, list) or not fields:
        return "it has no fields list"
    slugs: set[str] = set()
    for number, field_ in enumerate(fields, 1):
        if not isinstance(field_, dict):
            return f"field {number} is {_shown(field_)}, not an object"
        slug, kind = field_.get("slug"), field_.get("type")
        if not isinstance(slug, str) or not slug.strip():
            return f"field {number} has slug {_shown(slug)}, not text"
        if len(slug) > 100:
            return f"field {number} has a slug of {len(slug)} characters"
        if slug in slugs:
            return f"two fields have the slug {_shown(slug)}"
        slugs.add(slug)
        if kind not in FIELD_TYPES:
            return (f"field {_shown(slug)} has type {_shown(kind)}, which this app does not know "
                    f"(known: {', '.join(sorted(FIELD_TYPES))})")
        if not isinstance(field_.get("displayName") or "", str):
            return f"field {_shown(slug)} has displayName {_shown(field_.get('displayName'))}, not text"
    return ""


def site_sync_locales(*, site_webflow_id: str, actor=None, client=None) -> LocaleSyncResult:
    """Read GET /v2/sites/{id} and mirror its locales into LocaleMappings (by cmsLocaleId, never the site-locale id).

    Precondition: a token with sites:read. Effect: creates the Site if unknown (named after Webflow's
    displayName), creates/updates one LocaleMapping per Webflow locale, disables mappings Webflow no longer
    lists (kept: translations refer to them), sets locales_synced_at, writes one audit entry; all in one
    transaction. Raises WebflowSyncFailed (401/403/404/unreachable/no locales) with nothing changed.
    """
    client = client or _client()
    try:
        data = client.get_site(site_webflow_id)
    except wf.WebflowError as exc:
        raise _explain(exc, what="site", webflow_id=site_webflow_id) from exc
    entries = _locales_from_site(data, site_webflow_id)
    with transaction.atomic():
        site = Site.objects.select_for_update().filter(webflow_id=site_webflow_id).first()
        if site is None:
            site = Site.objects.create(webflow_id=site_webflow_id,
                                       name=_text(data.get("displayName"), site_webflow_id)[:200])
        result = LocaleSyncResult(site=site)
        existing = list(LocaleMapping.objects.select_for_update().filter(site=site).order_by("pk"))
        by_cms = {mapping.cms_locale_id: mapping for mapping in existing}
        by_tag = {mapping.tag.lower(): mapping for mapping in existing}
        seen: set[int] = set()
        # The one-primary constraint holds at every statement, so demote first, then (re)assign.
        primary_cms = entries[0]["cmsLocaleId"]
        for mapping in existing:
            if mapping.is_primary and mapping.cms_locale_id != primary_cms:
                mapping.is_primary = False
                mapping.save(update_fields=["is_primary", "updated_at"])
        for entry in entries:
            mapping = by_cms.get(entry["cmsLocaleId"]) or by_tag.get(entry["tag"].lower())
            wanted = {"tag": entry["tag"], "cms_locale_id": entry["cmsLocaleId"],
                      "display_name": (entry.get("displayName") or "")[:200], "is_primary": entry["_primary"]}
            if mapping is None:
                mapping = LocaleMapping.objects.create(site=site, is_enabled=True, **wanted)
                result.created.append(mapping.tag)
            else:
                clash = by_tag.get(wanted["tag"].lower())
                if clash is not None and clash.pk != mapping.pk:
                    raise WebflowSyncFailed(
                        f"Locale {wanted['tag']} maps to cmsLocaleId {wanted['cms_locale_id']} in Webflow, but "
                        f"another mapping already uses that tag here. Fix the locale mappings of {site} by hand."
                    )
                changed = [name for name, value in wanted.items() if getattr(mapping, name) != value]
                if changed:
                    for name in changed:
                        setattr(mapping, name, wanted[name])
                    mapping.save(update_fields=[*changed, "updated_at"])
                    result.updated.append(mapping.tag)
                else:
                    result.unchanged.append(mapping.tag)
            seen.add(mapping.pk)
        for mapping in existing:
            if mapping.pk not in seen and mapping.is_enabled:
                mapping.is_enabled = False
                mapping.save(update_fields=["is_enabled", "updated_at"])
                result.disabled.append(mapping.tag)
        site.locales_synced_at = timezone.now()
        site.save(update_fields=["locales_synced_at", "updated_at"])
        audit_record(action="site.sync_locales", actor=actor, object_repr=str(site), message=result.summary(),
                     data={"site": site_webflow_id, "created": result.created, "updated": result.updated,
                           "disabled": result.disabled})
    return result


def collection_sync_schema(*, collection_webflow_id: str, site: Site | None = None, actor=None,
                           client=None) -> SchemaSyncResult:
    """Read GET /v2/collections/{id} and store its `fields` list in Collection.fields_schema.

    Precondition: the Collection exists here, or `site` is given to create it under. Effect: fields_schema
    and schema_synced_at (and an empty slug/name) updated, one audit entry, in one transaction.
    Raises WebflowSyncFailed (unknown collection without site, 401/403/404, no fields list).
    """
    collection = Collection.objects.filter(webflow_id=collection_webflow_id).first()
    if collection is None and site is None:
        raise WebflowSyncFailed(
            f"No collection with Webflow ID {collection_webflow_id} here yet. Add it in the admin under its "
            "site, or name the site (sync_collection --site <site id>)."
        )
    client = client or _client()
    try:
        data = client.get_collection(collection_webflow_id)
    except wf.WebflowError as exc:
        raise _explain(exc, what="collection", webflow_id=collection_webflow_id) from exc
    fields = data.get("fields")
    problem = _fields_problem(fields)
    if problem:
        raise WebflowSyncFailed(
            f"Webflow's answer for collection {collection_webflow_id} cannot be used: {problem}. Nothing was changed."
        )
    with transaction.atomic():
        if collection is None:
            collection = Collection.objects.create(
                site=site, webflow_id=collection_webflow_id,
                name=_text(data.get("displayName"), collection_webflow_id)[:200], slug=_text(data.get("slug"))[:200],
            )
        collection = Collection.objects.select_for_update().get(pk=collection.pk)
        before = [f.get("slug") for f in collection.fields_schema or []]
        after = [f["slug"] for f in fields]
        collection.fields_schema = fields
        collection.schema_synced_at = timezone.now()
        update = ["fields_schema", "schema_synced_at", "updated_at"]
        if not collection.slug and _text(data.get("slug")):
            collection.slug = _text(data.get("slug"))[:200]
            update.append("slug")
        collection.save(update_fields=update)
        removed = [s for s in before if s not in after]
        result = SchemaSyncResult(collection=collection, field_slugs=after,
                                  added=[s for s in after if s not in before], removed=removed,
                                  items_holding_removed=_items_holding(collection, removed))
        audit_record(action="collection.sync_schema", actor=actor, collection=collection,
                     object_repr=str(collection), message=result.summary(),
                     data={"collection": collection_webflow_id, "fields": after, "added": result.added,
                           "removed": result.removed})
    return result


def _client():
    try:
        return get_client()
    except wf.WebflowNotConfigured as exc:
        raise WebflowSyncFailed(f"Webflow is not configured: {exc}", cause=exc) from exc
