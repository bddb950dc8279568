"""The question session_guard.js asks before a form leaves, and the page its login in a new tab ends on."""
from django.contrib.auth import get_user_model

from stagingapp.admin.session import session_guard_script


def test_a_signed_in_editor_is_told_so_and_never_cached(client, editor):
    client.force_login(editor)

    response = client.get("/admin/session/")

    assert response.status_code == 200
    assert response.json()["signedIn"] is True
    assert "no-store" in response["Cache-Control"]


def test_a_signed_out_browser_gets_the_login_that_ends_on_the_signed_in_page(client):
    response = client.get("/admin/session/")

    assert response.status_code == 200  # an answer for the script, not a redirect to the login page
    assert response.json() == {"signedIn": False, "loginUrl": "/admin/login/?next=%2Fadmin%2Fsigned-in%2F"}


def test_an_account_that_may_not_use_the_admin_counts_as_signed_out(client, db):
    user = get_user_model().objects.create_user("visitor", password="pw", is_staff=False)
    client.force_login(user)

    assert client.get("/admin/session/").json()["signedIn"] is False


def test_the_question_only_reads(client, editor):
    client.force_login(editor)

    assert client.post("/admin/session/").status_code == 405


def test_the_signed_in_page_names_the_account_and_says_to_go_back(client, editor):
    assert client.get("/admin/signed-in/").status_code == 302  # the login comes first

    client.force_login(editor)
    page = client.get("/admin/signed-in/").content.decode()

    assert "You are signed in as editor" in page
    assert "Go back to the tab with your work and press the same button again" in page


def test_every_admin_page_loads_the_script_told_where_to_ask(client, editor, rf):
    assert session_guard_script(rf.get("/")).endswith("session_guard.js?status=%2Fadmin%2Fsession%2F")
    client.force_login(editor)

    page = client.get("/admin/").content.decode()

    assert "session_guard.js?status=%2Fadmin%2Fsession%2F" in page
