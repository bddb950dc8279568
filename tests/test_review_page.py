"""What an approver reads: content rendered (rich text, option names, images), locales side by side, the
diff since approval in the editor's labels, and the rejection with who and when."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stagingapp.models import DraftItem, WebflowItemRef
from stagingapp.services import workflow
from stagingapp.times import readable_time
from tests import factories

IMAGE_FIELD = {"id": "f" + "9" * 23, "slug": "cover", "displayName": "Cover image", "type": "Image",
               "isRequired": False, "isEditable": True, "validations": None}


@pytest.fixture
def item(collection, locales, editor):
    collection.fields_schema = [*collection.fields_schema, IMAGE_FIELD]
    collection.save()
    item = factories.make_item(collection, name="Spring launch", created_by=editor, last_edited_by=editor, field_data={
        "summary": "Short", "body": '<p>Hello <strong>world</strong></p><script>alert("x")</script>',
        "category": "a" * 24, "cover": {"url": "https://cdn.example.com/spring.png", "alt": "Spring"},
    })
    factories.make_translation(item, locales[1], name="Lancement de printemps", last_edited_by=editor)
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    return item


def test_the_approver_reads_rendered_content_with_locales_side_by_side(client, item, approver):
    client.force_login(approver)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    table = page[page.index('id="item-content-table"'):page.index("</table>", page.index('id="item-content-table"'))]

    assert "<p>Hello <strong>world</strong></p>" in table and "<script>" not in table
    assert "News" in table and "a" * 24 not in table
    assert '<img class="image-preview" src="https://cdn.example.com/spring.png"' in table
    assert "Summary" in table and "Cover image" in table
    assert table.index("en-US") < table.index("fr-FR") and "Lancement de printemps" in table


def test_the_editor_sees_the_rejection_with_reviewer_date_and_comment(client, item, editor, approver):
    workflow.items_reject(item_ids=[item.pk], actor=approver, comment="Add a source for the numbers.")
    item.refresh_from_db()
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    assert item.status == DraftItem.Status.REJECTED
    assert f"Rejected by approver on {readable_time(item.reviewed_at)}" in page
    assert "Add a source for the numbers." in page


def test_approve_is_the_filled_button_and_reject_is_marked_as_sending_back(client, item, approver):
    client.force_login(approver)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    found = re.findall(r'<input type="submit" class="sa-btn ?([\w-]*)" name="_workflow_(\w+)"', page)
    assert {name: style for style, name in found} == {"approve": "sa-btn-primary", "reject": "sa-btn-danger",
                                                       "unlock": ""}


def test_references_read_as_the_names_of_the_items_they_point_to(client, collection, locales, editor, approver):
    collection.fields_schema = [*collection.fields_schema, {
        "id": "f" + "8" * 23, "slug": "related", "displayName": "Related", "type": "MultiReference",
        "isRequired": False, "isEditable": True, "validations": {"collectionId": collection.webflow_id}}]
    collection.save()
    pushed = factories.make_item(collection, name="Pushed original")
    pushed_id = factories.hex_id()
    WebflowItemRef.objects.create(item=pushed, locale=locales[0], webflow_item_id=pushed_id,
                                  cms_locale_id=locales[0].cms_locale_id, slug=pushed.slug)
    unpushed = factories.make_item(collection, name="Unpushed draft")
    elsewhere = "e" * 24  # an item in Webflow that no draft of ours was pushed as
    item = factories.make_item(collection, name="Follow-up", created_by=editor, last_edited_by=editor, field_data={
        "summary": "S", "related": [pushed_id, f"draft:{unpushed.pk}", elsewhere]})
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    client.force_login(approver)

    review = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
    changes = client.get(reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk])).content.decode()

    start = review.index('id="item-content-table"')
    table = review[start:review.index("</table>", start)]
    shown = f"Pushed original, Unpushed draft (not in Webflow yet), {elsewhere}"
    assert shown in table and shown in changes
    assert f"draft:{unpushed.pk}" not in table and pushed_id not in table


def test_an_item_never_approved_shows_its_values_without_an_empty_at_approval_column(client, item, approver):
    url = reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk])
    client.force_login(approver)

    never = client.get(url).content.decode()
    workflow.items_approve(item_ids=[item.pk], actor=approver)
    item.refresh_from_db()
    item.field_data = {**item.field_data, "summary": "Longer"}
    item.save()
    since = client.get(url).content.decode()

    assert "never been approved" in never and "At approval" not in never and "<del>" not in never
    assert "At approval" in since and "<del>Short</del>" in since and "<ins>Longer</ins>" in since


def test_the_review_panel_reads_the_translations_once(client, item, locales, editor, approver):
    """The content table, its reference names and the stale-translation list share one read; the other two are
    the translation inlines' and the edit form's check for changes saved meanwhile."""
    factories.make_translation(item, locales[2], name="Frühjahrsstart", last_edited_by=editor)
    client.force_login(approver)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    assert "Frühjahrsstart" in page and "Lancement de printemps" in page
    assert sum('FROM "stagingapp_drafttranslation"' in q["sql"] for q in queries.captured_queries) == 3


def test_whoever_may_not_edit_reads_the_field_values_by_label_not_as_json(client, item, approver):
    """Below the review table the read-only item and its translations showed their stored JSON (option IDs,
    draft:<pk> references, markup); they list each value by its field's label now."""
    client.force_login(approver)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    tables = re.findall(r'<table class="sa-table sa-field-values">(.*?)</table>', page, re.S)
    assert len(tables) == 1  # the item's; its translation has no values of its own (a dash)
    assert '<th scope="row">Category</th><td>News</td>' in tables[0] and "a" * 24 not in tables[0]
    assert '<th scope="row">Summary</th><td>Short</td>' in tables[0]
    assert '&quot;summary&quot;' not in page and '"summary":' not in page
