"""Item status transitions: the only code that assigns DraftItem.status."""
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from ..db_limits import without_nul
from ..exceptions import (
    ActionNotPermitted,
    CommentRequired,
    ContentChangedSinceSubmit,
    FieldDataInvalid,
    InvalidTransition,
    ItemLocked,
    RevertRefused,
    SelfReviewRefused,
)
from ..models import PRIMARY_CONTENT_FIELDS, DraftItem, DraftTranslation, content_hash
from ..schema import validate_field_data
from ..selectors import item_slug_clashes, translation_slug_clash
from ..statements import update_rows
from ..times import readable_time
from . import notifications
from .audit import actor_label_for, audit_record, audit_record_values, audit_values
from .rows import copy_to_history

S = DraftItem.Status

# Every status change an item may make. Review actions (submit/approve/reject) and push outcomes both go here,
# so the state machine is readable in one place.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.IN_REVIEW},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.DRAFT},
    S.REJECTED: {S.DRAFT, S.IN_REVIEW},
    S.APPROVED: {S.IN_BATCH, S.DRAFT},
    # IN_BATCH -> DRAFT: a pushed removal leaves the draft to be edited (or pushed as a new item) again.
    S.IN_BATCH: {S.STAGED, S.LIVE, S.FAILED, S.APPROVED, S.DRAFT},
    S.STAGED: {S.DRAFT, S.IN_BATCH, S.LIVE},
    S.LIVE: {S.DRAFT, S.IN_BATCH},
    S.FAILED: {S.DRAFT, S.IN_BATCH, S.APPROVED},
}

PERM_SUBMIT = "stagingapp.submit_draftitem"
PERM_APPROVE = "stagingapp.approve_draftitem"
PERM_UNLOCK = "stagingapp.unlock_draftitem"

# Statuses whose content a review pinned, and the field holding that pin. IN_BATCH is not here: a running
# push must not be pulled from under the worker; the batch refuses items that fail item_fingerprint_matches().
PINNED_FINGERPRINT_FIELD = {
    S.IN_REVIEW: "submitted_fingerprint",
    S.APPROVED: "approved_fingerprint",
    S.STAGED: "approved_fingerprint",
    S.LIVE: "approved_fingerprint",
    S.FAILED: "approved_fingerprint",
}


def item_transition(
    *, item: DraftItem, to_status: str, actor, action: str, reason: str = "", data: dict | None = None,
    actor_label: str = "", extra_update_fields: tuple[str, ...] = (), **audit_links,
) -> DraftItem:
    """Move a row-locked item to `to_status` and audit it. Call inside transaction.atomic with the row locked.

    Raises InvalidTransition when the state machine does not allow the move; nothing is written then.
    """
    if to_status not in ALLOWED_TRANSITIONS.get(item.status, set()):
        raise InvalidTransition(item=item, to_status=to_status)
    from_status = item.status
    item.status = to_status
    item.status_reason = reason
    item.save(update_fields=["status", "status_reason", "updated_at", *extra_update_fields])
    audit_record(
        action=action, actor=actor, actor_label=actor_label, item=item, message=reason,
        data={"from": from_status, "to": to_status, **(data or {})}, **audit_links,
    )
    return item


# Longest change reason django-simple-history stores (its history_change_reason column is 100 characters).
HISTORY_REASON_MAX = 100
# Up to this many distinct reasons, items_transition writes one UPDATE per reason; beyond, one bulk_update.
MAX_REASON_GROUPS = 4


