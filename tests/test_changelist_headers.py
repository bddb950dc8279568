"""The change list works out its column headers once, not once per row (admin/unfold_headers.py)."""
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from unfold.templatetags import unfold_list

from stagingapp.admin import DraftItemAdmin
from tests import factories


def test_the_item_list_computes_its_column_headers_once_whatever_the_number_of_rows(
        client, superuser, collection, monkeypatch):
    for index in range(30):
        factories.make_item(collection, name=f"Post {index}", slug=f"post-{index}")
    labelled = []

    def counting_label_for_field(name, *args, **kwargs):
        labelled.append(name)
        return label_for_field(name, *args, **kwargs)

    monkeypatch.setattr(unfold_list, "label_for_field", counting_label_for_field)
    client.force_login(superuser)

    page = client.get(reverse("admin:stagingapp_draftitem_changelist"))

    assert page.status_code == 200 and page.content.decode().count('name="_selected_action"') == 30
    columns = len(DraftItemAdmin.list_display) + 1  # and the action checkbox
    assert len(labelled) == columns, labelled  # was 31 × that: the header once for the table, again per row
