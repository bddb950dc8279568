"""Markup in every text a person or Webflow can write (item, translation, field values, review comment, collection
and locale names) is shown as text on every page that shows it, never run.

Names reach us from editors, imports and Webflow's answers (a pulled collection or locale), so each page is read
with them all hostile at once. Rich text keeps only what the sanitiser allows, even when the stored value
skipped it (a row written before a rule, or by hand).
"""
import pytest
from django.urls import reverse

from stagingapp.models import AuditEvent, WebflowItemRef
from stagingapp.services import workflow
from stagingapp.services.batches import batch_create
from tests import factories

HOSTILE = '<img src=x onerror=alert(1)>'
RAW = ("<img src=x onerror", "<script>alert(2)")  # as they would appear if a page left them unescaped


@pytest.fixture
def hostile_world(collection, locales, editor, approver, publisher):
    collection.name = f"Blog {HOSTILE}"
    collection.save()
    locales[1].display_name = f"French {HOSTILE}"
    locales[1].save()
    item = factories.make_item(collection, name=f"Post {HOSTILE}", created_by=editor, last_edited_by=editor,
                               field_data={"summary": f"Sum {HOSTILE}",
                                           "body": f"<p>ok</p>{HOSTILE}<script>alert(2)</script>"})
    factories.make_translation(item, locales[1], name=f"Article {HOSTILE}", last_edited_by=editor)
    workflow.items_submit(item_ids=[item.pk], actor=editor)
    workflow.items_reject(item_ids=[item.pk], actor=approver, comment=f"Fix {HOSTILE}")
    item.refresh_from_db()
    item.field_data = {**item.field_data, "summary": f"Better {HOSTILE}"}
    item.last_edited_by = item._history_user = editor
    item.save()
    workflow.items_submit(item_ids=[item.pk], actor=editor, comment=f"Again {HOSTILE}")
    workflow.items_approve(item_ids=[item.pk], actor=approver, comment=f"Fine {HOSTILE}")
    batch = batch_create(collection=collection, item_ids=[item.pk], mode="stage", actor=publisher)
    WebflowItemRef.objects.create(item=item, locale=locales[0], webflow_item_id=factories.hex_id(),
                                  cms_locale_id=locales[0].cms_locale_id, slug=item.slug)
    return item, batch


def test_no_page_runs_markup_from_names_values_or_comments(client, hostile_world, superuser, editor, approver,
                                                           publisher, collection, locales):
    item, batch = hostile_world
    translation = item.translations.get()
    event = AuditEvent.objects.filter(item=item).latest("pk")
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:stagingapp_draftitem_changelist"),
        reverse("admin:stagingapp_draftitem_change", args=[item.pk]),
        reverse("admin:stagingapp_draftitem_approval_diff", args=[item.pk]),
        reverse("admin:stagingapp_draftitem_history", args=[item.pk]),
        reverse("admin:stagingapp_draftitem_request_removal", args=[item.pk]),
        reverse("admin:stagingapp_drafttranslation_changelist"),
        reverse("admin:stagingapp_drafttranslation_change", args=[translation.pk]),
        reverse("admin:stagingapp_drafttranslation_history", args=[translation.pk]),
        reverse("admin:stagingapp_pushbatch_changelist"),
        reverse("admin:stagingapp_pushbatch_change", args=[batch.pk]),
        reverse("admin:stagingapp_auditevent_changelist"),
        reverse("admin:stagingapp_auditevent_change", args=[event.pk]),
        reverse("admin:stagingapp_localemapping_changelist"),
        reverse("admin:stagingapp_collection_changelist"),
        reverse("admin:stagingapp_collection_change", args=[collection.pk]),
        reverse("admin:stagingapp_draftitem_import"),
    ]
    seen = []
    for user, pages in [(superuser, admin_pages), (editor, ["/admin/"]), (approver, ["/admin/"]),
                        (publisher, ["/admin/"])]:
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert not [raw for raw in RAW if raw in html], url
            seen.append(html.count("&lt;img src=x onerror=alert(1)&gt;"))
    assert min(seen[:4]) > 0  # the names are on those pages, as text
