"""The main pages in Chromium at 1280 px: each role's dashboard, nothing wider than the window, and no serious or
critical axe-core finding. The screenshots it takes are the README's tour (`make screenshots` writes them to
docs/screenshots/; otherwise they go to a temporary folder)."""
import contextlib
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from stagingapp.models import AuditEvent, DraftItem, DraftTranslation, LocaleMapping, PullConflict, WebflowItemRef
from tests import factories
from tests.test_batch_page import finished_batch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = DraftItem.Status

WIDER_THAN_WINDOW = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.getClientRects().length)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + String(e.className).slice(0, 40))"""

# A change list's table scrolls inside its card when its columns do not fit: nothing sticks out of the window,
# but the last columns are out of sight.
LIST_SCROLLS_SIDEWAYS = """() => { const table = document.querySelector('#result_list');
  return !!table && table.parentElement.scrollWidth > table.parentElement.clientWidth + 1; }"""


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def some_of_everything(collection, editor, approver, publisher):
    now = timezone.now()
    factories.make_item(collection, name="Launch notes", slug="launch-notes", status=S.DRAFT, last_edited_by=editor)
    factories.make_item(collection, name="Pricing update", slug="pricing-update", status=S.REJECTED,
                        last_edited_by=editor, reviewed_by=approver, reviewed_at=now - timedelta(hours=2),
                        status_reason="Shorten the summary and check the German title.")
    factories.make_item(collection, name="Spring release", slug="spring-release", status=S.IN_REVIEW,
                        submitted_by=editor, submitted_at=now - timedelta(days=1))
    factories.make_item(collection, name="Team page", slug="team-page", status=S.APPROVED, last_edited_by=editor)
    batch = finished_batch(collection, publisher, done=3, failed=1, start=50)
    AuditEvent.objects.create(action="item.push_staged", actor_label="worker", object_repr="Post 50",
                              message="Created in Webflow as a staged item in en-US, fr-FR and de-DE.")
    # A request entry as the demo's: its path is one long word, which pushed the audit list sideways.
    AuditEvent.objects.create(action="push.request", actor_label="publisher (worker vm:13233:b966f2fa)",
                              object_repr=str(batch), batch=batch, collection=collection,
                              message=f"PATCH /v2/collections/{collection.webflow_id}/items -> 200 (5 ms, attempt 1)")
    return batch


def page_at_1280(chromium_browser, live_server, user, color_scheme: str = "light", width: int = 1280):
    """A new browser window 1280 px wide, logged in as `user`; the theme follows `color_scheme` (the system's)."""
    context = chromium_browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800},
                                           color_scheme=color_scheme)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_selector("#header-inner")
    return page


# Moderate findings held to as well: every page has one <main>, and nothing sits outside a landmark (unfold's frame
# had neither, templates/admin/base.html adds them), no two regions share a name (select_names.js), and every
# table heading says what its column holds (an inline's delete column, templates/unfold/helpers/edit_inline/).
LANDMARK_RULES = ("landmark-one-main", "region", "landmark-unique", "empty-table-header")


