"""The role dashboards at /admin/: what each role sees, that counts link to their lists, and a fixed query count."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stagingapp.models import (
    AuditEvent,
    BatchItem,
    DraftItem,
    DriftFinding,
    DriftRun,
    PullConflict,
    PushBatch,
    WebflowRateLimitState,
)
from stagingapp.webflow.ratelimit import limiter_key
from tests import factories

S = DraftItem.Status
K = DriftFinding.Kind
INDEX = "/admin/"


def client_for(client, user):
    client.force_login(user)
    return client


def fill(collection, *, editor, approver, publisher, size: int):
    """`size` rows of everything a dashboard shows: drafts, rejections, reviews, ready items, batches, failures."""
    now = timezone.now()
    for n in range(size):
        factories.make_item(collection, status=S.DRAFT, last_edited_by=editor, created_by=editor)
        factories.make_item(collection, status=S.REJECTED, last_edited_by=editor, created_by=editor,
                            reviewed_by=approver, reviewed_at=now, status_reason=f"Fix {n}")
        factories.make_item(collection, status=S.IN_REVIEW, last_edited_by=editor, submitted_by=editor,
                            submitted_at=now - timedelta(hours=n))
        factories.make_item(collection, status=S.APPROVED, last_edited_by=editor)
        batch = PushBatch.objects.create(collection=collection, created_by=publisher,
                                         status=PushBatch.Status.PARTLY_FAILED, finished_at=now)
        for outcome in (BatchItem.Status.DONE, BatchItem.Status.FAILED):
            item = factories.make_item(collection, status=S.STAGED if outcome == "done" else S.FAILED)
            BatchItem.objects.create(batch=batch, item=item, status=outcome,
                                     reason="" if outcome == "done" else "slug already used")
        AuditEvent.objects.create(action="item.push_staged", actor_label="worker", object_repr=f"Post {n}")
        linked = factories.make_collection(collection.site)
        for _ in range(2):
            DriftRun.objects.create(collection=linked, status=DriftRun.Status.DONE, requests=3,
                                    counts={K.IN_SYNC: n + 1, K.MISSING: 1, K.CHANGED: 2})
        PullConflict.objects.create(item=factories.make_item(linked))


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_dashboard_runs_the_same_number_of_queries_with_few_and_many_rows(
        client, collection, editor, approver, publisher, superuser):
    client = client_for(client, superuser)
    fill(collection, editor=editor, approver=approver, publisher=publisher, size=2)
    small = dashboard_queries(client)
    fill(collection, editor=editor, approver=approver, publisher=publisher, size=15)

    assert dashboard_queries(client) == small


def test_each_role_sees_only_its_panels(client, collection, editor, approver, publisher):
    panels = {"dash-editor", "dash-approver", "dash-ready", "dash-batches", "dash-drift"}
    expected = {editor: {"dash-editor"}, approver: {"dash-approver"},
                publisher: {"dash-ready", "dash-batches", "dash-drift"}}
    for user, mine in expected.items():
        page = client_for(client, user).get(INDEX).content.decode()
        assert {p for p in panels if f'id="{p}"' in page} == mine, user
        assert 'id="dash-activity"' in page


def test_an_editor_sees_their_drafts_by_state_and_each_rejection_with_comment_reviewer_and_time(
        client, collection, editor, approver):
    factories.make_item(collection, status=S.DRAFT, last_edited_by=editor)
    factories.make_item(collection, name="Launch notes", status=S.REJECTED, last_edited_by=editor,
                        reviewed_by=approver, reviewed_at=timezone.now() - timedelta(hours=3),
                        status_reason="Shorten the summary.")

    page = client_for(client, editor).get(INDEX)

    html = page.content.decode()
    draft_url = (reverse("admin:stagingapp_draftitem_changelist")
                 + f"?status__exact=draft&amp;last_edited_by__id__exact={editor.pk}")
    assert f'href="{draft_url}"><b>1</b>Draft' in html
    rejected = page.context["board"]["editor"]["rejected"]
    assert [item.name for item in rejected] == ["Launch notes"]
    assert "approver, <time" in html and "3\xa0hours ago" in html and "Shorten the summary." in html


def test_an_approver_sees_what_waits_for_them_oldest_first_with_its_age_and_never_their_own_edit(
        client, collection, editor, approver):
    now = timezone.now()
    factories.make_item(collection, name="Newer", status=S.IN_REVIEW, submitted_by=editor,
                        submitted_at=now - timedelta(hours=1))
    factories.make_item(collection, name="Older", status=S.IN_REVIEW, submitted_by=editor,
                        submitted_at=now - timedelta(days=2))
    factories.make_item(collection, name="Mine", status=S.IN_REVIEW, last_edited_by=approver, submitted_at=now)

    page = client_for(client, approver).get(INDEX)

    panel = page.context["board"]["approver"]
    assert [item.name for item in panel["waiting"]] == ["Older", "Newer"]
    assert panel["waiting_count"] == 2
    assert "2\xa0days" in page.content.decode()


def test_an_item_submitted_moments_ago_waits_under_a_minute_not_0_minutes(client, collection, editor, approver):
    factories.make_item(collection, name="Fresh", status=S.IN_REVIEW, submitted_by=editor,
                        submitted_at=timezone.now())

    html = client_for(client, approver).get(INDEX).content.decode()

    assert "under a minute</time>" in html and "0\xa0minutes" not in html


def test_a_publisher_makes_a_batch_of_a_collections_ready_items_from_the_dashboard(
        client, collection, editor, publisher):
    ready = [factories.make_item(collection, status=S.APPROVED, last_edited_by=editor) for _ in range(3)]
    held = factories.make_item(collection, status=S.APPROVED)
    busy = PushBatch.objects.create(collection=collection, created_by=publisher)
    BatchItem.objects.create(batch=busy, item=held)
    client = client_for(client, publisher)
    assert client.get(INDEX).context["board"]["publisher"]["ready"][0]["n"] == 3

    answer = client.post(reverse("admin:stagingapp_pushbatch_new"), {"collection": collection.pk}, follow=True)

    batch = PushBatch.objects.exclude(pk=busy.pk).get()
    assert answer.redirect_chain[-1][0] == reverse("admin:stagingapp_pushbatch_change", args=[batch.pk])
    assert set(batch.entries.values_list("item_id", flat=True)) == {item.pk for item in ready}
    assert "with 3 approved items" in answer.content.decode()


def test_an_editor_cannot_make_a_batch(client, collection, editor):
    factories.make_item(collection, status=S.APPROVED)

    answer = client_for(client, editor).post(reverse("admin:stagingapp_pushbatch_new"), {"collection": collection.pk})

    assert answer.status_code == 403
    assert not PushBatch.objects.exists()


@pytest.mark.parametrize("token", ["", "test-token"])
def test_the_publisher_sees_the_shared_request_budget_as_the_limiter_holds_it(
        client, settings, collection, publisher, token):
    settings.WEBFLOW_API_TOKEN, settings.WEBFLOW_RATE_LIMIT_PER_MINUTE = token, 60
    now = timezone.now().timestamp()
    WebflowRateLimitState.objects.create(key=limiter_key(base_url=settings.WEBFLOW_API_BASE_URL, token=token),
                                         hits=[now - 5, now - 2, now - 120], pending=[["r", now + 60]])

    html = client_for(client, publisher).get(INDEX).content.decode()

    if token:
        assert "4 of 60 requests used in the last 60 s; 56 free now." not in html  # the 2-minute-old hit expired
        assert "3 of 60 requests used in the last 60 s; 57 free now." in html
    else:
        assert "No Webflow token is configured" in html


def test_the_publisher_sees_each_collections_newest_drift_report_with_counts_linking_to_their_findings(
        client, collection, publisher):
    older = DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE, counts={K.IN_SYNC: 9})
    newest = DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE, requests=2,
                                     counts={K.IN_SYNC: 4, K.MISSING: 3, K.SLUG: 1})
    DriftRun.objects.create(collection=collection, status=DriftRun.Status.FAILED, error="Webflow 500")
    PullConflict.objects.create(item=factories.make_item(collection))

    page = client_for(client, publisher).get(INDEX)

    [row] = page.context["board"]["publisher"]["drift"]
    assert row["run"] == newest != older
    findings = reverse("admin:stagingapp_driftfinding_changelist")
    assert row["kinds"] == [
        ("In sync", 4, f"{findings}?run__id__exact={newest.pk}&kind__exact=in_sync"),
        ("Missing in Webflow", 3, f"{findings}?run__id__exact={newest.pk}&kind__exact=missing"),
        ("Slug differs", 1, f"{findings}?run__id__exact={newest.pk}&kind__exact=slug"),
    ]
    html = page.content.decode()
    assert f'href="{findings}?run__id__exact={newest.pk}&amp;kind__exact=missing"><b>3</b>Missing in Webflow' in html
    conflicts = reverse("admin:stagingapp_pullconflict_changelist")
    assert (f'href="{conflicts}?status__exact=open&amp;item__collection__id__exact={collection.pk}">'
            "<b>1</b>Open pull conflicts") in html
    assert "(2 list requests)" in html


def test_a_drift_count_on_the_dashboard_opens_exactly_the_findings_it_counts(client, collection, publisher):
    run = DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE, counts={K.MISSING: 2})
    other = DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE, counts={K.MISSING: 1})
    for target, kind, slug in [(run, K.MISSING, "a"), (run, K.MISSING, "b"), (run, K.IN_SYNC, "c"),
                               (other, K.MISSING, "d")]:
        DriftFinding.objects.create(run=target, kind=kind, slug=slug)
    client = client_for(client, publisher)
    DriftRun.objects.filter(pk=other.pk).update(started_at=run.started_at - timedelta(days=1))

    [row] = client.get(INDEX).context["board"]["publisher"]["drift"]
    [(label, n, url)] = row["kinds"]
    listed = client.get(url).context["cl"].result_list

    assert (label, n) == ("Missing in Webflow", 2)
    assert sorted(f.slug for f in listed) == ["a", "b"]


def test_the_drift_panel_says_when_no_collection_is_linked_to_webflow(client, collection, publisher):
    html = client_for(client, publisher).get(INDEX).content.decode()

    assert 'id="dash-drift"' in html and "No collection is linked to Webflow yet" in html


@pytest.mark.django_db
def test_admin_pages_declare_the_apps_icon_from_our_own_static_files(client, editor):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    href = static("stagingapp/favicon.svg")
    login_page = client.get("/admin/login/").content.decode()
    dashboard = client_for(client, editor).get(INDEX).content.decode()
    for html in (login_page, dashboard):  # without it every page's browser asked for /favicon.ico, a 404
        assert f'<link rel="icon" href="{href}" type="image/svg+xml"' in html
    assert finders.find("stagingapp/favicon.svg").endswith("favicon.svg")


def test_recent_activity_shows_work_not_sign_ins_or_single_webflow_requests(client, collection, editor):
    item = factories.make_item(collection, name="Spring notes")
    AuditEvent.objects.create(action="item.submit", actor=editor, actor_label="editor", item=item,
                              object_repr="Spring notes")
    for action in ("auth.login", "auth.logout", "auth.login_failed", "push.request", "push.unanswered"):
        AuditEvent.objects.create(action=action, actor_label="editor", object_repr="noise")

    page = client_for(client, editor).get(INDEX)

    shown = [event.action for event in page.context["board"]["activity"]]
    assert "item.submit" in shown
    assert not {a for a in shown if a.startswith("auth.") or a in ("push.request", "push.unanswered")}
    assert AuditEvent.objects.filter(action="push.request").exists()  # still in the audit history


def test_the_editor_panel_links_stale_translations_only_when_there_are_some(client, collection, locales, editor):
    item = factories.make_item(collection, name="Fresh", last_edited_by=editor)
    factories.make_translation(item, locales[1], name="Frais")

    page = client_for(client, editor).get(INDEX).content.decode()
    assert "No stale translations" in page and "stale_translations=yes" not in page

    item.field_data = {"summary": "The primary text changed"}
    item.save()  # its translation was written for the old text
    page = client.get(INDEX).content.decode()
    assert "1 item has stale translations" in page and "stale_translations=yes" in page
