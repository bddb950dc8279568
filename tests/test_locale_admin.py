"""Publishers map locales in the admin: one primary locale per site as a form error, soft warnings for odd IDs."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from stagingapp.models import Collection, LocaleMapping, Site
from tests import factories


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


def site_post(site, locales, **changes):
    data = {"webflow_id": site.webflow_id, "name": site.name, "locales-TOTAL_FORMS": str(len(locales)),
            "locales-INITIAL_FORMS": str(sum(1 for loc in locales if loc.get("id"))),
            "locales-MIN_NUM_FORMS": "0", "locales-MAX_NUM_FORMS": "1000"}
    for i, locale in enumerate(locales):
        data.update({f"locales-{i}-{key}": value for key, value in locale.items()})
    data.update(changes)
    return data


def as_rows(site, locales, primary=None):
    rows = []
    for locale in locales:
        row = {"id": locale.pk, "site": site.pk, "tag": locale.tag, "display_name": locale.display_name,
               "cms_locale_id": locale.cms_locale_id, "is_enabled": "on"}
        if locale.tag == (primary or ""):
            row["is_primary"] = "on"
        rows.append(row)
    return rows


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def change_site_url(site):
    return reverse("admin:stagingapp_site_change", args=[site.pk])


def test_two_primary_locales_on_the_site_page_is_a_form_error_not_a_crash(publisher_client, site, locales):
    rows = as_rows(site, locales, primary="en-US")
    rows[1]["is_primary"] = "on"

    response = publisher_client.post(change_site_url(site), site_post(site, rows))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors == ["Tick 'primary locale' for exactly one locale (the site's default language in Webflow); "
                      "2 are ticked: en-US, fr-FR."]
    assert list(LocaleMapping.objects.filter(is_primary=True).values_list("tag", flat=True)) == ["en-US"]


def test_a_site_with_locales_but_no_primary_is_refused(publisher_client, site, locales):
    response = publisher_client.post(change_site_url(site), site_post(site, as_rows(site, locales)))

    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors[0].endswith("none are ticked.")


def test_moving_the_primary_locale_to_another_row_saves(publisher_client, site, locales):
    response = publisher_client.post(change_site_url(site), site_post(site, as_rows(site, locales, primary="de-DE")))

    assert response.status_code == 302
    assert list(LocaleMapping.objects.filter(is_primary=True).values_list("tag", flat=True)) == ["de-DE"]


def test_a_second_primary_on_the_locale_page_is_a_form_error(publisher_client, site, locales):
    de = locales[2]
    response = publisher_client.post(reverse("admin:stagingapp_localemapping_change", args=[de.pk]), {
        "site": site.pk, "tag": "de-DE", "display_name": "", "cms_locale_id": de.cms_locale_id, "is_primary": "on",
        "is_enabled": "on"})

    form = response.context["adminform"].form
    assert form.errors == {"is_primary": [
        "Demo site already has a primary locale: en-US. A site has exactly one (Webflow's default language); "
        "untick it there first, or leave this one unticked."]}


def test_a_locale_id_that_is_not_24_hex_is_saved_with_a_warning(publisher_client, site, locales):
    response = publisher_client.post(reverse("admin:stagingapp_localemapping_add"), {
        "site": site.pk, "tag": "it-IT", "display_name": "Italian", "cms_locale_id": "ABCDEF0123456789XYZ",
        "is_enabled": "on"})

    assert response.status_code == 302
    assert LocaleMapping.objects.filter(tag="it-IT", cms_locale_id="ABCDEF0123456789XYZ").exists()
    assert ("warning", "it-IT (Italian): the CMS locale ID 'ABCDEF0123456789XYZ' is not 24 hex characters (0-9, "
            "a-f), as real Webflow IDs are. It was saved; check that the whole ID was copied.") in messages_of(
        response)


def test_a_24_hex_id_gives_no_warning(publisher_client, site, locales):
    response = publisher_client.post(reverse("admin:stagingapp_localemapping_add"), {
        "site": site.pk, "tag": "it-IT", "cms_locale_id": factories.hex_id(), "is_enabled": "on"})

    assert response.status_code == 302
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_sites_collections_and_inline_locales_with_odd_ids_warn_after_saving(publisher_client):
    response = publisher_client.post(reverse("admin:stagingapp_site_add"), site_post(
        Site(webflow_id="Site1234567890", name="Odd"),
        [{"tag": "en-US", "cms_locale_id": "Loc1234567890", "is_primary": "on", "is_enabled": "on"}]))
    assert response.status_code == 302
    site = Site.objects.get(name="Odd")
    warnings = [text for level, text in messages_of(response) if level == "warning"]
    assert [w.split(":")[0] for w in warnings] == ["Odd", "en-US"]

    response = publisher_client.post(reverse("admin:stagingapp_collection_add"), {
        "site": site.pk, "webflow_id": "Coll1234567890", "name": "Posts", "slug": ""})
    assert response.status_code == 302
    assert Collection.objects.filter(webflow_id="Coll1234567890").exists()
    assert "the Webflow collection ID 'Coll1234567890'" in dict(messages_of(response))["warning"]


def test_unticking_the_only_primary_on_the_locale_page_saves_with_a_warning(publisher_client, site, locales):
    en = locales[0]
    response = publisher_client.post(reverse("admin:stagingapp_localemapping_change", args=[en.pk]), {
        "site": site.pk, "tag": "en-US", "display_name": "", "cms_locale_id": en.cms_locale_id, "is_enabled": "on"})

    assert response.status_code == 302
    assert ("warning", "Demo site has no primary locale now. Tick 'primary locale' on the site's default language "
            "before pushing.") in messages_of(response)
