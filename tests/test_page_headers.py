"""The header of our own admin pages names the page itself, after the model and item parts unfold draws.

unfold draws "<site> › Draft items › <item>" from the view's opts and object; on the import page, a bulk review, a
removal request, a history version or the changes since approval the header stopped there, so nothing said which
page this was (templates/unfold/helpers/welcomemsg.html adds `header_page`).
"""
import re

import pytest
from django.urls import reverse

from stagingapp.models import DraftItem, WebflowItemRef
from stagingapp.services import workflow
from tests import factories

S = DraftItem.Status


SITE = "Webflow content staging"


def header(page: str) -> list[str]:
    """The header's parts as shown: unfold's links and spans, then ours."""
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    parts = re.findall(r'<(?:a|span) [^>]*class="align-middle inline-block[^"]*"[^>]*>(.*?)</(?:a|span)\s*>',
                       heading, re.S)
    return [" ".join(part.split()) for part in parts]


@pytest.fixture
def item(collection, editor):
    return factories.make_item(collection, name="Spring notes", field_data={"summary": "One"}, created_by=editor,
                               last_edited_by=editor)


def test_the_import_page_says_import(client, editor):
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_import")).content.decode()

    assert header(page) == [SITE, "Draft items", "Import"]


def test_a_history_version_and_the_changes_since_approval_name_themselves_after_the_item(
        client, item, editor, approver):
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_approve(item_ids=[item.pk], actor=approver)
    item.refresh_from_db()
    item.field_data, item._history_user = {"summary": "Two"}, editor
    item.save()
    first = item.history.earliest("history_date")
    client.force_login(editor)

    version = client.get(reverse("admin:stagingapp_draftitem_simple_history", args=[item.pk, first.history_id]))
    changes = client.get(reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk]))

    assert header(version.content.decode())[2:3] == ["Spring notes"]
    assert re.fullmatch(r"Version of \d{1,2} \w{3} \d{4}, \d\d:\d\d", header(version.content.decode())[3])
    assert header(changes.content.decode()) == [SITE, "Draft items", "Spring notes",
                                                "Changes since the last approval"]


def test_the_removal_request_and_a_bulk_review_name_themselves(client, item, locales, editor, approver):
    WebflowItemRef.objects.create(item=item, locale=locales[0], webflow_item_id=factories.hex_id(),
                                  cms_locale_id=locales[0].cms_locale_id, slug=item.slug)
    client.force_login(editor)
    removal = client.get(reverse("admin:stagingapp_draftitem_request_removal", args=[item.pk]))
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    client.force_login(approver)
    asked = client.post(reverse("admin:stagingapp_draftitem_changelist"),
                        {"action": "approve_selected", "index": "0", "_selected_action": [item.pk]})

    assert header(removal.content.decode()) == [SITE, "Draft items", "Spring notes", "Request removal"]
    assert header(client.get(asked["Location"]).content.decode()) == [SITE, "Draft items", "Approve"]
