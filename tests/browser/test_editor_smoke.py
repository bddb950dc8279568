"""An editor signs in with a real browser, finds drafts and opens one."""
import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_editor_signs_in_searches_drafts_and_opens_one(page, login, editor, collection):
    factories.make_item(collection, name="Launch notes", slug="launch-notes")
    factories.make_item(collection, name="Other post", slug="other-post")
    login("editor")
    page.goto("/admin/stagingapp/draftitem/")
    page.fill("#searchbar", "launch")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("th a").click()
    assert page.input_value("#id_name") == "Launch notes"
    assert page.input_value("#id_slug") == "launch-notes"
