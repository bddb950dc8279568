"""Webflow answers the sync actions cannot use: refused with a message naming what Webflow sent, nothing saved.

Each case edits a sandbox site or collection after it was added, so the answer is exactly as hostile as wanted.
"""
import pytest

from stagingapp.models import AuditEvent, Collection, LocaleMapping, Site
from tests import factories
from tests.bad_input.support import row_counts, shown_messages

SITE_ID = "5" * 24
COLLECTION_ID = "6" * 24
EN, FR = "a1" * 12, "b2" * 12


def secondary(sandbox, **changes):
    sandbox.state.sites[SITE_ID]["locales"]["secondary"][0].update(changes)


def primary(sandbox, **changes):
    sandbox.state.sites[SITE_ID]["locales"]["primary"].update(changes)


LOCALE_CASES = [
    ("same cmsLocaleId twice", lambda s: secondary(s, cmsLocaleId=EN),
     f"two locales have the cmsLocaleId '{EN}'"),
    ("same tag twice, other case", lambda s: secondary(s, tag="EN-us"), "two locales have the tag 'EN-us'"),
    ("tag that is markup", lambda s: secondary(s, tag="<script>x</script>"),
     "the tag '<script>x</script>' is not a language tag"),
    ("tag of 100 characters", lambda s: secondary(s, tag="fr-" + "a" * 97), "is not a language tag"),
    ("cmsLocaleId of 300 characters", lambda s: secondary(s, cmsLocaleId="c" * 300),
     "which is not a Webflow ID"),
    ("cmsLocaleId that is a number", lambda s: secondary(s, cmsLocaleId=12345), "cmsLocaleId 12345, not text"),
    ("tag that is a list", lambda s: secondary(s, tag=["fr"]), "a locale's tag is ['fr'], not text"),
    ("displayName that is an object", lambda s: primary(s, displayName={"x": 1}), "displayName {'x': 1}, not text"),
    ("locale without cmsLocaleId", lambda s: secondary(s, cmsLocaleId=None), "without a tag or cmsLocaleId"),
]


@pytest.fixture
def sandbox(webflow_sandbox):
    webflow_sandbox.add_site(SITE_ID, locales=[{"tag": "en-US", "cmsLocaleId": EN, "primary": True},
                                               {"tag": "fr-FR", "cmsLocaleId": FR}])
    return webflow_sandbox


@pytest.mark.parametrize("spoil,message", [c[1:] for c in LOCALE_CASES], ids=[c[0] for c in LOCALE_CASES])
def test_a_locale_answer_that_cannot_be_used_is_named_and_nothing_is_saved(client, publisher, sandbox, spoil,
                                                                           message):
    site = Site.objects.create(webflow_id=SITE_ID, name="Shop")
    spoil(sandbox)
    client.force_login(publisher)
    before = row_counts()

    response = client.post("/admin/stagingapp/site/", {"action": "sync_locales_from_webflow",
                                                       "_selected_action": [site.pk]}, follow=True)

    assert response.status_code == 200
    shown = " ".join(shown_messages(response))
    assert message in shown and "Nothing was changed." in shown
    assert row_counts() == before and not LocaleMapping.objects.exists()
    assert not AuditEvent.objects.filter(action="site.sync_locales").exists()


def field(slug, kind="PlainText", **extra):
    return {"id": factories.hex_id(), "slug": slug, "displayName": str(slug), "type": kind, "isRequired": False,
            "isEditable": True, "validations": None, **extra}


FIELD_CASES = [
    ("slug that is a number", [field("name"), field(7)], "field 2 has slug 7, not text"),
    ("slug that is empty", [field("name"), field("")], "field 2 has slug '', not text"),
    ("the same slug twice", [field("name"), field("summary"), field("summary")],
     "two fields have the slug 'summary'"),
    ("unknown field type", [field("name"), field("mood", kind="Hologram")],
     "field 'mood' has type 'Hologram', which this app does not know"),
    ("type missing", [field("name"), field("mood", kind=None)], "field 'mood' has type None"),
    ("field that is not an object", [field("name"), "summary"], "field 2 is 'summary', not an object"),
    ("no fields at all", [], "it has no fields list"),
    ("slug of 300 characters", [field("name"), field("s" * 300)], "field 2 has a slug of 300 characters"),
]


@pytest.mark.parametrize("fields,message", [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES])
def test_a_fields_answer_that_cannot_be_used_is_named_and_nothing_is_saved(client, publisher, sandbox, fields,
                                                                           message):
    site = Site.objects.create(webflow_id=SITE_ID, name="Shop")
    collection = factories.make_collection(site, webflow_id=COLLECTION_ID)
    sandbox.add_collection(SITE_ID, COLLECTION_ID, fields=[field("name")])
    sandbox.state.collections[COLLECTION_ID]["fields"] = fields
    client.force_login(publisher)

    response = client.post("/admin/stagingapp/collection/", {"action": "sync_fields_from_webflow",
                                                             "_selected_action": [collection.pk]}, follow=True)

    assert response.status_code == 200
    shown = " ".join(shown_messages(response))
    assert message in shown and "Nothing was changed." in shown
    assert Collection.objects.get().fields_schema == factories.BLOG_FIELDS
    assert not AuditEvent.objects.filter(action="collection.sync_schema").exists()
