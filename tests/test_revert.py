"""History revert is an audited edit: it puts back content only, never status, and never skips review or a lock."""
import pytest
from django.urls import reverse

from stagingapp.exceptions import ItemLocked, RevertRefused
from stagingapp.models import AuditEvent, DraftItem, WebflowItemRef
from stagingapp.services import workflow
from stagingapp.times import readable_time
from tests import factories

S = DraftItem.Status


@pytest.fixture
def item(collection, editor):
    return factories.make_item(collection, name="First", slug="first", field_data={"summary": "Version one"},
                               created_by=editor, last_edited_by=editor)


def _approve(item, editor, approver):
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_approve(item_ids=[item.pk], actor=approver)
    item.refresh_from_db()
    return item


def _edit(item, editor, **values):
    for name, value in values.items():
        setattr(item, name, value)
    item.last_edited_by = editor
    item._history_user = editor
    item.save()
    item.refresh_from_db()
    return item


def _version_url(item, version):
    return reverse("admin:stagingapp_draftitem_simple_history", args=[item.pk, version.history_id])


def test_reverting_an_approved_item_puts_the_content_back_as_a_draft_with_an_item_revert_entry(
        client, item, editor, approver):
    first = item.history.earliest("history_date")
    _edit(item, editor, field_data={"summary": "Version two"})
    _approve(item, editor, approver)
    client.force_login(editor)

    response = client.post(_version_url(item, first), follow=True)

    item.refresh_from_db()
    assert (item.status, item.field_data, item.approved_fingerprint) == (S.DRAFT, {"summary": "Version one"}, "")
    assert item.last_edited_by == editor
    assert "It is draft now" in response.content.decode()
    revert = AuditEvent.objects.get(item=item, action="item.revert")
    assert revert.actor == editor and revert.data["reverted_to_history_id"] == first.history_id
    # The version's time as every page writes times, so the entry matches the History timeline it came from.
    assert revert.message == f"Reverted to the version of {readable_time(first.history_date)}."
    assert revert.data["changes"] == [{"field": "field_data.summary", "old": "Version two", "new": "Version one"}]
    assert AuditEvent.objects.filter(item=item, action="item.approval_reset").exists()
    assert not AuditEvent.objects.filter(item=item, action="item.edit", pk__gt=revert.pk).exists()


def test_reverting_to_the_version_that_was_approved_does_not_bring_the_approval_back(item, editor, approver):
    _approve(item, editor, approver)
    approved_version = item.history.latest("history_date")
    _edit(item, editor, field_data={"summary": "Edited after approval"})
    assert item.status == S.DRAFT

    workflow.item_revert(item_id=item.pk, history_id=approved_version.history_id, actor=editor)

    item.refresh_from_db()
    assert item.field_data == {"summary": "Version one"}
    assert (item.status, item.approved_fingerprint, item.reviewed_by) == (S.DRAFT, "", approver)


def test_a_locked_item_refuses_the_revert_with_the_lock_reason_and_offers_no_button(client, item, editor):
    first = item.history.earliest("history_date")
    _edit(item, editor, field_data={"summary": "Version two"})
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    client.force_login(editor)

    page = client.get(_version_url(item, first)).content.decode()
    response = client.post(_version_url(item, first), follow=True)

    assert "it is in review" in page and 'name="_revert"' not in page
    assert "is locked: it is in review" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.field_data) == (S.IN_REVIEW, {"summary": "Version two"})
    assert not AuditEvent.objects.filter(item=item, action="item.revert").exists()
    with pytest.raises(ItemLocked):
        workflow.item_revert(item_id=item.pk, history_id=first.history_id, actor=editor)


def test_the_version_page_compares_with_the_editor_labels_and_marks_what_differs(client, item, editor):
    first = item.history.earliest("history_date")
    _edit(item, editor, field_data={"summary": "Version two", "category": "a" * 24})
    client.force_login(editor)

    page = client.get(_version_url(item, first)).content.decode()

    assert "Summary" in page and "field_data" not in page
    assert "News" in page and "a" * 24 not in page  # option names, not IDs
    assert page.count("(differs)") == 2
    assert 'name="_revert"' in page


