"""Model invariants that live in the database and in validators."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stagingapp.models import DraftItem, LocaleMapping
from stagingapp.validators import is_canonical_webflow_id, suggest_slug, validate_item_slug, validate_webflow_id
from tests import factories


def test_a_site_has_at_most_one_primary_locale(site, locales):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocaleMapping.objects.create(site=site, tag="es-ES", cms_locale_id=factories.hex_id(), is_primary=True)


def test_locale_tags_and_cms_locale_ids_are_unique_per_site(site, locales):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocaleMapping.objects.create(site=site, tag="fr-FR", cms_locale_id=factories.hex_id())
    with pytest.raises(IntegrityError), transaction.atomic():
        LocaleMapping.objects.create(site=site, tag="es-ES", cms_locale_id=locales[1].cms_locale_id)
    other_site = factories.make_site()
    LocaleMapping.objects.create(site=other_site, tag="fr-FR", cms_locale_id=locales[1].cms_locale_id)


def test_slugs_are_unique_per_collection_only(collection):
    factories.make_item(collection, slug="hello")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_item(collection, slug="hello")
    factories.make_item(factories.make_collection(collection.site), slug="hello")


@pytest.mark.parametrize("slug", ["Hello", "hello world", "-hello", "hello-", "hello--world", "héllo", ""])
def test_bad_slugs_are_refused_with_a_suggestion(slug):
    with pytest.raises(ValidationError) as excinfo:
        validate_item_slug(slug)
    assert "not a valid slug" in str(excinfo.value)


def test_slug_suggestion_is_webflow_safe():
    assert suggest_slug("  Hello, Wörld -- 2026!  ") == "hello-world-2026"
    validate_item_slug(suggest_slug("Ça va? Très bien_merci"))


def test_webflow_ids_hard_rule_and_soft_24_hex_rule():
    validate_webflow_id("580e63fc8c9a982ac9b8b745")
    validate_webflow_id("a" * 32)  # the official spec's examples include 32-character ids
    assert is_canonical_webflow_id("580e63fc8c9a982ac9b8b745")
    assert not is_canonical_webflow_id("a" * 32)
    for bad in ["", "short", "580e63fc-8c9a-982a-c9b8b745", "x" * 65]:
        with pytest.raises(ValidationError):
            validate_webflow_id(bad)


def test_item_edits_are_recorded_in_field_history(collection, editor):
    item = factories.make_item(collection, name="First")
    item.name = "Second"
    item._change_reason = "rename"
    item.save()
    history = list(item.history.order_by("history_date"))
    assert [h.name for h in history] == ["First", "Second"]
    delta = history[1].diff_against(history[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("name", "First", "Second")]


def test_a_fingerprint_from_prefetched_translations_matches_the_queried_one_and_costs_no_query(
    collection, locales, django_assert_num_queries
):
    item = factories.make_item(collection)
    factories.make_translation(item, locales[2], slug="zweiter")  # de-DE created first: order must not matter
    factories.make_translation(item, locales[1], field_data={"summary": "Résumé"})
    queried = DraftItem.objects.get(pk=item.pk).fingerprint()
    prefetched = DraftItem.objects.prefetch_related("translations__locale").get(pk=item.pk)
    with django_assert_num_queries(0):
        assert prefetched.fingerprint() == queried
    assert list(prefetched.content_snapshot()["translations"]) == ["de-DE", "fr-FR"]
