"""Removals in a batch: unpublish (DELETE .../items/live), archive (PATCH isArchived) and delete (DELETE .../items).

An approved item with a removal request (DraftItem.removal_kind) is removed instead of being created or updated.
The same discipline as creates: a request's entries are committed in flight before it leaves; an unknown outcome
(or a 404) is settled by listing what Webflow still holds before anything is re-sent, so a delete whose answer
was lost is never sent twice and an item that is already gone counts as done. The worker and the batch preview
build the requests with removal_requests().
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ...models import BatchItem, DraftItem, PushChunk, WebflowItemRef
from ...webflow.errors import WebflowError, WebflowNotFound, WebflowRateLimited
from ..audit import audit_record
from ..workflow import items_transition
from .approval import matches_pin
from .lease import beat, nap
from .outcomes import cancel_pending, fail_entries, lock_items
from .policy import Action, Step, StopBatch, call_idempotent, decide, wait_rate_limit

Removal = DraftItem.Removal
# DELETE takes at most 100 items; a PATCH at most 100 entries (one per item and locale).
MAX_ITEMS_PER_DELETE = 100
MAX_ENTRIES_PER_PATCH = 100
DONE_WORD = {Removal.UNPUBLISH: "unpublished", Removal.ARCHIVE: "archived", Removal.DELETE: "deleted"}
CHANGED_BEFORE_REMOVAL = (
    "not removed: the item or its removal request changed after it was approved. Have it approved again, then "
    "push it in a new batch."
)


@dataclass
class RemovalRequest:
    """One Webflow request removing some items: what is sent and which refs (item x locale) it touches."""

    kind: str
    refs: dict[int, list[WebflowItemRef]] = field(default_factory=dict)  # item pk -> refs removed

    @property
    def method(self) -> str:
        return "PATCH" if self.kind == Removal.ARCHIVE else "DELETE"

    def path(self, collection_id: str) -> str:
        suffix = "/live" if self.kind == Removal.UNPUBLISH else ""
        return f"/v2/collections/{collection_id}/items{suffix}"

    def items(self) -> list[dict]:
        """The `items` of the body: per ref for a PATCH, per item with its cmsLocaleIds for a DELETE."""
        if self.kind == Removal.ARCHIVE:
            return [{"id": ref.webflow_item_id, "cmsLocaleId": ref.cms_locale_id, "isArchived": True}
                    for refs in self.refs.values() for ref in refs]
        return [{"id": refs[0].webflow_item_id, "cmsLocaleIds": [ref.cms_locale_id for ref in refs]}
                for refs in self.refs.values()]

    def preview(self, collection_id: str) -> dict:
        return {"method": self.method, "path": self.path(collection_id), "body": {"items": self.items()},
                "removal": self.kind}


def is_removal(item: DraftItem) -> bool:
    return bool(item.removal_kind)


def targeted_refs(item: DraftItem, refs: list[WebflowItemRef]) -> list[WebflowItemRef]:
    """The refs the item's removal touches: its chosen locales, or all of them; primary locale first."""
    chosen = set(item.removal_locale_ids or [])
    picked = [ref for ref in refs if not chosen or ref.locale_id in chosen]
    return sorted(picked, key=lambda ref: (not ref.locale.is_primary, ref.locale.tag))


def removal_requests(items: list[DraftItem]) -> list[RemovalRequest]:
    """The fewest requests for the removal items: by kind, 100 items per DELETE, 100 entries per PATCH."""
    refs: dict[int, list[WebflowItemRef]] = {}
    for ref in WebflowItemRef.objects.filter(item__in=[i for i in items if is_removal(i)]).select_related("locale"):
        refs.setdefault(ref.item_id, []).append(ref)
    requests: list[RemovalRequest] = []
    for kind in Removal.values:
        current = RemovalRequest(kind)
        for item in sorted((i for i in items if i.removal_kind == kind), key=lambda i: i.pk):
            picked = targeted_refs(item, refs.get(item.pk, []))
            if not picked:
                continue
            used = sum(map(len, current.refs.values())) if kind == Removal.ARCHIVE else len(current.refs)
            size = len(picked) if kind == Removal.ARCHIVE else 1
            limit = MAX_ENTRIES_PER_PATCH if kind == Removal.ARCHIVE else MAX_ITEMS_PER_DELETE
            if current.refs and used + size > limit:
                requests.append(current)
                current = RemovalRequest(kind)
            current.refs[item.pk] = picked
        if current.refs:
            requests.append(current)
    return requests