def items_transition(
    *, items, to_status: str, actor, action: str, reason: str = "", reason_by_item: dict[int, str] | None = None,
    data: dict | None = None, data_by_item: dict[int, dict] | None = None, actor_label: str = "",
    update_values: dict | None = None, per_item_fields: tuple[str, ...] = (), **audit_links,
) -> list[DraftItem]:
    """Move several row-locked items to `to_status` in a constant number of queries, with the same history row
    and audit entry per item that item_transition writes. Call inside transaction.atomic with the rows locked.

    Review transitions write more than the status: `update_values` are columns written by the same UPDATE to
    every item (plain values or expressions such as F("submitted_fingerprint")), and `per_item_fields` are
    columns whose values differ per item (one executemany, from the in-memory items, which the caller sets first).
    The history rows are copied from the rows once written, so they hold exactly what the database holds.

    `reason_by_item` / `data_by_item` (keyed by item pk) override `reason` / add to `data` per item. Effect: one
    UPDATE of status, status_reason and updated_at per distinct reason (at most MAX_REASON_GROUPS, else one
    bulk_update); one INSERT ... SELECT of simple-history rows (history_type "~",
    history_user=actor, change reason "<action>: <reason>"); one INSERT of audit entries `action` with
    data {"from", "to", **data}. Raises InvalidTransition when any item may not make the move; nothing is
    written then.

    Unlike item.save(), this sends no post_create_historical_record signal. That is correct here: the only
    receiver (receivers.history_to_audit) turns a history row into an "item.edit" entry and re-checks the
    approval fingerprint only when a field outside NOT_AN_EDIT_FIELDS changed, and a transition writes
    nothing but status, status_reason and updated_at, which are all bookkeeping. Callers needing other columns
    written with the status (fingerprints, reviewer) use item_transition.
    """
    items = list(items)
    for item in items:
        if to_status not in ALLOWED_TRANSITIONS.get(item.status, set()):
            raise InvalidTransition(item=item, to_status=to_status)
    if not items:
        return items
    reason_by_item = reason_by_item or {}
    data_by_item = data_by_item or {}
    label = actor_label or actor_label_for(actor)
    now = timezone.now()
    events = []
    for item in items:
        from_status = item.status
        item_reason = reason_by_item.get(item.pk, reason)
        item.status = to_status
        item.status_reason = item_reason
        item.updated_at = now  # bulk_update skips auto_now
        events.append(audit_values(
            action=action, actor=actor, actor_label=label, item=item, message=item_reason,
            data={"from": from_status, "to": to_status, **(data or {}), **data_by_item.get(item.pk, {})},
            **audit_links,
        ))
    by_reason: dict[str, list[int]] = {}
    for item in items:
        by_reason.setdefault(item.status_reason, []).append(item.pk)
    with transaction.atomic(savepoint=False):
        if len(by_reason) <= MAX_REASON_GROUPS:
            # Status and time are shared, so one plain UPDATE per distinct reason (a push chunk has one or two).
            # Django's bulk_update builds a CASE expression per row and costs milliseconds of CPU per item.
            for item_reason, pks in by_reason.items():
                update_rows(DraftItem, {"pk": pks}, status=to_status, status_reason=item_reason, updated_at=now,
                            **(update_values or {}))
        else:
            DraftItem.objects.bulk_update(items, ["status", "status_reason", "updated_at"])
            if update_values:
                DraftItem.objects.filter(pk__in=[i.pk for i in items]).update(**update_values)
        if per_item_fields:
            _update_per_item(items, per_item_fields)
        copy_to_history(DraftItem, [item.pk for item in items], action=action, actor=actor, when=now)
    audit_record_values(events)
    return items


def _update_per_item(items, fields) -> None:
    """Write each item's own value of `fields` with one executemany of a plain UPDATE by pk (one statement for
    Django, pipelined by psycopg): bulk_update's CASE expression cost ~2.5 ms of CPU per row (measured, 2,000
    items), more than everything else a bulk review does."""
    columns = [DraftItem._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(DraftItem._meta.db_table)} SET {assignments} WHERE {quote(DraftItem._meta.pk.column)} = %s"
    rows = [[column.get_db_prep_save(getattr(item, column.attname), connection) for column in columns] + [item.pk]
            for item in items]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- Checks a UI may ask before offering an action (the services re-check them) -------------------------------

def _has_perm(actor, perm: str) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active and actor.has_perm(perm)


def _require_perm(actor, perm: str, action: str) -> None:
    if not _has_perm(actor, perm):
        raise ActionNotPermitted(actor=actor, action=action)


def can_submit(actor) -> bool:
    return _has_perm(actor, PERM_SUBMIT)


def can_review(actor) -> bool:
    return _has_perm(actor, PERM_APPROVE)


def can_unlock(actor) -> bool:
    return _has_perm(actor, PERM_UNLOCK)


