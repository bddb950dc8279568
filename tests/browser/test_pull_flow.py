"""Adopting existing Webflow content in a real browser: a publisher pulls a collection, an editor edits a pulled
item, it is approved and pushed as an update (no new Webflow item), and the drift report shows it in sync."""
import pytest
from playwright.sync_api import expect

from stagingapp.models import DraftItem, DriftRun, PushBatch
from tests.browser.test_push_flow import push_in_background
from tests.sync_support import seed_webflow_items

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_action(page, changelist: str, pk: int, action: str):
    page.goto(changelist)
    page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_a_pulled_item_is_edited_reviewed_pushed_as_an_update_and_verified_in_sync(
    page, login, editor, approver, publisher, site, locales, collection, webflow_sandbox
):
    webflow_sandbox.seed_from_models(site)
    webflow_ids = seed_webflow_items(webflow_sandbox, collection, locales, 3)

    login("publisher")
    run_action(page, "/admin/stagingapp/collection/", collection.pk, "pull_from_webflow")
    expect(page.locator(".messagelist")).to_contain_text("3 new, 0 updated from Webflow, 0 unchanged, 0 conflicts")
    item = DraftItem.objects.get(slug="post-2")
    page.context.clear_cookies()

    login("editor")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    page.fill("#id_wf__summary", "A better summary, written here")
    page.click("button[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.click("input[name=_workflow_submit]")
    expect(page.locator("#workflow-panel")).to_contain_text("In review")
    page.context.clear_cookies()

    login("approver")
    page.goto(f"/admin/stagingapp/draftitem/{item.pk}/change/")
    page.click("input[name=_workflow_approve]")
    expect(page.locator("#workflow-panel")).to_contain_text("Approved")
    page.context.clear_cookies()

    login("publisher")
    run_action(page, "/admin/stagingapp/draftitem/", item.pk, "create_push_batch")
    expect(page.locator("#preflight")).to_contain_text("All checks passed.")
    page.click("#preview summary")
    expect(page.locator("#preview")).to_contain_text(f"PATCH /v2/collections/{collection.webflow_id}/items")
    page.click("#queue-button")
    page.click("#queue-confirm")
    expect(page.locator("#push-status")).to_have_text("Queued")
    worker = push_in_background(PushBatch.objects.get().pk)
    worker.join(timeout=60)
    expect(page.locator("#push-status")).to_have_text("Succeeded", timeout=20_000)

    variants = webflow_sandbox.items(collection.webflow_id)
    assert len(variants) == 9 and {v["id"] for v in variants} == set(webflow_ids)  # updated, nothing created
    primary = next(v for v in variants if v["fieldData"]["slug"] == "post-2"
                   and v["cmsLocaleId"] == locales[0].cms_locale_id)
    assert primary["fieldData"]["summary"] == "A better summary, written here"

    run_action(page, "/admin/stagingapp/collection/", collection.pk, "verify_collections")
    expect(page.locator(".messagelist")).to_contain_text("9 in sync (3 list requests)")
    page.click("text=See the findings")
    expect(page.locator("#result_list tbody tr")).to_have_count(9)
    assert DriftRun.objects.get().counts == {"in_sync": 9}
