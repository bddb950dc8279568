"""History revert in a real browser: an approved item reverted from its history page becomes a draft again."""
import pytest
from playwright.sync_api import expect

from stagingapp.models import AuditEvent, DraftItem
from stagingapp.services import workflow
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_approved_item_reverted_from_its_history_is_a_draft_again_and_the_history_says_so(
        page, login, editor, approver, collection):
    item = factories.make_item(collection, field_data={"summary": "Version one"}, created_by=editor,
                               last_edited_by=editor)
    item.field_data, item._history_user = {"summary": "Version two"}, editor
    item.save()
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_approve(item_ids=[item.pk], actor=approver)

    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/history/")
    page.locator(f"a[href*='/history/{item.history.earliest('history_date').history_id}/']").first.click()
    expect(page.locator("#version-comparison")).to_contain_text("Version one")
    page.click("input[name=_revert]")

    expect(page.locator("body")).to_contain_text("It is draft now", timeout=20_000)
    item.refresh_from_db()
    assert (item.status, item.field_data) == (DraftItem.Status.DRAFT, {"summary": "Version one"})
    assert AuditEvent.objects.filter(item=item, action="item.revert", actor=editor).exists()
