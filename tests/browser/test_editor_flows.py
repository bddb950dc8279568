"""Editors and publishers in a real browser: create a draft, translate it, import a file, map a locale."""
import re

import pytest
import tablib
from playwright.sync_api import expect

from stagingapp.models import DraftItem, DraftTranslation, LocaleMapping
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sign_in_again_in_a_new_tab(page, username):
    """Follow the signed-out notice's link: the login opens in a new tab, which ends on "You are signed in"."""
    with page.context.expect_page() as opened:
        page.locator(".session-ended").get_by_role("link", name="Sign in again in a new tab").click()
    other = opened.value
    other.fill("#id_username", username)
    other.fill("#id_password", "pw")
    other.click("button[type=submit]")
    expect(other.locator("#signed-in-again")).to_contain_text(f"You are signed in as {username}")
    other.close()


def field_row(page, name):
    # Django admin wraps every input with its label and errors in div.field-<name>.
    return page.locator(f"div.field-{name}").first


def test_an_editor_creates_a_draft_fixing_a_field_error_without_retyping(page, login, editor, site, collection):
    factories.make_collection(site, name="Pages")
    login("editor")
    page.goto("/admin/stagingapp/draftitem/add/")

    page.fill("#id_name", "Launch notes")
    page.press("#id_name", "Tab")
    expect(page.locator("#id_slug")).to_have_value("launch-notes")  # suggested while typing
    expect(page.locator("#id_wf__summary")).to_have_count(0)  # no collection yet, so no field inputs

    page.select_option("#id_collection", label="Blog posts")
    expect(page).to_have_url(re.compile(rf"collection={collection.pk}"))
    expect(page.locator("#id_name")).to_have_value("Launch notes")  # carried over the reload
    expect(page.locator("#id_slug")).to_have_value("launch-notes")

    page.fill("#id_wf__summary", "What ships this week")
    page.fill("#id_wf__reading-minutes", "-2")
    page.select_option("#id_wf__category", label="Guides")
    page.check("#id_wf__featured")
    page.click("button[name=_save]")

    expect(field_row(page, "wf__reading-minutes").locator(".errorlist")).to_have_text("Must not be negative.")
    expect(page.locator("#id_wf__reading-minutes")).to_have_value("-2")
    expect(page.locator("#id_wf__summary")).to_have_value("What ships this week")
    assert not DraftItem.objects.exists()

    page.fill("#id_wf__reading-minutes", "4")
    page.click("button[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("Launch notes")
    item = DraftItem.objects.get()
    assert (item.collection, item.slug, item.created_by) == (collection, "launch-notes", editor)
    assert item.field_data == {"summary": "What ships this week", "reading-minutes": 4, "featured": True,
                               "category": "b" * 24}
    assert item.history.get().history_user == editor


def test_an_editor_adds_a_translation_inline_and_saves(page, login, editor, collection, locales):
    item = factories.make_item(collection, name="Launch notes", slug="launch-notes")
    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")

    page.click("a.add-row")
    page.select_option("#id_translations-0-locale", value=str(locales[1].pk))
    page.fill("#id_translations-0-name", "Notes de lancement")
    page.fill("#id_translations-0-slug", "notes-de-lancement")
    page.fill("#id_translations-0-wf__summary", "Ce qui sort cette semaine")
    page.click("button[name=_continue]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    translation = DraftTranslation.objects.get()
    assert (translation.item, translation.locale, translation.slug) == (item, locales[1], "notes-de-lancement")
    assert translation.field_data == {"summary": "Ce qui sort cette semaine"}
    assert translation.last_edited_by == editor


def write_csv(path, rows):
    headers = ["name", "slug", "summary", "fr-FR:name"]
    path.write_text(tablib.Dataset(*rows, headers=headers).export("csv"), encoding="utf-8")
    return path


def test_an_editor_imports_a_csv_after_a_preview_and_a_bad_file_writes_nothing(page, login, editor, collection,
                                                                               tmp_path):
    factories.make_item(collection, name="Existing", slug="existing", field_data={"summary": "Old"})
    login("editor")

    page.goto("/admin/stagingapp/draftitem/import/")
    # The page is styled like the rest of the admin (it was bare text under the theme): a button that looks like one.
    check = page.locator("#import-form input[type=submit]")
    background = check.evaluate("button => getComputedStyle(button).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    page.set_input_files("#id_import_file", str(write_csv(tmp_path / "bad.csv", [
        ["Fine", "fine", "ok", ""], ["Broken", "broken", "", "Cassé"]])))
    expect(page.locator("#import-form input[type=text][disabled]")).to_have_value("bad.csv")  # the theme's picker
    check.click()
    # Problems are listed under their row, visible without hovering, beside every column of the file.
    expect(page.locator("#import-preview")).to_contain_text("Row 2, summary: This field is required.")
    expect(page.locator("#import-preview thead")).to_contain_text("fr-FR:name")
    expect(page.locator("#import-confirm")).to_have_count(0)
    assert DraftItem.objects.count() == 1

    page.set_input_files("#import-recheck input[type=file]", str(write_csv(tmp_path / "posts.csv", [
        ["New post", "", "Fresh", "Nouveau"], ["Existing", "existing", "Newer", ""]])))
    page.click("#import-recheck input[type=submit]")
    expect(page.locator("#import-summary")).to_contain_text("Ready to import: 1 new, 1 updated, 0 unchanged.")
    expect(page.locator("#import-preview")).to_contain_text("Nouveau")
    page.click("#import-confirm input[type=submit]")

    expect(page.locator(".messagelist")).to_contain_text("Import finished: 1 new, 1 updated, 0 unchanged.")
    assert DraftItem.objects.get(slug="existing").field_data == {"summary": "Newer"}
    assert DraftItem.objects.get(slug="new-post").translations.get().name == "Nouveau"


