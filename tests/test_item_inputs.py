"""Item inputs built from the schema: rich text in a bundled editor saved as sanitized HTML, image previews, and
references chosen by item name (a pushed item by its Webflow ID, a draft as draft:<pk> until it is pushed)."""
import pytest
from django.urls import reverse

from stagingapp.admin.forms import FIELD_PREFIX
from stagingapp.models import DraftItem, WebflowItemRef
from stagingapp.schema import validate_field_data
from tests import factories
from tests.test_admin_editing import ADD_URL, item_post


@pytest.fixture
def authors(site, locales):
    authors = factories.make_collection(site, name="Authors", fields_schema=factories.BLOG_FIELDS[:2])
    return authors


@pytest.fixture
def blog(collection, authors):
    collection.fields_schema = [*collection.fields_schema,
        {"id": "f" + "8" * 23, "slug": "author", "displayName": "Author", "type": "Reference", "isRequired": False,
         "isEditable": True, "validations": {"collectionId": authors.webflow_id}},
        {"id": "f" + "9" * 23, "slug": "cover", "displayName": "Cover image", "type": "Image", "isRequired": False,
         "isEditable": True, "validations": None}]
    collection.save()
    return collection


def test_rich_text_uses_the_bundled_editor_and_is_saved_sanitized_for_webflow(client, editor, collection):
    client.force_login(editor)

    page = client.get(ADD_URL, {"collection": collection.pk}).content.decode()
    client.post(ADD_URL, item_post(collection, **{
        f"{FIELD_PREFIX}body": '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
                               '<iframe src="https://x.example"></iframe><a href="javascript:alert(1)">x</a>'}))

    assert "/static/django_prose_editor/" in page and "data-django-prose-editor-configurable" in page
    assert 'src="http' not in page and 'href="http' not in page.replace('href="https://www.djangoproject', "")
    body = DraftItem.objects.get(name="Hello world").field_data["body"]
    assert body == '<p>Hi <b>there</b></p><a rel="noopener noreferrer">x</a>'


def test_options_are_chosen_by_name_and_images_show_a_thumbnail(client, editor, blog):
    item = factories.make_item(blog, field_data={"summary": "S", "category": "b" * 24,
                                                 "cover": {"url": "https://img.example.com/a.png"}})
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    assert f'<option value="{"b" * 24}" selected>Guides</option>' in page
    assert '<img class="image-preview" alt="" src="https://img.example.com/a.png"' in page


def test_a_reference_is_chosen_by_name_and_stored_as_the_webflow_id_or_the_draft(client, editor, blog, authors,
                                                                                    locales):
    pushed = factories.make_item(authors, name="Ada Lovelace", field_data={})
    WebflowItemRef.objects.create(item=pushed, locale=locales[0], webflow_item_id="c" * 24)
    draft = factories.make_item(authors, name="Grace Hopper", field_data={})
    client.force_login(editor)

    page = client.get(ADD_URL, {"collection": blog.pk}).content.decode()
    client.post(ADD_URL, item_post(blog, name="By Ada", **{f"{FIELD_PREFIX}author": "c" * 24}))
    client.post(ADD_URL, item_post(blog, name="By Grace", **{f"{FIELD_PREFIX}author": f"draft:{draft.pk}"}))

    assert f'<option value="{"c" * 24}">Ada Lovelace</option>' in page
    assert f'<option value="draft:{draft.pk}">Grace Hopper (not in Webflow yet)</option>' in page
    assert DraftItem.objects.get(name="By Ada").field_data["author"] == "c" * 24
    by_grace = DraftItem.objects.get(name="By Grace")
    assert by_grace.field_data["author"] == f"draft:{draft.pk}"
    # Until the push side resolves drafts, pre-flight names the problem instead of sending it to Webflow.
    errors = validate_field_data(blog, by_grace.field_data, name=by_grace.name, slug=by_grace.slug)
    assert "not in Webflow yet; push that item first" in errors["author"][0]


