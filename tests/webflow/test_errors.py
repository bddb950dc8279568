"""Mapping Webflow's answers to typed errors: every documented detail shape, and bodies that are not JSON."""
import json

import pytest

from stagingapp.webflow import errors


def answer(status, body, headers=None):
    text = body if isinstance(body, str) else json.dumps(body)
    return errors.error_for(status=status, body_text=text, headers=headers or {})


def test_param_and_description_details_name_the_field():
    error = answer(400, {"message": "Validation Error", "code": "validation_error", "details": [
        {"param": "slug", "description": "Unique value is already in database: 'test-blog-post'"}]})
    assert isinstance(error, errors.WebflowValidationError)
    assert [(e.field, e.message) for e in error.field_errors] == [
        ("slug", "Unique value is already in database: 'test-blog-post'")]


def test_field_and_message_details_name_the_field():
    error = answer(400, {"code": "validation_error", "message": "Validation Error",
                         "details": [{"field": "fieldData.summary", "message": "Field is required"}]})
    assert [(e.field, e.message) for e in error.field_errors] == [("fieldData.summary", "Field is required")]


def test_string_details_are_kept_and_a_named_field_is_picked_out():
    error = answer(400, {"code": "validation_error", "message": "Validation Error",
                         "details": ["Value (fieldData.name)'s type should be string", "something else"]})
    assert [(e.field, e.message) for e in error.field_errors] == [
        ("fieldData.name", "Value (fieldData.name)'s type should be string"), (None, "something else")]


def test_a_list_embedded_in_the_message_is_parsed_into_field_errors():
    error = answer(400, {"message": "Validation Error: [\"Value (cmsLocaleId)'s type should be string\"]",
                         "code": "validation_error", "details": []})
    assert [(e.field, e.message) for e in error.field_errors] == [
        ("cmsLocaleId", "Value (cmsLocaleId)'s type should be string")]
    assert "cmsLocaleId" in str(error)


@pytest.mark.parametrize(("status", "body", "cls"), [
    (401, {"code": "not_authorized", "message": "Request not authorized"}, errors.WebflowAuthError),
    (403, {"code": "missing_scopes", "message": "OAuthForbidden: missing cms:write"}, errors.WebflowForbidden),
    (409, {"code": "conflict", "message": "Live PATCH updates can't be applied"}, errors.WebflowConflict),
    (500, {"code": "internal_error", "message": "boom"}, errors.WebflowServerError),
    (503, "<html>Service Unavailable</html>", errors.WebflowServerError),
])
def test_each_status_maps_to_its_type(status, body, cls):
    error = answer(status, body)
    assert type(error) is cls and error.status == status


def test_not_found_says_whether_the_collection_or_the_item_is_missing():
    assert answer(404, {"code": "collection_not_found", "message": "x"}).resource == "collection"
    assert answer(404, {"code": "resource_not_found", "message": "Item not found"}).resource == "item"
    assert answer(404, {"code": "resource_not_found", "message": "Requested resource not found"}).resource is None


def test_rate_limited_carries_retry_after_or_60_seconds_when_absent():
    body = {"code": "too_many_requests", "message": "Too many requests", "externalReference": None, "details": []}
    assert answer(429, body, {"Retry-After": "12"}).retry_after == 12.0
    assert answer(429, body).retry_after == 60.0
    assert answer(429, body, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}).retry_after == 60.0


def test_a_non_json_client_error_is_a_bad_response_keeping_the_raw_text():
    error = answer(400, "<html>Bad request from the proxy</html>")
    assert isinstance(error, errors.WebflowBadResponse)
    assert error.body_text == "<html>Bad request from the proxy</html>" and error.status == 400


def test_a_truncated_json_error_body_does_not_crash():
    error = answer(400, '{"code": "validation_error", "message": "Valid')
    assert isinstance(error, errors.WebflowBadResponse) and error.body_text.endswith("Valid")


def test_only_transport_failures_and_server_errors_leave_the_outcome_unknown():
    assert answer(500, {"code": "internal_error"}).outcome_unknown
    assert not answer(400, {"code": "validation_error"}).outcome_unknown
    assert not answer(429, {"code": "too_many_requests"}).outcome_unknown
    assert errors.WebflowTimeout("read timed out").outcome_unknown
    assert not errors.WebflowConnectionError("refused", outcome_unknown=False).outcome_unknown


def test_the_token_is_removed_from_error_bodies():
    error = errors.error_for(status=400, headers={}, secrets=("s3cret-token-value",), body_text=json.dumps(
        {"code": "validation_error", "message": "bad s3cret-token-value", "details": []}))
    assert "s3cret-token-value" not in str(error) + error.body_text + error.api_message
