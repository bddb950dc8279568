"""Admin login is locked after repeated failures, per account and per address, through the real login form;
failed logins stay in the audit history and an admin can lift a lock."""
import pytest
from django.core.management import call_command
from django.urls import reverse

from stagingapp.models import AuditEvent
from tests import factories

LOGIN = reverse("admin:login")


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_after_too_many_wrong_ones_is_refused_with_a_lockout_page(client, editor):
    for _ in range(2):
        assert attempt(client, "editor", "wrong").status_code == 200  # the form again, with its error
    assert attempt(client, "editor", "wrong").status_code == 429  # the limit is reached

    response = attempt(client, "editor", "pw")

    assert response.status_code == 429
    assert "Login locked" in response.content.decode()
    assert "axes_reset_username" in response.content.decode()
    # In the admin's theme, like the login page it replaces: its colours, stylesheet and icon, the failure limit.
    html = response.content.decode()
    assert 'id="unfold-theme-colors"' in html and "stagingapp/admin.css" in html and "favicon.svg" in html
    assert "(3 in a row)" in html
    assert not logged_in(client)
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label="editor").count() >= 3
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_an_account_is_locked_from_every_address(client, editor):
    for n in range(3):
        attempt(client, "editor", "wrong", address=f"10.0.0.{n + 1}")
    assert attempt(client, "editor", "pw", address="10.9.9.9").status_code == 429


def test_an_address_is_locked_for_every_account(client, editor):
    factories.make_user("other", "Editors")
    for name in ("nobody", "ghost", "other"):
        attempt(client, name, "wrong", address="10.6.6.6")
    assert attempt(client, "editor", "pw", address="10.6.6.6").status_code == 429
    assert attempt(client, "editor", "pw", address="10.7.7.7").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, editor):
    for _ in range(2):
        attempt(client, "editor", "wrong")
    assert attempt(client, "editor", "pw").status_code == 302
    client.logout()
    for _ in range(2):
        attempt(client, "editor", "wrong")
    assert attempt(client, "editor", "pw").status_code == 302


def test_an_admin_lifts_a_lock_with_axes_reset_username(client, editor):
    for _ in range(3):
        attempt(client, "editor", "wrong")
    assert attempt(client, "editor", "pw").status_code == 429

    call_command("axes_reset_username", "editor")
    call_command("axes_reset_ip", "10.0.0.1")

    assert attempt(client, "editor", "pw").status_code == 302
    assert logged_in(client)


def test_the_login_page_has_no_return_to_site_link_that_leads_back_to_it(client):
    # The admin is the whole site ("/" redirects to it), so such a link only reloads the login page.
    assert "Return to site" not in client.get(LOGIN).content.decode()


def test_a_sign_in_holding_a_nul_is_a_400_before_the_lockout_records_it(client, db):
    """axes stores each failed sign-in's username: one holding NUL failed inside PostgreSQL (a 500 to anyone)."""
    from axes.models import AccessAttempt

    response = client.post("/admin/login/", {"username": "admin\x00", "password": "x"})

    assert response.status_code == 400 and "invisible NUL character" in response.content.decode()
    assert not AccessAttempt.objects.exists()
