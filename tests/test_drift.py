"""Verify (drift report) against the sandbox over HTTP: every drift kind, found with list requests only."""
import csv
import io
import re

import pytest
from django.urls import reverse

from stagingapp.models import AuditEvent, DraftItem, DriftFinding, DriftRun
from stagingapp.services.drift import collection_verify
from stagingapp.services.pull import collection_pull
from tests.push_support import fast_passwords, make_approved_items  # noqa: F401
from tests.sync_support import delete_in_webflow, edit_in_webflow, seed_webflow_items
from tests.test_push import push, queue

K = DriftFinding.Kind


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def kinds_by_slug(run):
    result = {}
    for finding in run.findings.select_related("locale"):
        result.setdefault(finding.slug, set()).add((finding.kind, finding.locale.tag if finding.locale else None))
    return result


def test_verify_reports_each_kind_of_drift_using_list_requests_only(sandbox, collection, locales, publisher):
    en, fr, de = locales
    ids = seed_webflow_items(sandbox, collection, locales, 6)
    collection_pull(collection_id=collection.pk, actor=publisher)
    edit_in_webflow(sandbox, collection, ids[0], fr, summary="Changé dans Webflow")
    delete_in_webflow(sandbox, collection, ids[1])
    edit_in_webflow(sandbox, collection, ids[2], de, slug="post-3-neu")
    with sandbox.state.lock:
        sandbox.state.items[collection.webflow_id][ids[3]][en.cms_locale_id].update(
            lastPublished="2026-12-01T10:00:00.000Z", isDraft=False)
    seed_webflow_items(sandbox, collection, [en], 1, start=99)
    sandbox.reset_requests()

    run = collection_verify(collection_id=collection.pk, actor=publisher)

    assert run.status == DriftRun.Status.DONE
    assert [r["method"] for r in sandbox.requests] == ["GET"] * 3 and run.requests == 3
    found = kinds_by_slug(run)
    assert found["post-1"] == {(K.IN_SYNC, "en-US"), (K.CHANGED, "fr-FR"), (K.IN_SYNC, "de-DE")}
    assert found["post-2"] == {(K.MISSING, tag) for tag in ("en-US", "fr-FR", "de-DE")}
    assert found["post-3"] == {(K.IN_SYNC, "en-US"), (K.IN_SYNC, "fr-FR"), (K.SLUG, "de-DE")}
    assert found["post-4"] == {(K.PUBLISHED, "en-US"), (K.IN_SYNC, "fr-FR"), (K.IN_SYNC, "de-DE")}
    assert found["post-99"] == {(K.UNKNOWN, "en-US")}
    assert {kind for kind, _ in found["post-5"] | found["post-6"]} == {K.IN_SYNC}
    changed = run.findings.get(kind=K.CHANGED)
    assert changed.diff == {"summary": {"ours": "Summary 1 [fr-FR]", "webflow": "Changé dans Webflow"}}
    assert run.counts == {K.IN_SYNC: 12, K.CHANGED: 1, K.MISSING: 3, K.SLUG: 1, K.PUBLISHED: 1, K.UNKNOWN: 1}
    event = AuditEvent.objects.get(action="collection.verify")
    assert event.data["counts"] == run.counts and event.data["requests"] == 3


def test_items_pushed_by_the_app_verify_as_in_sync_and_a_webflow_edit_shows_as_changed(
    sandbox, collection, locales, publisher
):
    items = make_approved_items(collection, 3, locales=locales[1:])
    push(queue(collection, items, publisher))
    assert collection_verify(collection_id=collection.pk).counts == {K.IN_SYNC: 9}

    webflow_id = items[0].webflow_refs.first().webflow_item_id
    edit_in_webflow(sandbox, collection, webflow_id, locales[0], summary="Designer edit")
    run = collection_verify(collection_id=collection.pk)

    assert run.counts == {K.IN_SYNC: 8, K.CHANGED: 1}
    assert run.findings.get(kind=K.CHANGED).diff["summary"] == {"ours": "Summary 1", "webflow": "Designer edit"}


def test_a_failed_listing_is_stored_and_audited_not_raised(sandbox, collection, locales, settings):
    settings.WEBFLOW_API_TOKEN = "wrong-token"

    run = collection_verify(collection_id=collection.pk)

    assert run.status == DriftRun.Status.FAILED and "401" in run.error
    assert AuditEvent.objects.get(action="collection.verify").data["error"] == run.error