def is_own_work(*, item: DraftItem, actor) -> bool:
    """True when the actor created, last edited (item or any translation) or submitted the item."""
    if actor is None or actor.pk is None:
        return False
    if actor.pk in {item.created_by_id, item.last_edited_by_id, item.submitted_by_id}:
        return True
    prefetched = getattr(item, "_prefetched_objects_cache", {}).get("translations")
    if prefetched is not None:  # bulk review: _lock_items prefetched them, so no query per item
        return any(t.last_edited_by_id == actor.pk for t in prefetched)
    return DraftTranslation.objects.filter(item_id=item.pk, last_edited_by_id=actor.pk).exists()


def _check_four_eyes(*, item: DraftItem, actor) -> None:
    # Superusers included: only the explicit setting relaxes the rule.
    if not settings.STAGING_ALLOW_SELF_APPROVAL and is_own_work(item=item, actor=actor):
        raise SelfReviewRefused(item=item, actor=actor)


def available_transitions(*, item: DraftItem, actor) -> list[str]:
    """Names of the review actions this actor may take on this item now: submit, approve, reject, unlock."""
    names = []
    if can_submit(actor) and S.IN_REVIEW in ALLOWED_TRANSITIONS[item.status] and item.status != S.IN_REVIEW:
        names.append("submit")
    if item.status == S.IN_REVIEW:
        if can_review(actor) and (settings.STAGING_ALLOW_SELF_APPROVAL or not is_own_work(item=item, actor=actor)):
            names += ["approve", "reject"]
        if can_unlock(actor):
            names.append("unlock")
    return names


def item_edit_lock_reason(item: DraftItem) -> str | None:
    """Why the item may not be edited now (a sentence naming who holds it), or None when it is editable.

    The push pipeline extends this for items in a queued or running batch.
    """
    if item.status == S.IN_REVIEW:
        held = ""
        if item.submitted_by_id and item.submitted_by:
            held += f" by {item.submitted_by.get_username()}"
        if item.submitted_at:
            held += f" on {readable_time(item.submitted_at)}"
        return (
            f"it is in review (submitted{held}). An approver can reject it, "
            "or someone with the unlock permission can unlock it for editing."
        )
    if item.status == S.IN_BATCH:
        return "it is in a push batch. Cancel the batch, or wait for the push to finish, to edit it."
    return None


def item_ensure_editable(item: DraftItem) -> None:
    """Raises ItemLocked when item_edit_lock_reason() gives a reason; for import and other write paths."""
    reason = item_edit_lock_reason(item)
    if reason:
        raise ItemLocked(item=item, reason=reason)


def item_fingerprint_matches(item: DraftItem) -> bool:
    """True when the item was approved and its content is exactly what was approved (batches check this)."""
    return bool(item.approved_fingerprint) and item.fingerprint() == item.approved_fingerprint


# --- Review transitions ---------------------------------------------------------------------------------------

# Review transitions lock, check and write this many items at a time (all in one transaction, so a refusal in
# the last chunk still changes nothing): a constant number of queries per chunk, and no IN list that SQLite's
# parameter limit could refuse.
REVIEW_CHUNK = 500


def _lock_items(item_ids) -> list[DraftItem]:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the submitted_by outer join.
    locked = DraftItem.objects.select_for_update(of=("self",)).select_related("submitted_by")
    return list(locked.filter(pk__in=item_ids).order_by("pk"))


def _locked_chunks(item_ids):
    """The items in pk order, REVIEW_CHUNK at a time, row-locked, with translations and their locales prefetched
    (fingerprints and four-eyes then need no query per item)."""
    ids = sorted({int(pk) for pk in item_ids})
    translations = Prefetch("translations", queryset=DraftTranslation.objects.select_related("locale"))
    for start in range(0, len(ids), REVIEW_CHUNK):
        locked = DraftItem.objects.select_for_update(of=("self",)).prefetch_related(translations)
        yield list(locked.filter(pk__in=ids[start:start + REVIEW_CHUNK]).order_by("pk"))


def comment_text(text: str | None) -> str:
    """A review comment as stored, shown and e-mailed: trimmed, and without NUL (U+0000), which nobody types and
    PostgreSQL stores in no column (a comment holding one, sent by a script or a bad paste, was a 500 there)."""
    return without_nul(text or "").strip()


