"""Verify (drift report): does Webflow still hold what was last pushed or pulled? List requests only.

Per item × locale the finding is one or more of: changed in Webflow (with a field diff), missing in Webflow,
slug differs, published state differs, or in sync; items Webflow lists that no draft is linked to are unknown
to us. Runs are stored with their findings, counts and request cost, and audited.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..exceptions import StagingError
from ..models import BatchItem, Collection, DraftItem, DriftFinding, DriftRun, WebflowItemRef
from ..webflow.client import ItemVariant
from .audit import audit_record
from .pull import pull_locales
from .webflow_side import (
    draft_view,
    in_sync_with_last_push,
    is_published,
    list_collection,
    parse_time,
    view_diff,
    webflow_view,
)

K = DriftFinding.Kind


def collection_verify(*, collection_id: int, batch_id: int | None = None, actor=None, actor_label: str = "",
                      trigger: str = DriftRun.Trigger.ADMIN, client=None) -> DriftRun:
    """List the collection in every enabled locale and store one finding per item × locale (see module doc).

    With batch_id only the batch's items are compared (and unknown items are not reported). Effect: a DriftRun
    with findings, counts and request cost, one audit entry. A failed listing leaves the run FAILED with the
    message (also audited) and raises nothing: the schedule must go on. Raises StagingError for a collection
    without an enabled primary locale.
    """
    collection = Collection.objects.select_related("site").get(pk=collection_id)
    locales = pull_locales(collection)
    run = DriftRun.objects.create(collection=collection, batch_id=batch_id, trigger=trigger, actor=actor)
    try:
        listing = list_collection(collection=collection, locales=locales, client=client)
    except StagingError as exc:
        run.status, run.error, run.finished_at = DriftRun.Status.FAILED, str(exc), timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        audit_record(action="collection.verify", actor=actor, actor_label=actor_label, collection=collection,
                     batch_id=batch_id, object_repr=str(run), message=f"Drift report failed: {exc}",
                     data={"run": run.pk, "error": str(exc), "trigger": trigger})
        return run
    with transaction.atomic():
        findings = compare_collection(run, collection, locales, listing.variants, batch_id=batch_id)
        DriftFinding.objects.bulk_create(findings)
        run.counts = dict(Counter(finding.kind for finding in findings))
        run.requests, run.status, run.finished_at = listing.requests, DriftRun.Status.DONE, timezone.now()
        run.save(update_fields=["counts", "requests", "status", "finished_at"])
        audit_record(action="collection.verify", actor=actor, actor_label=actor_label, collection=collection,
                     batch_id=batch_id, object_repr=str(run), message=run_summary(run),
                     data={"run": run.pk, "counts": run.counts, "requests": run.requests, "trigger": trigger})
    return run


def run_summary(run: DriftRun) -> str:
    labels = dict(K.choices)
    parts = [f"{run.counts[kind]} {labels[kind].lower()}" for kind in K.values if run.counts.get(kind)]
    return (f"Drift report #{run.pk} of {run.collection}: {', '.join(parts) or 'nothing linked to Webflow'} "
            f"({run.requests} list requests).")


def _expected(item: DraftItem, locale, translation, snapshot, ref) -> dict | None:
    """What Webflow should hold now, or None when the draft was edited since a push Webflow's copy is unknown of."""
    if in_sync_with_last_push(item):
        return draft_view(item, translation, snapshot)
    if snapshot is not None and (ref.last_updated is None or snapshot.last_updated is None
                                 or snapshot.last_updated >= ref.last_updated):
        return webflow_view(item.collection, ItemVariant.from_json(
            {"fieldData": snapshot.field_data, "isArchived": snapshot.is_archived}))
    return None


