"""Publisher-facing batch services: create, queue (after pre-flight), cancel, retry failed items, progress."""
from functools import partial

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..exceptions import BatchActionRefused, BatchStateError, PreflightFailed
from ..models import BatchItem, Collection, DraftItem, LocaleMapping, PushBatch
from ..selectors import batch_locales
from .audit import audit_record
from .push.preflight import QUEUEABLE_STATUSES, Preflight, batch_preflight_report
from .workflow import items_transition

PERMS = {
    "create": "stagingapp.add_pushbatch",
    "queue": "stagingapp.queue_pushbatch",
    "cancel": "stagingapp.cancel_pushbatch",
    "retry": "stagingapp.retry_pushbatch",
}


def can_manage_batches(actor, action: str) -> bool:
    return actor is not None and actor.is_active and actor.has_perm(PERMS[action])


def _require(actor, action: str, batch=None) -> None:
    if not can_manage_batches(actor, action):
        raise BatchActionRefused(actor=actor, action=action, batch=batch)


def batch_create(
    *, collection: Collection, item_ids: list[int], mode: str, actor, locale_ids: list[int] | None = None,
    scheduled_for=None, retry_of: PushBatch | None = None,
) -> PushBatch:
    """Group approved items of one collection into a PENDING batch (nothing is sent yet).

    Empty `locale_ids` means every enabled locale of the site. Raises BatchActionRefused without the publisher
    permission and BatchStateError when an item is of another collection, not approved, or in an active batch.
    """
    _require(actor, "create")
    if mode not in PushBatch.Mode.values:
        raise BatchStateError(f"Unknown push mode '{mode}'.")
    with transaction.atomic():
        items = list(DraftItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk"))
        if not items:
            raise BatchStateError("Select at least one item for the batch.")
        problems = []
        busy = set(
            BatchItem.objects.filter(item__in=items, batch__status__in=PushBatch.ACTIVE_STATUSES)
            .values_list("item_id", flat=True)
        )
        for item in items:
            if item.collection_id != collection.pk:
                problems.append(f"'{item}' belongs to collection '{item.collection}'")
            elif item.status not in QUEUEABLE_STATUSES:
                problems.append(f"'{item}' is {item.get_status_display().lower()}, not approved")
            elif item.pk in busy:
                problems.append(f"'{item}' is already in another open batch")
        if problems:
            raise BatchStateError("Cannot create the batch: " + "; ".join(problems[:20]) + ".")
        locales = list(LocaleMapping.objects.filter(site_id=collection.site_id, is_enabled=True))
        if locale_ids:
            locales = list(LocaleMapping.objects.filter(pk__in=locale_ids))
        batch = PushBatch.objects.create(
            collection=collection, mode=mode, created_by=actor, scheduled_for=scheduled_for, retry_of=retry_of
        )
        batch.locales.set(locales)
        BatchItem.objects.bulk_create([BatchItem(batch=batch, item=item) for item in items])
        audit_record(action="batch.create", actor=actor, collection=collection, batch=batch, object_repr=str(batch),
                     data={"items": len(items), "mode": mode, "locales": [loc.tag for loc in locales]})
    return batch


def batch_preflight(*, batch: PushBatch) -> Preflight:
    """Run the pre-flight checks; returns the report (with the estimate) or raises PreflightFailed listing why."""
    report = batch_preflight_report(batch)
    if not report.ok:
        raise PreflightFailed(batch=batch, problems=report.problems)
    return report


def batch_queue(*, batch_id: int, actor) -> PushBatch:
    """PENDING -> QUEUED after pre-flight; items move APPROVED -> IN_BATCH pinned to their approved fingerprint.

    Without a future `scheduled_for` the worker is asked once the transaction commits; with one, a django-q2
    ONCE schedule runs the push at that time. Raises BatchActionRefused, BatchStateError, PreflightFailed
    (then nothing changes).
    """
    from django_q.models import Schedule
    from django_q.tasks import async_task

    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().select_related("collection").get(pk=batch_id)
        _require(actor, "queue", batch)
        if batch.status != PushBatch.Status.PENDING:
            raise BatchStateError(f"{batch} is {batch.get_status_display().lower()}; only pending batches can "
                                  "be queued.", batch=batch)
        # of=("self",): lock the items only, not the collection row joined in for the pre-flight.
        items = list(DraftItem.objects.select_for_update(of=("self",)).filter(batch_entries__batch=batch)
                     .select_related("collection").prefetch_related("translations__locale").order_by("pk"))
        report = batch_preflight_report(batch, items=items)
        if not report.ok:
            raise PreflightFailed(batch=batch, problems=report.problems)
        items_transition(items=items, to_status=DraftItem.Status.IN_BATCH, actor=actor, action="item.batch",
                         reason=f"queued in {batch}", batch=batch)
        # One UPDATE copying each item's approval pin: bulk_update's CASE per row held SQLite's write lock for
        # about 15 s on a 10,000-item batch.
        batch.entries.update(
            approved_fingerprint=Subquery(DraftItem.objects.filter(pk=OuterRef("item_id"))
                                          .values("approved_fingerprint")[:1]),
            status=BatchItem.Status.PENDING, reason="", updated_at=timezone.now(),
        )
        if not batch.locales.exists():
            batch.locales.set(batch_locales(batch))
        batch.status = PushBatch.Status.QUEUED
        batch.queued_at, batch.queued_by = timezone.now(), actor
        batch.estimate = report.estimate
        update_fields = ["status", "queued_at", "queued_by", "estimate"]
        if batch.scheduled_for and batch.scheduled_for > timezone.now():
            schedule = Schedule.objects.create(
                name=f"push batch {batch.pk}", func="stagingapp.tasks.push_batch", args=repr((batch.pk,)),
                schedule_type=Schedule.ONCE, repeats=1, next_run=batch.scheduled_for,
            )
            batch.schedule_id = schedule.pk
            update_fields.append("schedule_id")
        else:
            transaction.on_commit(partial(async_task, "stagingapp.tasks.push_batch", batch.pk))
        batch.save(update_fields=update_fields)
        audit_record(action="batch.queue", actor=actor, collection=batch.collection, batch=batch,
                     object_repr=str(batch), data={"estimate": report.estimate,
                                                   "scheduled_for": str(batch.scheduled_for or "")})
    return batch


def batch_cancel(*, batch_id: int, actor) -> PushBatch:
    """Cancel a batch. PENDING/QUEUED: at once, items go back to APPROVED. RUNNING: the worker is asked to stop
    after the request in flight; what was already pushed stays pushed. Raises BatchActionRefused, BatchStateError.
    """
    from django_q.models import Schedule

    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().select_related("collection").get(pk=batch_id)
        _require(actor, "cancel", batch)
        if batch.status == PushBatch.Status.RUNNING:
            batch.cancel_requested = True
            batch.save(update_fields=["cancel_requested"])
            audit_record(action="batch.cancel_request", actor=actor, batch=batch, collection=batch.collection,
                         object_repr=str(batch), message="Cancel requested; the worker stops after the current step.")
            return batch
        if batch.status not in (PushBatch.Status.PENDING, PushBatch.Status.QUEUED):
            raise BatchStateError(f"{batch} is {batch.get_status_display().lower()} and cannot be cancelled.",
                                  batch=batch)
        if batch.status == PushBatch.Status.QUEUED:
            entries = list(batch.entries.filter(status=BatchItem.Status.PENDING).order_by("item_id"))
            items = {i.pk: i for i in DraftItem.objects.select_for_update().filter(
                pk__in=[e.item_id for e in entries]).order_by("pk")}
            items_transition(items=[i for i in items.values() if i.status == DraftItem.Status.IN_BATCH],
                             to_status=DraftItem.Status.APPROVED, actor=actor, action="item.unbatch",
                             reason=f"{batch} was cancelled", batch=batch)
            BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(
                status=BatchItem.Status.CANCELLED, reason="batch cancelled before it ran", updated_at=timezone.now())
            if batch.schedule_id:
                Schedule.objects.filter(pk=batch.schedule_id).delete()
        else:
            batch.entries.update(status=BatchItem.Status.CANCELLED, reason="batch cancelled before it was queued")
        batch.status = PushBatch.Status.CANCELLED
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "finished_at"])
        audit_record(action="batch.cancel", actor=actor, batch=batch, collection=batch.collection,
                     object_repr=str(batch))
    return batch


