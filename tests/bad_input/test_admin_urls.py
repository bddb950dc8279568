"""Malformed or unknown ids in the app's own admin URLs answer 404, never 500."""
import pytest

from tests.bad_input.support import row_counts
from tests.push_support import make_approved_items
from tests.test_batches import new_batch

BAD_URLS = [
    "/admin/stagingapp/draftitem/abc/review/submit/",
    "/admin/stagingapp/draftitem/99999/review/approve/",
    "/admin/stagingapp/draftitem/1e9/review/reject/",
    "/admin/stagingapp/draftitem/abc/changes-since-approval/",
    "/admin/stagingapp/draftitem/99999/changes-since-approval/",
    "/admin/stagingapp/pushbatch/abc/change/",
    "/admin/stagingapp/pushbatch/99999/change/",
    "/admin/stagingapp/pushbatch/99999/progress/",
    "/admin/stagingapp/pushbatch/99999/do/queue/",
    "/admin/stagingapp/pushbatch/99999/do/cancel/",
    "/admin/stagingapp/pushbatch/99999/do/retry/",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_malformed_or_unknown_id_in_an_app_url_is_a_404(client, superuser, collection, url, method):
    client.force_login(superuser)
    before = row_counts()
    response = getattr(client, method)(url)
    if method == "get" and ("/review/" in url or "/do/" in url):
        assert response.status_code in (404, 405)  # POST-only views may refuse the method first
    else:
        assert response.status_code == 404
    assert row_counts() == before


def test_an_unknown_verb_on_a_real_batch_is_refused_without_change(client, collection, publisher):
    batch = new_batch(collection, make_approved_items(collection, 1), publisher)
    client.force_login(publisher)
    response = client.post(f"/admin/stagingapp/pushbatch/{batch.pk}/do/explode/")
    assert response.status_code == 405
    batch.refresh_from_db()
    assert batch.status == "pending"


TOO_BIG = "99999999999999999999"  # past a 64-bit key: SQLite raised OverflowError, PostgreSQL "out of range"


@pytest.mark.parametrize("query", [f"actor={TOO_BIG}", "actor=abc", "actor=%D9%A3", f"item={TOO_BIG}",
                                   f"batch={TOO_BIG}", "collection=abc"])
def test_a_malformed_filter_on_the_audit_history_is_the_lists_invalid_filter_not_a_500(client, editor, query):
    client.force_login(editor)
    response = client.get(f"/admin/stagingapp/auditevent/?{query}")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("value", ["abc", TOO_BIG, "1,abc", "-1"])
def test_a_translation_page_ignores_an_item_to_preselect_that_cannot_be_one(client, editor, collection, value):
    client.force_login(editor)
    response = client.get("/admin/stagingapp/drafttranslation/add/", {"item": value})
    assert response.status_code == 200 and 'id="id_item"' in response.content.decode()


def test_a_date_drill_down_past_the_calendar_is_an_invalid_filter_not_a_500(client, superuser):
    client.force_login(superuser)
    response = client.get(f"/admin/axes/accesslog/?attempt_time__year={TOO_BIG}")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize(("method", "url", "data"), [
    ("get", "/admin/stagingapp/pushbatch/?status__exact=a%00b", None),  # PostgreSQL: a 500 on every list filter
    ("get", "/admin/stagingapp/draftitem/?q=x%00", None),
    ("post", "/admin/stagingapp/localemapping/add/", {"tag": "fr\x00", "display_name": "French"}),
    ("post", "/admin/stagingapp/drafttranslation/add/", {"item": "1\x00"}),
])
def test_a_nul_in_the_address_or_a_form_is_a_400_that_says_so(client, superuser, collection, method, url, data):
    client.force_login(superuser)
    before = row_counts()
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 400 and "invisible NUL character" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("selected", ["abc", TOO_BIG, "-1", "1.5"])
@pytest.mark.parametrize(("changelist", "action"), [
    ("/admin/stagingapp/draftitem/", "approve_selected"),
    ("/admin/stagingapp/pushbatch/", "cancel_selected"),
    ("/admin/auth/user/", "delete_selected"),  # an app we build on: Django's own action
])
def test_an_action_on_a_selection_that_cannot_exist_goes_back_to_the_list(client, superuser, collection, selected,
                                                                        changelist, action):
    client.force_login(superuser)
    before = row_counts()
    response = client.post(changelist, {"action": action, "_selected_action": [selected]}, follow=True)
    assert response.status_code == 200 and "named an item that cannot exist" in response.content.decode()
    assert response.redirect_chain[0][0] == changelist and row_counts() == before
