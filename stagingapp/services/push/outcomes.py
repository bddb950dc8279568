"""Final states: entries and their items DONE/FAILED/CANCELLED, and the batch closed with its overall status."""
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ...models import BatchItem, DraftItem, PushBatch, WebflowItemRef
from ...selectors import batch_counts, items_owing
from ...statements import select_instances, update_rows
from .. import notifications
from ..audit import audit_record
from ..workflow import items_transition
from .lease import ClaimLost, beat, write_answered

# (entry, ok, reason, field) per entry
Outcome = tuple[BatchItem, bool, str, str]


def lock_items(item_ids) -> dict[int, DraftItem]:
    """The items row-locked in pk order, with what a final transition reads (the status it moves from, the name
    its audit entry shows); the rest stays unread, as the history rows are copied in the database."""
    return {item.pk: item for item in select_instances(DraftItem, ("collection_id", "name", "status"),
                                                       for_update=True, pk=list(item_ids))}


def finish_items(run, outcomes: list[Outcome], items: dict[int, DraftItem]) -> None:
    """Final state of entries and their row-locked items, inside the caller's transaction.

    Entries are written with one UPDATE per distinct (status, reason, field), and item statuses with one
    items_transition per outcome (done / failed): a chunk of 100 costs the same few statements as a chunk of 5.
    """
    groups: dict[tuple[str, str, str], list[int]] = {}
    for entry, ok, reason, field in outcomes:
        entry.status = BatchItem.Status.DONE if ok else BatchItem.Status.FAILED
        entry.reason, entry.field = reason[:2000], field[:100]
        groups.setdefault((entry.status, entry.reason, entry.field), []).append(entry.pk)
    now = timezone.now()
    for (status, reason, field), pks in groups.items():
        update_rows(BatchItem, {"pk": pks}, status=status, reason=reason, field=field, updated_at=now)
    moves: dict[bool, tuple[list[DraftItem], dict[int, str], dict[int, dict]]] = {}
    for entry, ok, reason, field in outcomes:
        item = items[entry.item_id]
        if item.status != DraftItem.Status.IN_BATCH:
            continue
        group_items, reasons, data = moves.setdefault(ok, ([], {}, {}))
        group_items.append(item)
        reasons[item.pk] = reason
        if field:
            data[item.pk] = {"field": field}
    for ok, (group_items, reasons, data) in moves.items():
        if ok:
            to_status = DraftItem.Status.LIVE if run.live else DraftItem.Status.STAGED
            action = "item.push_live" if run.live else "item.push_staged"
        else:
            to_status, action = DraftItem.Status.FAILED, "item.push_failed"
        items_transition(items=group_items, to_status=to_status, **run.as_actor,
                         action=action, reason_by_item=reasons, data_by_item=data, batch=run.batch)


def finish_entries(run, outcomes: list[Outcome]) -> None:
    """Mark several entries final with their items locked, in pk order (one transaction)."""
    if not outcomes:
        return
    with transaction.atomic():
        beat(run)
        finish_items(run, outcomes, lock_items(entry.item_id for entry, *_ in outcomes))
    run.report_progress()


def fail_entries(run, entries: list[BatchItem], reason: str, field: str = "") -> None:
    finish_entries(run, [(entry, False, reason, field) for entry in entries])


def fail_refs(run, refs: list[WebflowItemRef], reason: str, field: str = "") -> None:
    """The items of these refs fail; nothing more is owed for them."""
    item_ids = {r.item_id for r in refs}
    entries = list(run.batch.entries.filter(item_id__in=item_ids, status=BatchItem.Status.SENT))
    with transaction.atomic():
        WebflowItemRef.objects.filter(item_id__in=item_ids).update(needs_patch=False, needs_publish=False)
    finish_entries(run, [(entry, False, reason, field) for entry in entries])


def settle_sent(run, entries: list[BatchItem], owing: set[int] = frozenset()) -> None:
    """Entries whose refs owe nothing more become DONE (caller holds a transaction). `owing`: items the caller
    knows still owe a PATCH or publish (refs it just wrote); only the others are looked up."""
    unsure = [e.item_id for e in entries if e.item_id not in owing]
    if not unsure:
        return
    owing = set(owing) | items_owing(unsure)
    done = [e for e in entries if e.item_id not in owing]
    if not done:
        return
    # The IDs themselves are on the item's Webflow refs; a shared reason keeps the entry update to one statement.
    where = "live in Webflow" if run.live else "staged in Webflow"
    outcomes = [(entry, True, f"{where}; {entry.reason}" if entry.reason else where, "") for entry in done]
    finish_items(run, outcomes, lock_items(e.item_id for e in done))


