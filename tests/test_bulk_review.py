"""Bulk review at scale: a constant number of queries whatever the selection, and any number of items through
the comment page (it posts a token, not thousands of ids)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stagingapp.models import AuditEvent, DraftItem, DraftTranslation
from stagingapp.services import workflow
from tests import factories

S = DraftItem.Status


def _items(collection, editor, count, status=S.DRAFT):
    start = DraftItem.objects.count()
    return DraftItem.objects.bulk_create([
        DraftItem(collection=collection, name=f"Bulk {n}", slug=f"bulk-{n}", field_data={"summary": f"S {n}"},
                  status=status, created_by=editor, last_edited_by=editor)
        for n in range(start, start + count)
    ])


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


@pytest.mark.parametrize("transition", ["submit", "approve", "reject"])
def test_bulk_review_runs_the_same_number_of_queries_for_3_or_30_items(
        collection, locales, editor, approver, transition):
    counts = []
    for size in (1, 3, 30):  # the first run only warms the actor's permission cache
        items = _items(collection, editor, size, status=S.DRAFT if transition == "submit" else S.IN_REVIEW)
        # translations are read in bulk, not per item (bulk_create: a locked item refuses a translation's save)
        DraftTranslation.objects.bulk_create([DraftTranslation(item=items[0], locale=locales[1], name="T")])
        ids = [i.pk for i in items]
        if transition == "submit":
            counts.append(_queries(lambda ids=ids: workflow.items_submit(item_ids=ids, actor=editor)))
        elif transition == "approve":
            counts.append(_queries(lambda ids=ids: workflow.items_approve(item_ids=ids, actor=approver)))
        else:
            counts.append(_queries(lambda ids=ids: workflow.items_reject(item_ids=ids, actor=approver,
                                                                          comment="No")))
        assert AuditEvent.objects.filter(item_id__in=ids, action=f"item.{transition}").count() == size
    assert counts[1] == counts[2]


def test_bulk_transitions_keep_per_item_pins_history_and_audit(collection, locales, editor, approver):
    items = _items(collection, editor, 3)
    factories.make_translation(items[1], locales[1], name="Deux")
    ids = [i.pk for i in items]

    workflow.items_submit(item_ids=ids, actor=editor, comment="Ready")
    workflow.items_approve(item_ids=ids, actor=approver, comment="Fine")

    for item in DraftItem.objects.filter(pk__in=ids):
        assert item.status == S.APPROVED and item.submitted_by == editor and item.reviewed_by == approver
        assert item.approved_fingerprint == item.submitted_fingerprint == item.fingerprint()
        assert item.history.latest("history_id").status == S.APPROVED
        approval = AuditEvent.objects.get(item=item, action="item.approve")
        assert approval.data["snapshot"] == item.content_snapshot() and approval.data["comment"] == "Fine"


def test_1200_items_selected_across_pages_are_approved_through_the_comment_page(client, collection, editor, approver):
    items = _items(collection, editor, 1200, status=S.IN_REVIEW)
    client.force_login(approver)
    changelist = reverse("admin:stagingapp_draftitem_changelist") + "?status__exact=in_review"

    asked = client.post(changelist, {"action": "approve_selected", "select_across": "1", "index": "0",
                                     "_selected_action": [items[0].pk]})
    comment_page = client.get(asked["Location"])
    done = client.post(asked["Location"], {"comment": "Checked the lot", "apply": "Approve"}, follow=True)

    assert asked.status_code == 302 and "1200 selected items" in comment_page.content.decode()
    assert "Approved 1200 items." in done.content.decode()
    assert DraftItem.objects.filter(status=S.APPROVED).count() == 1200
    assert client.get(asked["Location"]).status_code == 404  # the selection is used once


def test_a_refused_bulk_approval_keeps_the_selection_and_changes_nothing(client, collection, editor, approver):
    items = _items(collection, editor, 2, status=S.IN_REVIEW)
    DraftItem.objects.filter(pk=items[1].pk).update(last_edited_by=approver)  # four-eyes: one is the approver's
    client.force_login(approver)

    asked = client.post(reverse("admin:stagingapp_draftitem_changelist"),
                        {"action": "approve_selected", "_selected_action": [i.pk for i in items]})
    refused = client.post(asked["Location"], {"comment": ""}, follow=True)

    assert "four-eyes" in refused.content.decode() and 'name="comment"' in refused.content.decode()
    assert not DraftItem.objects.filter(status=S.APPROVED).exists()



def test_a_comment_holding_a_nul_is_refused_at_the_door_and_cleaned_by_the_service(client, collection, editor,
                                                                                  approver):
    """NUL (U+0000) is stored in no PostgreSQL column: a comment holding one was a 500 from the bulk comment page.
    Posted, it is now a 400 before any view runs; a caller of the service gets it cleaned."""
    one, *many = _items(collection, editor, 3, status=S.IN_REVIEW)
    client.force_login(approver)
    asked = client.post(reverse("admin:stagingapp_draftitem_changelist"),
                        {"action": "reject_selected", "_selected_action": [i.pk for i in many]})

    refused = client.post(asked["Location"], {"comment": "\x00Too short"})
    workflow.items_reject(item_ids=[one.pk], actor=approver, comment="Fix\x00 the title")

    assert refused.status_code == 400 and "invisible NUL character" in refused.content.decode()
    assert dict(DraftItem.objects.values_list("pk", "status_reason")) == {
        one.pk: "Fix the title", many[0].pk: "", many[1].pk: ""}
