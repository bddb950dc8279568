"""Who may do what, over HTTP through the admin: every role against every review transition and admin action."""
import json

import pytest
from django.forms import CheckboxInput
from django.urls import reverse

from stagingapp.models import AuditEvent, DraftItem
from stagingapp.services import workflow
from tests import factories

S = DraftItem.Status
ROLES = ["anonymous", "editor", "approver", "publisher", "superuser"]

# transition -> (status the item starts in, status when allowed, roles allowed)
MATRIX = {
    "submit": (S.DRAFT, S.IN_REVIEW, {"editor", "superuser"}),
    "approve": (S.IN_REVIEW, S.APPROVED, {"approver", "superuser"}),
    "reject": (S.IN_REVIEW, S.REJECTED, {"approver", "superuser"}),
    "unlock": (S.IN_REVIEW, S.DRAFT, {"approver", "publisher", "superuser"}),
}
CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.fixture
def author(db):
    # Items belong to a separate editor, so four-eyes never interferes with the role checks.
    return factories.make_user("author", "Editors")


@pytest.fixture
def users(editor, approver, publisher, superuser):
    return {"editor": editor, "approver": approver, "publisher": publisher, "superuser": superuser}


def item_in(status, collection, author):
    item = factories.make_item(collection, created_by=author, last_edited_by=author)
    if status == S.IN_REVIEW:
        workflow.items_submit(item_ids=[item.pk], actor=author)
    item.refresh_from_db()
    assert item.status == status
    return item


