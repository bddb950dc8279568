"""Syncing a site's locales and a collection's fields from Webflow (the sandbox, over real HTTP)."""
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from stagingapp import demo
from stagingapp.exceptions import WebflowSyncFailed
from stagingapp.models import AuditEvent, Collection, LocaleMapping, Site
from stagingapp.services.sync import collection_sync_schema, site_sync_locales
from tests import factories
from webflow_sandbox.demo import (
    DEMO_COLLECTION_ID,
    DEMO_FIELDS,
    DEMO_LOCALES,
    DEMO_SITE_ID,
    seed_demo,
)


@pytest.fixture
def sandbox(webflow_sandbox):
    seed_demo(webflow_sandbox)
    return webflow_sandbox


def mappings(site_id=DEMO_SITE_ID):
    return {(m.tag, m.cms_locale_id, m.is_primary, m.is_enabled)
            for m in LocaleMapping.objects.filter(site__webflow_id=site_id)}


def test_syncing_locales_creates_one_mapping_per_webflow_locale_keyed_by_cms_locale_id(db, sandbox):
    result = site_sync_locales(site_webflow_id=DEMO_SITE_ID)
    assert result.created == ["en-US", "fr-FR", "de-DE"]
    assert mappings() == {
        ("en-US", "64a1f0c2e4b0d1a2b3c4d601", True, True),
        ("fr-FR", "64a1f0c2e4b0d1a2b3c4d602", False, True),
        ("de-DE", "64a1f0c2e4b0d1a2b3c4d603", False, True),
    }
    site = Site.objects.get(webflow_id=DEMO_SITE_ID)
    assert site.name == demo.DEMO_SITE_NAME and site.locales_synced_at is not None
    assert not LocaleMapping.objects.filter(cms_locale_id__in=[loc["id"] for loc in DEMO_LOCALES]).exists()
    assert AuditEvent.objects.filter(action="site.sync_locales").count() == 1


def test_syncing_again_updates_changed_locales_and_disables_ones_webflow_dropped(db, sandbox):
    site_sync_locales(site_webflow_id=DEMO_SITE_ID)
    sandbox.add_site(DEMO_SITE_ID, name="Demo site", locales=[
        {"tag": "fr-FR", "cmsLocaleId": "64a1f0c2e4b0d1a2b3c4d602", "primary": True, "displayName": "Français"},
        {"tag": "en-US", "cmsLocaleId": "64a1f0c2e4b0d1a2b3c4d601", "displayName": "English"},
    ])
    result = site_sync_locales(site_webflow_id=DEMO_SITE_ID)
    assert sorted(result.updated) == ["en-US", "fr-FR"] and result.disabled == ["de-DE"]
    assert mappings() == {
        ("en-US", "64a1f0c2e4b0d1a2b3c4d601", False, True),
        ("fr-FR", "64a1f0c2e4b0d1a2b3c4d602", True, True),
        ("de-DE", "64a1f0c2e4b0d1a2b3c4d603", False, False),
    }


def test_a_site_without_localization_gives_a_clear_message_and_changes_nothing(db, webflow_sandbox):
    webflow_sandbox.add_site(DEMO_SITE_ID, localized=False)
    with pytest.raises(WebflowSyncFailed, match="no locales.*Enable Localization"):
        site_sync_locales(site_webflow_id=DEMO_SITE_ID)
    assert not Site.objects.exists()


def test_a_wrong_token_gives_a_clear_message(db, sandbox, settings):
    settings.WEBFLOW_API_TOKEN = "a-revoked-token"
    with pytest.raises(WebflowSyncFailed, match=r"refused the API token \(401\).*WEBFLOW_API_TOKEN"):
        site_sync_locales(site_webflow_id=DEMO_SITE_ID)


def test_an_unknown_site_gives_a_clear_message(db, sandbox):
    with pytest.raises(WebflowSyncFailed, match=r"no site with ID ffffffffffffffffffffffff \(404\)"):
        site_sync_locales(site_webflow_id="ffffffffffffffffffffffff")


def test_the_sync_locales_command_reports_the_result_or_the_reason(db, sandbox, capsys):
    call_command("sync_locales", DEMO_SITE_ID)
    assert "created: en-US, fr-FR, de-DE" in capsys.readouterr().out
    with pytest.raises(CommandError, match="404"):
        call_command("sync_locales", "ffffffffffffffffffffffff")