def serious_axe_findings(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
            for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical") or v["id"] in LANDMARK_RULES]


def check(page, path: str, shots: Path, name: str | None = None):
    """Opens `path`, checks width and accessibility, and saves a screenshot when `name` is given."""

    page.goto(path)
    # The page's scripts (locale tabs, the rich-text editor) lay it out after "load": judge the width once they
    # have, allowing them a few seconds; a page that stays too wide still fails below.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => ({WIDER_THAN_WINDOW})().length === 0", timeout=5_000)
    assert page.evaluate(WIDER_THAN_WINDOW) == [], path
    assert not page.evaluate(LIST_SCROLLS_SIDEWAYS), path
    assert serious_axe_findings(page) == [], path
    if name:
        page.screenshot(path=str(shots / f"{name}.png"))


def test_main_pages_fit_1280_pixels_pass_axe_and_show_each_role_its_dashboard(
        chromium_browser, live_server, shots, collection, locales, editor, approver, publisher, superuser):
    batch = some_of_everything(collection, editor, approver, publisher)
    item = DraftItem.objects.get(name="Spring release")
    # A translation written before it was submitted: its "same as primary" cells are read by axe too.
    DraftTranslation.objects.bulk_create([DraftTranslation(item=item, locale=locales[1], name="Sortie de printemps")])
    collection.site.name = "Acme Journal (demo)"  # names as long as the demo's
    collection.site.save()
    for locale, name in zip(locales, ["English (United States)", "French (France)", "German (Germany)"], strict=True):
        LocaleMapping.objects.filter(pk=locale.pk).update(display_name=name)
    pages = {
        editor: [("/admin/", "dashboard-editor"), ("/admin/stagingapp/draftitem/", "items"),
                 ("/admin/stagingapp/draftitem/import/", None), ("/admin/signed-in/", None),
                 ("/admin/stagingapp/drafttranslation/add/", None)],  # Django's searchable item choice
        approver: [("/admin/", "dashboard-approver"), (f"/admin/stagingapp/draftitem/{item.pk}/change/", "review"),
                   (f"/admin/stagingapp/draftitem/{item.pk}/changes-since-approval/", None),
                   (f"/admin/stagingapp/draftitem/{item.pk}/history/", None)],
        publisher: [("/admin/", "dashboard-publisher"), (f"/admin/stagingapp/pushbatch/{batch.pk}/change/", "batch"),
                    ("/admin/stagingapp/pushbatch/", None), ("/admin/stagingapp/auditevent/", "audit")],
        # An administrator's lists have the selection column too.
        superuser: [("/admin/stagingapp/localemapping/", None), ("/admin/stagingapp/collection/", None),
                    (f"/admin/stagingapp/collection/{collection.pk}/change/", None),  # its fields' table
                    (f"/admin/stagingapp/site/{collection.site.pk}/change/", None),  # its locales' table
                    (f"/admin/stagingapp/localemapping/{locales[0].pk}/history/"
                     f"{locales[0].history.earliest('history_id').history_id}/", None)],  # simple-history's form
    }
    panels = {editor: "#dash-editor", approver: "#dash-approver", publisher: "#dash-ready", superuser: "#dash-ready"}
    for user, visits in pages.items():
        page = page_at_1280(chromium_browser, live_server, user)
        expect(page.locator(panels[user])).to_be_visible()
        for path, name in visits:
            check(page, path, shots, name)
        page.context.close()


def test_each_translated_input_sits_beside_its_primary_text_and_the_page_fits_1280_pixels(
        chromium_browser, live_server, shots, collection, locales, editor):
    # A reference field too: its searchable box must be named by the field's label (axe, in check()).
    collection.fields_schema = [*collection.fields_schema, {
        "id": "f" + "8" * 23, "slug": "related", "displayName": "Related post", "type": "Reference",
        "isRequired": False, "isEditable": True, "validations": {"collectionId": collection.webflow_id}}]
    collection.save()
    item = factories.make_item(collection, name="Launch notes", slug="launch-notes", last_edited_by=editor,
                               field_data={"summary": "The primary summary, long enough to wrap " * 3})
    translation = factories.make_translation(item, locales[1], name="Notes de lancement")
    page = page_at_1280(chromium_browser, live_server, editor)

    check(page, f"/admin/stagingapp/draftitem/{item.pk}/change/", shots)
    # The README's picture: the section's heading, its locale tabs and the first rows, at rest (no scroll running).
    page.locator("#translations-heading").evaluate("heading => heading.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "translations.png"))
    assert_primary_beside(page, "translations-0-name", "translations-0-wf__summary")
    # The translation's own page lays them out the same way (it stacked the primary text under each input).
    check(page, f"/admin/stagingapp/drafttranslation/{translation.pk}/change/", shots)
    assert_primary_beside(page, "name", "wf__summary")
    page.context.close()


def assert_primary_beside(page, *names):
    for name in names:
        field = page.locator(f"[name='{name}']")
        primary = field.locator("xpath=ancestor::div[contains(@class, 'grow')][1]").locator(".primary-text")
        expect(primary).to_contain_text("Primary:")
        left, right = primary.bounding_box(), field.bounding_box()
        # Same row, primary on the left: it ends before the input starts and their heights overlap.
        assert left["x"] + left["width"] <= right["x"], name
        assert left["y"] < right["y"] + right["height"] and right["y"] < left["y"] + left["height"], name


def test_in_dark_mode_the_main_pages_keep_readable_contrast(chromium_browser, live_server, shots, collection,
                                                            locales, editor, approver, publisher):
    """The theme follows a dark system preference; our own cards, tables and forms must follow it too (white cards
    under the theme's light text were unreadable). axe's contrast rule is the judge."""
    batch = some_of_everything(collection, editor, approver, publisher)
    item = factories.make_item(collection, name="Night notes", slug="night-notes", last_edited_by=editor)
    factories.make_translation(item, locales[1], name="Notes de nuit")
    pushed = factories.make_item(collection, name="Pushed notes", slug="pushed-notes", status=S.LIVE)
    WebflowItemRef.objects.create(item=pushed, locale=locales[0], webflow_item_id=factories.hex_id(),
                                  cms_locale_id=locales[0].cms_locale_id, slug=pushed.slug, is_published=True)
    conflict = PullConflict.objects.create(item=pushed, versions={"en-US": {
        "ours": {"summary": "Ours"}, "webflow": {"summary": "Changed in Webflow"}}})
    pages = {
        editor: ["/admin/", f"/admin/stagingapp/draftitem/{item.pk}/change/", "/admin/stagingapp/draftitem/import/",
                 f"/admin/stagingapp/draftitem/{pushed.pk}/request-removal/",
                 f"/admin/stagingapp/pullconflict/{conflict.pk}/change/",
                 f"/admin/stagingapp/draftitem/{item.pk}/changes-since-approval/",
                 f"/admin/stagingapp/draftitem/{item.pk}/history/", "/admin/signed-in/"],
        publisher: ["/admin/", f"/admin/stagingapp/pushbatch/{batch.pk}/change/", "/admin/stagingapp/auditevent/",
                    "/admin/stagingapp/driftrun/"],  # no report yet: its hint links to the collections
        approver: [f"/admin/stagingapp/draftitem/{DraftItem.objects.get(name='Spring release').pk}/change/"],
    }
    for user, paths in pages.items():
        page = page_at_1280(chromium_browser, live_server, user, color_scheme="dark")
        expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        for path in paths:
            check(page, path, shots)
        page.context.close()


def test_every_roles_dashboard_fits_a_phone_screen(chromium_browser, live_server, collection, editor, approver,
                                                   publisher):
    """An approver may look from a phone: the page never scrolls sideways (a wide table scrolls inside its card;
    the two-column grid used to demand 420 px columns)."""
    some_of_everything(collection, editor, approver, publisher)
    for user in (editor, approver, publisher):
        page = page_at_1280(chromium_browser, live_server, user, width=390)
        page.goto("/admin/")
        page.wait_for_load_state("load")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, user.username
        page.context.close()


def test_an_approver_reads_an_item_side_by_side_on_a_phone(chromium_browser, live_server, collection, locales,
                                                            editor, approver):
    """The content table scrolls inside its card on a phone: its cells used to shrink to a few letters per line
    ("Sched / uling / pushe / s for")."""
    item = factories.make_item(collection, name="Scheduling pushes for launch day", last_edited_by=editor)
    for locale, name in [(locales[1], "Planifier les envois pour le jour J"),
                         (locales[2], "Pushes für den Starttag planen")]:
        factories.make_translation(item, locale, name=name)
    DraftItem.objects.filter(pk=item.pk).update(status=S.IN_REVIEW, submitted_by=editor)
    # Pushed before (an update in review): the Status fieldset's Webflow IDs table must scroll in its box too.
    WebflowItemRef.objects.bulk_create([
        WebflowItemRef(item=item, locale=locale, webflow_item_id=factories.hex_id(), cms_locale_id=locale.cms_locale_id,
                       slug=f"scheduling-pushes-for-launch-day-{locale.tag.lower()}") for locale in locales])
    page = page_at_1280(chromium_browser, live_server, approver, width=390)
    for path, table, step in [
            (f"/admin/stagingapp/draftitem/{item.pk}/change/", "#item-content-table", item.name),
            (f"/admin/stagingapp/draftitem/{item.pk}/changes-since-approval/", "#approval-diff", "Changes since the")]:
        page.goto(path)
        cell = page.locator(f"{table} td:last-child").first
        expect(cell).to_be_visible()
        assert cell.bounding_box()["width"] >= 140, path
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, path
        # The header shows the page's own step, not every step cut to a letter or two ("W… › D… › Sched…").
        shown = page.locator("#header-inner h1 > :visible")
        expect(shown).to_have_count(1)
        expect(shown).to_contain_text(step)
        assert serious_axe_findings(page) == [], path  # a table that scrolls can be scrolled by keyboard too
    page.context.close()


def test_in_dark_mode_on_a_phone_a_list_of_several_pages_stays_readable(chromium_browser, live_server, publisher):
    """The list's "Show all" link sits on the footer's dark surface on a phone (axe: under 4.5:1 before)."""
    AuditEvent.objects.bulk_create([AuditEvent(action="auth.login", actor_label="someone", object_repr=f"login {n}")
                                    for n in range(120)])
    page = page_at_1280(chromium_browser, live_server, publisher, color_scheme="dark", width=390)

    page.goto("/admin/stagingapp/auditevent/")

    expect(page.locator("a.showall")).to_have_count(1)
    assert serious_axe_findings(page) == []
    page.context.close()


def test_an_editor_translates_on_a_phone(chromium_browser, live_server, collection, locales, editor):
    """A translation's own page fits a phone: the primary text under each input (side by side is too narrow), and
    the item's searchable choice beside its button (select2 kept the longest name's width, pushing it out)."""
    item = factories.make_item(collection, name="Shipping localized content without spreadsheets, in detail",
                               last_edited_by=editor, field_data={"summary": "A summary"})
    translation = factories.make_translation(item, locales[1], name="Publier du contenu localisé")
    page = page_at_1280(chromium_browser, live_server, editor, width=390)

    page.goto(f"/admin/stagingapp/drafttranslation/{translation.pk}/change/")
    page.wait_for_load_state("load")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    field = page.locator("[name=wf__summary]")
    primary = field.locator("xpath=ancestor::div[contains(@class, 'grow')][1]").locator(".primary-text").bounding_box()
    assert primary["y"] >= field.bounding_box()["y"] + field.bounding_box()["height"]
    page.context.close()


def test_the_keyboard_skips_to_the_content_and_opens_the_navigation_on_a_phone(chromium_browser, live_server,
                                                                              collection, editor):
    """The first Tab offers "Skip to main content"; on a phone (or zoomed in) the navigation opens from a button a
    keyboard reaches, named for a screen reader, where unfold had a clickable icon only a mouse could use; the focus
    moves into the navigation, and its close button or Escape gives it back."""
    page = page_at_1280(chromium_browser, live_server, editor, width=390)
    page.goto("/admin/stagingapp/draftitem/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main-content")

    toggle = page.locator("#nav-open")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    expect(toggle).to_have_accessible_name("Show navigation")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#nav-sidebar")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(":focus")).to_have_accessible_name("Close navigation")  # the focus moves into it
    page.keyboard.press("Escape")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_accessible_name("Close navigation")
    page.keyboard.press("Enter")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    expect(toggle).to_be_focused()
    page.context.close()


def test_the_account_menu_opens_from_the_keyboard_and_logs_out(chromium_browser, live_server, editor):
    """unfold opened the account menu from a clickable <div>: a keyboard could not reach "Log out" at all."""
    page = page_at_1280(chromium_browser, live_server, editor)
    page.goto("/admin/")
    account = page.locator("button[aria-controls=user-links]")
    account.focus()
    page.keyboard.press("Enter")
    expect(account).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#user-links")).to_be_visible()  # (it fades in; a Tab before that skips it)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_accessible_name("Light")  # the menu follows its button
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.keyboard.press("Escape")
    expect(page.locator("#user-links")).to_be_hidden()
    expect(account).to_be_focused()

    page.keyboard.press("Enter")
    page.get_by_role("button", name="Log out").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/admin/logout/")
    page.context.close()


def test_an_administrator_manages_users_groups_and_the_task_queue_in_the_theme(chromium_browser, live_server,
                                                                                shots, editor, superuser):
    """The apps we build on (users and groups, django-q, axes) registered stock admins, drawn with unstyled inputs
    (an empty First name showed no field at all) and a two-list group chooser wider than the page."""
    from django.contrib.auth.models import Group
    from django_q.models import Schedule

    schedule = Schedule.objects.create(func="stagingapp.tasks.verify_due", name="Nightly check")
    page = page_at_1280(chromium_browser, live_server, superuser)
    for path in (f"/admin/auth/user/{editor.pk}/change/", "/admin/auth/user/add/",
                 f"/admin/auth/user/{editor.pk}/password/", f"/admin/auth/group/{Group.objects.first().pk}/change/",
                 f"/admin/django_q/schedule/{schedule.pk}/change/", "/admin/axes/accessattempt/"):
        check(page, path, shots)
    page.goto(f"/admin/auth/user/{editor.pk}/change/")
    expect(page.locator("#id_first_name")).to_have_css("border-top-style", "solid")
    page.context.close()


def test_the_login_pages_theme_menu_works_from_the_keyboard(chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/admin/login/")
    theme = page.get_by_role("button", name="Theme")
    theme.focus()
    page.keyboard.press("Enter")
    expect(theme).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Dark").focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.keyboard.press("Escape")
    expect(theme).to_be_focused()
    assert serious_axe_findings(page) == []
    context.close()
