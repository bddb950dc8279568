"""Translations follow Webflow's per-locale rules: slugs are unique per collection and locale, images are not
localisable; the admin forms and the import refuse both with a clear message and write nothing."""
import pytest
import tablib
from django.urls import reverse

from stagingapp.admin.forms import FIELD_PREFIX, MARKER_FIELD
from stagingapp.models import DraftItem, DraftTranslation
from stagingapp.schema import validate_field_data
from stagingapp.services.imports import drafts_import
from tests import factories

IMAGE_FIELD = {"slug": "cover-image", "displayName": "Cover image", "type": "Image", "isRequired": False,
               "isEditable": True, "validations": None}


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def change_url(item):
    return reverse("admin:stagingapp_draftitem_change", args=[item.pk])


def item_with_inline(item, *inline_forms):
    data = {"collection": str(item.collection_id), "name": item.name, "slug": item.slug, "field_data": "",
            MARKER_FIELD: str(item.collection_id), f"{FIELD_PREFIX}summary": item.field_data.get("summary", "S"),
            "translations-TOTAL_FORMS": str(len(inline_forms)), "translations-INITIAL_FORMS": "0",
            "translations-MIN_NUM_FORMS": "0", "translations-MAX_NUM_FORMS": "1000"}
    for i, form in enumerate(inline_forms):
        base = {"item": str(item.pk), "name": "", "slug": "", "field_data": "", MARKER_FIELD: str(item.collection_id)}
        data.update({f"translations-{i}-{k}": v for k, v in (base | form).items()})
    return data


def run_import(collection, editor, headers, rows):
    return drafts_import(collection=collection, dataset=tablib.Dataset(*rows, headers=headers), actor=editor)


# --- translated slugs ---------------------------------------------------------------------------------------

def test_a_translated_slug_used_by_another_items_translation_in_that_locale_is_a_form_error(
        editor_client, collection, locales):
    fr = locales[1]
    other = factories.make_item(collection, name="Other", slug="other")
    factories.make_translation(other, fr, slug="bonjour")
    item = factories.make_item(collection, name="Hello", slug="hello")

    response = editor_client.post(change_url(item), item_with_inline(item, {"locale": str(fr.pk), "slug": "bonjour"}))

    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == [{"slug": [
        "'bonjour' is already the fr-FR translated slug of \"Other\" in Blog posts; Webflow slugs are unique per "
        "locale. Choose a different slug, e.g. 'bonjour-fr-fr'."]}]
    assert not item.translations.exists()


def test_the_same_translated_slug_is_fine_in_another_locale_or_collection(editor_client, site, collection, locales):
    fr, de = locales[1], locales[2]
    factories.make_translation(factories.make_item(collection, slug="other"), fr, slug="bonjour")
    elsewhere = factories.make_item(factories.make_collection(site, name="Pages"), slug="page")
    factories.make_translation(elsewhere, de, slug="hallo")
    item = factories.make_item(collection, name="Hello", slug="hello")

    data = item_with_inline(item, {"locale": str(de.pk), "slug": "bonjour"}, {"locale": str(fr.pk), "slug": "hallo"})
    assert editor_client.post(change_url(item), data).status_code == 302
    assert sorted(item.translations.values_list("slug", flat=True)) == ["bonjour", "hallo"]


def test_a_translated_slug_equal_to_another_items_untranslated_primary_slug_is_refused(
        editor_client, collection, locales):
    fr = locales[1]
    factories.make_item(collection, name="Other", slug="bonjour")
    item = factories.make_item(collection, name="Hello", slug="hello")

    response = editor_client.post(reverse("admin:stagingapp_drafttranslation_add"), {
        "item": item.pk, "locale": fr.pk, "name": "", "slug": "bonjour", "field_data": "",
        MARKER_FIELD: str(collection.pk)})

    assert response.context["adminform"].form.errors["slug"][0].startswith(
        "'bonjour' is already the fr-FR slug (it has no translated slug there) of \"Other\"")
    assert not DraftTranslation.objects.exists()