def _review(*, item_ids, actor, action: str, to_status: str, comment: str, prepare, update_values,
            per_item=()) -> list[DraftItem]:
    """Shared body of the bulk review transitions: lock each chunk, let `prepare(item)` check and set the item's
    new values (raising a StagingError refuses the whole call), then write the chunk with items_transition."""
    done = []
    for items in _locked_chunks(item_ids):
        chunk_data = {}
        for item in items:
            chunk_data[item.pk] = prepare(item) or {}
            for name, value in update_values.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(item, name, value)
        items_transition(
            items=items, to_status=to_status, actor=actor, action=action, reason=comment,
            data={"comment": comment}, data_by_item=chunk_data,
            update_values=update_values, per_item_fields=per_item,
        )
        done += items
    return done


def items_submit(*, item_ids: list[int], actor, comment: str = "") -> list[DraftItem]:
    """DRAFT or REJECTED -> IN_REVIEW for every id, pinned to the submitted content; approvers are emailed
    after commit. A constant number of queries per REVIEW_CHUNK items.

    Raises ActionNotPermitted without the submit permission, InvalidTransition when any item is in another
    status; nothing changes then.
    """
    comment = comment_text(comment)
    _require_perm(actor, PERM_SUBMIT, "submit items for review")

    def prepare(item):
        if item.status == S.IN_REVIEW:
            raise InvalidTransition(item=item, to_status=S.IN_REVIEW)
        item.submitted_fingerprint = item.fingerprint()
        return {"fingerprint": item.submitted_fingerprint}

    with transaction.atomic():
        items = _review(item_ids=item_ids, actor=actor, action="item.submit", to_status=S.IN_REVIEW,
                        comment=comment, prepare=prepare, per_item=("submitted_fingerprint",),
                        update_values={"submitted_by": actor, "submitted_at": timezone.now(),
                                       "approved_fingerprint": ""})
        if items:
            transaction.on_commit(
                partial(notifications.notify_submitted, item_ids=[i.pk for i in items], actor_id=actor.pk)
            )
    return items


def items_approve(*, item_ids: list[int], actor, comment: str = "") -> list[DraftItem]:
    """IN_REVIEW -> APPROVED for every id, pinned to the reviewed fingerprint; submitters are emailed after commit.
    A constant number of queries per REVIEW_CHUNK items.

    Raises ActionNotPermitted without the approve permission, InvalidTransition for an item not in review,
    SelfReviewRefused for the actor's own work (unless STAGING_ALLOW_SELF_APPROVAL), ContentChangedSinceSubmit
    when the content differs from what was submitted; nothing changes then.
    """
    comment = comment_text(comment)
    _require_perm(actor, PERM_APPROVE, "approve items")

    def prepare(item):
        if item.status != S.IN_REVIEW:
            raise InvalidTransition(item=item, to_status=S.APPROVED)
        _check_four_eyes(item=item, actor=actor)
        snapshot = item.content_snapshot()
        fingerprint = content_hash(snapshot)
        if item.submitted_fingerprint and fingerprint != item.submitted_fingerprint:
            raise ContentChangedSinceSubmit(item=item)
        item.approved_fingerprint = fingerprint
        # The snapshot lets the admin show what changed since this approval, field by field.
        return {"fingerprint": fingerprint, "snapshot": snapshot}

    with transaction.atomic():
        items = _review(item_ids=item_ids, actor=actor, action="item.approve", to_status=S.APPROVED,
                        comment=comment, prepare=prepare, per_item=("approved_fingerprint",),
                        update_values={"reviewed_by": actor, "reviewed_at": timezone.now()})
        if items:
            transaction.on_commit(partial(
                notifications.notify_reviewed, item_ids=[i.pk for i in items], actor_id=actor.pk,
                decision="approved", comment=comment,
            ))
    return items


def items_reject(*, item_ids: list[int], actor, comment: str) -> list[DraftItem]:
    """IN_REVIEW -> REJECTED for every id with the reviewer's comment as the status note; submitters are emailed.

    Raises CommentRequired for an empty comment, ActionNotPermitted, InvalidTransition or SelfReviewRefused as
    items_approve does; nothing changes then.
    """
    comment = comment_text(comment)
    if not comment:
        raise CommentRequired(action="reject items")
    _require_perm(actor, PERM_APPROVE, "reject items")

    def prepare(item):
        if item.status != S.IN_REVIEW:
            raise InvalidTransition(item=item, to_status=S.REJECTED)
        _check_four_eyes(item=item, actor=actor)

    with transaction.atomic():
        items = _review(item_ids=item_ids, actor=actor, action="item.reject", to_status=S.REJECTED,
                        comment=comment, prepare=prepare,
                        update_values={"reviewed_by": actor, "reviewed_at": timezone.now(),
                                       "approved_fingerprint": ""})
        if items:
            transaction.on_commit(partial(
                notifications.notify_reviewed, item_ids=[i.pk for i in items], actor_id=actor.pk,
                decision="rejected", comment=comment,
            ))
    return items


