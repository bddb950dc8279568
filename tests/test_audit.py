"""The audit history: what is recorded, that it cannot be changed, and that browsing it stays fast and correct."""
import csv
import html
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stagingapp.admin.audit import CappedCountPaginator
from stagingapp.models import AuditEvent
from stagingapp.services import workflow
from stagingapp.services.audit import audit_record
from tests import factories

CHANGELIST = "admin:stagingapp_auditevent_changelist"


def backdate(event, days):
    # created_at is auto_now_add; a queryset update is the only way to put an entry in the past.
    AuditEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_every_transition_writes_an_entry_with_actor_and_comment(collection, editor, approver, publisher):
    item = factories.make_item(collection, created_by=editor)
    workflow.items_submit(item_ids=[item.pk], actor=editor, comment="please")
    workflow.items_reject(item_ids=[item.pk], actor=approver, comment="no")
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_unlock(item_ids=[item.pk], actor=publisher, reason="fix")
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_approve(item_ids=[item.pk], actor=approver, comment="ok")
    events = AuditEvent.objects.filter(item=item, action__in=workflow_actions()).order_by("pk")
    assert [(e.action, e.actor.username, e.data["to"]) for e in events] == [
        ("item.submit", "editor", "in_review"), ("item.reject", "approver", "rejected"),
        ("item.submit", "editor", "in_review"), ("item.unlock", "publisher", "draft"),
        ("item.submit", "editor", "in_review"), ("item.approve", "approver", "approved"),
    ]
    assert events[1].message == "no" and events[5].data["comment"] == "ok"
    assert all(e.collection_id == collection.pk for e in events)


def workflow_actions():
    return ["item.submit", "item.approve", "item.reject", "item.unlock"]


def test_edits_of_items_translations_locales_and_settings_are_recorded_with_diffs(collection, locales, site):
    item = factories.make_item(collection, name="Before")
    item.name = "After"
    item.save()
    edit = AuditEvent.objects.get(item=item, action="item.edit")
    assert edit.data["changes"] == [{"field": "name", "old": "Before", "new": "After"}]
    assert AuditEvent.objects.filter(item=item, action="item.create").exists()
    translation = factories.make_translation(item, locales[1])
    translation.delete()
    assert AuditEvent.objects.filter(item=item, locale=locales[1], action="translation.delete").exists()
    locales[2].is_enabled = False
    locales[2].save()
    assert AuditEvent.objects.get(action="locale.edit", locale=locales[2]).data["changes"][0]["field"] == "is_enabled"
    site.name = "Renamed"
    site.save()
    collection.name = "Articles"
    collection.save()
    assert AuditEvent.objects.filter(action="site.edit").exists()
    assert AuditEvent.objects.filter(action="collection.edit", collection=collection).exists()


def test_admin_logins_and_failed_logins_are_recorded(client, editor):
    client.post(reverse("admin:login"), {"username": "editor", "password": "wrong"})
    client.post(reverse("admin:login"), {"username": "editor", "password": "pw"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.actor_label == "editor" and "wrong" not in str(failed.data)
    assert AuditEvent.objects.get(action="auth.login").actor == editor


@pytest.fixture
def entry(collection, editor):
    return audit_record(action="item.submit", actor=editor, item=factories.make_item(collection), message="x")


def test_audit_entries_cannot_be_changed_or_deleted_through_the_admin_even_by_superusers(admin_client, entry):
    change = reverse("admin:stagingapp_auditevent_change", args=[entry.pk])
    assert admin_client.get(change).status_code == 200  # read-only detail
    assert admin_client.post(change, {"message": "rewritten", "action": "x"}).status_code == 403
    delete = reverse("admin:stagingapp_auditevent_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:stagingapp_auditevent_add")).status_code == 403
    response = admin_client.post(reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [entry.pk],
                                                       "post": "yes"})
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.message == "x"


