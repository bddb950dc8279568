"""The item page's "Request removal…" form and what reviewers see, through the real admin (test client)."""
import pytest
from django.urls import reverse

from stagingapp.models import BatchItem, DraftItem, PushBatch, WebflowItemRef
from tests import factories

S = DraftItem.Status


@pytest.fixture
def pushed_item(collection, locales):
    """An item the app pushed earlier: it has a Webflow ID in every locale."""
    item = factories.make_item(collection, status=S.LIVE)
    webflow_id = factories.hex_id()
    WebflowItemRef.objects.bulk_create([
        WebflowItemRef(item=item, locale=loc, webflow_item_id=webflow_id, cms_locale_id=loc.cms_locale_id,
                       slug=item.slug, is_published=True) for loc in locales])
    return item


def change_url(item):
    return reverse("admin:stagingapp_draftitem_change", args=[item.pk])


def removal_url(item):
    return reverse("admin:stagingapp_draftitem_request_removal", args=[item.pk])


def test_an_editor_requests_a_removal_of_some_locales_and_the_approver_sees_it(client, pushed_item, locales,
                                                                               editor, approver):
    client.force_login(editor)
    page = client.get(change_url(pushed_item)).content.decode()
    assert removal_url(pushed_item) in page

    response = client.post(removal_url(pushed_item), {"kind": "delete", "locales": [str(locales[2].pk)],
                                                      "comment": "duplicate of another post"})

    assert response.status_code == 302
    item = DraftItem.objects.get(pk=pushed_item.pk)
    assert (item.status, item.removal_kind, item.removal_locale_ids) == (S.IN_REVIEW, "delete", [locales[2].pk])
    client.force_login(approver)
    page = client.get(change_url(item)).content.decode()
    assert "Approving this item approves this removal" in page
    assert f"Delete from Webflow (locales: {locales[2].tag})" in page
    assert 'name="_workflow_approve"' in page


def test_a_form_without_a_kind_changes_nothing_and_says_why(client, pushed_item, editor):
    client.force_login(editor)
    response = client.post(removal_url(pushed_item), {"comment": "forgot the kind"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert "forgot the kind" in response.content.decode()  # the input is kept
    assert DraftItem.objects.get(pk=pushed_item.pk).status == S.LIVE


def test_no_removal_link_for_an_item_that_is_not_in_webflow(client, collection, editor):
    item = factories.make_item(collection)
    client.force_login(editor)
    assert removal_url(item) not in client.get(change_url(item)).content.decode()
    response = client.post(removal_url(item), {"kind": "delete"}, follow=True)
    assert "nothing to remove in Webflow" in response.content.decode()
    assert DraftItem.objects.get(pk=item.pk).removal_kind == ""


def test_a_rejected_removal_can_be_withdrawn(client, pushed_item, editor, approver):
    from stagingapp.services.removal_requests import item_request_removal
    from stagingapp.services.workflow import items_reject

    item_request_removal(item_id=pushed_item.pk, kind="archive", actor=editor)
    items_reject(item_ids=[pushed_item.pk], actor=approver, comment="keep it")
    client.force_login(editor)
    withdraw = reverse("admin:stagingapp_draftitem_withdraw_removal", args=[pushed_item.pk])
    assert withdraw in client.get(change_url(pushed_item)).content.decode()

    client.post(withdraw)

    item = DraftItem.objects.get(pk=pushed_item.pk)
    assert (item.status, item.removal_kind) == (S.DRAFT, "")


def test_the_batch_page_preview_shows_the_removal_body(client, pushed_item, editor, approver, publisher):
    from stagingapp.services.batches import batch_create
    from stagingapp.services.removal_requests import item_request_removal
    from stagingapp.services.workflow import items_approve

    item_request_removal(item_id=pushed_item.pk, kind="unpublish", actor=editor)
    items_approve(item_ids=[pushed_item.pk], actor=approver)
    batch = batch_create(collection=pushed_item.collection, item_ids=[pushed_item.pk], mode="stage", actor=publisher)
    client.force_login(publisher)

    page = client.get(reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])).content.decode()

    webflow_id = pushed_item.webflow_refs.first().webflow_item_id
    assert f"DELETE /v2/collections/{pushed_item.collection.webflow_id}/items/live — removal: unpublish" in page
    assert webflow_id in page


