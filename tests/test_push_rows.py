"""The push's cheap reads and writes (selectors.items_with_translations, services.rows, stagingapp.statements) give
exactly what the ORM paths they replace gave: the same history rows as simple-history's bulk_history_create, the
same inserted values as bulk_create and QuerySet.update, and items whose translations behave as after
prefetch_related."""
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from stagingapp.models import (
    AuditEvent,
    BatchItem,
    DraftItem,
    LocaleMapping,
    PushBatch,
    WebflowItemRef,
    WebflowRateLimitState,
)
from stagingapp.selectors import (
    OWED_REF_FIELDS,
    ItemReads,
    items_with_translations,
    owed_ref_rows,
    owed_refs_query,
    site_locales,
)
from stagingapp.services.rows import copy_to_history, insert_rows, insert_values
from stagingapp.statements import (
    Add,
    delete_rows,
    newest_pk,
    read_pages,
    select_instances,
    select_values,
    update_rows,
)
from stagingapp.webflow.redaction import REDACTED, redact, redact_head
from tests import factories


def test_copy_to_history_writes_the_row_bulk_history_create_wrote(collection, publisher):
    item = factories.make_item(collection, field_data={"summary": "Hello"}, status=DraftItem.Status.IN_BATCH)
    short = factories.make_item(collection, status=DraftItem.Status.IN_BATCH)
    when = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    long_reason = "staged in Webflow; " + "x" * 200
    with transaction.atomic():
        DraftItem.objects.filter(pk=item.pk).update(status=DraftItem.Status.STAGED, status_reason=long_reason)
        DraftItem.objects.filter(pk=short.pk).update(status=DraftItem.Status.STAGED, status_reason="")
        copy_to_history(DraftItem, [item.pk, short.pk], action="item.push_staged", actor=publisher, when=when)

    row = item.history.order_by("-history_id").first()
    item.refresh_from_db()
    assert (row.history_type, row.history_user, row.history_date) == ("~", publisher, when)
    assert row.history_change_reason == f"item.push_staged: {long_reason}"[:100]
    assert (row.status, row.status_reason, row.field_data, row.name) == (
        "staged", long_reason, {"summary": "Hello"}, item.name)
    assert row.updated_at == item.updated_at and row.collection_id == collection.pk
    assert short.history.order_by("-history_id").first().history_change_reason == "item.push_staged"


def test_copy_to_history_without_an_actor_records_no_user(collection):
    item = factories.make_item(collection)
    copy_to_history(DraftItem, [item.pk], action="item.push_failed", actor=None,
                    when=datetime(2026, 12, 3, tzinfo=UTC))
    assert item.history.order_by("-history_id").first().history_user is None


def test_insert_values_fills_defaults_stamps_auto_now_and_converts_dates_and_json(collection, locales):
    item = factories.make_item(collection)
    created = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    with transaction.atomic():
        insert_values(WebflowItemRef, [
            {"item_id": item.pk, "locale_id": loc.pk, "webflow_item_id": "abc", "cms_locale_id": loc.cms_locale_id,
             "slug": item.slug, "created_on": created, "needs_patch": not loc.is_primary}
            for loc in locales])
    refs = list(WebflowItemRef.objects.filter(item=item).order_by("locale__tag"))
    assert len(refs) == 3
    assert {ref.created_on for ref in refs} == {created}
    assert {ref.last_published for ref in refs} == {None} and {ref.removal for ref in refs} == {""}
    assert all(ref.updated_at is not None for ref in refs)
    assert sorted(ref.needs_patch for ref in refs) == [False, True, True]


def test_insert_values_keeps_a_given_creation_time_and_stamps_the_others(collection):
    noted = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    insert_values(AuditEvent, [{"action": "push.request", "created_at": noted}, {"action": "push.request"}])
    first, second = sorted(AuditEvent.objects.filter(action="push.request").values_list("created_at", flat=True))
    assert first == noted and second > noted


@pytest.mark.django_db(transaction=True)
def test_insert_values_outside_a_transaction_writes_all_rows_or_none(collection, locales):
    item = factories.make_item(collection)
    good = {"item_id": item.pk, "locale_id": locales[0].pk, "webflow_item_id": "abc", "cms_locale_id": "x"}
    with pytest.raises(IntegrityError):
        insert_values(WebflowItemRef, [good, {**good, "locale_id": None}])
    assert not WebflowItemRef.objects.exists()
    insert_values(WebflowItemRef, [good, {**good, "locale_id": locales[1].pk}])
    assert WebflowItemRef.objects.count() == 2