def items_unlock(*, item_ids: list[int], actor, reason: str) -> list[DraftItem]:
    """IN_REVIEW -> DRAFT for every id so it can be edited again; the reason lands in the history.

    Raises CommentRequired for an empty reason, ActionNotPermitted without the unlock permission,
    InvalidTransition for an item not in review; nothing changes then.
    """
    reason = comment_text(reason)
    if not reason:
        raise CommentRequired(action="unlock items")
    _require_perm(actor, PERM_UNLOCK, "unlock items")

    def prepare(item):
        if item.status != S.IN_REVIEW:
            raise InvalidTransition(item=item, to_status=S.DRAFT)

    with transaction.atomic():
        return _review(item_ids=item_ids, actor=actor, action="item.unlock", to_status=S.DRAFT, comment=reason,
                       prepare=prepare, update_values={"submitted_fingerprint": ""})


def item_content_changed(*, item_id: int, actor=None, actor_label: str = "") -> DraftItem | None:
    """After any write to an item's content: when it no longer matches the fingerprint its status is pinned to
    (submitted or approved), move it back to DRAFT with a note in its history. Returns the reset item, else None.

    Runs in its own atomic block with the row locked; never raises for an unpinned or deleted item.
    """
    with transaction.atomic():
        item = DraftItem.objects.select_for_update().filter(pk=item_id).first()
        pin_field = PINNED_FINGERPRINT_FIELD.get(item.status) if item is not None else None
        pinned = getattr(item, pin_field) if pin_field else ""
        if not pinned:
            return None
        current = item.fingerprint()
        if current == pinned:
            return None
        what = "submitted" if item.status == S.IN_REVIEW else "approved"
        item.approved_fingerprint = item.submitted_fingerprint = ""
        return item_transition(
            item=item, to_status=S.DRAFT, actor=actor, actor_label=actor_label, action="item.approval_reset",
            reason=f"The content changed after it was {what}, so it needs a new review.",
            data={"pinned_fingerprint": pinned, "fingerprint": current},
            extra_update_fields=("approved_fingerprint", "submitted_fingerprint"),
        )


def item_sync_workflow_fields(*, instance: DraftItem, source: DraftItem) -> None:
    """Copy workflow fields from a freshly transitioned row onto a caller's in-memory instance, so a later
    full save() of that instance cannot write the old status back."""
    for name in ("status", "status_reason", "approved_fingerprint", "submitted_fingerprint"):
        setattr(instance, name, getattr(source, name))


# --- Revert: putting back an earlier version's content ---------------------------------------------------------

PERM_CHANGE_ITEM = "stagingapp.change_draftitem"
PERM_CHANGE_TRANSLATION = "stagingapp.change_drafttranslation"
TRANSLATION_CONTENT_FIELDS = ("name", "slug", "field_data")


def _history_version(model, *, object_id: int, history_id):
    try:
        return model.history.filter(id=object_id, history_id=int(history_id)).first()
    except (TypeError, ValueError):
        return None


def _restore_content(obj, *, version, fields: tuple[str, ...], actor) -> None:
    """Copy only the content `fields` from `version` onto the locked `obj` and save it as an edit by `actor`.

    Status and workflow columns keep their current values: a full save() of the current row writes them back
    unchanged, and the history receiver then resets a pinned approval exactly as for any other edit.
    """
    for name in fields:
        setattr(obj, name, getattr(version, name))
    when = readable_time(version.history_date)
    obj.last_edited_by = actor
    obj._history_user = actor
    obj._change_reason = f"revert to the version of {when}"
    obj._audit_verb = "revert"
    obj._audit_message = f"Reverted to the version of {when}."
    obj._audit_data = {"reverted_to_history_id": version.history_id, "version_date": version.history_date.isoformat()}
    try:
        obj.save()
    finally:
        for name in ("_history_user", "_change_reason", "_audit_verb", "_audit_message", "_audit_data"):
            obj.__dict__.pop(name, None)