# --- The run step ---------------------------------------------------------------------------------------------

def remove_all(run) -> None:
    """Send every removal of the batch (first, before creates and updates), resuming one a dead run left in flight."""
    entries = run.entries(BatchItem.Status.PENDING, BatchItem.Status.IN_FLIGHT, item__removal_kind__gt="")
    if not entries:
        return
    fresh = {i.pk: i for i in DraftItem.objects.filter(pk__in=[e.item_id for e in entries])
             .prefetch_related("translations__locale")}
    changed = [e for e in entries if not matches_pin(fresh[e.item_id], e.approved_fingerprint)]
    fail_entries(run, changed, CHANGED_BEFORE_REMOVAL)
    entries = [e for e in entries if e not in changed]
    by_item = {e.item_id: e for e in entries}
    requests = removal_requests([fresh[e.item_id] for e in entries])
    covered = {pk for request in requests for pk in request.refs}
    fail_entries(run, [e for e in entries if e.item_id not in covered],
                 "not removed: the item has no Webflow IDs in the chosen locales any more")
    for request in requests:
        if run.cancel_requested():
            cancel_pending(run)
            return
        if any(by_item[pk].status == BatchItem.Status.IN_FLIGHT for pk in request.refs):
            request = settle_by_listing(run, request)  # a dead run sent it, or may have: look before re-sending
        if request.refs:
            send_removal(run, request)


def mark_in_flight(run, request: RemovalRequest) -> None:
    with transaction.atomic():
        beat(run)
        chunk = PushChunk.objects.create(batch=run.batch, endpoint=f"remove/{request.kind}", size=len(request.refs),
                                         attempts=1)
        run.batch.entries.filter(item_id__in=list(request.refs)).update(
            status=BatchItem.Status.IN_FLIGHT, chunk=chunk, attempts=F("attempts") + 1, updated_at=timezone.now())


def send_removal(run, request: RemovalRequest) -> None:
    """One removal request under the call policy; re-sent only for what a listing shows still in Webflow."""
    attempt = 0
    while request.refs:
        mark_in_flight(run, request)
        beat(run)
        run.request_info.update(items=list(request.refs), step=f"{Step.REMOVE.value} {request.kind}")
        try:
            if request.kind == Removal.ARCHIVE:
                run.client.update_items(run.collection_id, items=request.items())
            else:
                run.client.remove_items(run.collection_id, items=request.items(),
                                        live=request.kind == Removal.UNPUBLISH)
            record_removed(run, request, request.refs)
            return
        except WebflowRateLimited as exc:
            wait_rate_limit(run, exc)
            continue
        except WebflowError as exc:
            attempt += 1
            step = Step.PATCH if request.kind == Removal.ARCHIVE else Step.REMOVE
            decision = decide(exc, step=step, attempt=attempt, collection_id=run.collection_id, jitter=run.jitter)
            if decision.action is Action.STOP:
                raise StopBatch(decision.message) from exc
            if decision.action in (Action.RESEND, Action.RECONCILE):
                nap(run, decision.seconds)
                if decision.action is Action.RECONCILE:
                    request = settle_by_listing(run, request)
                continue
            # A refusal. For a DELETE, a 404 means some item (or variant) is not there: what is gone is done.
            if isinstance(exc, WebflowNotFound) and request.kind != Removal.ARCHIVE:
                before = set(request.refs)
                request = settle_by_listing(run, request)
                if set(request.refs) != before:
                    continue
            refuse(run, request, exc)
            return


def refuse(run, request: RemovalRequest, exc: WebflowError) -> None:
    """Webflow refused the request: one item fails with Webflow's reason; several are sent again one by one."""
    if len(request.refs) > 1:
        for item_pk, refs in list(request.refs.items()):
            send_removal(run, RemovalRequest(request.kind, {item_pk: refs}))
        return
    entries = list(run.batch.entries.filter(item_id__in=list(request.refs)))
    fail_entries(run, entries, f"Webflow refused to {request.kind} the item: {exc}")