def compare_item(run, item: DraftItem, ref: WebflowItemRef, variant: ItemVariant | None) -> list[DriftFinding]:
    """The findings for one item in one locale."""
    def finding(kind, detail="", diff=None):
        return DriftFinding(run=run, kind=kind, item=item, locale=ref.locale, webflow_item_id=ref.webflow_item_id,
                            slug=ref.slug, detail=detail, diff=diff or {})

    if variant is None:
        return [finding(K.MISSING, "Webflow lists no such item in this locale (deleted, or never arrived).")]
    translation = next((t for t in item.translations.all() if t.locale_id == ref.locale_id), None)
    snapshot = next((s for s in item.webflow_snapshots.all() if s.locale_id == ref.locale_id), None)
    theirs = webflow_view(item.collection, variant)
    expected = _expected(item, ref.locale, translation, snapshot, ref)
    found = []
    expected_slug = expected["slug"] if expected else ref.slug
    if theirs["slug"] != expected_slug:
        found.append(finding(K.SLUG, f"Webflow has '{theirs['slug']}', we expect '{expected_slug}'.",
                             {"slug": {"ours": expected_slug, "webflow": theirs["slug"]}}))
    if expected is not None:
        diff = view_diff(expected, theirs)
        if diff:
            found.append(finding(K.CHANGED, "Fields differ from what was last pushed or pulled: "
                                 + ", ".join(diff), diff))
    else:
        stamp = parse_time(variant.last_updated)
        if stamp and ref.last_updated and stamp > ref.last_updated:
            diff = view_diff(draft_view(item, translation, snapshot), theirs)
            found.append(finding(K.CHANGED, "Changed in Webflow after our last push; the diff is against the "
                                 "draft as edited since.", diff))
    published = is_published(variant)
    if published != ref.is_published:
        found.append(finding(K.PUBLISHED, f"Webflow: {'published' if published else 'not published'}; we "
                             f"recorded {'published' if ref.is_published else 'not published'}.",
                             {"published": {"ours": ref.is_published, "webflow": published}}))
    return found or [finding(K.IN_SYNC)]


def compare_collection(run, collection, locales, variants_by_id: dict, *, batch_id=None) -> list[DriftFinding]:
    locale_ids = {loc.pk for loc in locales}
    refs = WebflowItemRef.objects.filter(item__collection=collection, locale_id__in=locale_ids)
    if batch_id is not None:
        refs = refs.filter(item__in=BatchItem.objects.filter(batch_id=batch_id).values("item_id"))
    refs = list(refs.select_related("locale").order_by("item_id", "locale__tag"))
    items = {item.pk: item for item in DraftItem.objects.filter(pk__in={r.item_id for r in refs})
             .select_related("collection").prefetch_related("translations__locale", "webflow_snapshots")}
    findings = []
    for ref in refs:
        variant = variants_by_id.get(ref.webflow_item_id, {}).get(ref.cms_locale_id)
        findings += compare_item(run, items[ref.item_id], ref, variant)
    if batch_id is None:
        known = set(WebflowItemRef.objects.filter(item__collection=collection)
                    .values_list("webflow_item_id", flat=True))
        by_cms = {loc.cms_locale_id: loc for loc in locales}
        for webflow_id, variants in variants_by_id.items():
            if webflow_id in known:
                continue
            for cms_locale_id, variant in variants.items():
                findings.append(DriftFinding(run=run, kind=K.UNKNOWN, locale=by_cms.get(cms_locale_id),
                                             webflow_item_id=webflow_id, slug=variant.slug or "",
                                             detail=f"'{variant.name}' is in Webflow but no draft is linked to it; "
                                                    "pull the collection to bring it under review."))
    return findings


def collections_due(now=None) -> list[int]:
    """Collections whose last scheduled report is older than WEBFLOW_VERIFY_INTERVAL_MINUTES (0 turns it off)."""
    minutes = settings.WEBFLOW_VERIFY_INTERVAL_MINUTES
    if minutes <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(minutes=minutes)
    recent = DriftRun.objects.filter(trigger=DriftRun.Trigger.SCHEDULE, started_at__gt=cutoff).values("collection")
    linked = WebflowItemRef.objects.values("item__collection")
    return list(Collection.objects.filter(pk__in=linked).exclude(pk__in=recent).values_list("pk", flat=True))