def test_insert_rows_writes_instances_as_bulk_create_would(collection):
    events = [AuditEvent(action="push.request", actor_label="worker", collection_id=collection.pk,
                         data={"n": n, "nested": [1, {"a": None}]}, message=f"request {n}") for n in range(3)]
    with transaction.atomic():
        insert_rows(events)
    stored = list(AuditEvent.objects.filter(action="push.request").order_by("pk"))
    assert [e.data for e in stored] == [{"n": n, "nested": [1, {"a": None}]} for n in range(3)]
    assert all(e.created_at is not None for e in stored)


@pytest.fixture
def translated_item(collection, locales):
    item = factories.make_item(collection)
    for loc in locales[1:]:
        factories.make_translation(item, loc, field_data={"summary": f"S [{loc.tag}]"})
    return item


def test_items_read_for_the_push_iterate_their_translations_without_a_query(collection, translated_item):
    locales = site_locales(collection.site_id)
    items = items_with_translations([translated_item.pk], collection, locales)
    item = items[translated_item.pk]
    with CaptureQueriesContext(connection) as captured:
        tags = [t.locale.tag for t in item.translations.all()]
        fingerprint = item.fingerprint()
    assert len(captured.captured_queries) == 0
    assert tags == sorted(tags) and len(tags) == 2  # the model's ordering (by locale tag)
    assert fingerprint == DraftItem.objects.get(pk=translated_item.pk).fingerprint()


def test_a_filter_chained_on_the_read_translations_queries_that_items_translations(collection, translated_item):
    other = factories.make_item(collection)
    factories.make_translation(other, LocaleMapping.objects.get(site=collection.site, tag="fr-FR"))
    item = items_with_translations([translated_item.pk], collection, site_locales(collection.site_id))[
        translated_item.pk]
    assert [t.item_id for t in item.translations.filter(locale__tag="fr-FR")] == [translated_item.pk]
    assert item.translations.all().count() == 2
    assert {t.item_id for t in item.translations.order_by("pk")} == {translated_item.pk}


def test_a_locale_added_after_the_locales_were_read_is_read_then(collection, translated_item):
    locales = site_locales(collection.site_id)
    added = LocaleMapping.objects.create(site=collection.site, tag="es-ES", display_name="Spanish",
                                         cms_locale_id=factories.hex_id())
    factories.make_translation(translated_item, added)
    item = items_with_translations([translated_item.pk], collection, locales)[translated_item.pk]
    assert "es-ES" in {t.locale.tag for t in item.translations.all()}
    assert added.pk in locales


@pytest.mark.parametrize("edit", ["item", "translation", "translation added", "translation deleted"])
def test_an_item_read_again_is_reused_while_its_rows_are_unchanged_and_read_afresh_after_any_edit(
        collection, translated_item, edit):
    locales, reads = site_locales(collection.site_id), ItemReads()
    first = items_with_translations([translated_item.pk], collection, locales, reads)[translated_item.pk]
    fingerprint = reads.fingerprint(first)
    assert items_with_translations([translated_item.pk], collection, locales, reads)[translated_item.pk] is first

    translation = translated_item.translations.order_by("pk").first()
    if edit == "item":
        DraftItem.objects.filter(pk=translated_item.pk).update(field_data={"summary": "Edited"})
    elif edit == "translation":
        type(translation).objects.filter(pk=translation.pk).update(name="Edited")
    elif edit == "translation added":
        added = LocaleMapping.objects.create(site=collection.site, tag="es-ES", display_name="Spanish",
                                             cms_locale_id=factories.hex_id())
        factories.make_translation(translated_item, added)
    else:
        translation.delete()
    again = items_with_translations([translated_item.pk], collection, locales, reads)[translated_item.pk]

    assert again is not first
    assert reads.fingerprint(again) == DraftItem.objects.get(pk=translated_item.pk).fingerprint() != fingerprint
    assert items_with_translations([translated_item.pk], collection, locales, reads)[translated_item.pk] is again


def test_item_reads_hold_only_the_newest_items(collection):
    items = [factories.make_item(collection) for _ in range(3)]
    locales, reads = site_locales(collection.site_id), ItemReads(size=2)
    first = items_with_translations([items[0].pk], collection, locales, reads)[items[0].pk]
    items_with_translations([items[1].pk, items[2].pk], collection, locales, reads)
    again = items_with_translations([items[0].pk], collection, locales, reads)[items[0].pk]
    assert again is not first and again.pk == first.pk
    with CaptureQueriesContext(connection) as captured:  # an item no longer held: its fingerprint is computed
        assert reads.fingerprint(first) == first.fingerprint()
    assert len(captured.captured_queries) == 0