def test_beside_a_translated_reference_the_primary_value_reads_as_the_item_it_names(client, editor, blog, authors,
                                                                                      locales):
    pushed = factories.make_item(authors, name="Ada Lovelace", field_data={})
    WebflowItemRef.objects.create(item=pushed, locale=locales[0], webflow_item_id="c" * 24)
    draft = factories.make_item(authors, name="Grace Hopper", field_data={})
    by_ada = factories.make_item(blog, name="By Ada", field_data={"summary": "S", "author": "c" * 24})
    by_grace = factories.make_item(blog, name="By Grace", field_data={"summary": "S", "author": f"draft:{draft.pk}"})
    for item in (by_ada, by_grace):
        factories.make_translation(item, locales[1], name=f"{item.name} (fr)")
    client.force_login(editor)

    pages = [client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()
             for item in (by_ada, by_grace)]

    assert "Primary: Ada Lovelace" in pages[0] and f"Primary: {'c' * 24}" not in pages[0]
    assert "Primary: Grace Hopper (not in Webflow yet)" in pages[1] and f"Primary: draft:{draft.pk}" not in pages[1]


def test_each_translated_input_shows_the_primary_value_and_stale_ones_are_flagged(client, editor, collection,
                                                                                   locales):
    item = factories.make_item(collection, field_data={"summary": "Primary summary",
                                                      "body": "<p>Primary <em>body</em></p>"})
    factories.make_translation(item, locales[1], name="Nom")
    item.name = "Renamed after the translation"
    item.save()
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_draftitem_change", args=[item.pk])).content.decode()

    assert "Primary: Primary summary" in page and "Primary: Primary body" in page
    assert "Primary: Renamed after the translation" in page
    assert 'class="stale-translation-note"' in page and "stagingapp/locale_tabs.js" in page


@pytest.mark.parametrize("schema_type, classes", [
    ("Email", "INPUT_CLASSES"), ("Number", "INPUT_CLASSES"), ("PlainText", "TEXTAREA_CLASSES"),
    ("Option", "SELECT_CLASSES"), ("MultiImage", "TEXTAREA_CLASSES")])
def test_schema_inputs_wear_the_themes_classes_like_model_fields_do(schema_type, classes):
    from unfold import widgets as unfold_widgets

    from stagingapp.admin.forms import form_field_for

    field = form_field_for({"slug": "x", "displayName": "X", "type": schema_type,
                            "validations": {"options": [{"id": "o1", "name": "One"}]}})
    assert set(getattr(unfold_widgets, classes)) <= set(field.widget.attrs["class"].split())


def test_a_draft_reference_chosen_before_its_item_was_pushed_still_reads_as_that_item(client, editor, approver,
                                                                                      blog, authors, locales):
    """The stored value stays draft:<pk> (the push sends the item's Webflow ID for it); the choice list offers the
    pushed item by its Webflow ID now, and the value used to read "draft:7 (not one of our items)"."""
    grace = factories.make_item(authors, name="Grace Hopper", field_data={})
    article = factories.make_item(blog, name="By Grace", created_by=editor, last_edited_by=editor,
                                  field_data={"summary": "S", "author": f"draft:{grace.pk}"})
    WebflowItemRef.objects.create(item=grace, locale=locales[0], webflow_item_id="d" * 24)  # Grace is pushed
    client.force_login(editor)
    editing = client.get(reverse("admin:stagingapp_draftitem_change", args=[article.pk])).content.decode()
    DraftItem.objects.filter(pk=article.pk).update(status=DraftItem.Status.IN_REVIEW, submitted_by=editor)
    client.force_login(approver)
    review = client.get(reverse("admin:stagingapp_draftitem_change", args=[article.pk])).content.decode()

    assert f'<option value="draft:{grace.pk}" selected>Grace Hopper</option>' in editing
    assert "not one of our items" not in editing
    table = review[review.index('id="item-content-table"'):]
    assert "Grace Hopper" in table[:table.index("</table>")] and "not in Webflow yet" not in review
