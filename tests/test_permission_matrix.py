"""Who may open what, for the pages beyond items: batches, locale mappings, sites, imports and audit entries."""
import pytest

from stagingapp.models import AuditEvent, PushBatch
from tests.push_support import make_approved_items
from tests.test_batches import new_batch

ROLES = ["editor", "approver", "publisher", "superuser"]
EVERYONE = set(ROLES)

# page (with {batch}/{audit}/{site}/{collection} placeholders) -> roles that get 200; everyone else gets 403
PAGES = {
    "/admin/stagingapp/pushbatch/": EVERYONE,
    "/admin/stagingapp/pushbatch/{batch}/change/": EVERYONE,
    "/admin/stagingapp/pushbatch/{batch}/progress/": EVERYONE,
    "/admin/stagingapp/localemapping/": EVERYONE,
    "/admin/stagingapp/localemapping/add/": {"publisher", "superuser"},
    "/admin/stagingapp/site/": EVERYONE,
    "/admin/stagingapp/site/{site}/change/": EVERYONE,
    "/admin/stagingapp/site/add/": {"publisher", "superuser"},
    "/admin/stagingapp/collection/": EVERYONE,
    "/admin/stagingapp/draftitem/import/": {"editor", "superuser"},
    "/admin/stagingapp/draftitem/import/template/{collection}.csv": {"editor", "superuser"},
    "/admin/stagingapp/auditevent/": EVERYONE,
    "/admin/stagingapp/auditevent/{audit}/change/": EVERYONE,
    "/admin/stagingapp/auditevent/export-csv/": EVERYONE,
    "/admin/stagingapp/auditevent/add/": set(),
    "/admin/axes/accessattempt/": {"superuser"},
}


@pytest.fixture
def users(editor, approver, publisher, superuser):
    return {"editor": editor, "approver": approver, "publisher": publisher, "superuser": superuser}


@pytest.fixture
def objects(collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 1), publisher)
    audit = AuditEvent.objects.create(action="item.submit", message="x")
    return {"batch": batch.pk, "audit": audit.pk, "site": collection.site_id, "collection": collection.pk}


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_pages_it_needs_and_is_refused_the_rest(client, users, objects, page, role):
    client.force_login(users[role])
    response = client.get(page.format(**objects))
    assert response.status_code == (200 if role in PAGES[page] else 403)


@pytest.mark.parametrize("role", ["editor", "approver"])
@pytest.mark.parametrize("verb", ["queue", "cancel", "retry"])
def test_only_publishers_act_on_batches_whatever_the_url(client, users, objects, role, verb):
    client.force_login(users[role])
    response = client.post(f"/admin/stagingapp/pushbatch/{objects['batch']}/do/{verb}/", follow=True)
    assert response.status_code in (200, 403)
    assert PushBatch.objects.get().status == PushBatch.Status.PENDING
    assert PushBatch.objects.count() == 1


@pytest.mark.parametrize("role", ["editor", "approver", "publisher"])
def test_nobody_changes_or_deletes_an_audit_entry(client, users, objects, role):
    client.force_login(users[role])
    url = f"/admin/stagingapp/auditevent/{objects['audit']}"
    assert client.post(f"{url}/change/", {"message": "rewritten"}).status_code == 403
    assert client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=objects["audit"]).message == "x"