def test_a_revert_that_changes_nothing_or_takes_another_items_slug_is_refused(item, collection, editor):
    first = item.history.earliest("history_date")
    with pytest.raises(RevertRefused, match="already has the content"):
        workflow.item_revert(item_id=item.pk, history_id=first.history_id, actor=editor)
    _edit(item, editor, slug="renamed")
    factories.make_item(collection, slug="first")
    with pytest.raises(RevertRefused, match="another item uses it"):
        workflow.item_revert(item_id=item.pk, history_id=first.history_id, actor=editor)
    other = factories.make_item(collection)
    with pytest.raises(RevertRefused, match="does not exist"):
        workflow.item_revert(item_id=item.pk, history_id=other.history.get().history_id, actor=editor)


def test_a_translation_revert_is_audited_and_sends_the_approved_item_back_to_draft(
        client, item, editor, approver, locales):
    translation = factories.make_translation(item, locales[1], name="Premier", last_edited_by=editor)
    first = translation.history.get()
    translation.name, translation._history_user = "Deuxième", editor
    translation.save()
    _approve(item, editor, approver)
    client.force_login(editor)

    url = reverse("admin:stagingapp_drafttranslation_simple_history", args=[translation.pk, first.history_id])
    client.post(url)

    translation.refresh_from_db()
    item.refresh_from_db()
    assert (translation.name, item.status) == ("Premier", S.DRAFT)
    assert AuditEvent.objects.filter(item=item, action="translation.revert", actor=editor).exists()


def test_a_version_shows_references_by_the_names_of_the_items_they_point_to(client, collection, locales, editor):
    collection.fields_schema = [*collection.fields_schema, {
        "id": "f" + "8" * 23, "slug": "related", "displayName": "Related", "type": "Reference",
        "isRequired": False, "isEditable": True, "validations": {"collectionId": collection.webflow_id}}]
    collection.save()
    earlier = factories.make_item(collection, name="Earlier draft")
    pushed = factories.make_item(collection, name="Pushed original")
    WebflowItemRef.objects.create(item=pushed, locale=locales[0], webflow_item_id="c" * 24,
                                  cms_locale_id=locales[0].cms_locale_id, slug=pushed.slug)
    item = factories.make_item(collection, name="Follow-up", created_by=editor, last_edited_by=editor,
                               field_data={"summary": "S", "related": f"draft:{earlier.pk}"})
    first = item.history.earliest("history_date")
    _edit(item, editor, field_data={"summary": "S", "related": "c" * 24})
    client.force_login(editor)

    page = client.get(_version_url(item, first)).content.decode()

    start = page.index('id="version-comparison"')
    table = page[start:page.index("</table>", start)]
    assert "Earlier draft (not in Webflow yet)" in table and "Pushed original" in table
    assert f"draft:{earlier.pk}" not in table and "c" * 24 not in table


def test_the_versions_page_reads_as_the_audit_history_does(client, item, editor, approver):
    """Each version is its time (the link to it), who saved it, what happened in the audit history's words and
    what changed with each choice's label: simple-history's page showed "item.approve: Looks good.",
    "in_review → approved" and "None"."""
    DraftItem.history.filter(id=item.pk).update(history_user=None)  # created by the system (a seed, a command)
    _edit(item, editor, field_data={"summary": "Version two"})
    _approve(item, editor, approver)
    newest = item.history.latest("history_date")
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_history", args=[item.pk])).content.decode()
    listed = page[page.index('id="version-list"'):page.index("</table>", page.index('id="version-list"'))]

    assert f'href="{_version_url(item, newest)}">{readable_time(newest.history_date)}</a>' in listed
    assert "Approved" in listed and "item.approve" not in listed
    assert "Submitted for review" in listed and "item.submit" not in listed
    assert "In review → Approved" in listed and "in_review" not in listed
    assert "<strong>Summary:</strong> Version one → Version two" in listed and "{&#x27;" not in listed
    assert ">system<" in listed and "None" not in listed