def settle_by_listing(run, request: RemovalRequest) -> RemovalRequest:
    """List what Webflow holds (live items for an unpublish), record as done the items whose targeted variants
    are all gone, and return the request for the rest. An archive is idempotent: it is simply sent again."""
    if request.kind == Removal.ARCHIVE:
        return request
    live = request.kind == Removal.UNPUBLISH
    cms_ids = sorted({ref.cms_locale_id for refs in request.refs.values() for ref in refs})
    run.request_info.update(items=list(request.refs), step=f"{Step.LOOKUP.value} before {request.kind}")
    try:
        held = call_idempotent(run, lambda: {(v.id, v.cms_locale_id) for v in run.client.iter_items(
            run.collection_id, cms_locale_ids=cms_ids, live=live)})
    except WebflowError as exc:
        raise StopBatch(f"Webflow refused to list the items whose removal had no clear answer ({exc}); the batch "
                        "was stopped.") from exc
    gone = {pk: refs for pk, refs in request.refs.items()
            if not any((ref.webflow_item_id, ref.cms_locale_id) in held for ref in refs)}
    if gone:
        record_removed(run, request, gone, note="found gone when Webflow was listed")
    return RemovalRequest(request.kind, {pk: refs for pk, refs in request.refs.items() if pk not in gone})


def record_removed(run, request: RemovalRequest, done: dict[int, list[WebflowItemRef]], note: str = "") -> None:
    """Refs record the removal (a deleted variant's ref is removed); entries are done and their drafts go back to
    draft with the removal noted, the request cleared. One transaction."""
    word = DONE_WORD[request.kind]
    now = timezone.now()
    with transaction.atomic():
        beat(run)
        ref_pks = [ref.pk for refs in done.values() for ref in refs]
        if request.kind == Removal.DELETE:
            WebflowItemRef.objects.filter(pk__in=ref_pks).delete()
        elif request.kind == Removal.UNPUBLISH:
            WebflowItemRef.objects.filter(pk__in=ref_pks).update(
                removal=word, is_published=False, last_published=None, last_batch=run.batch)
        else:
            WebflowItemRef.objects.filter(pk__in=ref_pks).update(removal=word, last_batch=run.batch)
        remaining = set(WebflowItemRef.objects.filter(item_id__in=list(done)).values_list("item_id", flat=True))
        items = lock_items(done)
        groups: dict[str, list[DraftItem]] = {}
        for pk, refs in done.items():
            partly = request.kind == Removal.DELETE and pk in remaining
            what = f"{word} in {', '.join(ref.locale.tag for ref in refs)}" if partly else word
            groups.setdefault(what, []).append(items[pk])
        entries = list(run.batch.entries.filter(item_id__in=list(done)))
        for what, group in groups.items():
            reason = f"{what} in Webflow" + (f" ({note})" if note else "")
            for item in group:  # history rows copy the instances, so they carry the new values too
                item.removal_kind, item.removal_locale_ids = "", []
                item.approved_fingerprint = item.submitted_fingerprint = ""
                item.webflow_removal, item.webflow_removed_at = what, now
            items_transition(
                items=[i for i in group if i.status == DraftItem.Status.IN_BATCH], to_status=DraftItem.Status.DRAFT,
                **run.as_actor, action=f"item.push_{request.kind}", reason=reason, batch=run.batch,
                data={"webflow_ids": {i.pk: done[i.pk][0].webflow_item_id for i in group}},
                update_values={"removal_kind": "", "removal_locale_ids": [], "approved_fingerprint": "",
                               "submitted_fingerprint": "", "webflow_removal": what, "webflow_removed_at": now},
            )
            BatchItem.objects.filter(pk__in=[e.pk for e in entries if e.item_id in {i.pk for i in group}]).update(
                status=BatchItem.Status.DONE, reason=reason, updated_at=now)
        PushChunk.objects.filter(entries__in=entries, status=PushChunk.Status.IN_FLIGHT).update(
            status=PushChunk.Status.DONE if not note else PushChunk.Status.RECONCILED, finished_at=now)
    if note:
        audit_record(action="push.reconcile", **run.as_actor, batch=run.batch, collection=run.batch.collection,
                     object_repr=str(run.batch), message=f"{len(done)} item(s) already {word} in Webflow; not sent "
                                                         "again", data={"items": list(done)})
    run.report_progress()
