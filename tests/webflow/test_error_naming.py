"""Which items of a refused request a Webflow 400 names: by index, by a quoted slug, or as a taken slug."""
import json

from stagingapp.webflow.errors import error_for, first_field, items_named, leaf_field, says_slug_taken


def refusal(details, message="Validation Error"):
    body = json.dumps({"code": "validation_error", "message": message, "details": details})
    return error_for(status=400, body_text=body, headers={})


def test_an_index_in_the_field_names_that_item_with_its_leaf_field():
    exc = refusal([{"param": "fieldData[2].summary", "description": "must be a string"}])
    named = items_named(exc, 3)
    assert list(named) == [2]
    assert (named[2].field, named[2].message, named[2].duplicate_slug) == ("summary", "must be a string", False)


def test_an_index_in_the_text_names_that_item_and_an_index_past_the_request_names_nothing():
    exc = refusal(["items.1: invalid value", "items[7]: invalid value"])
    assert list(items_named(exc, 3)) == [1]


def test_a_quoted_slug_names_its_item_when_the_request_slugs_are_given():
    exc = refusal([{"field": "slug", "message": "Unique value is already in database: 'post-9'"}])
    named = items_named(exc, 2, ["post-8", "post-9"])
    assert list(named) == [1]
    assert named[1].duplicate_slug
    assert items_named(exc, 2) == {}  # without the slugs nothing is named


def test_double_quoted_slugs_are_recognised_too():
    exc = refusal([{"param": "fieldData.name", "description": 'Item "post-1" has an empty name'}])
    named = items_named(exc, 2, ["post-1", "post-2"])
    assert list(named) == [0] and named[0].field == "name"


def test_a_refusal_that_names_no_item_names_none():
    assert items_named(refusal(["Something is wrong"]), 5, ["a", "b"]) == {}


def test_leaf_field_drops_indexes_and_whole_field_data():
    assert leaf_field("fieldData[3].slug") == "slug"
    assert leaf_field("items[2].fieldData") == ""
    assert leaf_field("fieldData[0]") == ""
    assert leaf_field(None) == ""


def test_a_single_item_duplicate_slug_refusal_is_recognised_and_other_refusals_are_not():
    taken = refusal([{"param": "slug", "description": "Slug must be unique; 'x' is already used"}])
    assert says_slug_taken(taken) and first_field(taken) == "slug"
    other = refusal([{"param": "slug", "description": "Slug has invalid characters"}])
    assert not says_slug_taken(other)
    assert not says_slug_taken(refusal(["no field here"]))
