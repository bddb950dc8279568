"""Editors edit field values per schema input in the admin, see field-level errors and never lose what they typed."""
import json

import pytest
import tablib
from django.urls import reverse

from stagingapp.admin.forms import FIELD_PREFIX, MARKER_FIELD
from stagingapp.models import AuditEvent, DraftItem, DraftTranslation
from tests import factories

ADD_URL = reverse("admin:stagingapp_draftitem_add")
IMPORT_URL = reverse("admin:stagingapp_draftitem_import")


def change_url(item):
    return reverse("admin:stagingapp_draftitem_change", args=[item.pk])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def item_post(collection, inline_forms=(), initial_forms=0, **values):
    data = {
        "collection": str(collection.pk), "name": "Hello world", "slug": "", "field_data": "",
        MARKER_FIELD: str(collection.pk), f"{FIELD_PREFIX}summary": "A summary", f"{FIELD_PREFIX}body": "",
        f"{FIELD_PREFIX}reading-minutes": "", f"{FIELD_PREFIX}category": "",
        "translations-TOTAL_FORMS": str(len(inline_forms)), "translations-INITIAL_FORMS": str(initial_forms),
        "translations-MIN_NUM_FORMS": "0", "translations-MAX_NUM_FORMS": "1000",
    }
    for i, form in enumerate(inline_forms):
        data.update({f"translations-{i}-{k}": v for k, v in form.items()})
    data.update(values)
    return data


def test_the_add_form_shows_one_input_per_schema_field_of_the_chosen_collection(editor_client, collection):
    response = editor_client.get(ADD_URL, {"collection": collection.pk})

    form = response.context["adminform"].form
    assert {"wf__summary", "wf__body", "wf__reading-minutes", "wf__featured", "wf__category"} <= set(form.fields)
    assert [c[1] for c in form.fields["wf__category"].choices] == ["---------", "News", "Guides"]
    assert 'name="wf__summary"' in response.content.decode()


