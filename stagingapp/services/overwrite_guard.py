"""The overwrite guard: an update must not silently overwrite a change made in Webflow since our last push.

The batch pre-flight asks `overwrite_problems()`: an item whose newest drift report (newer than our last write
of its refs) found it changed in Webflow, or with another slug there, is refused until a publisher confirms the
overwrite for this batch (`batch_confirm_overwrite`, audited) or pulls first.
"""
from __future__ import annotations

from django.db import transaction

from ..exceptions import BatchStateError
from ..models import AuditEvent, DraftItem, DriftFinding, DriftRun, PushBatch, WebflowItemRef
from .audit import audit_entry, audit_record_many

GUARDED_KINDS = (DriftFinding.Kind.CHANGED, DriftFinding.Kind.SLUG)
CONFIRM_ACTION = "item.overwrite_confirm"


def latest_findings(item_ids) -> dict[int, list[DriftFinding]]:
    """item id -> findings of the newest finished drift run that covered it (a selector; no writes)."""
    result: dict[int, list[DriftFinding]] = {}
    rows = (DriftFinding.objects.filter(item_id__in=list(item_ids), run__status=DriftRun.Status.DONE)
            .select_related("run", "locale").order_by("item_id", "-run__started_at", "-run_id", "pk"))
    newest: dict[int, int] = {}
    for row in rows:
        if newest.setdefault(row.item_id, row.run_id) == row.run_id:
            result.setdefault(row.item_id, []).append(row)
    return result


def webflow_changes(item_ids) -> dict[int, list[DriftFinding]]:
    """item id -> the guarded findings still current: newer than the item's last push or pull."""
    written: dict[int, object] = {}
    for item_id, stamp in WebflowItemRef.objects.filter(item_id__in=list(item_ids)).values_list("item_id",
                                                                                               "updated_at"):
        written[item_id] = max(stamp, written.get(item_id, stamp))
    result = {}
    for item_id, findings in latest_findings(written).items():
        guarded = [f for f in findings if f.kind in GUARDED_KINDS and f.run.started_at > written[item_id]]
        if guarded:
            result[item_id] = guarded
    return result


def _confirmed(batch: PushBatch, item_ids) -> set[tuple[int, int]]:
    events = AuditEvent.objects.filter(action=CONFIRM_ACTION, batch=batch, item_id__in=list(item_ids))
    return {(item_id, data.get("run")) for item_id, data in events.values_list("item_id", "data")}


def describe(findings: list[DriftFinding]) -> str:
    parts = []
    for finding in findings:
        fields = ", ".join(finding.diff) or finding.get_kind_display().lower()
        parts.append(f"{finding.locale.tag if finding.locale else '?'}: {fields}")
    return "; ".join(parts)


def overwrite_problems(batch: PushBatch, items: list[DraftItem]) -> list[tuple[DraftItem, str]]:
    """(item, reason) for every update in the batch that would overwrite an unconfirmed change made in Webflow."""
    if batch.pk is None or not items:
        return []
    changes = webflow_changes([item.pk for item in items])
    if not changes:
        return []
    confirmed = _confirmed(batch, changes)
    problems = []
    for item in items:
        findings = changes.get(item.pk)
        if findings and (item.pk, findings[0].run_id) not in confirmed:
            problems.append((item, (
                f"changed in Webflow since our last push (drift report #{findings[0].run_id}: "
                f"{describe(findings)}); confirm the overwrite for this batch or pull the collection first")))
    return problems


def batch_confirm_overwrite(*, batch_id: int, actor) -> list[DraftItem]:
    """Record the publisher's explicit consent to overwrite the Webflow changes of every flagged item of a
    pending batch (one audit entry per item, naming the drift report). Returns the items confirmed.

    Raises BatchStateError when the batch is no longer pending.
    """
    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PushBatch.Status.PENDING:
            raise BatchStateError(f"{batch} is {batch.get_status_display().lower()}; only a pending batch's "
                                  "overwrites can be confirmed.", batch=batch)
        items = [entry.item for entry in batch.entries.select_related("item__collection")]
        flagged = overwrite_problems(batch, items)
        changes = webflow_changes([item.pk for item, _ in flagged])
        audit_record_many([
            audit_entry(action=CONFIRM_ACTION, actor=actor, item=item, batch=batch,
                        message=f"Overwrite of Webflow's changes confirmed: {describe(changes[item.pk])}.",
                        data={"run": changes[item.pk][0].run_id,
                              "diff": {f.locale.tag if f.locale else "?": f.diff for f in changes[item.pk]}})
            for item, _ in flagged
        ])
    return [item for item, _ in flagged]
