"""The add page shows the right collection's inputs: preselected when there is one, carried values on a switch."""
import pytest
from django.urls import reverse

from stagingapp.admin.forms import FIELD_PREFIX, MARKER_FIELD
from stagingapp.models import DraftItem
from tests import factories

ADD_URL = reverse("admin:stagingapp_draftitem_add")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_the_only_collection_is_preselected_with_its_inputs(editor_client, collection):
    response = editor_client.get(ADD_URL)

    form = response.context["adminform"].form
    assert form["collection"].value() == collection.pk
    assert f"{FIELD_PREFIX}summary" in form.fields
    assert f'name="{FIELD_PREFIX}summary"' in response.content.decode()
    assert "stagingapp/collection_switch.js" in response.content.decode()


def test_with_several_collections_nothing_is_preselected_and_the_json_box_explains(editor_client, site, collection):
    factories.make_collection(site, name="Pages")

    form = editor_client.get(ADD_URL).context["adminform"].form

    assert form["collection"].value() is None
    assert not [name for name in form.fields if name.startswith(FIELD_PREFIX)]
    assert form.fields["field_data"].help_text.startswith("Choose the collection and save")
    # In the theme's look like every other input (it rendered as a borderless box: only its resize handle showed).
    assert "border" in form.fields["field_data"].widget.attrs["class"].split()


def test_a_new_translations_json_box_says_to_choose_the_item_first(editor_client, site, collection):
    form = editor_client.get(reverse("admin:stagingapp_drafttranslation_add")).context["adminform"].form

    assert form.fields["field_data"].help_text.startswith("Choose the item and save")
    assert "border" in form.fields["field_data"].widget.attrs["class"].split()


def test_values_carried_in_the_address_fill_the_new_collections_inputs(editor_client, site, collection):
    pages = factories.make_collection(site, name="Pages")

    response = editor_client.get(ADD_URL, {"collection": pages.pk, "name": "Typed name", "slug": "typed",
                                           f"{FIELD_PREFIX}summary": "Kept summary", "is_draft": "on",
                                           "field_data": '{"body": "<p>x</p>"}'})

    form = response.context["adminform"].form
    assert form["collection"].value() == str(pages.pk)
    assert (form["name"].value(), form["slug"].value()) == ("Typed name", "typed")
    assert form[f"{FIELD_PREFIX}summary"].value() == "Kept summary"
    assert form["is_draft"].value()
    assert form["field_data"].value() == '{"body": "<p>x</p>"}'


def test_without_javascript_one_submit_shows_the_inputs_and_loses_nothing(editor_client, site, collection):
    factories.make_collection(site, name="Pages")
    data = {"collection": str(collection.pk), "name": "No script", "slug": "", "field_data": "",
            MARKER_FIELD: "", "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0"}

    response = editor_client.post(ADD_URL, data)

    form = response.context["adminform"].form
    assert f'name="{FIELD_PREFIX}summary"' in response.content.decode()
    assert form["name"].value() == "No script"
    assert form.errors[f"{FIELD_PREFIX}summary"] == ["This field is required."]
    assert form.non_field_errors() == [
        "The fields of Blog posts are shown below now. Fill them in and save again; nothing you typed was lost."]
    assert not DraftItem.objects.exists()


def test_the_import_page_preselects_the_only_collection(editor_client, collection):
    response = editor_client.get(reverse("admin:stagingapp_draftitem_import"))

    assert response.context["form"]["collection"].value() == collection.pk


def test_the_add_page_leaves_out_the_status_rows_an_item_only_has_once_saved(editor_client, collection):
    add_page = editor_client.get(ADD_URL)
    item = factories.make_item(collection)
    change_page = editor_client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk]))

    def headings(response):
        return [name for name, _ in response.context["adminform"].fieldsets]

    assert "Status" not in headings(add_page)
    assert "Status" in headings(change_page)