def test_a_primary_slug_is_refused_when_another_items_translation_uses_it(editor_client, collection, locales):
    factories.make_translation(factories.make_item(collection, name="Other", slug="other"), locales[1],
                               slug="hello")
    item = factories.make_item(collection, name="Hello", slug="hello-there")

    response = editor_client.post(change_url(item), item_with_inline(item) | {"slug": "hello"})

    assert response.context["adminform"].form.errors["slug"] == [
        "'hello' is already the fr-FR translated slug of \"Other\" in Blog posts; Webflow slugs are unique per "
        "locale. Choose a different slug."]


def test_the_import_refuses_a_translated_slug_taken_in_that_locale_and_writes_nothing(collection, editor, locales):
    factories.make_translation(factories.make_item(collection, name="Other", slug="other"), locales[1],
                               slug="bonjour")

    report = run_import(collection, editor, ["name", "slug", "summary", "fr-FR:slug"],
                        [["Hello", "hello", "S", "bonjour"]])

    assert [str(p) for p in report.problems] == [
        "row 1: fr-FR:slug: 'bonjour' is already the fr-FR translated slug of \"Other\" in Blog posts; Webflow "
        "slugs are unique per locale. Choose a different slug."]
    assert not DraftItem.objects.filter(slug="hello").exists()


def test_the_import_refuses_two_rows_with_the_same_translated_slug(collection, editor, locales):
    report = run_import(collection, editor, ["name", "slug", "summary", "fr-FR:slug"],
                        [["A", "a", "S", "pareil"], ["B", "b", "S", "pareil"]])

    assert [(p.row, p.field) for p in report.problems] == [(2, "fr-FR:slug")]
    assert not DraftItem.objects.exists()


# --- images are not localisable -----------------------------------------------------------------------------

@pytest.fixture
def collection_with_image(site, locales):
    return factories.make_collection(site, name="Stories", fields_schema=[*factories.BLOG_FIELDS, IMAGE_FIELD])


def test_translation_forms_offer_no_image_input_and_say_why(editor_client, collection_with_image):
    item = factories.make_item(collection_with_image)

    response = editor_client.get(change_url(item))

    assert "wf__cover-image" in response.context["adminform"].form.fields
    inline_form = response.context["inline_admin_formsets"][0].formset.empty_form
    assert "wf__cover-image" not in inline_form.fields
    assert "cannot localise images or files" in inline_form.fields["field_data"].help_text


def test_an_image_typed_into_a_translations_json_is_refused(editor_client, collection_with_image, locales):
    item = factories.make_item(collection_with_image)
    data = item_with_inline(item, {"locale": str(locales[1].pk),
                                   "field_data": '{"cover-image": "https://cdn.example.com/fr.png"}'})

    response = editor_client.post(change_url(item), data)

    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0]["field_data"] == [
        "cover-image: Webflow's API cannot localise images or files: every locale shows the primary locale's "
        "image. Remove it from the translation and set it on the item instead."]
    assert not item.translations.exists()


def test_the_import_refuses_a_localised_image_column_with_the_reason(collection_with_image, editor):
    report = run_import(collection_with_image, editor, ["name", "summary", "cover-image", "fr-FR:cover-image"],
                        [["A", "S", "https://cdn.example.com/a.png", "https://cdn.example.com/fr.png"]])

    assert [(p.row, p.field) for p in report.problems] == [(1, "fr-FR:cover-image")]
    assert "cannot localise images" in report.problems[0].message
    assert not DraftItem.objects.exists()


def test_schema_validation_refuses_assets_only_for_translations():
    fields = [*factories.BLOG_FIELDS, IMAGE_FIELD]
    value = {"cover-image": "https://cdn.example.com/a.png"}
    assert validate_field_data(fields, value, name="", slug="", partial=True)["cover-image"]
    assert "cover-image" not in validate_field_data(fields, value, name="A", slug="a")
