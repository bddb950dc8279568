"""Review in a real browser: an editor submits, an approver rejects with a comment, the editor sees why."""
import pytest
from playwright.sync_api import expect

from stagingapp.models import AuditEvent, DraftItem
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_submit_then_reject_with_a_required_comment_then_the_editor_sees_it(page, login, editor, approver, collection):
    item = factories.make_item(collection, name="Spring launch", slug="spring-launch",
                               created_by=editor, last_edited_by=editor)

    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    expect(page.locator("input[name=_workflow_approve]")).to_have_count(0)  # editors never see review buttons
    page.click("input[name=_workflow_submit]")
    expect(page.locator("#workflow-panel")).to_contain_text("In review")
    page.context.clear_cookies()

    login("approver")
    page.goto("/admin/stagingapp/draftitem/?my_work=review")
    page.click("#result_list tbody tr th a")
    reject = page.locator("form:has(input[name=_workflow_reject])")
    reject.locator("input[name=_workflow_reject]").click()
    # The comment is required: the browser refuses to submit, and the item stays in review.
    assert DraftItem.objects.get(pk=item.pk).status == DraftItem.Status.IN_REVIEW
    reject.locator("textarea[name=comment]").fill("The summary needs a source.")
    reject.locator("input[name=_workflow_reject]").click()
    expect(page.locator("#workflow-panel")).to_contain_text("Rejected")
    page.context.clear_cookies()

    login("editor")
    page.goto("/admin/stagingapp/draftitem/?my_work=rejected")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.click("#result_list tbody tr th a")
    expect(page.locator("#workflow-panel")).to_contain_text("The summary needs a source.")
    actions = list(AuditEvent.objects.filter(item=item).order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["item.submit", "item.reject"]


def test_an_approver_cannot_approve_their_own_edit(page, login, approver, editor, collection):
    item = factories.make_item(collection, created_by=editor, last_edited_by=approver,
                               status=DraftItem.Status.IN_REVIEW)
    login("approver")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    expect(page.locator("#workflow-panel")).to_be_visible()
    expect(page.locator("input[name=_workflow_approve]")).to_have_count(0)
    page.goto("/admin/stagingapp/draftitem/?my_work=review")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
