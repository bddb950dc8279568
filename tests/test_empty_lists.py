"""An empty list without an Add button says how its first entry comes about; a filtered one says nothing matches."""
import pytest
from django.urls import reverse

from stagingapp.models import DriftRun

FILTERS = {"pushbatch": {"status__exact": "failed"}, "driftrun": {"status__exact": "failed"},
           "driftfinding": {"kind__exact": "changed"}, "pullconflict": {"status__exact": "open"}}
HINTS = {
    "pushbatch": ("No batch yet.", 'href="/admin/">New batch</a>'),
    "driftrun": ("No drift report yet.", 'href="/admin/stagingapp/collection/">collection</a> and choose Verify'),
    "driftfinding": ("No drift report yet.", '"Verify against Webflow (drift report)"'),
    "pullconflict": ("No pull conflict.", 'href="/admin/stagingapp/collection/">collection</a>'),
}


@pytest.mark.parametrize("model", sorted(HINTS))
def test_an_empty_list_says_where_its_entries_come_from_and_offers_no_reset_without_filters(client, publisher,
                                                                                            model):
    client.force_login(publisher)

    page = client.get(reverse(f"admin:stagingapp_{model}_changelist")).content.decode()

    assert all(words in page for words in HINTS[model])
    assert "Nothing here yet." not in page
    assert "Reset filters" not in page  # nothing to reset


@pytest.mark.parametrize("model", sorted(HINTS))
def test_a_filtered_empty_list_says_nothing_matches_and_offers_the_reset(client, publisher, model):
    client.force_login(publisher)

    page = client.get(reverse(f"admin:stagingapp_{model}_changelist"), FILTERS[model]).content.decode()

    assert "Nothing matches this search or these filters." in page
    assert HINTS[model][0] not in page
    assert "Reset filters" in page


def test_the_drift_report_list_names_the_schedule_only_when_it_runs(client, publisher, settings):
    client.force_login(publisher)
    url = reverse("admin:stagingapp_driftrun_changelist")

    settings.WEBFLOW_VERIFY_INTERVAL_MINUTES = 30
    assert "also verified every 30 minutes" in client.get(url).content.decode()
    settings.WEBFLOW_VERIFY_INTERVAL_MINUTES = 0
    assert "also verified" not in client.get(url).content.decode()


def test_no_findings_after_a_report_points_to_the_reports(client, publisher, collection):
    DriftRun.objects.create(collection=collection, status=DriftRun.Status.FAILED, error="Webflow said 401")
    client.force_login(publisher)

    page = client.get(reverse("admin:stagingapp_driftfinding_changelist")).content.decode()

    assert "No findings: the drift reports so far compared no items" in page
    assert 'href="/admin/stagingapp/driftrun/">report</a>' in page