@pytest.mark.parametrize("role", ["editor", "approver", "publisher"])
def test_every_staff_role_can_read_the_history(client, entry, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:stagingapp_auditevent_change", args=[entry.pk])).status_code == 200


def test_the_detail_page_shows_the_field_diff(admin_client, collection):
    item = factories.make_item(collection, name="Old title")
    item.name = "New title"
    item.save()
    edit = AuditEvent.objects.get(item=item, action="item.edit")
    page = admin_client.get(reverse("admin:stagingapp_auditevent_change", args=[edit.pk])).content.decode()
    assert "Old title" in page and "New title" in page


@pytest.fixture
def history(collection, locales, editor, approver):
    item, other = factories.make_item(collection), factories.make_item(collection)
    other_collection = factories.make_collection(collection.site, name="Other")
    AuditEvent.objects.all().delete()
    events = {
        "old": audit_record(action="item.submit", actor=editor, item=item, message="old one"),
        "approve": audit_record(action="item.approve", actor=approver, item=item),
        "other_item": audit_record(action="item.edit", actor=editor, item=other),
        "locale": audit_record(action="locale.edit", actor=approver, locale=locales[1]),
        "collection": audit_record(action="collection.edit", actor=approver, collection=other_collection),
        "push": audit_record(action="push.request", actor=approver, item=item, message="POST /v2/collections"),
    }
    backdate(events["old"], days=10)
    return {"events": events, "item": item, "other": other, "collection": other_collection, "locales": locales}


def shown(client, **params):
    return {event.pk for event in client.get(reverse(CHANGELIST), params).context["cl"].result_list}


def test_history_filters_by_user_action_date_collection_item_locale_and_search(admin_client, history, approver):
    e = {name: event.pk for name, event in history["events"].items()}
    assert shown(admin_client, actor=approver.pk) == {e["approve"], e["locale"], e["collection"], e["push"]}
    assert shown(admin_client, action="item.approve") == {e["approve"]}
    assert shown(admin_client, action="item.*") == {e["old"], e["approve"], e["other_item"]}
    today = timezone.localdate().isoformat()
    assert e["old"] not in shown(admin_client, created_from=today)
    old_day = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert shown(admin_client, created_from=old_day, created_to=old_day) == {e["old"]}
    assert shown(admin_client, item=history["item"].pk) == {e["old"], e["approve"], e["push"]}
    assert shown(admin_client, collection__id__exact=history["collection"].pk) == {e["collection"]}
    assert shown(admin_client, locale__id__exact=history["locales"][1].pk) == {e["locale"]}
    assert shown(admin_client, q="/v2/collections") == {e["push"]}


def test_a_bad_date_gives_the_admin_error_page_not_a_crash(admin_client, history):
    response = admin_client.get(reverse(CHANGELIST), {"created_from": "yesterday"})
    assert response.status_code in (200, 302)


def test_the_item_page_links_to_its_own_timeline(admin_client, history):
    item = history["item"]
    page = admin_client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    assert f'{reverse(CHANGELIST)}?item={item.pk}' in page


def test_csv_export_follows_the_filters(admin_client, history, approver):
    response = admin_client.get(reverse("admin:stagingapp_auditevent_export_csv"), {"actor": approver.pk,
                                                                                    "action": "item.*"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["item.approve"]
    assert rows[0]["actor_id"] == str(approver.pk) and rows[0]["item_id"] == str(history["item"].pk)


def test_csv_export_defuses_spreadsheet_formulas(admin_client, editor):
    audit_record(action="item.edit", actor=editor, message="=HYPERLINK(evil)")
    response = admin_client.get(reverse("admin:stagingapp_auditevent_export_csv"))
    assert "'=HYPERLINK(evil)" in b"".join(response.streaming_content).decode()


def test_csv_export_needs_the_view_permission(client, history):
    client.force_login(factories.make_user("nobody"))
    assert client.get(reverse("admin:stagingapp_auditevent_export_csv")).status_code == 403


def _changelist_queries(client, count, editor, collection):
    AuditEvent.objects.all().delete()
    item = factories.make_item(collection)
    AuditEvent.objects.bulk_create([
        AuditEvent(action="item.edit", actor=editor, actor_label="editor", item=item, collection=collection,
                   object_repr=str(item))
        for _ in range(count)
    ])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries)


def test_query_count_per_page_is_constant_as_entries_grow(admin_client, editor, collection):
    assert _changelist_queries(admin_client, 10, editor, collection) == _changelist_queries(
        admin_client, 150, editor, collection)


def test_the_paginator_never_counts_past_its_cap(collection, editor):
    class TinyCap(CappedCountPaginator):
        COUNT_CAP = 5

    AuditEvent.objects.bulk_create([AuditEvent(action="x") for _ in range(12)])
    paginator = TinyCap(AuditEvent.objects.all(), 2)
    assert paginator.count == 6 and paginator.count_is_capped
    assert len(paginator.page(3).object_list) == 2


def test_prune_deletes_old_entries_and_records_that_it_did(editor, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old, recent = audit_record(action="item.edit"), audit_record(action="item.edit")
    backdate(old, days=31)
    backdate(recent, days=29)
    out = io.StringIO()
    call_command("prune_audit", stdout=out)
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    record = AuditEvent.objects.get(action="audit.prune")
    assert record.data["deleted"] == 1 and record.actor is None and record.actor_label.endswith("(command)")
    call_command("prune_audit", "--days", "1", "--as", "editor", stdout=out)
    assert AuditEvent.objects.filter(action="audit.prune", actor=editor).exists()


def test_prune_refuses_an_unknown_actor_or_a_silly_age(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named"):
        call_command("prune_audit", "--as", "ghost")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_audit", "--days", "0")


def test_csv_export_with_a_bad_filter_says_so(admin_client, history):
    response = admin_client.get(reverse("admin:stagingapp_auditevent_export_csv"), {"created_from": "yesterday"})
    assert response.status_code == 400 and b"cannot be exported" in response.content


def test_field_value_edits_are_diffed_per_webflow_field(collection):
    item = factories.make_item(collection, field_data={"summary": "a", "body": "same"})
    item.field_data = {"summary": "b", "body": "same", "featured": True}
    item.save()
    changes = AuditEvent.objects.get(item=item, action="item.edit").data["changes"]
    assert changes == [
        {"field": "field_data.featured", "old": None, "new": True},
        {"field": "field_data.summary", "old": "a", "new": "b"},
    ]


def test_deleting_an_item_keeps_its_history_readable(admin_client, collection, editor):
    item = factories.make_item(collection)
    event = audit_record(action="item.submit", actor=editor, item=item)
    item_id = item.pk
    item.delete()
    event.refresh_from_db()
    assert event.item_id == item_id  # not nulled: the history is not rewritten
    assert AuditEvent.objects.filter(item_id=item_id, action="item.delete").exists()
    assert admin_client.get(reverse("admin:stagingapp_auditevent_change", args=[event.pk])).status_code == 200
    assert admin_client.get(reverse(CHANGELIST), {"item": item_id}).status_code == 200


def test_a_webflow_exchange_shows_its_bodies_readably_and_says_when_one_was_cut(admin_client):
    request_body = json.dumps({"items": [{"fieldData": {"name": "Résumé", "slug": "resume"}}]})
    cut_response = ('{"items": [' + '{"id": "abc"}, ' * 200)[:2000]
    entry = AuditEvent.objects.create(action="push.request", actor_label="worker", object_repr="Batch #1",
                                      data={"method": "POST", "status": 200, "request_excerpt": request_body,
                                            "response_excerpt": cut_response})

    page = html.unescape(admin_client.get(reverse("admin:stagingapp_auditevent_change", args=[entry.pk]))
                         .content.decode())

    # The request in a block of its own, indented, its characters as written (not \\" and \\u00e9 inside a string).
    assert '"name": "Résumé"' in page and '\\"' not in page
    assert "Response body</b> (its first 2,000 characters)" in page
    assert '"status": 200' in page and "request_excerpt" not in page
