"""The editor's and approver's day in a real browser: create with rich text and two translations, keep unsaved
work (leaving warns, Submit saves first), submit, and four-eyes review."""
import pytest
from playwright.sync_api import expect

from stagingapp.models import AuditEvent, DraftItem
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = DraftItem.Status


def test_editor_creates_translates_and_submits_without_losing_edits_then_the_approver_reviews(
        page, login, editor, approver, collection, locales):
    own = factories.make_item(collection, name="Approver's own", created_by=approver, last_edited_by=approver,
                              status=S.IN_REVIEW)

    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/add/?collection={collection.pk}")
    page.fill("[name=name]", "Spring launch")
    page.fill("[name=wf__summary]", "A short summary")
    body = page.locator(".ProseMirror >> visible=true").first
    assert body.bounding_box()["height"] >= 150  # room to write in, like a textarea, before any text
    body.click()
    page.keyboard.type("Hello ")
    page.keyboard.press("Control+b")
    page.keyboard.type("bold")
    page.keyboard.press("Control+b")
    page.keyboard.type(" world")
    for index, locale in enumerate(locales[1:]):
        page.get_by_text("Add another Translation").click()
        page.select_option(f"[name=translations-{index}-locale]", str(locale.pk))
        page.fill(f"[name=translations-{index}-name]", f"Spring launch {locale.tag}")
    expect(page.locator(".locale-tab")).to_have_count(2)
    # Tabs that look like tabs: the shown locale's is filled (they were unstyled words run together).
    expect(page.locator(".locale-tab.selected")).to_have_css("color", "rgb(255, 255, 255)")
    expect(page.locator(".locale-tab:not(.selected)")).not_to_have_css("color", "rgb(255, 255, 255)")
    page.click("[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")  # sent after the session check

    item = DraftItem.objects.get(name="Spring launch")
    assert item.field_data["body"] == "<p>Hello <strong>bold</strong> world</p>"
    assert sorted(item.translations.values_list("name", flat=True)) == ["Spring launch de-DE", "Spring launch fr-FR"]

    # Unsaved work: leaving asks first, and "Submit for review" saves the edit before submitting it.
    page.click("[name=wf__summary]")
    page.keyboard.press("Control+a")
    page.keyboard.type("A better summary")
    page.once("dialog", lambda dialog: dialog.dismiss() if dialog.type == "beforeunload" else dialog.accept())
    page.get_by_role("link", name="History timeline").click()
    expect(page.locator("[name=wf__summary]")).to_have_value("A better summary")
    page.click("[name=_workflow_submit]")
    expect(page.locator("body")).to_contain_text("Saved your changes. Submitted 'Spring launch' for review.",
                                                 timeout=20_000)
    item.refresh_from_db()
    assert (item.status, item.field_data["summary"]) == (S.IN_REVIEW, "A better summary")
    page.context.clear_cookies()

    login("approver")
    page.goto(f"/admin/stagingapp/draftitem/{own.pk}/change/")
    expect(page.locator("#workflow-panel")).to_be_visible()
    expect(page.locator("[name=_workflow_approve]")).to_have_count(0)  # four-eyes: not on their own edit
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    expect(page.locator("#item-content-table")).to_contain_text("Spring launch fr-FR")
    # In review the translations are read-only: each tab still names its locale.
    expect(page.locator(".locale-tab")).to_have_text(sorted(str(locale) for locale in locales[1:]))
    page.click("[name=_workflow_approve]")
    expect(page.locator("body")).to_contain_text("Approved 'Spring launch'.", timeout=20_000)
    item.refresh_from_db()
    assert item.status == S.APPROVED and item.reviewed_by == approver
    assert AuditEvent.objects.filter(item=item, action="item.approve", actor=approver).exists()


@pytest.mark.parametrize("page_of", ["site", "collection", "localemapping"])
def test_every_change_form_warns_before_leaving_with_unsaved_changes(page, login, superuser, collection, locales,
                                                                       page_of):
    obj = {"site": collection.site, "collection": collection, "localemapping": locales[1]}[page_of]
    url = f"/admin/stagingapp/{page_of}/{obj.pk}/change/"
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    login("root")
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)  # the guard reads the form's state just after load
    # A clean page is left without a question.
    page.evaluate("() => { window.location.href = '/admin/'; }")
    page.wait_for_url("**/admin/")
    assert asked == []

    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)
    page.click("[name=display_name]" if page_of == "localemapping" else "[name=name]")
    page.keyboard.press("Control+a")
    page.keyboard.type("Renamed but not saved")
    page.evaluate("() => { window.location.href = '/admin/'; }")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith(url)
    expect(page.locator("[name=display_name]" if page_of == "localemapping" else "[name=name]")).to_have_value(
        "Renamed but not saved")