def test_read_translations_build_their_query_only_when_asked(collection, translated_item):
    item = items_with_translations([translated_item.pk], collection, site_locales(collection.site_id))[
        translated_item.pk]
    held = item.translations.all()
    assert held._query is None and len(held) == 2 and held.exists() and held.first() is not None
    assert str(held.query.model.__name__) == "DraftTranslation"
    assert held.get(locale__tag="fr-FR").item_id == translated_item.pk


def test_update_rows_writes_what_queryset_update_writes(collection, publisher):
    items = [factories.make_item(collection, status=DraftItem.Status.APPROVED) for _ in range(3)]
    when = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    matched = update_rows(DraftItem, {"pk": [items[0].pk, items[1].pk], "status": DraftItem.Status.APPROVED},
                          status=DraftItem.Status.IN_BATCH, status_reason="queued", updated_at=when,
                          submitted_by=publisher, removal_locale_ids=[3, 4])
    assert matched == 2
    first = DraftItem.objects.get(pk=items[0].pk)
    assert (first.status, first.status_reason, first.updated_at) == ("in_batch", "queued", when)
    assert (first.submitted_by, first.removal_locale_ids) == (publisher, [3, 4])
    assert DraftItem.objects.get(pk=items[2].pk).status == DraftItem.Status.APPROVED
    # a condition nothing meets, and an empty list, match no row
    assert update_rows(DraftItem, {"pk": items[2].pk, "status": DraftItem.Status.DRAFT}, status_reason="x") == 0
    assert update_rows(DraftItem, {"pk": []}, status_reason="x") == 0


def test_update_rows_adds_to_a_column(collection, locales):
    state = WebflowRateLimitState.objects.create(key="k", server_limit=5)
    update_rows(WebflowRateLimitState, {"key": "k"}, server_limit=Add(2))
    update_rows(WebflowRateLimitState, {"pk": state.pk}, server_limit=Add(1))
    assert WebflowRateLimitState.objects.get(pk=state.pk).server_limit == 8


def test_select_values_reads_a_row_as_the_orm_does_and_delete_rows_deletes_only_the_matches(collection, locales):
    WebflowRateLimitState.objects.create(key="k", hits=[1.5, 2.5], pending=[["r", 9.0]], server_limit=60)
    assert select_values(WebflowRateLimitState, ["hits", "pending", "server_limit", "blocked_until"],
                         for_update=True, key="k") == {"hits": [1.5, 2.5], "pending": [["r", 9.0]],
                                                       "server_limit": 60, "blocked_until": 0.0}
    assert select_values(WebflowRateLimitState, ["hits"], key="missing") is None

    item = factories.make_item(collection)
    insert_values(WebflowItemRef, [{"item_id": item.pk, "locale_id": loc.pk, "webflow_item_id": "abc",
                                    "cms_locale_id": loc.cms_locale_id} for loc in locales])
    newest = WebflowItemRef.objects.order_by("-pk").first().pk
    assert newest_pk(WebflowItemRef) == newest
    assert delete_rows(WebflowItemRef, item_id={item.pk}, locale_id=[locales[1].pk, locales[2].pk]) == 2
    assert list(WebflowItemRef.objects.values_list("locale_id", flat=True)) == [locales[0].pk]
    assert delete_rows(WebflowItemRef, item_id=[]) == 0


def test_selected_instances_hold_the_read_fields_and_load_the_others_when_asked(collection):
    item = factories.make_item(collection, field_data={"summary": "Hi"})
    [read] = select_instances(DraftItem, ("name", "field_data", "collection_id"), pk=item.pk)
    assert (read.pk, read.name, read.field_data, read.collection_id) == (item.pk, item.name, {"summary": "Hi"},
                                                                          collection.pk)
    assert "slug" in read.get_deferred_fields() and not read._state.adding
    with CaptureQueriesContext(connection) as captured:
        assert read.slug == item.slug  # a deferred field: read when asked, as after only()
    assert len(captured.captured_queries) == 1