def login(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


@pytest.mark.parametrize(("transition", "role"), CASES)
def test_item_page_buttons_follow_the_permission_matrix(client, users, collection, author, transition, role):
    start, end, allowed = MATRIX[transition]
    item = item_in(start, collection, author)
    login(client, users, role)
    response = client.post(
        reverse("admin:stagingapp_draftitem_transition", args=[item.pk, transition]), {"comment": "a comment"}
    )
    item.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert item.status == (end if role in allowed else start)
    if role in allowed:
        assert AuditEvent.objects.filter(item=item, action=f"item.{transition}", actor=users[role]).exists()


@pytest.mark.parametrize(("transition", "role"), CASES)
def test_bulk_actions_follow_the_permission_matrix(client, users, collection, author, transition, role):
    start, end, allowed = MATRIX[transition]
    items = [item_in(start, collection, author) for _ in range(2)]
    login(client, users, role)
    response = client.post(reverse("admin:stagingapp_draftitem_changelist"), {
        "action": f"{transition}_selected", "_selected_action": [i.pk for i in items],
        "apply": "1", "comment": "a comment",
    })
    if role == "anonymous":
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    for item in items:
        item.refresh_from_db()
        assert item.status == (end if role in allowed else start)


@pytest.mark.parametrize(("transition", "role"), CASES)
def test_buttons_show_only_to_those_allowed(client, users, collection, author, transition, role):
    start, _end, allowed = MATRIX[transition]
    item = item_in(start, collection, author)
    login(client, users, role)
    response = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert (f'name="_workflow_{transition}"' in response.content.decode()) == (role in allowed)
    actions = client.get(reverse("admin:stagingapp_draftitem_changelist")).context["action_form"]
    assert (f"{transition}_selected" in dict(actions.fields["action"].choices)) == (role in allowed)


def test_reject_without_a_comment_is_refused_with_a_message(client, approver, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    client.force_login(approver)
    response = client.post(reverse("admin:stagingapp_draftitem_transition", args=[item.pk, "reject"]),
                           {"comment": ""}, follow=True)
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW
    assert "comment is required" in response.content.decode()


def test_bulk_reject_asks_for_the_comment_first(client, approver, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    client.force_login(approver)
    response = client.post(reverse("admin:stagingapp_draftitem_changelist"),
                           {"action": "reject_selected", "_selected_action": [item.pk]}, follow=True)
    assert response.status_code == 200 and 'name="comment"' in response.content.decode()
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW


def test_four_eyes_over_http_even_for_superusers(client, superuser, collection):
    item = factories.make_item(collection, created_by=superuser, last_edited_by=superuser)
    workflow.items_submit(item_ids=[item.pk], actor=superuser)
    client.force_login(superuser)
    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    assert 'name="_workflow_approve"' not in page
    response = client.post(reverse("admin:stagingapp_draftitem_transition", args=[item.pk, "approve"]), follow=True)
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW
    assert "four-eyes" in response.content.decode()


def change_form_data(item, **overrides):
    data = {
        "collection": item.collection_id, "name": item.name, "slug": item.slug,
        "field_data": json.dumps(item.field_data), "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0", "translations-MIN_NUM_FORMS": "0", "translations-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def resubmitted_form(response) -> dict:
    """What a browser sends back from an admin change page left as it is (main form and inline formsets)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            bound, value = form[name], form[name].value()
            if field.disabled or (isinstance(field.widget, CheckboxInput) and not value):
                continue
            data[bound.html_name] = "on" if isinstance(field.widget, CheckboxInput) else "" if value is None else value
    return data


def test_an_admin_edit_after_approval_sends_the_item_back_to_draft(client, editor, approver, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    workflow.items_approve(item_ids=[item.pk], actor=approver)
    client.force_login(editor)
    url = reverse("admin:stagingapp_draftitem_change", args=[item.pk])
    data = {**resubmitted_form(client.get(url)), "name": "Edited after approval"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    assert item.status == S.DRAFT and item.name == "Edited after approval"
    edit = AuditEvent.objects.get(item=item, action="item.edit")
    assert edit.actor == editor
    assert {"field": "name", "old": item_name_before(edit), "new": "Edited after approval"} in edit.data["changes"]
    assert AuditEvent.objects.get(item=item, action="item.approval_reset").actor == editor


def item_name_before(edit):
    return next(c["old"] for c in edit.data["changes"] if c["field"] == "name")


def test_an_item_in_review_is_locked_in_the_admin_with_the_reason(client, editor, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    client.force_login(editor)
    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))
    assert "submitted by author" in page.content.decode()
    response = client.post(reverse("admin:stagingapp_draftitem_change", args=[item.pk]),
                           change_form_data(item, name="Sneaky edit"))
    assert response.status_code == 403
    delete = client.post(reverse("admin:stagingapp_draftitem_delete", args=[item.pk]), {"post": "yes"})
    assert delete.status_code == 403
    item.refresh_from_db()
    assert item.name != "Sneaky edit" and item.status == S.IN_REVIEW


def test_translations_of_a_locked_item_are_locked_too(client, editor, collection, author, locales):
    item = item_in(S.DRAFT, collection, author)
    translation = factories.make_translation(item, locales[1])
    workflow.items_submit(item_ids=[item.pk], actor=author)
    client.force_login(editor)
    url = reverse("admin:stagingapp_drafttranslation_change", args=[translation.pk])
    response = client.post(url, {"item": item.pk, "locale": locales[1].pk, "name": "x", "slug": "",
                                 "field_data": "{}"})
    assert response.status_code == 403


def test_review_queues_show_each_role_its_own_work(client, approver, editor, collection, author):
    waiting = item_in(S.IN_REVIEW, collection, author)
    own = factories.make_item(collection, created_by=approver)
    workflow.items_submit(item_ids=[own.pk], actor=author)
    rejected_mine = item_in(S.IN_REVIEW, collection, editor)
    workflow.items_reject(item_ids=[rejected_mine.pk], actor=approver, comment="redo")
    url = reverse("admin:stagingapp_draftitem_changelist")
    client.force_login(approver)
    queue = client.get(url, {"my_work": "review"}).context["cl"].result_list
    assert list(queue) == [waiting]
    client.force_login(editor)
    mine = client.get(url, {"my_work": "rejected"}).context["cl"].result_list
    assert list(mine) == [rejected_mine]


def test_stale_translation_filter(client, editor, collection, author, locales):
    fresh, stale = item_in(S.DRAFT, collection, author), item_in(S.DRAFT, collection, author)
    factories.make_translation(fresh, locales[1])
    factories.make_translation(stale, locales[1])
    stale.name = "source changed"
    stale.save()
    client.force_login(editor)
    url = reverse("admin:stagingapp_draftitem_changelist")
    assert list(client.get(url, {"stale_translations": "yes"}).context["cl"].result_list) == [stale]
    assert fresh in client.get(url, {"stale_translations": "no"}).context["cl"].result_list


def test_the_diff_view_shows_what_changed_since_the_last_approval(client, editor, approver, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    workflow.items_approve(item_ids=[item.pk], actor=approver)
    item.refresh_from_db()
    item.field_data = {"summary": "rewritten"}
    item.save()
    client.force_login(editor)
    response = client.get(reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk]))
    assert [(row["label"], row["new"]) for row in response.context["changed_rows"]] == [("Summary", "rewritten")]
    assert "Name" in [row["label"] for row in response.context["unchanged_rows"]]
    page = response.content.decode()
    assert "field_data" not in page and page.index("rewritten") < page.index('id="unchanged-fields"')


def test_the_item_page_marks_stale_translations(client, editor, collection, author, locales):
    item = item_in(S.DRAFT, collection, author)
    factories.make_translation(item, locales[1])
    item.name = "New source"
    item.save()
    client.force_login(editor)
    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    assert "Stale translations (the primary content changed since they were last edited): fr-FR" in page


def test_a_transition_url_refuses_get(client, approver, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    client.force_login(approver)
    response = client.get(reverse("admin:stagingapp_draftitem_transition", args=[item.pk, "approve"]))
    assert response.status_code == 405
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW


@pytest.mark.parametrize("role", ROLES)
def test_audit_history_matrix_every_staff_role_reads_nobody_writes(client, users, role, collection, author):
    item = item_in(S.IN_REVIEW, collection, author)
    entry = AuditEvent.objects.filter(item=item).latest("pk")
    login(client, users, role)
    changelist = client.get(reverse("admin:stagingapp_auditevent_changelist"))
    export = client.get(reverse("admin:stagingapp_auditevent_export_csv"))
    change = client.post(reverse("admin:stagingapp_auditevent_change", args=[entry.pk]), {"message": "forged"})
    delete = client.post(reverse("admin:stagingapp_auditevent_delete", args=[entry.pk]), {"post": "yes"})
    if role == "anonymous":
        assert {changelist.status_code, export.status_code, change.status_code, delete.status_code} == {302}
    else:
        assert (changelist.status_code, export.status_code) == (200, 200)
        assert (change.status_code, delete.status_code) == (403, 403)
    entry.refresh_from_db()
    assert entry.message != "forged"
