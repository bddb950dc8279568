"""Every change page's "History" leads somewhere real. Django's own history view reads the admin's LogEntry table,
which this app never writes, so it said "This object doesn't have a change history. It probably wasn't added via
this admin site." on a batch, a collection, a site or a drift report: "History" now opens the audit history of
the object where the audit links it, and is not shown where it cannot."""
import re

import pytest
from django.urls import reverse

from stagingapp.models import DriftRun, PullConflict
from stagingapp.services.audit import audit_record
from tests import factories
from tests.test_batch_page import finished_batch

AUDIT = reverse("admin:stagingapp_auditevent_changelist")
NO_HISTORY = "doesn’t have a change history"


def urls(model: str, pk: int) -> tuple[str, str]:
    return (reverse(f"admin:stagingapp_{model}_change", args=[pk]), reverse(f"admin:stagingapp_{model}_history",
                                                                            args=[pk]))


@pytest.fixture
def objects(collection, locales, publisher):
    batch = finished_batch(collection, publisher, done=1, failed=0)
    item = batch.entries.get().item
    return {
        "collection": collection, "pushbatch": batch, "site": collection.site,
        "pullconflict": PullConflict.objects.create(item=item, versions={}),
        "driftrun": DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE),
        "auditevent": audit_record(action="site.edit", object_repr=str(collection.site)),
    }


@pytest.mark.parametrize(("model", "timeline"), [
    ("collection", lambda o: {"collection": o["collection"].pk}),
    ("pullconflict", lambda o: {"item": o["pullconflict"].item_id}),
])
def test_history_opens_the_audit_history_of_the_object(client, superuser, objects, model, timeline):
    change, history = urls(model, objects[model].pk)
    client.force_login(superuser)

    page = client.get(change).content.decode()
    response = client.get(history)

    assert f'href="{history}"' in page
    expected = AUDIT + "?" + "&".join(f"{key}={value}" for key, value in timeline(objects).items())
    assert response.status_code == 302 and response["Location"] == expected
    listed = client.get(expected).content.decode()
    assert NO_HISTORY not in listed and "audit entr" in listed


def test_a_batch_has_its_own_timeline_button_and_no_second_history(client, superuser, objects):
    batch = objects["pushbatch"]
    change, history = urls("pushbatch", batch.pk)
    client.force_login(superuser)

    page = client.get(change).content.decode()

    assert f'href="{AUDIT}?batch={batch.pk}"' in page and f'href="{history}"' not in page
    assert client.get(history)["Location"] == f"{AUDIT}?batch={batch.pk}"


@pytest.mark.parametrize("model", ["site", "driftrun", "auditevent"])
def test_without_a_timeline_there_is_no_history_button_and_its_address_leads_back(client, superuser, objects,
                                                                                  model):
    change, history = urls(model, objects[model].pk)
    client.force_login(superuser)

    page = client.get(change).content.decode()
    response = client.get(history)

    assert f'href="{history}"' not in page
    assert response.status_code == 302 and response["Location"] == change


def test_items_keep_their_versions_page(client, collection, editor):
    item = factories.make_item(collection, created_by=editor, last_edited_by=editor)
    change, history = urls("draftitem", item.pk)
    client.force_login(editor)

    assert f'href="{history}"' in client.get(change).content.decode()
    versions = client.get(history)
    assert versions.status_code == 200 and NO_HISTORY not in versions.content.decode()


def test_an_object_the_user_may_not_see_gets_no_timeline_address(client, objects):
    """/history/ answers as Django does (403) for a staff user without access to batches, naming no timeline."""
    batch = objects["pushbatch"]
    client.force_login(factories.make_user("visitor"))

    response = client.get(urls("pushbatch", batch.pk)[1])

    assert response.status_code == 403 and "Location" not in response


def test_a_locale_mappings_version_page_leads_back_to_its_versions(client, superuser, locales):
    """simple-history drew its version page with the historical model's options: "History" had no address."""
    locale = locales[0]
    locale.display_name = "English (US)"
    locale.save()
    version = locale.history.order_by("history_id").first()
    client.force_login(superuser)
    history = urls("localemapping", locale.pk)[1]

    page = client.get(reverse("admin:stagingapp_localemapping_simple_history", args=[locale.pk, version.history_id]))

    assert page.status_code == 200
    button = re.search(r'<a\b([^>]*)>\s*<span class="material-symbols-outlined">\s*history\s*</span>',
                       page.content.decode())
    assert button and f'href="{history}"' in button.group(1)


@pytest.mark.parametrize("role", ["editor", "approver", "publisher"])
def test_authors_lead_to_what_they_did_not_to_an_account_page_the_reader_may_not_open(
        client, collection, locales, editor, role, request):
    """Django links a read-only user field to the user's account page: a 403 for everyone but administrators."""
    item = factories.make_item(collection, created_by=editor, last_edited_by=editor)
    translation = factories.make_translation(item, locales[1], last_edited_by=editor)
    client.force_login(request.getfixturevalue(role))
    whose = f'href="{AUDIT}?actor={editor.pk}"'

    conflict = PullConflict.objects.create(item=item, versions={}, status=PullConflict.Status.KEPT_OURS,
                                           resolved_by=editor)

    pages = [reverse("admin:stagingapp_draftitem_change", args=[item.pk]),
             reverse("admin:stagingapp_drafttranslation_change", args=[translation.pk])]
    if role != "approver":  # approvers do not see pull conflicts
        pages.append(reverse("admin:stagingapp_pullconflict_change", args=[conflict.pk]))

    for page in pages:
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200 and whose in html and "/admin/auth/user/" not in html
    assert client.get(f"{AUDIT}?actor={editor.pk}").status_code == 200