def test_drift_findings_are_browsable_filterable_and_exported_as_csv(sandbox, collection, locales, client,
                                                                    publisher):
    ids = seed_webflow_items(sandbox, collection, locales, 2)
    collection_pull(collection_id=collection.pk, actor=publisher)
    delete_in_webflow(sandbox, collection, ids[0])
    client.force_login(publisher)
    changelist = reverse("admin:stagingapp_collection_changelist")

    response = client.post(changelist, {"action": "verify_collections", "_selected_action": [collection.pk]},
                           follow=True)

    assert "3 missing in webflow" in response.content.decode()
    run = DriftRun.objects.get()
    findings = reverse("admin:stagingapp_driftfinding_changelist")
    page = client.get(findings, {"kind__exact": "missing"}).content.decode()
    assert page.count("post-1") >= 3 and "post-2" not in page
    export = client.post(reverse("admin:stagingapp_driftrun_changelist"),
                         {"action": "export_csv", "_selected_action": [run.pk]})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][3] == "kind" and len(rows) == 1 + 6
    assert sorted(row[3] for row in rows[1:]) == ["In sync"] * 3 + ["Missing in Webflow"] * 3
    assert {row[4] for row in rows[1:]} == {item.name for item in DraftItem.objects.all()}
    # The report's page reads its counts in words and links its findings by number (not raw JSON, not "findings").
    report = client.get(reverse("admin:stagingapp_driftrun_change", args=[run.pk])).content.decode()
    assert "In sync: 3, Missing in Webflow: 3" in report
    assert '"in_sync"' not in report and len(re.findall(r">\s*Counts\s*<", report)) == 1  # once, in words
    assert f'href="{findings}?run__id__exact={run.pk}">6 findings</a>' in report


def test_pre_flight_refuses_to_overwrite_a_webflow_change_until_the_publisher_confirms_it(
    sandbox, collection, locales, publisher
):
    from stagingapp.exceptions import PreflightFailed
    from stagingapp.services.batches import batch_create, batch_queue
    from stagingapp.services.overwrite_guard import batch_confirm_overwrite
    from stagingapp.services.push.preflight import batch_preflight_report
    from tests.push_support import approve

    items = make_approved_items(collection, 2, locales=locales[1:])
    push(queue(collection, items, publisher))
    edited = items[0]
    edit_in_webflow(sandbox, collection, edited.webflow_refs.get(locale=locales[0]).webflow_item_id, locales[0],
                    summary="Designer edit")
    edited.refresh_from_db()
    edited.field_data = {"summary": "Our new summary"}
    edited.save()
    approve(edited)
    batch = batch_create(collection=collection, item_ids=[edited.pk], mode="stage", actor=publisher)
    collection_verify(collection_id=collection.pk, batch_id=batch.pk, actor=publisher)

    report = batch_preflight_report(batch)
    assert [(p.item, p.field) for p in report.problems] == [(edited, "webflow")]
    assert "changed in Webflow since our last push" in str(report.problems[0]) and "summary" in str(
        report.problems[0])
    with pytest.raises(PreflightFailed):
        batch_queue(batch_id=batch.pk, actor=publisher)

    assert batch_confirm_overwrite(batch_id=batch.pk, actor=publisher) == [edited]
    assert AuditEvent.objects.filter(action="item.overwrite_confirm", batch=batch, item=edited,
                                     actor=publisher).count() == 1
    assert batch_preflight_report(batch).problems == []
    push(batch_queue(batch_id=batch.pk, actor=publisher))
    primary = next(v for v in sandbox.items(collection.webflow_id)
                   if v["fieldData"]["slug"] == edited.slug and v["cmsLocaleId"] == locales[0].cms_locale_id)
    assert primary["fieldData"]["summary"] == "Our new summary"


def test_the_dashboard_summary_gives_each_linked_collection_its_newest_report_and_open_conflicts(
    sandbox, collection, locales, publisher
):
    from stagingapp.selectors import drift_dashboard_summary

    ids = seed_webflow_items(sandbox, collection, locales, 2)
    collection_pull(collection_id=collection.pk, actor=publisher)
    collection_verify(collection_id=collection.pk)
    delete_in_webflow(sandbox, collection, ids[0])
    newest = collection_verify(collection_id=collection.pk)

    [row] = drift_dashboard_summary()

    assert (row["collection"], row["run"], row["drifted"], row["open_conflicts"]) == (collection, newest, 3, 0)
    assert row["counts"] == {K.IN_SYNC: 3, K.MISSING: 3}