def test_the_site_admin_action_syncs_locales_and_reports(admin_client, sandbox):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    response = admin_client.post(reverse("admin:stagingapp_site_changelist"),
                                 {"action": "sync_locales_from_webflow", "_selected_action": [site.pk]}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Locales of {site.name} synced from Webflow — created: en-US, fr-FR, de-DE."]
    assert LocaleMapping.objects.filter(site=site).count() == 3


def test_syncing_a_collection_stores_its_fields_and_the_sync_time(db, sandbox):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    collection = factories.make_collection(site, webflow_id=DEMO_COLLECTION_ID, fields_schema=DEMO_FIELDS[:2])
    result = collection_sync_schema(collection_webflow_id=DEMO_COLLECTION_ID)
    collection.refresh_from_db()
    assert collection.fields_schema == DEMO_FIELDS and collection.schema_synced_at is not None
    assert result.added == [field["slug"] for field in DEMO_FIELDS[2:]]
    assert AuditEvent.objects.get(action="collection.sync_schema").collection == collection


def test_the_sync_collection_command_can_create_the_collection_under_a_site(db, sandbox, capsys):
    factories.make_site(webflow_id=DEMO_SITE_ID)
    call_command("sync_collection", DEMO_COLLECTION_ID, "--site", DEMO_SITE_ID)
    collection = Collection.objects.get(webflow_id=DEMO_COLLECTION_ID)
    assert collection.name == demo.DEMO_COLLECTION_NAME and collection.slug == demo.DEMO_COLLECTION_SLUG
    assert collection.fields_schema == DEMO_FIELDS
    assert f"{len(DEMO_FIELDS)} fields" in capsys.readouterr().out


def test_syncing_an_unknown_collection_gives_a_clear_message(db, sandbox):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    with pytest.raises(WebflowSyncFailed, match=r"no collection with ID ffffffffffffffffffffffff \(404\)"):
        collection_sync_schema(collection_webflow_id="ffffffffffffffffffffffff", site=site)
    with pytest.raises(CommandError, match="No collection with Webflow ID"):
        call_command("sync_collection", "eeeeeeeeeeeeeeeeeeeeeeee")


def test_the_collection_admin_action_reports_a_401_clearly(admin_client, sandbox, settings):
    collection = factories.make_collection(factories.make_site(webflow_id=DEMO_SITE_ID),
                                           webflow_id=DEMO_COLLECTION_ID)
    settings.WEBFLOW_API_TOKEN = "a-revoked-token"
    response = admin_client.post(reverse("admin:stagingapp_collection_changelist"),
                                 {"action": "sync_fields_from_webflow", "_selected_action": [collection.pk]},
                                 follow=True)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "refused the API token (401)" in message


def test_the_token_shows_up_in_no_admin_page_or_audit_entry_after_syncs(admin_client, sandbox, settings):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    collection = factories.make_collection(site, webflow_id=DEMO_COLLECTION_ID)
    token = settings.WEBFLOW_API_TOKEN
    admin_client.post(reverse("admin:stagingapp_site_changelist"),
                      {"action": "sync_locales_from_webflow", "_selected_action": [site.pk]})
    pages = [
        admin_client.post(reverse("admin:stagingapp_collection_changelist"),
                          {"action": "sync_fields_from_webflow", "_selected_action": [collection.pk]}, follow=True),
        admin_client.get(reverse("admin:stagingapp_site_change", args=[site.pk])),
        admin_client.get(reverse("admin:stagingapp_collection_change", args=[collection.pk])),
    ]
    assert all(page.status_code == 200 for page in pages)
    assert not [page for page in pages if token in page.content.decode()]
    syncs = AuditEvent.objects.filter(action__in=["site.sync_locales", "collection.sync_schema"])
    assert syncs.count() == 2
    assert not [event for event in AuditEvent.objects.all() if token in str(event.__dict__)]


def test_a_sites_page_has_its_sync_button_which_runs_the_list_action_for_that_site(admin_client, sandbox):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    page = admin_client.get(reverse("admin:stagingapp_site_change", args=[site.pk])).content.decode()
    changelist = reverse("admin:stagingapp_site_changelist")
    assert f'action="{changelist}"' in page and 'name="action" value="sync_locales_from_webflow"' in page
    assert f'name="_selected_action" value="{site.pk}"' in page

    # What that button posts: this site's pk, the action it names, and the action bar's index.
    response = admin_client.post(changelist, {"_selected_action": site.pk, "index": "0",
                                              "action": "sync_locales_from_webflow"}, follow=True)

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Locales of {site.name} synced from Webflow — created: en-US, fr-FR, de-DE."]


def test_a_collections_page_offers_sync_pull_and_verify_only_to_who_may_run_them(client, sandbox, publisher,
                                                                                   editor):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    collection = factories.make_collection(site, webflow_id=DEMO_COLLECTION_ID)
    url = reverse("admin:stagingapp_collection_change", args=[collection.pk])
    client.force_login(publisher)
    page = client.get(url).content.decode()
    assert [name for name in ("sync_fields_from_webflow", "pull_from_webflow", "verify_collections")
            if f'value="{name}"' in page] == ["sync_fields_from_webflow", "pull_from_webflow", "verify_collections"]
    client.force_login(editor)  # may look, and verify (a read of Webflow), but not sync or pull
    page = client.get(url).content.decode()
    assert [name for name in ("sync_fields_from_webflow", "pull_from_webflow", "verify_collections")
            if f'value="{name}"' in page] == ["verify_collections"]


def test_a_field_removed_in_webflow_is_named_with_the_drafts_that_still_hold_a_value_for_it(db, sandbox):
    site = factories.make_site(webflow_id=DEMO_SITE_ID)
    locale = factories.make_locales(site)[1]
    extra = {"slug": "retired", "displayName": "Retired", "type": "PlainText", "id": "f" * 24}
    collection = factories.make_collection(site, webflow_id=DEMO_COLLECTION_ID, fields_schema=[*DEMO_FIELDS, extra])
    factories.make_item(collection, field_data={"retired": "old value"})
    translated = factories.make_item(collection, field_data={})
    factories.make_translation(translated, locale, field_data={"retired": "ancienne valeur"})
    factories.make_item(collection, field_data={})  # holds nothing of it

    result = collection_sync_schema(collection_webflow_id=DEMO_COLLECTION_ID)

    assert result.removed == ["retired"] and result.items_holding_removed == 2
    assert result.summary().endswith(
        "; removed retired. 2 draft items still hold a value for a removed field; Webflow would refuse it, so clear "
        "it on the item (its \"Other field values\") before pushing. The batch pre-flight names each.")
    assert "2 draft items still hold" in AuditEvent.objects.get(action="collection.sync_schema").message
