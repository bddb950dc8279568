"""Under the production Content-Security-Policy the admin, its widgets and the app's own scripts still work: the
main pages load with no CSP violation in the browser, and every resource they ask for is served."""
import pytest
from playwright.sync_api import expect

from stagingapp.models import PushBatch
from tests import factories
from tests.push_support import make_approved_items
from tests.test_batches import new_batch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_main_pages_load_without_csp_violations(page, login, settings, superuser, collection, locales):
    settings.CONTENT_SECURITY_POLICY = settings.STAGING_CONTENT_SECURITY_POLICY
    item = factories.make_item(collection)
    factories.make_translation(item, locales[1])
    batch = new_batch(collection, make_approved_items(collection, 2, start=100), superuser)
    PushBatch.objects.filter(pk=batch.pk).update(status=PushBatch.Status.QUEUED)  # so the page polls its progress
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    failed: list[str] = []  # every resource a page asks for is there (no 404 icon, script or style)
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)

    login("root")
    pages = [
        "/admin/", "/admin/stagingapp/draftitem/", "/admin/stagingapp/draftitem/add/",
        f"/admin/stagingapp/draftitem/{item.pk}/change/", "/admin/stagingapp/drafttranslation/add/",
        f"/admin/stagingapp/pushbatch/{batch.pk}/change/", "/admin/stagingapp/pushbatch/",
        "/admin/stagingapp/draftitem/import/", "/admin/stagingapp/auditevent/",
        "/admin/stagingapp/localemapping/", f"/admin/stagingapp/site/{collection.site_id}/change/",
    ]
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]

    # The app's own scripts ran: the batch page polled its progress, the add page switches collections.
    page.goto(f"/admin/stagingapp/pushbatch/{batch.pk}/change/")
    with page.expect_response(lambda r: "/progress/" in r.url, timeout=6_000):
        pass
    page.goto("/admin/stagingapp/draftitem/add/")
    expect(page.locator("#id_collection")).to_be_visible()
    assert violations == []
    assert failed == []