def test_a_publisher_adds_a_locale_with_an_unusual_id_and_is_warned(page, login, publisher, site, locales):
    login("publisher")
    page.goto("/admin/stagingapp/localemapping/add/")

    page.select_option("#id_site", label=site.name)
    page.fill("#id_tag", "it-IT")
    page.fill("#id_display_name", "Italiano")
    page.fill("#id_cms_locale_id", "ItalianLocale2024")
    page.click("button[name=_save]")

    expect(page.locator(".messagelist .warning")).to_contain_text(
        "the CMS locale ID 'ItalianLocale2024' is not 24 hex characters")
    assert LocaleMapping.objects.filter(tag="it-IT", cms_locale_id="ItalianLocale2024").exists()


def test_an_edit_begun_before_signing_in_again_in_another_tab_is_saved(page, login, editor, collection):
    item = factories.make_item(collection, name="Before", field_data={"summary": "One"})
    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    page.fill("#id_name", "Typed before signing in again")

    # Meanwhile the browser signs out (its cookies are dropped) and in again in another tab: the login gives the
    # CSRF cookie a new secret, which the token of the page opened before no longer matches.
    page.context.clear_cookies()
    other = page.context.new_page()
    other.goto("/admin/login/")
    other.fill("#id_username", "editor")
    other.fill("#id_password", "pw")
    other.click("button[type=submit]")
    other.wait_for_selector("#header-inner")
    other.close()

    page.click("button[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    item.refresh_from_db()
    assert item.name == "Typed before signing in again"


def test_a_save_after_the_session_ended_keeps_the_typed_text_until_signed_in_again(page, login, editor, collection):
    item = factories.make_item(collection, name="Before", field_data={"summary": "One"})
    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    page.fill("#id_name", "Typed while the session ran out")
    page.context.clear_cookies()  # the session ends (expired, or signed out in another tab)

    page.click("button[name=_continue]")

    notice = page.locator(".session-ended")
    expect(notice).to_contain_text("You are signed out")
    expect(notice).to_contain_text("What you typed is still here")
    assert page.url.endswith(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    expect(page.locator("#id_name")).to_have_value("Typed while the session ran out")
    item.refresh_from_db()
    assert item.name == "Before"
    asked = []  # the page stays with unsaved text, so leaving it asks first again
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="History timeline").click()
    expect(page.locator("#id_name")).to_have_value("Typed while the session ran out")
    assert asked == ["beforeunload"]

    sign_in_again_in_a_new_tab(page, "editor")
    page.click("button[name=_continue]")  # the same button: "Save and continue editing" stays on the page

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator(".session-ended")).to_have_count(0)
    assert page.url.endswith(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    item.refresh_from_db()
    assert item.name == "Typed while the session ran out"


def test_submit_for_review_with_unsaved_edits_after_the_session_ended_sends_nothing(page, login, editor, collection):
    """"Submit for review" on a page with unsaved edits saves them first (unsaved_guard.js sends the item form):
    that send is checked too, and a later Save does not carry the submit of the button that was held."""
    item = factories.make_item(collection, name="Before", field_data={"summary": "One"}, created_by=editor,
                               last_edited_by=editor)
    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)  # the unsaved-changes guard reads the form's state just after load
    page.fill("#id_name", "Typed, then submitted too late")
    page.context.clear_cookies()

    page.click("[name=_workflow_submit]")

    expect(page.locator(".session-ended")).to_contain_text("You are signed out")
    expect(page.locator("#id_name")).to_have_value("Typed, then submitted too late")
    expect(page.locator("input[name=_workflow_after_save]")).to_have_count(0)
    item.refresh_from_db()
    assert (item.name, item.status) == ("Before", DraftItem.Status.DRAFT)

    sign_in_again_in_a_new_tab(page, "editor")
    page.click("button[name=_continue]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    item.refresh_from_db()
    assert (item.name, item.status) == ("Typed, then submitted too late", DraftItem.Status.DRAFT)