def batch_retry_failed(*, batch_id: int, actor, queue: bool = True) -> tuple[PushBatch, list[str]]:
    """A follow-up batch (same mode and locales) holding only this batch's failed items that can go again, queued
    (or, with queue=False, left pending so the publisher sees its pre-flight first, as the admin does).

    An item can go again when it is approved (fixed and re-approved) or still failed with its approved content
    unchanged (a transient failure). Returns (new batch, reasons for items left out).
    Raises BatchActionRefused, BatchStateError (nothing failed / none eligible), PreflightFailed.
    """
    batch = PushBatch.objects.select_related("collection").get(pk=batch_id)
    _require(actor, "retry", batch)
    if batch.status not in PushBatch.FINISHED_STATUSES:
        raise BatchStateError(f"{batch} is still {batch.get_status_display().lower()}; retry once it has finished.",
                              batch=batch)
    failed = list(batch.entries.filter(status=BatchItem.Status.FAILED).select_related("item"))
    if not failed:
        raise BatchStateError(f"{batch} has no failed items to retry.", batch=batch)
    eligible, skipped = [], []
    busy = set(BatchItem.objects.filter(item__in=[e.item for e in failed],
                                        batch__status__in=PushBatch.ACTIVE_STATUSES).values_list("item_id", flat=True))
    for entry in failed:
        item = entry.item
        if item.pk in busy:
            skipped.append(f"'{item}' is already in another open batch")
        elif item.status not in QUEUEABLE_STATUSES:
            skipped.append(f"'{item}' is {item.get_status_display().lower()}: fix it and have it approved again")
        else:
            eligible.append(item.pk)
    if not eligible:
        raise BatchStateError("No failed item can be retried yet: " + "; ".join(skipped[:20]) + ".", batch=batch)
    with transaction.atomic():
        retry = batch_create(collection=batch.collection, item_ids=eligible, mode=batch.mode, actor=actor,
                             locale_ids=list(batch.locales.values_list("pk", flat=True)), retry_of=batch)
        if queue:
            batch_queue(batch_id=retry.pk, actor=actor)
    retry.refresh_from_db()
    return retry, skipped
