"""Reading Webflow's item answers defensively: the documented shapes of the bulk answer disagree."""
import json

import pytest

from stagingapp.webflow.client import ids_by_slug, parse_item_variants
from stagingapp.webflow.errors import WebflowBadResponse, error_for

EN, FR = "66f6e966c9e1dc700a857ca3", "66f6e966c9e1dc700a857ca4"


def variant(item_id, locale, slug):
    return {"id": item_id, "cmsLocaleId": locale, "lastPublished": None, "lastUpdated": "2024-09-27T17:38:29.066Z",
            "createdOn": "2024-09-27T17:38:29.066Z", "isArchived": False, "isDraft": True,
            "fieldData": {"name": slug.title(), "slug": slug}}


def test_items_are_grouped_by_id_and_a_stray_top_level_id_is_ignored():
    answer = {"id": "580e64008c9a982ac9b8b754", "items": [
        variant("a" * 24, EN, "dont-panic"), variant("a" * 24, FR, "dont-panic"), variant("b" * 24, EN, "so-long")]}
    variants = parse_item_variants(answer)
    assert [(v.id, v.cms_locale_id) for v in variants] == [("a" * 24, EN), ("a" * 24, FR), ("b" * 24, EN)]
    assert ids_by_slug(variants) == {"dont-panic": "a" * 24, "so-long": "b" * 24}
    assert variants[0].created_on == "2024-09-27T17:38:29.066Z" and variants[0].last_published is None


def test_the_schemas_single_object_shape_becomes_one_variant_per_listed_locale():
    single = {**variant("c" * 24, None, "solo"), "cmsLocaleIds": [EN, FR]}
    del single["cmsLocaleId"]
    assert [(v.id, v.cms_locale_id, v.slug) for v in parse_item_variants(single)] == [
        ("c" * 24, EN, "solo"), ("c" * 24, FR, "solo")]


def test_a_single_item_answer_takes_the_only_requested_locale():
    item = variant("d" * 24, None, "one")
    del item["cmsLocaleId"]
    [only] = parse_item_variants(item, cms_locale_ids=[FR])
    assert only.cms_locale_id == FR


@pytest.mark.parametrize("answer", [[], {"unexpected": True}, "text"])
def test_an_answer_without_items_is_a_bad_response(answer):
    with pytest.raises(WebflowBadResponse):
        parse_item_variants(answer)


def test_nul_characters_are_dropped_from_answers_raw_or_escaped_keys_included():
    """PostgreSQL keeps NUL in no text or JSON column; one in Webflow's content made a pull fail there."""
    from stagingapp.webflow import storable

    text = json.dumps({"items": [{"fieldData": {"name": "Bad\u0000name", "sum\u0000mary": ["x\u0000", 1]}}]})

    assert storable.loads(text) == {"items": [{"fieldData": {"name": "Badname", "summary": ["x", 1]}}]}
    assert storable.loads('{"name": "raw\x00byte"}') == {"name": "rawbyte"}
    assert storable.without_nul("plain") == "plain"


def test_a_refusal_whose_message_holds_a_nul_is_read_without_it():
    error = error_for(status=400, headers={}, body_text=json.dumps(
        {"code": "validation_error", "message": "Validation Error\u0000", "details": []}))
    assert "\x00" not in str(error) and "Validation Error" in str(error)
