"""Translations only where the push uses them and never on a locked item, on every path (translation pages, item
page, import, shell); language tags valid BCP 47 and unique per site whatever their case; JSON values typed."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from stagingapp.admin.forms import FIELD_PREFIX, MARKER_FIELD
from stagingapp.exceptions import ItemLocked, TranslationRefused
from stagingapp.models import DraftItem, DraftTranslation, LocaleMapping
from stagingapp.services.push.preflight import batch_preflight_report
from tests import factories
from tests.bad_input.support import row_counts
from tests.push_support import make_approved_items
from tests.test_admin_editing import item_post
from tests.test_batches import new_batch
from tests.test_locale_admin import as_rows, site_post

S = DraftItem.Status
TRANSLATION_ADD = "/admin/stagingapp/drafttranslation/add/"


def translation_post(item, locale, **extra):
    return {"item": str(item.pk), "locale": str(locale.pk), "name": "Hallo", "slug": "", "field_data": "",
            MARKER_FIELD: str(item.collection_id), **extra}


def other_site_locale():
    return factories.make_locales(factories.make_site(name="Other"), tags=("it-IT", "es-ES"))[1]


# (case id, item status, which locale: index into the fixture's locales or a builder, expected message)
ADD_CASES = [
    ("item in review", S.IN_REVIEW, 2, "cannot get or change a translation now: it is in review"),
    ("item in a queued batch", S.IN_BATCH, 2, "cannot get or change a translation now: it is in a push batch"),
    ("primary locale", S.DRAFT, 0, "en-US is the site&#x27;s primary locale"),
    ("disabled locale", S.DRAFT, "disabled", "de-DE is disabled for pushes"),
    ("another site's locale", S.DRAFT, "other", "es-ES is a locale of the site &#x27;Other&#x27;"),
]


def pick_locale(locales, which):
    if which == "disabled":
        LocaleMapping.objects.filter(pk=locales[2].pk).update(is_enabled=False)
        return LocaleMapping.objects.get(pk=locales[2].pk)
    if which == "other":
        return other_site_locale()
    return locales[which]


@pytest.mark.parametrize(("status", "which", "message"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES])
def test_the_translations_add_page_refuses_what_the_push_would_not_use(client, editor, collection, locales, status,
                                                                       which, message):
    item = factories.make_item(collection)
    DraftItem.objects.filter(pk=item.pk).update(status=status)
    locale = pick_locale(locales, which)
    client.force_login(editor)
    before = row_counts()

    response = client.post(TRANSLATION_ADD, translation_post(item, locale))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert row_counts() == before
    assert DraftItem.objects.get(pk=item.pk).status == status


@pytest.mark.parametrize("verb", ["change", "delete"])
def test_a_locked_items_translation_cannot_be_changed_or_deleted_on_its_page(client, editor, collection, locales,
                                                                             verb):
    item = factories.make_item(collection)
    translation = factories.make_translation(item, locales[1])
    DraftItem.objects.filter(pk=item.pk).update(status=S.IN_REVIEW)
    client.force_login(editor)
    url = f"/admin/stagingapp/drafttranslation/{translation.pk}/{verb}/"
    data = translation_post(item, locales[1], name="Changed") if verb == "change" else {"post": "yes"}

    assert client.post(url, data).status_code == 403
    assert DraftTranslation.objects.get().name == translation.name


def test_the_item_page_refuses_a_translation_inline_for_the_primary_locale(client, editor, collection, locales):
    client.force_login(editor)
    data = item_post(collection, inline_forms=[{"locale": str(locales[0].pk), "name": "Same", "slug": ""}])

    response = client.post("/admin/stagingapp/draftitem/add/", data)

    assert response.status_code == 200
    assert "en-US is the site&#x27;s primary locale" in response.content.decode()
    assert not DraftItem.objects.exists()


@pytest.mark.parametrize("status", [S.IN_REVIEW, S.IN_BATCH])
def test_a_shell_cannot_add_change_or_delete_a_locked_items_translation(collection, locales, status):
    item = factories.make_item(collection)
    translation = factories.make_translation(item, locales[1])
    DraftItem.objects.filter(pk=item.pk).update(status=status)
    item.refresh_from_db()

    with pytest.raises(ItemLocked):
        DraftTranslation.objects.create(item=item, locale=locales[2], name="Neu")
    translation.refresh_from_db()
    translation.name = "Changed"
    with pytest.raises(ItemLocked):
        translation.save()
    with pytest.raises(ItemLocked), transaction.atomic():
        translation.delete()
    assert list(DraftTranslation.objects.values_list("name", flat=True)) == [f"{item.name} [fr-FR]"]


def test_a_shell_cannot_add_a_translation_in_the_primary_locale(collection, locales):
    with pytest.raises(TranslationRefused, match="primary locale"):
        DraftTranslation.objects.create(item=factories.make_item(collection), locale=locales[0], name="Same")
    assert not DraftTranslation.objects.exists()


def test_the_import_refuses_a_disabled_locale_column(client, editor, collection, locales):
    LocaleMapping.objects.filter(pk=locales[2].pk).update(is_enabled=False)
    client.force_login(editor)
    content = b"name,slug,summary,de-DE:name\nA,a,S,Hallo\n"
    response = client.post("/admin/stagingapp/draftitem/import/", {
        "collection": collection.pk, "import_file": SimpleUploadedFile("posts.csv", content)}, follow=True)
    assert "Row 1, de-DE:name: de-DE is disabled for pushes" in response.content.decode()
    assert not DraftItem.objects.exists()


def test_the_preflight_names_translations_that_would_never_be_pushed(collection, locales, publisher):
    items = make_approved_items(collection, 2)
    # Rows from before these rules (bulk_create skips the signals, as old data would have them).
    DraftTranslation.objects.bulk_create([DraftTranslation(item=items[0], locale=locales[0], name="Primary"),
                                          DraftTranslation(item=items[1], locale=locales[2], name="Disabled")])
    LocaleMapping.objects.filter(pk=locales[2].pk).update(is_enabled=False)
    batch = new_batch(collection, items, publisher)

    shown = [str(p) for p in batch_preflight_report(batch).problems]

    assert any("has a en-US translation that cannot be pushed: en-US is the site's primary locale" in p
               for p in shown)
    assert any("has a de-DE translation that cannot be pushed: de-DE is disabled for pushes" in p for p in shown)


LOCALE_ADD = "/admin/stagingapp/localemapping/add/"

# (case id, tag typed, message)
TAG_CASES = [
    ("same tag in other case", "EN-us", "already has the locale en-US; language tags ignore letter case"),
    ("markup", "<script>x</script>", "is not a language tag (BCP 47)"),
    ("spaces", "en US", "is not a language tag (BCP 47)"),
    ("underscore", "en_US", "is not a language tag (BCP 47)"),
    ("too long", "en-" + "a" * 40, "Ensure this value has at most 35 characters"),
    ("one-letter language", "e-US", "is not a language tag (BCP 47)"),
]


@pytest.mark.parametrize(("tag", "message"), [c[1:] for c in TAG_CASES], ids=[c[0] for c in TAG_CASES])
def test_a_locale_tag_that_is_not_bcp47_or_already_used_is_a_form_error(client, publisher, site, locales, tag,
                                                                        message):
    client.force_login(publisher)
    response = client.post(LOCALE_ADD, {"site": site.pk, "tag": tag, "display_name": "", "is_enabled": "on",
                                        "cms_locale_id": factories.hex_id()})
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert LocaleMapping.objects.count() == 3


@pytest.mark.parametrize("tag", ["zh-Hans-CN", "es-419", "sr-Latn-RS", "de-CH-1996", "en-US-x-twain"])
def test_real_language_tags_are_accepted(client, publisher, site, locales, tag):
    client.force_login(publisher)
    response = client.post(LOCALE_ADD, {"site": site.pk, "tag": tag, "display_name": "", "is_enabled": "on",
                                        "cms_locale_id": factories.hex_id()})
    assert response.status_code == 302
    assert LocaleMapping.objects.filter(tag=tag).exists()


def test_two_rows_with_one_tag_in_two_cases_on_the_site_page_are_refused(client, publisher, site, locales):
    client.force_login(publisher)
    rows = as_rows(site, locales, primary="en-US")
    rows.append({"site": site.pk, "tag": "FR-fr", "display_name": "", "cms_locale_id": factories.hex_id(),
                 "is_enabled": "on"})
    response = client.post(f"/admin/stagingapp/site/{site.pk}/change/", site_post(site, rows))
    assert response.status_code == 200
    assert "Two locales have the language tag FR-fr" in response.content.decode()
    assert LocaleMapping.objects.count() == 3


def test_the_database_refuses_one_tag_twice_per_site_whatever_its_case(site, locales):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocaleMapping.objects.create(site=site, tag="FR-fr", cms_locale_id=factories.hex_id())


@pytest.mark.parametrize(("value", "field"), [("yes please", "featured"), ("3 minutes", "reading-minutes"),
                                              (["News"], "summary"), ({"a": 1}, "category")])
def test_the_json_input_refuses_values_of_the_wrong_type(client, editor, collection, value, field):
    client.force_login(editor)
    data = item_post(collection, field_data=json.dumps({"summary": "S", field: value}))
    data.pop(MARKER_FIELD)
    for key in [k for k in data if k.startswith(FIELD_PREFIX)]:
        data.pop(key)

    response = client.post("/admin/stagingapp/draftitem/add/", data)

    assert response.status_code == 200
    assert FIELD_PREFIX + field in response.context["adminform"].form.errors
    if field != "reading-minutes":  # a number box shows "3 minutes" itself; a tick box or choice cannot
        assert f"The JSON gave {value!r}" in response.content.decode().replace("&#x27;", "'")
    assert not DraftItem.objects.exists()