def delete_url(item):
    return reverse("admin:stagingapp_draftitem_delete", args=[item.pk])


def test_a_draft_in_webflow_has_no_delete_button_and_its_delete_page_points_to_request_removal(
        client, pushed_item, editor):
    client.force_login(editor)

    assert delete_url(pushed_item) not in client.get(change_url(pushed_item)).content.decode()
    response = client.get(delete_url(pushed_item), follow=True)

    assert response.redirect_chain == [(change_url(pushed_item), 302)]
    assert "is in Webflow: deleting the draft would leave the Webflow item there" in response.content.decode()
    assert client.post(delete_url(pushed_item), {"post": "yes"}).status_code == 302
    assert DraftItem.objects.filter(pk=pushed_item.pk).exists()


def test_a_bulk_delete_keeps_a_selection_that_holds_a_draft_in_webflow(client, pushed_item, collection, editor):
    plain = factories.make_item(collection, name="Never pushed")
    client.force_login(editor)
    changelist = reverse("admin:stagingapp_draftitem_changelist")
    selection = {"action": "delete_selected", "_selected_action": [pushed_item.pk, plain.pk]}

    page = client.post(changelist, selection).content.decode()
    client.post(changelist, {**selection, "post": "yes"})

    assert f"{pushed_item}: in Webflow; request its removal on its page instead" in page
    assert set(DraftItem.objects.values_list("pk", flat=True)) == {pushed_item.pk, plain.pk}


def test_a_bulk_delete_names_each_kept_draft_once_with_the_reason_that_applies(client, pushed_item, collection,
                                                                              publisher, editor):
    """A draft a batch pushed is kept both as in Webflow and by its batch entry: the confirmation says the first
    (what to do instead), not both; a draft only in a batch's record is still listed by its entry."""
    queued = factories.make_item(collection, name="Queued only", status=S.APPROVED)
    batch = PushBatch.objects.create(collection=collection, created_by=publisher)
    BatchItem.objects.bulk_create([BatchItem(batch=batch, item=pushed_item), BatchItem(batch=batch, item=queued)])
    client.force_login(editor)

    page = client.post(reverse("admin:stagingapp_draftitem_changelist"), {
        "action": "delete_selected", "_selected_action": [pushed_item.pk, queued.pk]}).content.decode()

    assert page.count(str(pushed_item)) == 1
    assert f"{pushed_item}: in Webflow; request its removal on its page instead" in page
    assert f"Batch item: {queued} in batch #{batch.pk}" in page


def test_a_draft_never_pushed_can_still_be_deleted(client, collection, editor):
    plain = factories.make_item(collection, name="Never pushed")
    client.force_login(editor)

    assert delete_url(plain) in client.get(change_url(plain)).content.decode()
    client.post(delete_url(plain), {"post": "yes"})

    assert not DraftItem.objects.filter(pk=plain.pk).exists()


def test_a_translation_page_opens_and_has_no_removal_pages_of_its_own(client, pushed_item, locales, editor):
    translation = factories.make_translation(pushed_item, locales[1], name="Übersetzt")
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_drafttranslation_change", args=[translation.pk]))
    removal_form = client.get(f"/admin/stagingapp/drafttranslation/{translation.pk}/request-removal/")

    assert page.status_code == 200
    assert removal_form.status_code == 302 and "Request removal of" not in removal_form.content.decode()


def test_a_bulk_delete_checks_its_selection_in_the_same_queries_for_2_drafts_as_for_10(
        client, collection, locales, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_reading_refs(count):
        pks = []
        for _ in range(count):
            item = factories.make_item(collection, status=S.LIVE)
            WebflowItemRef.objects.create(item=item, locale=locales[0], webflow_item_id=factories.hex_id(),
                                          cms_locale_id=locales[0].cms_locale_id, slug=item.slug)
            pks.append(item.pk)
        with CaptureQueriesContext(connection) as queries:
            page = client.post(reverse("admin:stagingapp_draftitem_changelist"),
                               {"action": "delete_selected", "_selected_action": pks}).content.decode()
        assert page.count("in Webflow; request its removal on its page instead") == count
        return sum('"stagingapp_webflowitemref"' in query["sql"] for query in queries.captured_queries)

    client.force_login(editor)
    # (Django's own list of what a delete would take still reads each ref's locale to name it.)
    assert queries_reading_refs(2) == queries_reading_refs(10)
