"""Review workflow: transitions, four-eyes, approvals pinned to content, stale translations, locks, e-mails."""
import ast
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from stagingapp.exceptions import (
    ActionNotPermitted,
    CommentRequired,
    InvalidTransition,
    ItemLocked,
    SelfReviewRefused,
)
from stagingapp.models import AuditEvent, DraftItem, DraftTranslation
from stagingapp.services import workflow
from tests import factories

S = DraftItem.Status


@pytest.fixture
def item(collection, editor):
    return factories.make_item(collection, created_by=editor, last_edited_by=editor)


def submit(item, editor):
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    item.refresh_from_db()
    return item


def approve(item, editor, approver):
    submit(item, editor)
    workflow.items_approve(item_ids=[item.pk], actor=approver, comment="looks good")
    item.refresh_from_db()
    return item


def test_an_editor_submits_and_an_approver_approves_pinning_the_reviewed_content(item, editor, approver):
    approve(item, editor, approver)
    assert item.status == S.APPROVED
    assert item.approved_fingerprint == item.fingerprint()
    assert item.reviewed_by == approver
    actions = list(AuditEvent.objects.filter(item=item).order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["item.submit", "item.approve"]
    event = AuditEvent.objects.get(item=item, action="item.approve")
    assert event.actor == approver and event.data["comment"] == "looks good"
    assert event.data["snapshot"]["name"] == item.name


def test_bulk_submit_moves_every_item_or_none(collection, editor):
    first, second = factories.make_item(collection), factories.make_item(collection)
    workflow.items_submit(item_ids=[first.pk], actor=editor)
    with pytest.raises(InvalidTransition):
        workflow.items_submit(item_ids=[first.pk, second.pk], actor=editor)
    second.refresh_from_db()
    assert second.status == S.DRAFT
    workflow.items_submit(item_ids=[second.pk], actor=editor)
    assert DraftItem.objects.filter(status=S.IN_REVIEW).count() == 2


def test_reject_needs_a_comment_and_sends_the_item_back_with_it(item, editor, approver):
    submit(item, editor)
    with pytest.raises(CommentRequired):
        workflow.items_reject(item_ids=[item.pk], actor=approver, comment="  ")
    workflow.items_reject(item_ids=[item.pk], actor=approver, comment="Fix the summary")
    item.refresh_from_db()
    assert item.status == S.REJECTED and item.status_reason == "Fix the summary"
    submit(item, editor)
    assert item.status == S.IN_REVIEW


def test_roles_are_checked_by_the_service_not_only_the_ui(item, editor, approver, publisher):
    with pytest.raises(ActionNotPermitted):
        workflow.items_submit(item_ids=[item.pk], actor=approver)
    submit(item, editor)
    for actor in (editor, publisher):
        with pytest.raises(ActionNotPermitted):
            workflow.items_approve(item_ids=[item.pk], actor=actor)
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW


@pytest.mark.parametrize("role", ["created_by", "last_edited_by"])
def test_four_eyes_nobody_reviews_what_they_created_or_last_edited(collection, editor, approver, role):
    approver.groups.add(*editor.groups.all())
    item = factories.make_item(collection, **{role: approver})
    submit(item, editor)
    with pytest.raises(SelfReviewRefused):
        workflow.items_approve(item_ids=[item.pk], actor=approver)
    with pytest.raises(SelfReviewRefused):
        workflow.items_reject(item_ids=[item.pk], actor=approver, comment="no")
    item.refresh_from_db()
    assert item.status == S.IN_REVIEW


def test_four_eyes_counts_translation_edits_and_binds_superusers(item, editor, superuser, locales):
    factories.make_translation(item, locales[1], last_edited_by=superuser)
    submit(item, editor)
    with pytest.raises(SelfReviewRefused):
        workflow.items_approve(item_ids=[item.pk], actor=superuser)


def test_the_self_approval_setting_relaxes_four_eyes(collection, editor, superuser, settings):
    settings.STAGING_ALLOW_SELF_APPROVAL = True
    item = factories.make_item(collection, created_by=superuser, last_edited_by=superuser)
    workflow.items_submit(item_ids=[item.pk], actor=superuser)
    workflow.items_approve(item_ids=[item.pk], actor=superuser)
    item.refresh_from_db()
    assert item.status == S.APPROVED


def test_an_orm_save_after_approval_sends_the_item_back_to_draft_with_a_note(item, editor, approver):
    approve(item, editor, approver)
    item.field_data = {"summary": "changed in a shell"}
    item.save()
    assert item.status == S.DRAFT  # the in-memory instance is corrected too, so a later save keeps DRAFT
    item.refresh_from_db()
    assert item.status == S.DRAFT and item.approved_fingerprint == ""
    reset = AuditEvent.objects.get(item=item, action="item.approval_reset")
    assert "changed after it was approved" in reset.message
    assert reset.actor_label.startswith("system")


def test_a_save_without_content_change_keeps_the_approval(item, editor, approver):
    approve(item, editor, approver)
    item.save()
    item.refresh_from_db()
    assert item.status == S.APPROVED


@pytest.mark.parametrize("change", ["add", "edit", "delete"])
def test_translation_changes_after_approval_reset_the_item(item, editor, approver, locales, change):
    translation = factories.make_translation(item, locales[1])
    approve(item, editor, approver)
    if change == "add":
        factories.make_translation(item, locales[2])
    elif change == "edit":
        translation.name = "Nouveau"
        translation.save()
    else:
        translation.delete()
    item.refresh_from_db()
    assert item.status == S.DRAFT


def test_an_orm_edit_during_review_sends_the_item_back_to_draft(item, editor):
    submit(item, editor)
    item.name = "Sneaky"
    item.save()
    item.refresh_from_db()
    assert item.status == S.DRAFT


def test_pushed_items_edited_later_need_a_new_review(item, editor, approver, publisher):
    approve(item, editor, approver)
    with transaction.atomic():
        locked = DraftItem.objects.select_for_update().get(pk=item.pk)
        workflow.item_transition(item=locked, to_status=S.IN_BATCH, actor=publisher, action="batch.add")
        workflow.item_transition(item=locked, to_status=S.LIVE, actor=publisher, action="push.result")
    assert workflow.item_fingerprint_matches(locked)
    locked.slug = "renamed"
    locked.save()
    locked.refresh_from_db()
    assert locked.status == S.DRAFT
    assert not workflow.item_fingerprint_matches(locked)


def test_translations_are_stale_once_their_source_changes(item, locales):
    translation = factories.make_translation(item, locales[1])
    assert not translation.is_stale
    item.field_data = {"summary": "new source"}
    item.save()
    translation.refresh_from_db()
    assert translation.is_stale
    translation.name = "re-translated"
    translation.save()
    translation.refresh_from_db()
    assert not translation.is_stale
    item.is_draft = True
    item.save(update_fields=["is_draft"])
    translation.refresh_from_db()
    assert translation.is_stale


def test_items_in_review_or_in_a_batch_are_locked_with_the_reason_and_who(item, editor, approver):
    assert workflow.item_edit_lock_reason(item) is None
    submit(item, editor)
    reason = workflow.item_edit_lock_reason(item)
    assert "in review" in reason and "editor" in reason
    with pytest.raises(ItemLocked):
        workflow.item_ensure_editable(item)


def test_unlock_needs_the_permission_and_a_reason_and_is_audited(item, editor, approver, publisher):
    submit(item, editor)
    with pytest.raises(ActionNotPermitted):
        workflow.items_unlock(item_ids=[item.pk], actor=editor, reason="typo")
    with pytest.raises(CommentRequired):
        workflow.items_unlock(item_ids=[item.pk], actor=publisher, reason="")
    workflow.items_unlock(item_ids=[item.pk], actor=publisher, reason="typo in the title")
    item.refresh_from_db()
    assert item.status == S.DRAFT and workflow.item_edit_lock_reason(item) is None
    assert AuditEvent.objects.get(item=item, action="item.unlock").actor == publisher


def test_approvers_hear_of_submissions_and_submitters_of_decisions_with_links_to_the_items(
    item, editor, approver, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "https://staging.example.com"
    page = f"https://staging.example.com/admin/stagingapp/draftitem/{item.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.items_submit(item_ids=[item.pk], actor=editor)
    assert [m.to for m in mail.outbox] == [[approver.email]]
    assert page in mail.outbox[0].body
    assert "https://staging.example.com/admin/stagingapp/draftitem/?status__exact=in_review" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        workflow.items_reject(item_ids=[item.pk], actor=approver, comment="Needs a better title")
    assert mail.outbox[-1].to == [editor.email]
    assert "Needs a better title" in mail.outbox[-1].body and page in mail.outbox[-1].body


def test_without_a_public_url_the_e_mails_name_the_items_without_links(
    item, editor, approver, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        workflow.items_submit(item_ids=[item.pk], actor=editor)
    assert str(item) in mail.outbox[0].body and "/admin/" not in mail.outbox[0].body


class ExplodingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_a_failing_mail_server_never_blocks_a_transition(item, editor, approver, settings,
                                                         django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.ExplodingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.items_submit(item_ids=[item.pk], actor=editor)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.items_approve(item_ids=[item.pk], actor=approver)
    item.refresh_from_db()
    assert item.status == S.APPROVED


def _assigns_item_status(node) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else (
        [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
    return any(
        isinstance(sub, ast.Attribute) and sub.attr == "status" and isinstance(sub.value, ast.Name)
        and "item" in sub.value.id.lower()
        for target in targets for sub in ast.walk(target)
    )


def _updates_item_status(node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr in {"update", "bulk_update"}:
        return "DraftItem" in ast.unparse(node.func.value) and "status" in ast.unparse(node)
    return (getattr(node.func, "id", "") == "setattr" and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status")


def _status_assignments(path: Path) -> list[int]:
    """Lines assigning `<item-like>.status`, or setting status through update()/bulk_update()/setattr()."""
    return [
        node.lineno for node in ast.walk(ast.parse(path.read_text()))
        if _assigns_item_status(node) or _updates_item_status(node)
    ]


def test_item_status_is_assigned_only_by_the_workflow_service():
    root = Path(__file__).resolve().parent.parent / "stagingapp"
    offenders = {
        str(path.relative_to(root)): lines
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and path.name != "workflow.py"
        and (lines := _status_assignments(path))
    }
    assert offenders == {}


def test_the_status_field_is_read_only_in_the_item_admin():
    from django.contrib import admin

    assert "status" in admin.site._registry[DraftItem].readonly_fields


def test_translation_source_hash_is_set_by_every_write_path(item, locales):
    DraftTranslation.objects.create(item=item, locale=locales[1], name="x")
    assert DraftTranslation.objects.get(item=item, locale=locales[1]).source_hash == item.source_hash


def test_an_import_through_django_import_export_resets_the_approval(item, editor, approver):
    import tablib
    from import_export import resources

    approve(item, editor, approver)
    resource = resources.modelresource_factory(model=DraftItem)()
    dataset = tablib.Dataset(headers=["id", "name"])
    dataset.append([item.pk, "Imported name"])
    result = resource.import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    item.refresh_from_db()
    assert item.name == "Imported name" and item.status == S.DRAFT


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ignores select_for_update")
# Serialized rollback: an earlier transactional test (the browser tests) empties every table, role groups included.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transition_waits_for_the_row_lock_and_rechecks_the_state(collection, editor, approver):
    item = factories.make_item(collection, created_by=approver)
    outcome = {}

    def second_submitter():
        try:
            workflow.items_submit(item_ids=[item.pk], actor=editor)
            outcome["result"] = "submitted"
        except InvalidTransition:
            outcome["result"] = "refused"
        finally:
            connections.close_all()

    with transaction.atomic():
        locked = DraftItem.objects.select_for_update().get(pk=item.pk)
        thread = threading.Thread(target=second_submitter)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the second transition must wait for the row lock"
        workflow.items_submit(item_ids=[locked.pk], actor=editor)
    thread.join(timeout=10)
    assert outcome == {"result": "refused"}
    assert AuditEvent.objects.filter(item=item, action="item.submit").count() == 1


def test_a_bulk_transition_writes_one_history_row_and_one_audit_entry_per_item_with_its_own_reason(
    collection, approver
):
    items = [factories.make_item(collection) for _ in range(3)]
    DraftItem.objects.filter(pk__in=[i.pk for i in items]).update(status=S.IN_REVIEW)  # arrange, not the workflow
    locked = list(DraftItem.objects.filter(pk__in=[i.pk for i in items]).order_by("pk"))

    with transaction.atomic():
        workflow.items_transition(
            items=locked, to_status=S.REJECTED, actor=approver, action="item.reject", reason="shared",
            reason_by_item={locked[0].pk: "own reason"}, data={"comment": "c"},
            data_by_item={locked[1].pk: {"field": "slug"}},
        )

    rows = {i.pk: (i.status, i.status_reason) for i in DraftItem.objects.filter(pk__in=[i.pk for i in items])}
    assert rows == {locked[0].pk: (S.REJECTED, "own reason"), locked[1].pk: (S.REJECTED, "shared"),
                    locked[2].pk: (S.REJECTED, "shared")}
    events = {e.item_id: e for e in AuditEvent.objects.filter(action="item.reject")}
    assert events[locked[0].pk].message == "own reason" and events[locked[0].pk].actor == approver
    assert events[locked[1].pk].data == {"from": S.IN_REVIEW, "to": S.REJECTED, "comment": "c", "field": "slug"}
    assert {e.actor_label for e in events.values()} == {approver.get_username()}
    for item in locked:
        record = item.history.order_by("-history_id").first()
        assert (record.status, record.history_user) == (S.REJECTED, approver)
        assert not hasattr(item, "_change_reason")
    assert locked[0].history.order_by("-history_id").first().history_change_reason == "item.reject: own reason"
    assert not AuditEvent.objects.filter(action="item.edit", item__in=items).exists()


def test_a_bulk_transition_with_one_item_in_the_wrong_status_changes_nothing(collection, approver):
    items = [factories.make_item(collection) for _ in range(2)]
    DraftItem.objects.filter(pk=items[0].pk).update(status=S.IN_REVIEW)
    locked = list(DraftItem.objects.filter(pk__in=[i.pk for i in items]).order_by("pk"))
    history_before = sum(i.history.count() for i in locked)

    with pytest.raises(InvalidTransition):
        workflow.items_transition(items=locked, to_status=S.APPROVED, actor=approver, action="item.approve")

    assert list(DraftItem.objects.filter(pk__in=[i.pk for i in items]).order_by("pk")
                .values_list("status", flat=True)) == [S.IN_REVIEW, S.DRAFT]
    assert sum(i.history.count() for i in locked) == history_before
    assert not AuditEvent.objects.filter(action="item.approve").exists()
