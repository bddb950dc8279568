"""Planning a push: chunks within Webflow's limits, the minimum request count, pre-flight reasons and preview."""
import pytest

from stagingapp.models import DraftItem, PushBatch, WebflowItemRef
from stagingapp.services.batches import batch_create
from stagingapp.services.push.planning import plan_items
from stagingapp.services.push.preflight import batch_preflight_report
from stagingapp.services.push.preview import batch_preview
from tests import factories
from tests.push_support import approve, fast_passwords, make_approved_items  # noqa: F401


def _batch(collection, items, publisher, mode="stage", locales=None):
    return batch_create(collection=collection, item_ids=[i.pk for i in items], mode=mode, actor=publisher,
                        locale_ids=[loc.pk for loc in locales] if locales else None)


@pytest.mark.parametrize(("count", "locale_count", "expected"), [
    (1, 1, 1), (99, 1, 1), (100, 1, 1), (101, 1, 2), (1000, 1, 10),
    # 3 locales: 33 items per create; 2 translated locales per item -> 2 PATCH entries per item, 100 per request
    (1, 3, 1 + 1), (99, 3, 3 + 2), (100, 3, 4 + 2), (101, 3, 4 + 3), (1000, 3, 31 + 20),
])
def test_requests_are_the_minimum_the_100_variant_limit_allows(
    collection, locales, publisher, count, locale_count, expected
):
    chosen = locales[:locale_count]
    items = make_approved_items(collection, count, locales=[loc for loc in chosen if not loc.is_primary])
    batch = _batch(collection, items, publisher, locales=chosen)
    plan = plan_items(batch, items, chosen)
    assert plan.requests == expected
    assert all(len(chunk) * locale_count <= 100 for _, _, chunk in plan.creates)


def test_live_batches_publish_after_creating_in_several_locales(collection, locales, publisher):
    items = make_approved_items(collection, 150, locales=locales[1:])
    batch = _batch(collection, items, publisher, mode="live")
    plan = plan_items(batch, items, locales)
    # 5 bulk creates (33 items each), 3 PATCH (300 translated variants), 2 publish (100 items each)
    assert (plan.create_requests, plan.requests) == (5, 5 + 3 + 2)


def test_single_primary_locale_live_batches_use_the_live_endpoint(collection, locales, publisher):
    items = make_approved_items(collection, 101)
    batch = _batch(collection, items, publisher, mode="live", locales=locales[:1])
    plan = plan_items(batch, items, locales[:1])
    assert plan.live_endpoint and plan.requests == 2


def test_items_with_webflow_ids_are_updated_not_created(collection, locales, publisher):
    items = make_approved_items(collection, 10)
    for loc in locales:
        WebflowItemRef.objects.create(item=items[0], locale=loc, webflow_item_id=factories.hex_id(),
                                      cms_locale_id=loc.cms_locale_id, slug=items[0].slug)
    batch = _batch(collection, items, publisher)
    plan = plan_items(batch, items, locales)
    assert sum(len(chunk) for _, _, chunk in plan.creates) == 9
    assert plan.patch_entries == 3


def test_items_with_different_flags_never_share_a_create(collection, locales, publisher):
    items = make_approved_items(collection, 4)
    items[0].is_draft = True
    items[0].save()
    approve(items[0])
    batch = _batch(collection, items, publisher, locales=locales[:1])
    plan = plan_items(batch, items, locales[:1])
    assert sorted(len(chunk) for _, _, chunk in plan.creates) == [1, 3]


def test_preflight_lists_every_item_and_reason(collection, locales, publisher):
    good, changed, missing, dup = make_approved_items(collection, 4)
    # A raw write skips the workflow's edit hooks; the fingerprint still catches it.
    DraftItem.objects.filter(pk=changed.pk).update(name="Edited after approval")
    missing.field_data = {}
    missing.save()
    approve(missing)
    other = factories.make_item(collection, slug="already-there")
    WebflowItemRef.objects.create(item=other, locale=locales[0], webflow_item_id=factories.hex_id(),
                                  cms_locale_id=locales[0].cms_locale_id, slug="taken-in-webflow")
    dup.slug = "taken-in-webflow"
    dup.save()
    approve(dup)
    batch = _batch(collection, [good, changed, missing, dup], publisher)
    report = batch_preflight_report(batch)
    reasons = {(p.item.pk if p.item else None, p.field): p.reason for p in report.problems}
    assert "changed since it was approved" in reasons[(changed.pk, "")]
    assert reasons[(missing.pk, "summary")] == "This field is required."
    assert "already used in Webflow" in reasons[(dup.pk, "slug")]
    assert not any(key[0] == good.pk for key in reasons)
    assert not report.ok


def test_preflight_refuses_disabled_locales_and_duplicate_translated_slugs(collection, locales, publisher):
    first, second = make_approved_items(collection, 2)
    for item in (first, second):
        factories.make_translation(item, locales[1], slug="same-fr")
        approve(item)
    locales[2].is_enabled = False
    locales[2].save()
    batch = _batch(collection, [first, second], publisher, locales=locales)
    messages = [str(p) for p in batch_preflight_report(batch).problems]
    assert any("de-DE is not enabled" in m for m in messages)
    assert any("'same-fr' is also used" in m for m in messages)


def test_preflight_estimates_requests_and_minutes_at_the_rate_limit(collection, locales, publisher, settings):
    settings.WEBFLOW_RATE_LIMIT_PER_MINUTE = 60
    items = make_approved_items(collection, 330, locales=locales[1:])
    batch = _batch(collection, items, publisher)
    report = batch_preflight_report(batch)
    assert report.ok
    assert report.estimate["requests"] == 10 + 7
    assert report.estimate["minutes"] == round(17 / 60, 2)


def test_preview_shows_the_exact_bulk_and_patch_bodies(collection, locales, publisher):
    items = make_approved_items(collection, 2, locales=locales[1:2])
    batch = _batch(collection, items, publisher, locales=locales[:2])
    create, patch = batch_preview(batch)
    assert create["path"] == f"/v2/collections/{collection.webflow_id}/items/bulk"
    assert create["body"] == {
        "cmsLocaleIds": [locales[0].cms_locale_id, locales[1].cms_locale_id], "isDraft": False,
        "isArchived": False,
        "fieldData": [{"summary": "Summary 1", "name": "Post 1", "slug": "post-1"},
                      {"summary": "Summary 2", "name": "Post 2", "slug": "post-2"}],
    }
    assert patch["method"] == "PATCH"
    assert patch["body"]["items"][0]["cmsLocaleId"] == locales[1].cms_locale_id
    assert patch["body"]["items"][0]["fieldData"] == {"summary": "Summary 1 [fr-FR]", "name": "Post 1 [fr-FR]"}


def test_live_batches_refuse_items_marked_as_webflow_drafts(collection, locales, publisher):
    item = make_approved_items(collection, 1)[0]
    item.is_draft = True
    item.save()
    approve(item)
    batch = _batch(collection, [item], publisher, mode=PushBatch.Mode.LIVE)
    assert any(p.field == "is_draft" for p in batch_preflight_report(batch).problems)