def item_revert(*, item_id: int, history_id, actor) -> DraftItem:
    """Put back the content (name, slug, field values, Webflow flags) an item had in history row `history_id`,
    as a new edit by `actor` audited as `item.revert` with the field diff.

    Never restores status or workflow fields: like any edit, it sends a submitted or approved item back to draft
    (`item.approval_reset`), so a revert can never skip review. Raises ActionNotPermitted without the change
    permission, ItemLocked while the item is in review or in a batch, RevertRefused for a version of another item
    (or none), one with the current content, or whose slug another item holds now, FieldDataInvalid when its
    values no longer fit the collection's schema; nothing changes then.
    """
    _require_perm(actor, PERM_CHANGE_ITEM, "edit items")
    with transaction.atomic():
        locked = _lock_items([item_id])
        version = _history_version(DraftItem, object_id=item_id, history_id=history_id)
        if not locked or version is None:
            raise RevertRefused("That version does not exist (any more) for this item.")
        item = locked[0]
        item_ensure_editable(item)
        restored = {name: getattr(version, name) for name in PRIMARY_CONTENT_FIELDS}
        if restored == item.primary_content():
            raise RevertRefused(f"'{item}' already has the content of that version; nothing was changed.", obj=item)
        clash = DraftItem.objects.filter(collection_id=item.collection_id, slug=restored["slug"]).exclude(pk=item.pk)
        clashes = [str(c) for c in item_slug_clashes(collection=item.collection, slug=restored["slug"],
                                                      item_pk=item.pk)]
        if clash.exists() or clashes:
            raise RevertRefused(f"'{item}' cannot go back to the slug '{restored['slug']}': another item uses it "
                                f"now. {' '.join(clashes)}".strip(), obj=item)
        errors = validate_field_data(item.collection, restored["field_data"] or {}, name=restored["name"],
                                     slug=restored["slug"], draft_refs=True)
        if errors:
            raise FieldDataInvalid(errors=errors, item=item)
        _restore_content(item, version=version, fields=PRIMARY_CONTENT_FIELDS, actor=actor)
    item.refresh_from_db()
    return item


def translation_revert(*, translation_id: int, history_id, actor) -> DraftTranslation:
    """Put back a translation's name, slug and field values from history row `history_id` as a new edit by
    `actor`, audited as `translation.revert`; the item's review resets as for any translation edit.

    Raises as item_revert does (the lock is the item's; the slug must be free in the translation's locale).
    """
    _require_perm(actor, PERM_CHANGE_TRANSLATION, "edit translations")
    with transaction.atomic():
        item_id = DraftTranslation.objects.filter(pk=translation_id).values_list("item_id", flat=True).first()
        locked = _lock_items([item_id]) if item_id is not None else []
        version = _history_version(DraftTranslation, object_id=translation_id, history_id=history_id)
        if not locked or version is None:
            raise RevertRefused("That version does not exist (any more) for this translation.")
        item = locked[0]
        item_ensure_editable(item)
        translation = DraftTranslation.objects.select_for_update().select_related("locale").get(pk=translation_id)
        restored = {name: getattr(version, name) for name in TRANSLATION_CONTENT_FIELDS}
        if restored == {name: getattr(translation, name) for name in TRANSLATION_CONTENT_FIELDS}:
            raise RevertRefused(f"'{translation}' already has the content of that version; nothing was changed.",
                                obj=translation)
        clash = translation_slug_clash(collection=item.collection, locale=translation.locale,
                                       slug=restored["slug"], item_pk=item.pk)
        if clash is not None:
            raise RevertRefused(f"'{translation}' cannot go back to that version: {clash}", obj=translation)
        errors = validate_field_data(item.collection, restored["field_data"] or {}, name=restored["name"],
                                     slug=restored["slug"], partial=True, draft_refs=True)
        if errors:
            raise FieldDataInvalid(errors=errors, item=item)
        _restore_content(translation, version=version, fields=TRANSLATION_CONTENT_FIELDS, actor=actor)
    translation.refresh_from_db()
    return translation
