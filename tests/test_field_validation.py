"""Field values are checked against the collection's synced Webflow schema and normalised for the API."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from stagingapp.exceptions import FieldDataInvalid
from stagingapp.schema import (
    SCHEMA_NOT_SYNCED_WARNING,
    clean_field_data,
    normalise_field_data,
    schema_is_synced,
    validate_field_data,
)
from tests.factories import BLOG_FIELDS

OPTIONS = [{"name": "News", "id": "a" * 24}, {"name": "Guides", "id": "b" * 24}]


def field(slug, type_, required=False, validations=None):
    return {"id": slug.ljust(24, "0")[:24], "slug": slug, "displayName": slug.title(), "type": type_,
            "isRequired": required, "isEditable": True, "validations": validations}


def errors_for(fields, data, **kwargs):
    kwargs.setdefault("name", "A post")
    kwargs.setdefault("slug", "a-post")
    return validate_field_data(fields, data, **kwargs)


def cleaned(fields, data, **kwargs):
    kwargs.setdefault("name", "A post")
    kwargs.setdefault("slug", "a-post")
    return clean_field_data(fields, data, **kwargs)


def test_valid_blog_values_give_no_errors():
    assert errors_for(BLOG_FIELDS, {"summary": "Hi", "reading-minutes": 4, "featured": True}) == {}


def test_a_missing_required_field_is_reported_under_its_slug():
    assert errors_for(BLOG_FIELDS, {"body": "<p>x</p>"}) == {"summary": ["This field is required."]}


def test_name_and_slug_are_required_and_the_slug_must_be_webflow_safe():
    errors = errors_for(BLOG_FIELDS, {"summary": "x"}, name="", slug="Not A Slug")
    assert errors["name"] == ["This field is required."]
    assert "not a valid slug" in errors["slug"][0]


def test_an_unknown_key_names_the_collection_and_lists_the_known_fields():
    source = {"displayName": "Blog posts", "fields": BLOG_FIELDS}
    errors = errors_for(source, {"summary": "x", "subtitle": "y"})
    assert errors == {"subtitle": [
        "no field 'subtitle' in collection 'Blog posts'; known fields: summary, body, reading-minutes, featured, "
        "category"]}


def test_name_inside_the_field_values_is_refused():
    assert "item's own name" in errors_for(BLOG_FIELDS, {"summary": "x", "name": "dup"})["name"][0]


@pytest.mark.parametrize(("validations", "value", "message"), [
    ({"maxLength": 5}, "too long text", "Too long: 13 characters, at most 5 allowed."),
    ({"minLength": 5}, "abc", "Too short: 3 characters, at least 5 needed."),
    ({"singleLine": True}, "two\nlines", "Must be a single line."),
    (None, ["a list"], "Enter text."),
])
def test_plain_text_length_and_shape_rules(validations, value, message):
    assert errors_for([field("t", "PlainText", validations=validations)], {"t": value}) == {"t": [message]}


def test_rich_text_honours_max_length():
    assert errors_for([field("b", "RichText", validations={"maxLength": 3})], {"b": "<p>x</p>"})["b"][0].startswith(
        "Too long")


@pytest.mark.parametrize(("value", "message"), [
    ("abc", "'abc' is not a number."),
    (2.5, "2.5 is not a whole number; this field only takes whole numbers."),
    (-1, "Must not be negative."),
    (0, "Must not be zero."),
    (11, "Must be at most 10."),
    (True, "'True' is not a number."),
])
def test_number_rules_follow_the_schema_validations(value, message):
    number = field("n", "Number", validations={
        "format": "integer", "allowNegative": False, "allowZero": False, "minValue": None, "maxValue": 10})
    assert errors_for([number], {"n": value}) == {"n": [message]}


def test_number_min_value_and_decimal_normalisation():
    number = field("n", "Number", validations={"format": "decimal", "minValue": 1.5})
    assert errors_for([number], {"n": 1}) == {"n": ["Must be at least 1.5."]}
    assert cleaned([number], {"n": "2.25"}) == {"n": 2.25}
    assert cleaned([number], {"n": "3"}) == {"n": 3}


def test_switch_accepts_spreadsheet_words_and_refuses_others():
    switch = [field("s", "Switch")]
    assert cleaned(switch, {"s": "yes"}) == {"s": True}
    assert cleaned(switch, {"s": "FALSE"}) == {"s": False}
    assert errors_for(switch, {"s": "maybe"}) == {"s": ["'maybe' is not on/off: use true or false."]}


def test_an_option_name_is_normalised_to_its_id():
    option = [field("c", "Option", validations={"options": OPTIONS})]
    assert cleaned(option, {"c": "Guides"}) == {"c": "b" * 24}
    assert cleaned(option, {"c": "news"}) == {"c": "a" * 24}
    assert cleaned(option, {"c": "a" * 24}) == {"c": "a" * 24}


def test_an_unknown_option_lists_the_valid_names():
    option = [field("c", "Option", validations={"options": OPTIONS})]
    assert errors_for(option, {"c": "Opinion"}) == {
        "c": ["'Opinion' is not one of the options; choose one of: News, Guides."]}


def test_references_take_item_ids_and_multi_references_take_lists_or_comma_text():
    fields = [field("r", "Reference"), field("m", "MultiReference")]
    ids = ["1" * 24, "2" * 24]
    assert cleaned(fields, {"r": ids[0], "m": f"{ids[0]}, {ids[1]}"}) == {"r": ids[0], "m": ids}
    errors = errors_for(fields, {"r": "not an id!", "m": [ids[0], "x"]})
    assert "'not an id!' is not a Webflow item ID" in errors["r"][0]
    assert "'x' is not a Webflow item ID" in errors["m"][0]


def test_date_times_are_normalised_to_utc_iso_8601():
    fields = [field("d", "DateTime")]
    assert cleaned(fields, {"d": "2024-05-01T11:30:00+02:00"}) == {"d": "2024-05-01T09:30:00.000Z"}
    assert cleaned(fields, {"d": "2024-05-01"}) == {"d": "2024-05-01T00:00:00.000Z"}
    assert cleaned(fields, {"d": dt.datetime(2024, 5, 1, 8, 0)}) == {"d": "2024-05-01T08:00:00.000Z"}
    assert "not an ISO-8601 date/time" in errors_for(fields, {"d": "next tuesday"})["d"][0]


@pytest.mark.parametrize(("type_", "good", "bad"), [
    ("Email", "ed@example.com", "not-an-email"),
    ("Phone", "+49 (30) 123-45", "call me"),
    ("Link", "https://example.com/a", "example dot com"),
    ("Link", "mailto:ed@example.com", "javascript:alert(1)"),
    ("VideoLink", "https://youtu.be/x", "youtube"),
    ("Color", "#1a2b3c", "blue-ish"),
    ("Image", "https://cdn.example.com/a.png", "a.png"),
    ("File", "https://cdn.example.com/a.pdf", 42),
    ("ExtFileRef", "https://cdn.example.com/a.pdf", "nope"),
    ("MultiImage", "https://cdn.example.com/a.png https://cdn.example.com/b.png", "a.png b.png"),
])
def test_each_remaining_type_accepts_good_values_and_refuses_bad_ones(type_, good, bad):
    fields = [field("f", type_)]
    assert errors_for(fields, {"f": good}) == {}
    assert list(errors_for(fields, {"f": bad})) == ["f"]


def test_images_become_url_objects_and_keep_alt_text():
    fields = [field("i", "Image"), field("g", "MultiImage")]
    data = {"i": {"url": "https://cdn.example.com/a.png", "alt": "A"}, "g": "https://cdn.example.com/b.png"}
    assert cleaned(fields, data) == {
        "i": {"url": "https://cdn.example.com/a.png", "alt": "A"}, "g": [{"url": "https://cdn.example.com/b.png"}]}


def test_empty_values_are_dropped_and_count_as_missing():
    assert cleaned(BLOG_FIELDS, {"summary": "x", "body": "", "category": None}) == {"summary": "x"}
    assert errors_for(BLOG_FIELDS, {"summary": "  "}) == {"summary": ["This field is required."]}


def test_partial_checks_only_the_given_keys():
    assert validate_field_data(BLOG_FIELDS, {"body": "<p>Bonjour</p>"}, name="", slug="", partial=True) == {}
    assert list(validate_field_data(BLOG_FIELDS, {"reading-minutes": -3}, name="", slug="", partial=True)) == [
        "reading-minutes"]


def test_clean_field_data_raises_a_validation_error_keyed_by_field():
    with pytest.raises(ValidationError) as caught:
        cleaned(BLOG_FIELDS, {"summary": "x", "reading-minutes": "lots"})
    assert caught.value.message_dict == {"reading-minutes": ["'lots' is not a number."]}


def test_normalise_field_data_builds_the_webflow_body_in_schema_order():
    body = normalise_field_data(BLOG_FIELDS, {"category": "News", "summary": "Hi"}, name="Post", slug="post")
    assert list(body.items()) == [("name", "Post"), ("slug", "post"), ("summary", "Hi"), ("category", "a" * 24)]


def test_normalise_field_data_raises_a_staging_error_with_the_field_errors():
    with pytest.raises(FieldDataInvalid) as caught:
        normalise_field_data(BLOG_FIELDS, {}, name="Post", slug="post")
    assert caught.value.errors == {"summary": ["This field is required."]}
    assert "summary: This field is required." in str(caught.value)


def test_without_a_synced_schema_values_are_accepted_as_given(db):
    from tests.factories import make_collection
    collection = make_collection(fields_schema=[])
    assert not schema_is_synced(collection)
    assert "not been synced" in SCHEMA_NOT_SYNCED_WARNING
    assert cleaned(collection, {"anything": "goes", "empty": ""}) == {"anything": "goes"}
    assert errors_for(collection, {"x": 1}, name="") == {"name": ["This field is required."]}


def test_a_collection_model_is_accepted_as_the_schema_source(collection):
    assert errors_for(collection, {"summary": "x", "nope": 1})["nope"][0].startswith(
        "no field 'nope' in collection 'Blog posts'")


def test_a_collection_checks_against_its_schema_as_synced_now(collection):
    """The schema a Collection's checks use is kept between checks, and follows a sync (a new fields list)."""
    assert errors_for(collection, {"summary": "x"}) == {}
    collection.fields_schema = [*collection.fields_schema, field("subtitle", "PlainText", required=True)]
    assert errors_for(collection, {"summary": "x"}) == {"subtitle": ["This field is required."]}
    assert errors_for(collection, {"summary": "x", "subtitle": "y"}) == {}


@pytest.mark.parametrize("data", [
    {"summary": "A\x00B"}, {"summary": "S", "body": "<p>x\x00</p>"}, {"summary": "S", "sum\x00mary": "x"},
    {"summary": "S", "tags": ["ok", "n\x00"]},
])
def test_a_value_holding_a_nul_is_refused_under_its_field(data):
    """PostgreSQL stores NUL (U+0000) in no column: an item's JSON box holding one was a 500 there."""
    fields = [field("summary", "PlainText", required=True), field("body", "RichText"), field("tags", "PlainText")]
    errors = errors_for(fields, data)
    [(slug, messages)] = errors.items()
    assert slug in {"summary", "body", "tags"} and "invisible NUL character" in messages[0]


def test_the_item_pages_json_box_with_a_nul_is_an_error_on_the_page_not_a_500(client, editor, collection):
    from stagingapp.models import DraftItem
    from tests.test_admin_editing import ADD_URL, item_post

    client.force_login(editor)
    response = client.post(ADD_URL, item_post(collection, field_data='{"summary": "ok", "body": "<p>x\\u0000</p>"}'))

    assert response.status_code == 200 and "invisible NUL character" in response.content.decode()
    assert not DraftItem.objects.exists()
