"""Each role sees the admin pages it needs and is refused the rest; changelists cost constant queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

ROLE_PAGES = {
    # page -> roles that may open it (superuser always may)
    "admin:stagingapp_draftitem_changelist": {"editor", "approver", "publisher"},
    "admin:stagingapp_draftitem_add": {"editor"},
    "admin:stagingapp_drafttranslation_changelist": {"editor", "approver", "publisher"},
    "admin:stagingapp_localemapping_changelist": {"editor", "approver", "publisher"},
    "admin:stagingapp_localemapping_add": {"publisher"},
    "admin:stagingapp_site_add": {"publisher"},
    "admin:stagingapp_collection_add": {"publisher"},
}


@pytest.fixture
def role_users(editor, approver, publisher, superuser):
    return {"editor": editor, "approver": approver, "publisher": publisher, "superuser": superuser}


@pytest.mark.parametrize("page", sorted(ROLE_PAGES))
@pytest.mark.parametrize("role", ["editor", "approver", "publisher", "superuser"])
def test_admin_pages_render_for_allowed_roles_and_refuse_others(client, role_users, collection, page, role):
    factories.make_item(collection)
    client.force_login(role_users[role])
    response = client.get(reverse(page))
    allowed = role == "superuser" or role in ROLE_PAGES[page]
    assert response.status_code == (200 if allowed else 403)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:stagingapp_draftitem_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_editor_can_open_an_item_but_not_change_a_locale_mapping(client, editor, collection, locales):
    item = factories.make_item(collection)
    client.force_login(editor)
    assert client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).status_code == 200
    response = client.post(
        reverse("admin:stagingapp_localemapping_change", args=[locales[1].pk]),
        {"site": locales[1].site_id, "tag": "xx-XX", "cms_locale_id": locales[1].cms_locale_id},
    )
    assert response.status_code == 403
    locales[1].refresh_from_db()
    assert locales[1].tag == "fr-FR"


@pytest.mark.parametrize(
    "page", ["admin:stagingapp_draftitem_changelist", "admin:stagingapp_drafttranslation_changelist"]
)
def test_changelist_query_count_does_not_grow_with_the_page(client, superuser, collection, locales, page):
    client.force_login(superuser)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(page)).status_code == 200
        return len(ctx.captured_queries)

    def add_items(n):
        for _ in range(n):
            item = factories.make_item(collection, last_edited_by=superuser, created_by=superuser)
            factories.make_translation(item, locales[1])

    add_items(3)
    few = count_queries()
    add_items(30)
    assert count_queries() == few
