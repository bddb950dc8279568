"""A collection's page lists its fields as last synced from Webflow, in the designer's words: label, API name, kind
(an option's choices, a reference's collection by name), whether required, and what limits a value."""
import re

from django.urls import reverse

from stagingapp.models import Collection


def fields_table(client, collection) -> str:
    page = client.get(reverse("admin:stagingapp_collection_change", args=[collection.pk])).content.decode()
    match = re.search(r'<table class="sa-table" id="collection-fields">.*?</table>', page, re.S)
    assert match, "no fields table on the collection page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_the_collection_page_names_each_field_its_kind_and_its_limits(client, publisher, collection):
    authors = Collection.objects.create(site=collection.site, webflow_id="a" * 24, name="Authors")
    collection.fields_schema = [
        {"slug": "name", "displayName": "Name", "type": "PlainText", "isRequired": True,
         "validations": {"maxLength": 256}},
        {"slug": "category", "displayName": "Category", "type": "Option",
         "validations": {"options": [{"id": "o1", "name": "News"}, {"id": "o2", "name": "Guides"}]}},
        {"slug": "author", "displayName": "Author", "type": "Reference", "validations": {"collectionId": "a" * 24}},
        {"slug": "elsewhere", "displayName": "Elsewhere", "type": "MultiReference",
         "validations": {"collectionId": "b" * 24}},
        {"slug": "cover", "displayName": "Cover <b>image</b>", "type": "Image", "helpText": "Shown on cards"},
        {"slug": "views", "displayName": "Views", "type": "Number", "isEditable": False},
    ]
    collection.save()
    client.force_login(publisher)

    table = fields_table(client, collection)

    assert "Name name Plain text required At most 256 characters." in table
    assert "Category category Option: News, Guides" in table
    assert f"Author author Reference to {authors.name}" in table
    assert "Elsewhere elsewhere Multi-reference to a collection not added here" in table
    assert "Cover &lt;b&gt;image&lt;/b&gt; cover Image Shown on cards. The same in every locale." in table
    assert "Views views Number Set by Webflow, not editable." in table


def test_a_collection_never_synced_says_how_to_get_its_fields(client, publisher, collection):
    collection.fields_schema = []
    collection.save()
    client.force_login(publisher)

    page = client.get(reverse("admin:stagingapp_collection_change", args=[collection.pk])).content.decode()

    assert "Not synced yet: use Sync fields from Webflow below." in page
