"""Not sent, not allowed, not found, server error and an expired form: in the admin's theme, saying what to do."""
from django.test import Client, RequestFactory
from django.urls import reverse

from stagingapp.admin import errors
from tests import factories


def test_an_unknown_address_is_a_themed_page_not_found(client, editor):
    client.force_login(editor)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="error-page"' in page and "Page not found" in page
    assert 'href="/admin/">Go to the dashboard</a>' in page


def test_a_form_with_an_expired_token_says_nothing_was_saved_and_what_to_do(editor, collection):
    item = factories.make_item(collection, name="Kept")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)

    response = browser.post(reverse("admin:stagingapp_draftitem_change", args=[item.pk]),
                            {"name": "Lost?", "csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "nothing was saved" in page and "Go back" in page
    item.refresh_from_db()
    assert item.name == "Kept"


def test_the_server_error_page_is_themed_and_falls_back_to_plain_html(editor, monkeypatch):
    request = RequestFactory().get("/admin/")
    request.user = editor

    themed = errors.server_error(request)
    assert themed.status_code == 500 and 'id="error-page"' in themed.content.decode()

    def database_down(request):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(errors.admin.site, "each_context", database_down)
    plain = errors.server_error(request)
    assert plain.status_code == 500
    assert plain.content.decode() == errors.PLAIN_SERVER_ERROR


def test_a_page_the_role_may_not_open_is_a_themed_not_allowed(client, editor):
    client.force_login(editor)

    response = client.get(reverse("admin:stagingapp_site_add"))

    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="error-page"' in page and "Not allowed" in page and "ask an administrator" in page


def test_a_form_too_large_to_read_says_nothing_was_saved_and_how_to_send_it(client, editor, collection, settings):
    item = factories.make_item(collection, name="Kept")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(editor)

    response = client.post(reverse("admin:stagingapp_draftitem_change", args=[item.pk]),
                           {"name": "Too long", "wf__body": "<p>" + "x" * 20_000 + "</p>"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-page"' in page and "larger than the server accepts (0.01 MB)" in page and "Go back" in page
    item.refresh_from_db()
    assert item.name == "Kept"
