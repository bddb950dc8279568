"""The versions page of an item, a translation or a locale mapping (simple-history's "History"), as people read it.

simple-history's own page showed codes: "item.push_staged: staged in Webflow" as the reason, "in_batch → staged" as
the change, "None" for a change made by the system, and asked to "choose a date" from a list whose dates were not
links. Here each version is its time (the link to it), who saved it, what happened in the audit history's words,
and what changed with each choice's label."""
import dataclasses
import re

from simple_history.template_utils import HistoricalRecordContextHelper

from ..audit_actions import AUDIT_ACTIONS
from ..models import Collection, DraftItem
from ..times import readable_time
from .display import webflow_comparison_rows

# "item.approve: Looks good." as items_transition writes a status move's reason: the action, then its note.
_ACTION_REASON = re.compile(r"^(?P<action>[a-z_]+\.[a-z_]+)(?::\s*(?P<note>.*))?$", re.S)


def readable_reason(record) -> str:
    """What the version was, in the audit history's words: its action's label and note, else the reason as written,
    else created / edited / deleted."""
    reason = (record.history_change_reason or "").strip()
    match = _ACTION_REASON.match(reason)
    if match and match["action"] in AUDIT_ACTIONS:
        label = AUDIT_ACTIONS[match["action"]]
        return f"{label}: {match['note']}" if match["note"] else label
    if reason:
        return reason[:1].upper() + reason[1:]
    return {"+": "Created", "~": "Edited", "-": "Deleted"}.get(record.history_type, "")


class ReadableChanges(HistoricalRecordContextHelper):
    """A version's changes with each choice's label ("In review", not "in_review") and an empty value as a dash;
    the field values one row per field, in the collection's labels and rendered as on the review page (not one
    Python dict beside another); a status note that "What happened" already says is not said twice."""

    def __init__(self, model, historical_record, *, collection=None):
        super().__init__(model, historical_record)
        self.collection = collection

    def context_for_delta_changes(self, delta):
        said = self.record.history_change_reason or ""
        changes = [change for change in delta.changes
                   if not (change.field == "status_reason" and change.new and str(change.new) in said)
                   and change.field != "field_data"]
        rows = super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))
        for change in delta.changes:
            if change.field == "field_data":
                rows += self.field_value_rows(change.old or {}, change.new or {})
        return rows

    def field_value_rows(self, old: dict, new: dict) -> list[dict]:
        return [{"field": label, "old": before, "new": after} for label, before, after, differs
                in webflow_comparison_rows(self.collection, old, new) if differs]

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        choices = dict(self.model._meta.get_field(change.field).flatchoices or ())
        if choices and not isinstance(value, (list, dict)) and value in choices:
            return str(choices[value])
        return "—" if value in (None, "", [], {}) else value


def versions_collection(record) -> Collection | None:
    """The collection whose fields label a version's field values: an item's, or a translation's item's."""
    collection_id = getattr(record, "collection_id", None)
    if collection_id is None and getattr(record, "item_id", None):
        collection_id = DraftItem.objects.filter(pk=record.item_id).values_list("collection_id", flat=True).first()
    return Collection.objects.filter(pk=collection_id).first() if collection_id else None


class ReadableVersionsMixin:
    """For a SimpleHistoryAdmin."""

    object_history_template = "admin/stagingapp/versions.html"
    object_history_list_template = "admin/stagingapp/versions_list.html"
    object_history_form_template = "admin/stagingapp/version_form.html"  # items and translations have their own

    def get_historical_record_context_helper(self, request, historical_record):
        if not hasattr(request, "_versions_collection"):  # one page lists one object's versions
            request._versions_collection = versions_collection(historical_record)
        return ReadableChanges(self.model, historical_record, collection=request._versions_collection)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # The one hook that sees the page's versions: each also gets what the list shows of it.
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        for record in historical_records:
            record.readable_time = readable_time(record.history_date)
            record.readable_reason = readable_reason(record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history gives its version page the *historical* model's options, so the page's "History" button
        # reversed a URL that does not exist and came out as a dead link (and a script error on every load).
        return super().history_form_view(request, object_id, version_id,
                                         extra_context={"opts": self.opts, **(extra_context or {})})
