"""Pulling a collection's existing Webflow items into drafts over real HTTP (the sandbox), and re-pulling."""
import pytest
from django.core.management import call_command

from stagingapp.models import AuditEvent, DraftItem, DraftTranslation, PullConflict, WebflowItemRef
from stagingapp.services.pull import collection_pull, conflict_resolve
from stagingapp.services.workflow import item_fingerprint_matches
from tests.sync_support import edit_in_webflow, seed_webflow_items


@pytest.fixture
def sandbox(webflow_sandbox, site, locales, collection):
    webflow_sandbox.seed_from_models(site)
    return webflow_sandbox


def list_requests(sandbox):
    return [r for r in sandbox.requests if r["method"] == "GET" and r["path"].endswith("/items")]


def test_a_pull_of_250_items_in_3_locales_creates_linked_drafts_page_by_page(sandbox, collection, locales, publisher):
    webflow_ids = seed_webflow_items(sandbox, collection, locales, 250)

    result = collection_pull(collection_id=collection.pk, actor=publisher)

    assert len(result.created) == 250 and result.requests == 9
    requests = list_requests(sandbox)
    assert len(requests) == len(sandbox.requests) == 9  # 3 pages of 100 per locale, nothing but list requests
    assert {r["query"]["limit"] for r in requests} == {"100"}
    assert {r["query"]["offset"] for r in requests} == {"0", "100", "200"}
    item = DraftItem.objects.get(collection=collection, slug="post-7")
    assert (item.name, item.field_data, item.status) == ("Post 7", {"summary": "Summary 7"}, DraftItem.Status.STAGED)
    assert item_fingerprint_matches(item)
    french = item.translations.get(locale=locales[1])
    assert (french.name, french.slug, french.field_data) == ("Post 7 [fr-FR]", "", {"summary": "Summary 7 [fr-FR]"})
    refs = WebflowItemRef.objects.filter(item__collection=collection)
    assert refs.count() == 750
    assert set(refs.values_list("webflow_item_id", flat=True)) == set(webflow_ids)
    assert set(item.webflow_refs.values_list("cms_locale_id", flat=True)) == {loc.cms_locale_id for loc in locales}
    assert AuditEvent.objects.filter(action="item.pull", data__source="webflow").count() == 250
    run = AuditEvent.objects.get(action="collection.pull")
    assert run.data["created"] == 250 and run.data["requests"] == 9


def test_a_dry_run_reports_what_a_pull_would_do_and_writes_nothing(sandbox, collection, locales):
    seed_webflow_items(sandbox, collection, locales, 3)

    call_command("pull_collection", collection.webflow_id, "--dry-run")

    assert not DraftItem.objects.exists() and not WebflowItemRef.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="collection.pull").exists()


def test_a_re_pull_leaves_unchanged_items_alone_takes_webflow_edits_and_lists_conflicts(
    sandbox, collection, locales, publisher, editor
):
    ids = seed_webflow_items(sandbox, collection, locales, 5)
    collection_pull(collection_id=collection.pk, actor=publisher)
    only_webflow, only_here, both = (DraftItem.objects.get(webflow_refs__webflow_item_id=ids[n],
                                                           webflow_refs__locale=locales[0]) for n in range(3))
    edit_in_webflow(sandbox, collection, ids[0], locales[1], summary="Résumé changé dans Webflow")
    for item in (only_here, both):
        item.field_data = {"summary": "Edited here"}
        item.last_edited_by = editor
        item.save()
    history_before = DraftItem.history.count() + DraftTranslation.history.count()
    edit_in_webflow(sandbox, collection, ids[2], locales[0], summary="Edited in Webflow")

    result = collection_pull(collection_id=collection.pk, actor=publisher)

    assert (result.updated, result.conflicts, result.unchanged) == (["Post 1"], ["Post 3"], 3)
    only_webflow.refresh_from_db()
    assert only_webflow.translations.get(locale=locales[1]).field_data == {"summary": "Résumé changé dans Webflow"}
    assert only_webflow.status == DraftItem.Status.STAGED and item_fingerprint_matches(only_webflow)
    assert DraftTranslation.history.filter(item_id=only_webflow.pk).latest("history_date").history_change_reason \
        == "Updated from Webflow"
    update = AuditEvent.objects.get(action="item.pull_update", item=only_webflow)
    assert update.data["source"] == "webflow"
    assert update.data["changes"]["fr-FR"]["summary"]["webflow"] == "Résumé changé dans Webflow"
    only_here.refresh_from_db()
    assert only_here.field_data == {"summary": "Edited here"}
    both.refresh_from_db()
    assert both.field_data == {"summary": "Edited here"}
    conflict = PullConflict.objects.get(item=both, status=PullConflict.Status.OPEN)
    assert conflict.versions["en-US"]["ours"]["summary"] == "Edited here"
    assert conflict.versions["en-US"]["webflow"]["summary"] == "Edited in Webflow"
    # Only the item that changed in Webflow alone got new history rows (one item row, one translation row).
    assert DraftItem.history.count() + DraftTranslation.history.count() == history_before + 2

    conflict_resolve(conflict_id=conflict.pk, choice="webflow", actor=editor)
    both.refresh_from_db()
    assert both.field_data == {"summary": "Edited in Webflow"}

    again = collection_pull(collection_id=collection.pk, actor=publisher)
    assert (again.created, again.updated, again.conflicts, again.unchanged) == ([], [], [], 5)


