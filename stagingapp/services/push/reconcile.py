"""Unknown outcomes: find in Webflow what an unanswered create may have made, adopt it, re-send only the rest."""
from django.db import transaction
from django.utils import timezone

from ...models import BatchItem, PushChunk
from ...webflow.errors import WebflowError
from ..audit import audit_record
from .lease import beat
from .outcomes import fail_entries, settle_sent
from .policy import StopBatch, call_idempotent
from .refs import build_refs, save_refs, store_variants


def lookup_slug(run, slug: str) -> list:
    """Every usable variant Webflow holds for exactly this slug in the batch's locales (one GET, repeated under
    the policy). Variants without an ID, or with another slug (a filter Webflow ignored), are no match."""
    run.request_info["step"] = f"lookup {slug}"
    page = call_idempotent(run, lambda: run.client.list_items(run.collection_id, slug=slug,
                                                              cms_locale_ids=run.cms_ids, live=False))
    return [v for v in page.items if v.id and v.slug == slug]


def reconcile(run, entries: list[BatchItem]) -> list[BatchItem]:
    """Adopt what Webflow already created for these in-flight entries; return the ones still missing.

    Raises StopBatch when the lookups themselves keep failing (the entries then stay in flight).
    """
    run.request_info["items"] = [e.item_id for e in entries]
    found: dict[int, list] = {}
    for entry in entries:
        try:
            variants = lookup_slug(run, entry.item.slug)
        except WebflowError as exc:
            raise StopBatch(f"Webflow refused to look up items whose create had no clear answer ({exc}); the batch "
                            "was stopped.") from exc
        if variants:
            found[entry.pk] = variants
    missing = [e for e in entries if e.pk not in found]
    with transaction.atomic():
        beat(run)
        adopted = []
        now = timezone.now()
        for entry in entries:
            if entry.pk in found:
                entry.status = BatchItem.Status.SENT
                entry.reason = "adopted after an unknown outcome (found in Webflow by slug)"
                adopted.append(entry)
            else:
                entry.status = BatchItem.Status.PENDING
            entry.updated_at = now
        save_refs([
            build_refs(run, entry, found[entry.pk], published=run.live_endpoint and any(
                v.last_published for v in found[entry.pk]))
            for entry in adopted
        ])
        BatchItem.objects.bulk_update(entries, ["status", "reason", "updated_at"])
        settle_sent(run, adopted)
        PushChunk.objects.filter(entries__in=entries, status=PushChunk.Status.IN_FLIGHT).update(
            status=PushChunk.Status.RECONCILED, finished_at=timezone.now())
    if adopted:
        audit_record(action="push.reconcile", **run.as_actor, batch=run.batch,
                     collection=run.batch.collection, object_repr=str(run.batch),
                     message=f"{len(adopted)} item(s) found in Webflow and adopted, {len(missing)} to send again",
                     data={"adopted": [e.item_id for e in adopted], "missing": [e.item_id for e in missing]})
    return missing


def reconcile_in_flight(run) -> None:
    """A previous run died with create chunks in flight: settle them before anything else is sent."""
    stuck = run.entries(BatchItem.Status.IN_FLIGHT, item__removal_kind="")  # removals settle their own
    if not stuck:
        return
    with transaction.atomic():
        BatchItem.objects.filter(pk__in=[e.pk for e in stuck]).update(outcome_unknown=True)
    reconcile(run, stuck)


def adopt_or_fail_duplicate(run, entry: BatchItem) -> None:
    """A duplicate-slug refusal: adopt the Webflow item when an earlier create of ours may have made it."""
    try:
        variants = lookup_slug(run, entry.item.slug)
    except WebflowError as exc:
        fail_entries(run, [entry], f"slug '{entry.item.slug}' is already used in Webflow ({exc})", "slug")
        return
    ours = BatchItem.objects.filter(item_id=entry.item_id, outcome_unknown=True).exists()
    if variants and ours:
        with transaction.atomic():
            beat(run)
            store_variants(run, entry, variants, published=run.live_endpoint and any(
                v.last_published for v in variants))
            entry.status = BatchItem.Status.SENT
            entry.reason = "adopted the Webflow item an earlier, unanswered create had made"
            entry.save(update_fields=["status", "reason", "updated_at"])
            settle_sent(run, [entry])
        return
    holder = f" by Webflow item {variants[0].id}" if variants else ""
    fail_entries(run, [entry], f"slug '{entry.item.slug}' is already used in Webflow{holder}; "
                               "change the slug or link the existing item", "slug")