def test_an_editor_adds_an_item_and_option_names_are_stored_as_ids(editor_client, editor, collection):
    data = item_post(collection, **{f"{FIELD_PREFIX}category": "b" * 24, f"{FIELD_PREFIX}reading-minutes": "5",
                                    f"{FIELD_PREFIX}featured": "on"})

    response = editor_client.post(ADD_URL, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = DraftItem.objects.get()
    assert item.slug == "hello-world"  # a blank slug is suggested from the name on the server
    assert item.field_data == {"summary": "A summary", "reading-minutes": 5, "featured": True,
                               "category": "b" * 24}
    assert (item.created_by, item.last_edited_by) == (editor, editor)
    assert item.history.get().history_user == editor


def test_field_errors_appear_next_to_their_inputs_and_the_input_is_kept(editor_client, collection):
    data = item_post(collection, **{f"{FIELD_PREFIX}summary": "", f"{FIELD_PREFIX}reading-minutes": "-2"})

    response = editor_client.post(ADD_URL, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["wf__summary"] == ["This field is required."]
    assert form.errors["wf__reading-minutes"] == ["Must not be negative."]
    assert 'value="-2"' in response.content.decode()
    assert not DraftItem.objects.exists()


def test_invalid_json_gets_a_clear_message_and_the_text_is_kept(editor_client, collection):
    broken = '{"unknown-field": "x",'
    response = editor_client.post(ADD_URL, item_post(collection, field_data=broken))

    form = response.context["adminform"].form
    assert form.errors["field_data"][0].startswith("This is not valid JSON (")
    assert "Your text is kept below" in form.errors["field_data"][0]
    assert broken in response.content.decode().replace("&quot;", '"')


def test_unknown_keys_in_the_json_box_are_reported_by_name(editor_client, collection):
    response = editor_client.post(ADD_URL, item_post(collection, field_data='{"subtitle": "x"}'))

    error = response.context["adminform"].form.errors["field_data"][0]
    assert error.startswith("subtitle: no field 'subtitle' in collection 'Blog posts'; known fields: summary")


def test_json_typed_before_the_inputs_existed_is_moved_into_them(editor_client, collection):
    # The add page was drawn before a collection was chosen, so only the JSON box was there.
    data = {"collection": str(collection.pk), "name": "Typed", "slug": "", MARKER_FIELD: "",
            "field_data": json.dumps({"reading-minutes": "lots", "body": "<p>Kept</p>"}),
            "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0"}

    response = editor_client.post(ADD_URL, data)

    form = response.context["adminform"].form
    assert form.errors["wf__summary"] == ["This field is required."]
    assert "wf__reading-minutes" in form.errors
    assert form["wf__body"].value() == "<p>Kept</p>"
    assert form["wf__reading-minutes"].value() == "lots"


def test_a_duplicate_slug_in_the_collection_gets_a_clear_message(editor_client, collection):
    factories.make_item(collection, name="Existing", slug="hello-world")

    response = editor_client.post(ADD_URL, item_post(collection))

    assert response.context["adminform"].form.errors["slug"] == [
        "Another item in Blog posts already uses the slug 'hello-world' (\"Existing\"). "
        "Choose a different slug, e.g. 'hello-world-2'."]


def test_the_change_form_shows_stored_values_and_keeps_alt_text_of_images(editor_client, site):
    fields = factories.BLOG_FIELDS[:3] + [{"slug": "hero", "displayName": "Hero", "type": "Image",
                                           "isRequired": False, "isEditable": True, "validations": None}]
    collection = factories.make_collection(site, fields_schema=fields)
    hero = {"url": "https://cdn.example.com/a.png", "alt": "A cat"}
    item = factories.make_item(collection, field_data={"summary": "S", "hero": hero})

    response = editor_client.get(change_url(item))
    assert response.context["adminform"].form["wf__hero"].value() == hero["url"]

    data = item_post(collection, name=item.name, slug=item.slug, **{f"{FIELD_PREFIX}hero": hero["url"]})
    assert editor_client.post(change_url(item), data).status_code == 302
    item.refresh_from_db()
    assert item.field_data == {"summary": "A summary", "hero": hero}


def test_a_collection_without_a_synced_schema_shows_a_warning_and_accepts_json(editor_client, site):
    collection = factories.make_collection(site, fields_schema=[])
    data = {"collection": str(collection.pk), "name": "Free", "slug": "", MARKER_FIELD: str(collection.pk),
            "field_data": '{"anything": 1}', "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0"}

    response = editor_client.get(ADD_URL, {"collection": collection.pk})
    assert "validation is limited" in response.content.decode()

    assert editor_client.post(ADD_URL, data).status_code == 302
    assert DraftItem.objects.get().field_data == {"anything": 1}


def test_translations_validate_only_the_keys_they_override(editor_client, collection, locales):
    item = factories.make_item(collection, slug="hello-world", name="Hello world")
    fr = locales[1]
    good = {"locale": str(fr.pk), "name": "Bonjour", "slug": "", "field_data": "", MARKER_FIELD: str(collection.pk),
            f"{FIELD_PREFIX}summary": "Résumé", f"{FIELD_PREFIX}featured": "", f"{FIELD_PREFIX}category": "",
            "item": str(item.pk)}
    bad = good | {f"{FIELD_PREFIX}summary": "", f"{FIELD_PREFIX}reading-minutes": "0"}

    response = editor_client.post(change_url(item), item_post(collection, inline_forms=[bad], slug=item.slug))
    formset_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert formset_errors == [{"wf__reading-minutes": ["Must not be zero."]}]

    response = editor_client.post(change_url(item), item_post(collection, inline_forms=[good], slug=item.slug))
    assert response.status_code == 302
    translation = DraftTranslation.objects.get()
    assert (translation.name, translation.field_data) == ("Bonjour", {"summary": "Résumé"})


# --- import over HTTP ---------------------------------------------------------------------------------------

def csv_upload(tmp_path, rows, headers=("name", "slug", "summary", "fr-FR:name")):
    path = tmp_path / "posts.csv"
    path.write_text(tablib.Dataset(*rows, headers=list(headers)).export("csv"), encoding="utf-8")
    return path


def check_upload(client, collection, path):
    """Upload a file on the import page; returns the URL that confirms the checked upload."""
    with path.open("rb") as upload:
        checked = client.post(IMPORT_URL, {"collection": collection.pk, "import_file": upload})
    assert checked.status_code == 302
    return checked["Location"] + "confirm/"


def test_the_import_preview_then_confirm_writes_items_with_history_and_audit(editor_client, editor, collection,
                                                                            tmp_path):
    path = csv_upload(tmp_path, [["First", "", "One", "Premier"], ["Second", "second", "Two", ""]])
    confirm_url = check_upload(editor_client, collection, path)
    assert not DraftItem.objects.exists()  # the check is a dry run

    done = editor_client.post(confirm_url, follow=True)

    assert "Import finished: 2 new, 0 updated, 0 unchanged." in done.content.decode()
    first = DraftItem.objects.get(slug="first")
    assert (first.created_by, first.history.get().history_user) == (editor, editor)
    assert first.translations.get().name == "Premier"
    assert AuditEvent.objects.get(action="item.import").data["file_name"] == "posts.csv"


def test_the_import_page_offers_a_collection_choice_and_names_the_formats(editor_client, collection):
    page = editor_client.get(IMPORT_URL)

    form = page.context["form"]
    assert list(form.fields["collection"].queryset) == [collection]
    assert ".csv" in form.fields["import_file"].help_text and ".jsonl" in form.fields["import_file"].help_text


def test_only_users_who_may_add_items_may_import(client, approver, collection):
    client.force_login(approver)

    assert client.get(IMPORT_URL).status_code == 403


def test_an_option_value_that_is_no_longer_an_option_stays_selected_and_is_explained(editor_client, collection):
    item = factories.make_item(collection, slug="old-option", field_data={"summary": "S", "category": "c" * 24})

    page = editor_client.get(change_url(item))
    assert page.context["adminform"].form["wf__category"].value() == "c" * 24

    data = item_post(collection, name=item.name, slug=item.slug, **{f"{FIELD_PREFIX}category": "c" * 24})
    response = editor_client.post(change_url(item), data)
    assert response.context["adminform"].form.errors["wf__category"] == [
        f"'{'c' * 24}' is not one of the options; choose one of: News, Guides."]
    item.refresh_from_db()
    assert item.field_data["category"] == "c" * 24


def test_valid_json_typed_before_the_inputs_existed_is_saved_with_option_names_as_ids(editor_client, collection):
    data = {"collection": str(collection.pk), "name": "Named", "slug": "", MARKER_FIELD: "",
            "field_data": json.dumps({"summary": "S", "category": "Guides"}),
            "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0"}

    assert editor_client.post(ADD_URL, data).status_code == 302
    assert DraftItem.objects.get().field_data == {"summary": "S", "featured": False, "category": "b" * 24}


def test_a_translation_on_its_own_admin_page_is_validated_against_the_item_collection(editor_client, collection,
                                                                                       locales):
    item = factories.make_item(collection)
    url = reverse("admin:stagingapp_drafttranslation_add")
    data = {"item": str(item.pk), "locale": str(locales[2].pk), "name": "Hallo", "slug": "", "field_data": "",
            MARKER_FIELD: str(collection.pk), f"{FIELD_PREFIX}reading-minutes": "1.5"}

    response = editor_client.post(url, data)
    assert response.context["adminform"].form.errors["wf__reading-minutes"] == ["Enter a whole number."]

    assert editor_client.post(url, data | {f"{FIELD_PREFIX}reading-minutes": "7"}).status_code == 302
    translation = DraftTranslation.objects.get()
    assert translation.field_data == {"reading-minutes": 7}
    assert translation.last_edited_by.username == "editor"


def test_an_xlsx_file_imports_through_the_admin(editor_client, collection, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "summary", "reading-minutes"])
    book.active.append(["From Excel", "Sheet", 4])
    book.save(tmp_path / "posts.xlsx")
    done = editor_client.post(check_upload(editor_client, collection, tmp_path / "posts.xlsx"))

    assert done.status_code == 302
    assert DraftItem.objects.get(slug="from-excel").field_data == {"summary": "Sheet", "reading-minutes": 4}


def test_a_confirm_that_no_longer_validates_writes_nothing_and_says_why(editor_client, collection, tmp_path):
    path = csv_upload(tmp_path, [["First", "", "One", ""], ["Second", "", "Two", ""]])
    confirm_url = check_upload(editor_client, collection, path)
    # The schema is re-synced between preview and confirm: the body is now required.
    collection.fields_schema = [f | {"isRequired": True} if f["slug"] == "body" else f
                                for f in collection.fields_schema]
    collection.save()

    done = editor_client.post(confirm_url, follow=True)

    assert "Nothing was imported: row 1: body: This field is required." in done.content.decode()
    assert not DraftItem.objects.exists()
    assert not AuditEvent.objects.filter(action="item.import").exists()


def test_a_reviewer_without_change_permission_sees_the_item_read_only(client, approver, collection, locales):
    item = factories.make_item(collection, field_data={"summary": "Read me"})
    factories.make_translation(item, locales[1], field_data={"summary": "Lisez-moi"})
    client.force_login(approver)

    response = client.get(change_url(item))

    assert response.status_code == 200
    assert "Read me" in response.content.decode() and "Lisez-moi" in response.content.decode()


def test_the_changelist_offers_import_to_editors(editor_client, collection):
    assert IMPORT_URL in editor_client.get(reverse("admin:stagingapp_draftitem_changelist")).content.decode()


def test_a_reviewer_sees_a_translation_on_its_own_page_read_only(client, approver, collection, locales):
    translation = factories.make_translation(factories.make_item(collection), locales[1],
                                             field_data={"summary": "Lisez-moi"})
    client.force_login(approver)

    response = client.get(reverse("admin:stagingapp_drafttranslation_change", args=[translation.pk]))

    assert response.status_code == 200 and "Lisez-moi" in response.content.decode()


def test_the_history_pages_of_an_item_still_render(editor_client, collection):
    item = factories.make_item(collection, field_data={"summary": "Version one"})
    record = item.history.get()

    assert editor_client.get(reverse("admin:stagingapp_draftitem_history", args=[item.pk])).status_code == 200
    page = editor_client.get(reverse("admin:stagingapp_draftitem_simple_history", args=[item.pk, record.pk]))
    assert page.status_code == 200 and "Version one" in page.content.decode()


def test_a_save_never_overwrites_changes_someone_saved_after_the_page_was_opened(client, editor, collection,
                                                                                  locales):
    from stagingapp.admin.forms import LOADED_FIELD

    other = factories.make_user("editor2", "Editors")
    item = factories.make_item(collection, name="Shared notes", slug="shared-notes",
                               field_data={"summary": "First"}, last_edited_by=editor)
    client.force_login(editor)
    mine = client.get(change_url(item)).context["adminform"].form.initial[LOADED_FIELD]
    assert f'name="{LOADED_FIELD}" value="{mine}"' in client.get(change_url(item)).content.decode()
    # editor2 opens the same page and saves a translation meanwhile (the fingerprint covers translations too).
    factories.make_translation(item, locales[1], name="Notes partagées", last_edited_by=other)
    DraftItem.objects.filter(pk=item.pk).update(last_edited_by=other)

    stale = item_post(collection, name="Shared notes", slug="shared-notes",
                      **{f"{FIELD_PREFIX}summary": "Mine", LOADED_FIELD: mine})
    response = client.post(change_url(item), stale)

    assert response.status_code == 200  # refused, the form back with the editor's input
    page = response.content.decode()
    assert "editor2 saved this item at" in page and "nothing was saved" in page
    assert response.context["adminform"].form[f"{FIELD_PREFIX}summary"].value() == "Mine"
    item.refresh_from_db()
    assert item.field_data == {"summary": "First"}
    newer = response.context["adminform"].form.data[LOADED_FIELD]
    assert newer != mine and newer == item.fingerprint()

    # Having looked, the editor saves again: their version is kept over the other one.
    response = client.post(change_url(item), {**stale, LOADED_FIELD: newer})

    assert response.status_code == 302, response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.field_data["summary"] == "Mine"


def test_the_item_list_shows_each_status_as_a_coloured_pill(client, editor, collection):
    from stagingapp.admin.batches import BADGE_COLOURS

    for status in DraftItem.Status.values:
        factories.make_item(collection, status=status)
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_changelist")).content.decode()

    for status, label in DraftItem.Status.choices:
        assert f'<span class="sa-badge" style="background:{BADGE_COLOURS[status]}">{label}</span>' in page