def one_conflict(sandbox, collection, locales, publisher) -> tuple[DraftItem, PullConflict]:
    """A pulled item changed here ("Ours") and in Webflow ("Theirs"), and the open conflict the next pull finds."""
    ids = seed_webflow_items(sandbox, collection, locales, 1)
    collection_pull(collection_id=collection.pk, actor=publisher)
    item = DraftItem.objects.get()
    item.field_data = {"summary": "Ours"}
    item.save()
    edit_in_webflow(sandbox, collection, ids[0], locales[0], summary="Theirs")
    collection_pull(collection_id=collection.pk, actor=publisher)
    return item, PullConflict.objects.get()


def test_keeping_our_version_of_a_conflict_stops_it_coming_back(sandbox, collection, locales, publisher, editor):
    item, conflict = one_conflict(sandbox, collection, locales, publisher)

    conflict_resolve(conflict_id=conflict.pk, choice="ours", actor=editor)

    item.refresh_from_db()
    assert item.field_data == {"summary": "Ours"}
    assert collection_pull(collection_id=collection.pk, actor=publisher).conflicts == []
    assert AuditEvent.objects.filter(action="item.pull_conflict_resolve", actor=editor).count() == 1


def test_values_the_app_cannot_represent_are_kept_verbatim_and_survive_an_update(
    sandbox, collection, locales, publisher
):
    from stagingapp.models import WebflowSnapshot
    from stagingapp.services.drift import collection_verify
    from tests.push_support import approve
    from tests.test_push import push, queue

    # A field added in Webflow after our schema sync: the app has no input for it.
    embed = {"id": "e" * 24, "slug": "legacy-embed", "displayName": "Embed", "type": "PlainText",
             "isRequired": False, "isEditable": True, "validations": None}
    sandbox.state.collections[collection.webflow_id]["fields"].append(embed)
    seed_webflow_items(sandbox, collection, locales, 2, extra={"legacy-embed": "<iframe src=x>"})

    collection_pull(collection_id=collection.pk, actor=publisher)

    item = DraftItem.objects.get(slug="post-1")
    assert item.field_data == {"summary": "Summary 1"}
    assert {s.extra_field_data["legacy-embed"] for s in WebflowSnapshot.objects.filter(item=item)} == {
        "<iframe src=x>"}
    assert AuditEvent.objects.get(action="item.pull", item=item).data["verbatim"] == ["legacy-embed"]
    assert collection_pull(collection_id=collection.pk, actor=publisher).unchanged == 2

    item.field_data = {"summary": "Edited"}
    item.save()
    sandbox.reset_requests()
    push(queue(collection, [approve(item)], publisher))

    [patch] = [r for r in sandbox.requests if r["method"] == "PATCH"]
    assert [e["fieldData"]["legacy-embed"] for e in patch["body"]["items"]] == ["<iframe src=x>"] * 3

    variants = [v for v in sandbox.items(collection.webflow_id) if v["fieldData"]["slug"] == "post-1"]
    assert len(variants) == 3
    assert {v["fieldData"]["legacy-embed"] for v in variants} == {"<iframe src=x>"}
    assert collection_verify(collection_id=collection.pk).counts == {"in_sync": 6}


def test_a_conflict_is_resolved_from_its_own_page_by_someone_who_may(sandbox, collection, locales, publisher, editor,
                                                                       approver, client):
    from django.urls import reverse

    item, conflict = one_conflict(sandbox, collection, locales, publisher)
    page_url = reverse("admin:stagingapp_pullconflict_change", args=[conflict.pk])
    resolve_url = reverse("admin:stagingapp_pullconflict_resolve", args=[conflict.pk])

    client.force_login(approver)  # may not resolve conflicts
    assert client.post(resolve_url, {"choice": "webflow"}).status_code == 403
    client.force_login(editor)
    page = client.get(page_url).content.decode()
    assert 'id="conflict-resolve"' in page and f'action="{resolve_url}"' in page
    assert 'name="_save"' not in page  # every field is read-only: no Save that saves nothing
    assert client.get(resolve_url).status_code == 403  # only a POST resolves

    response = client.post(resolve_url, {"choice": "webflow"})

    assert response.status_code == 302 and response.url == page_url
    conflict.refresh_from_db()
    item.refresh_from_db()
    assert conflict.status == PullConflict.Status.TOOK_WEBFLOW and conflict.resolved_by == editor
    assert item.field_data == {"summary": "Theirs"}
    assert 'id="conflict-resolve"' not in client.get(page_url).content.decode()  # resolved: nothing left to choose
    assert "already resolved" in client.post(resolve_url, {"choice": "ours"}, follow=True).content.decode()


@pytest.mark.parametrize("field", ["name", "summary"])
def test_a_nul_character_in_webflow_content_is_dropped_not_a_database_error(sandbox, collection, locales, publisher,
                                                                           field):
    """PostgreSQL keeps NUL (U+0000) in no column: one such character failed the whole pull there."""
    ids = seed_webflow_items(sandbox, collection, locales, 2)
    edit_in_webflow(sandbox, collection, ids[0], locales[0], **{field: "Bad\u0000value"})
    edit_in_webflow(sandbox, collection, ids[0], locales[1], **{field: "Mauvaise\u0000valeur"})

    result = collection_pull(collection_id=collection.pk, actor=publisher)

    assert len(result.created) == 2
    item = DraftItem.objects.get(webflow_refs__webflow_item_id=ids[0], webflow_refs__locale=locales[0])
    french = item.translations.get(locale=locales[1])
    assert ({"name": item.name, **item.field_data}[field], {"name": french.name, **french.field_data}[field]) == (
        "Badvalue", "Mauvaisevaleur")