def cancel_pending(run) -> None:
    """A cancel was requested: entries not yet sent are cancelled and their items go back to APPROVED."""
    entries = run.entries(BatchItem.Status.PENDING)
    with transaction.atomic():
        beat(run)
        items = lock_items(e.item_id for e in entries)
        BatchItem.objects.filter(pk__in=[e.pk for e in entries]).update(
            status=BatchItem.Status.CANCELLED, reason="batch cancelled before this item was sent",
            updated_at=timezone.now())
        items_transition(items=[items[e.item_id] for e in entries
                                if items[e.item_id].status == DraftItem.Status.IN_BATCH],
                         to_status=DraftItem.Status.APPROVED, **run.as_actor,
                         action="item.unbatch", reason=f"{run.batch} was cancelled", batch=run.batch)


def stop(run, reason: str) -> None:
    """End the batch now: every entry not yet final fails with `reason` (or its unknown outcome)."""
    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().get(pk=run.batch.pk)
        if batch.claimed_by != run.worker or batch.status != PushBatch.Status.RUNNING:
            return
        write_answered(run)  # the requests' entries before the outcome they led to
        open_entries = list(
            batch.entries.filter(status__in=[BatchItem.Status.PENDING, BatchItem.Status.IN_FLIGHT,
                                             BatchItem.Status.SENT]).order_by("item_id")
        )
        removals = set(DraftItem.objects.filter(pk__in=[e.item_id for e in open_entries])
                       .exclude(removal_kind="").values_list("pk", flat=True))
        outcomes = []
        for entry in open_entries:
            note = reason
            if entry.item_id in removals:
                if entry.status == BatchItem.Status.IN_FLIGHT:
                    note = (f"{reason} The removal had no clear answer; a retry lists Webflow first and does not "
                            "send it again if it is done.")
            elif entry.status == BatchItem.Status.IN_FLIGHT or (
                    entry.status == BatchItem.Status.PENDING and entry.outcome_unknown):
                note = (f"{reason} Webflow may hold this item (the last create had no clear answer); a retry "
                        "looks its slug up first and adopts it.")
            elif entry.status == BatchItem.Status.SENT:
                note = f"{reason} The item exists in Webflow but its locales were not all finished."
            outcomes.append((entry, False, note, ""))
        finish_items(run, outcomes, lock_items(e.item_id for e in open_entries))
        WebflowItemRef.objects.filter(last_batch=batch).filter(
            Q(needs_patch=True) | Q(needs_publish=True)).update(needs_patch=False, needs_publish=False)
        batch.last_error = reason[:4000]
        close(run, batch)
    run.report_progress()


def finish(run) -> None:
    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().get(pk=run.batch.pk)
        if batch.claimed_by != run.worker:
            raise ClaimLost()
        write_answered(run)
        close(run, batch)
    run.report_progress()


def close(run, batch: PushBatch) -> None:
    """The batch's final status from its entry counts; releases the claim (caller holds the row lock)."""
    counts = batch_counts(batch)
    if batch.cancel_requested:
        batch.status = PushBatch.Status.CANCELLED
    elif counts["failed"] == 0:
        batch.status = PushBatch.Status.SUCCEEDED
    elif counts["done"] == 0:
        batch.status = PushBatch.Status.FAILED
    else:
        batch.status = PushBatch.Status.PARTLY_FAILED
    batch.finished_at = timezone.now()
    batch.claimed_by = ""
    batch.heartbeat_at = None
    batch.save(update_fields=["status", "finished_at", "claimed_by", "heartbeat_at", "last_error"])
    audit_record(action="batch.finish", **run.as_actor, batch=batch, collection=batch.collection,
                 object_repr=str(batch), message=batch.get_status_display(),
                 data={k: counts[k] for k in ("done", "failed", "cancelled", "total")})
    # Once the outcome is committed: whoever queued it hears of failures (and of a scheduled run's success).
    transaction.on_commit(partial(notifications.notify_batch_finished, batch_id=batch.pk))