def test_select_instances_convert_values_as_the_orm_does(collection, publisher):
    when = datetime(2026, 12, 4, 9, 15, tzinfo=UTC)
    item = factories.make_item(collection, field_data={"summary": "Hi", "n": [1, 2]}, is_archived=True)
    DraftItem.objects.filter(pk=item.pk).update(submitted_at=when, submitted_by=publisher)
    other = factories.make_item(collection)
    fields = ("name", "field_data", "is_archived", "is_draft", "submitted_at", "submitted_by_id", "removal_locale_ids")
    read = {i.pk: i for i in select_instances(DraftItem, fields, pk=[item.pk, other.pk])}
    orm = {i.pk: i for i in DraftItem.objects.filter(pk__in=[item.pk, other.pk])}
    for pk in (item.pk, other.pk):
        assert [getattr(read[pk], f) for f in fields] == [getattr(orm[pk], f) for f in fields]
    assert read[item.pk].is_archived is True and read[item.pk].submitted_at == when
    assert select_instances(DraftItem, fields, pk=[]) == []
    assert [i.pk for i in select_instances(DraftItem, ("name",), collection_id=collection.pk, pk=[other.pk])] == [
        other.pk]


TOKEN = "wf_" + "a" * 61


@pytest.mark.parametrize("text", [
    "x" * 5000,  # nothing to hide
    "x" * 1990 + TOKEN + "y" * 3000,  # a secret across the kept part's end
    (TOKEN + " ") * 80 + "z" * 3000,  # redactions shorten the head: text from past it moves into the kept part
    "x" * 1995 + "Bearer " + "b" * 4000,  # a Bearer value reaching far past the head
    "short " + TOKEN,
])
def test_redacting_only_the_head_keeps_what_redacting_everything_keeps(text, settings):
    settings.WEBFLOW_API_TOKEN = TOKEN
    assert redact_head(text, 2000) == redact(text)[:2000]
    assert TOKEN not in redact_head(text, 2000)
    assert REDACTED in redact_head("Bearer " + TOKEN, 2000)


def test_read_pages_reads_every_matching_row_once_in_pk_order_as_they_are_when_each_page_is_read(collection):
    items = [factories.make_item(collection, name=f"Paged {n}") for n in range(7)]
    pages = read_pages(DraftItem.objects.filter(name__startswith="Paged"), ("name", "field_data"), 3)
    first = next(pages)
    DraftItem.objects.filter(pk=items[4].pk).update(name="Paged again")  # on a page not read yet
    DraftItem.objects.filter(pk=items[5].pk).update(name="Not paged")
    rest = [row for page in pages for row in page]
    assert [i.pk for i in first] == [i.pk for i in items[:3]]
    assert [(i.pk, i.name) for i in rest] == [(items[3].pk, "Paged 3"), (items[4].pk, "Paged again"),
                                              (items[6].pk, "Paged 6")]
    assert rest[0].field_data == items[3].field_data  # converted as the ORM converts it


@pytest.mark.parametrize("flags", [{"needs_patch": True}, {"needs_patch": True, "is_published": False},
                                   {"needs_publish": True, "needs_patch": False}])
def test_owed_refs_read_in_plain_sql_are_the_ones_the_orm_query_finds(collection, locales, publisher, flags):
    batch = PushBatch.objects.create(collection=collection, created_by=publisher)
    other = PushBatch.objects.create(collection=collection, created_by=publisher)
    for n in range(12):
        item = factories.make_item(collection)
        BatchItem.objects.create(batch=batch, item=item, status=BatchItem.Status.SENT if n % 4 else "done")
        for loc in locales:
            WebflowItemRef.objects.create(
                item=item, locale=loc, webflow_item_id=f"{n:024x}", cms_locale_id=loc.cms_locale_id,
                last_batch=other if n == 5 else batch, needs_patch=bool((n + loc.pk) % 3),
                needs_publish=bool(n % 2), is_published=bool(n % 5 == 1))
    excluding = list(WebflowItemRef.objects.order_by("pk").values_list("pk", flat=True)[3:9])
    for limit, skip in [(None, ()), (5, ()), (4, excluding)]:
        expected = owed_refs_query(batch, skip, **flags).order_by("item_id", "locale_id")
        expected = list((expected[:limit] if limit else expected).values_list("pk", *OWED_REF_FIELDS))
        got = [(ref.pk, *(getattr(ref, WebflowItemRef._meta.get_field(name).attname) for name in OWED_REF_FIELDS))
               for ref in owed_ref_rows(batch, limit, skip, flags)]
        assert got == expected and expected
