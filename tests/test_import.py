"""Editors import draft items with translations from CSV, XLSX, JSON and JSONL: all or nothing, matched on slug."""
import json

import openpyxl
import pytest
import tablib
from django.core.management import CommandError, call_command, execute_from_command_line

from stagingapp.models import AuditEvent, DraftItem, DraftTranslation
from stagingapp.services.imports import drafts_import, drafts_import_file
from tests import factories

HEADERS = ["name", "slug", "summary", "reading-minutes", "featured", "category", "fr-FR:name", "fr-FR:summary"]
ROWS = [
    ["First post", "first-post", "One", "3", "yes", "News", "Premier article", "Un"],
    ["Second post", "", "Two", "", "no", "guides", "", ""],
]


def write_csv(path, headers=HEADERS, rows=ROWS):
    path.write_text(tablib.Dataset(*rows, headers=headers).export("csv"), encoding="utf-8")
    return path


def write_xlsx(path, headers=HEADERS, rows=ROWS):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(path)
    return path


def as_objects(headers=HEADERS, rows=ROWS):
    return [{h: v for h, v in zip(headers, row, strict=True) if v != ""} for row in rows]


def write_json(path, headers=HEADERS, rows=ROWS):
    path.write_text(json.dumps(as_objects(headers, rows)), encoding="utf-8")
    return path


def write_jsonl(path, headers=HEADERS, rows=ROWS):
    path.write_text("\n".join(json.dumps(o) for o in as_objects(headers, rows)) + "\n", encoding="utf-8")
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json, "jsonl": write_jsonl}


@pytest.mark.parametrize("extension", list(WRITERS))
def test_a_good_file_in_each_format_creates_items_and_translations(tmp_path, collection, editor, extension):
    path = WRITERS[extension](tmp_path / f"posts.{extension}")

    report = drafts_import_file(path=path, collection=collection, actor=editor)

    assert report.ok and (report.new, report.updated, report.unchanged) == (2, 0, 0)
    first = DraftItem.objects.get(slug="first-post")
    assert first.field_data == {"summary": "One", "reading-minutes": 3, "featured": True, "category": "a" * 24}
    assert (first.created_by, first.last_edited_by, first.status) == (editor, editor, DraftItem.Status.DRAFT)
    second = DraftItem.objects.get(name="Second post")
    assert second.slug == "second-post"
    assert second.field_data["category"] == "b" * 24
    translation = DraftTranslation.objects.get(item=first, locale__tag="fr-FR")
    assert (translation.name, translation.field_data, translation.last_edited_by) == (
        "Premier article", {"summary": "Un"}, editor)
    assert not DraftTranslation.objects.filter(item=second).exists()


def test_imported_items_and_translations_get_history_rows_by_the_importing_user(tmp_path, collection, editor):
    drafts_import_file(path=write_csv(tmp_path / "posts.csv"), collection=collection, actor=editor)

    first = DraftItem.objects.get(slug="first-post")
    record = first.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+", editor, "Imported from posts.csv")
    assert first.translations.get().history.get().history_user == editor


def test_a_successful_import_leaves_one_audit_entry_with_counts_and_file_name(tmp_path, collection, editor):
    drafts_import_file(path=write_csv(tmp_path / "posts.csv"), collection=collection, actor=editor)

    event = AuditEvent.objects.get(action="item.import")
    assert (event.actor, event.collection) == (editor, collection)
    assert event.data | {"updated_outside_draft": []} == {
        "file_name": "posts.csv", "rows": 2, "new": 2, "updated": 0, "unchanged": 0, "skipped": 0,
        "updated_outside_draft": []}


def test_re_importing_updates_items_instead_of_duplicating_them(tmp_path, collection, editor):
    drafts_import_file(path=write_csv(tmp_path / "posts.csv"), collection=collection, actor=editor)
    rows = [["First post", "first-post", "One, revised", "3", "yes", "News", "Premier article", "Un bis"],
            ROWS[1]]

    report = drafts_import_file(path=write_csv(tmp_path / "again.csv", rows=rows), collection=collection,
                                actor=editor)

    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    assert DraftItem.objects.count() == 2
    first = DraftItem.objects.get(slug="first-post")
    assert first.field_data["summary"] == "One, revised"
    assert first.translations.get().field_data == {"summary": "Un bis"}
    assert first.history.count() == 2


def test_a_translation_only_change_counts_as_an_update(tmp_path, collection, editor):
    drafts_import_file(path=write_csv(tmp_path / "posts.csv"), collection=collection, actor=editor)
    rows = [ROWS[0][:6] + ["Premier article (v2)", "Un"], ROWS[1]]

    report = drafts_import_file(path=write_csv(tmp_path / "again.csv", rows=rows), collection=collection,
                                actor=editor)

    assert (report.updated, report.unchanged) == (1, 1)
    assert DraftTranslation.objects.get(locale__tag="fr-FR").name == "Premier article (v2)"


def test_columns_absent_from_the_file_keep_their_values(tmp_path, collection, editor):
    item = factories.make_item(collection, name="Kept", slug="kept",
                               field_data={"summary": "Old", "body": "<p>Body</p>"})

    drafts_import_file(path=write_csv(tmp_path / "p.csv", headers=["slug", "summary"], rows=[["kept", "New"]]),
                       collection=collection, actor=editor)

    item.refresh_from_db()
    assert (item.name, item.field_data) == ("Kept", {"summary": "New", "body": "<p>Body</p>"})


def test_bad_rows_are_reported_with_row_number_and_field_and_nothing_is_written(tmp_path, collection, editor):
    headers = ["name", "slug", "summary", "reading-minutes", "category", "subtitle", "xx-XX:name"]
    rows = [["Fine", "fine", "ok", "2", "News", "", ""],
            ["Broken", "broken", "", "-1", "Opinion", "hello", "Bonjour"]]

    report = drafts_import_file(path=write_csv(tmp_path / "bad.csv", headers=headers, rows=rows),
                                collection=collection, actor=editor)

    messages = [str(p) for p in report.problems]
    assert "row 2: summary: This field is required." in messages
    assert "row 2: reading-minutes: Must not be negative." in messages
    assert "row 2: category: 'Opinion' is not one of the options; choose one of: News, Guides." in messages
    assert any(m.startswith("row 2: subtitle: no field 'subtitle' in collection 'Blog posts'") for m in messages)
    assert any(m.startswith("row 2: xx-XX:name: unknown locale 'xx-XX'") for m in messages)
    assert not any(m.startswith("row 1") for m in messages)
    assert not report.written
    assert not DraftItem.objects.exists()
    assert not AuditEvent.objects.filter(action="item.import").exists()


def test_a_slug_used_twice_in_one_file_is_a_row_error(tmp_path, collection, editor):
    rows = [["A", "same", "x"], ["B", "same", "y"]]

    report = drafts_import_file(path=write_csv(tmp_path / "dup.csv", headers=["name", "slug", "summary"],
                                               rows=rows), collection=collection, actor=editor)

    assert [str(p) for p in report.problems] == [
        "row 2: slug: slug 'same' is also used by row 1 of this file; each row needs its own slug."]
    assert not DraftItem.objects.exists()


def test_an_empty_name_is_one_problem_not_two(tmp_path, collection, editor):
    report = drafts_import_file(path=write_csv(tmp_path / "noname.csv", headers=["name", "slug", "summary"],
                                               rows=[["", "nameless", "x"]]), collection=collection, actor=editor)

    assert [str(p) for p in report.problems] == ["row 1: name: This field is required."]


def test_a_row_for_another_collection_is_refused(tmp_path, collection, editor):
    rows = [["A", "a", "x", "f" * 24]]

    report = drafts_import_file(
        path=write_csv(tmp_path / "c.csv", headers=["name", "slug", "summary", "collection"], rows=rows),
        collection=collection, actor=editor)

    assert report.problems[0].field == "collection"
    assert rows[0][3] in report.problems[0].message


def test_a_primary_locale_translation_column_is_refused(tmp_path, collection, editor):
    report = drafts_import_file(
        path=write_csv(tmp_path / "p.csv", headers=["name", "summary", "en-US:name"], rows=[["A", "x", "B"]]),
        collection=collection, actor=editor)

    assert "primary locale" in report.problems[0].message


def test_a_dry_run_reports_counts_but_writes_nothing(tmp_path, collection, editor):
    report = drafts_import_file(path=write_csv(tmp_path / "posts.csv"), collection=collection, actor=editor,
                                dry_run=True)

    assert report.ok and report.new == 2 and not report.written
    assert "dry run" in report.summary()
    assert not DraftItem.objects.exists() and not DraftTranslation.objects.exists()
    assert not AuditEvent.objects.filter(action="item.import").exists()


def test_importing_into_an_approved_item_changes_it_and_notes_it_in_the_audit(collection, editor):
    item = factories.make_item(collection, slug="live-one", status=DraftItem.Status.APPROVED)
    dataset = tablib.Dataset(["Live one", "live-one", "changed"], headers=["name", "slug", "summary"])

    drafts_import(collection=collection, dataset=dataset, actor=editor, file_name="x.csv")

    item.refresh_from_db()
    assert item.field_data == {"summary": "changed"}
    assert AuditEvent.objects.get(action="item.import").data["updated_outside_draft"] == [item.pk]


def test_an_item_in_review_is_locked_against_import_changes_but_an_unchanged_row_passes(collection, editor):
    item = factories.make_item(collection, slug="in-review", name="In review", field_data={"summary": "same"},
                               status=DraftItem.Status.IN_REVIEW)
    unchanged = tablib.Dataset(["In review", "in-review", "same"], headers=["name", "slug", "summary"])
    assert drafts_import(collection=collection, dataset=unchanged, actor=editor).ok

    changed = tablib.Dataset(["In review", "in-review", "changed"], headers=["name", "slug", "summary"])
    report = drafts_import(collection=collection, dataset=changed, actor=editor)

    assert not report.ok and not report.written
    assert any("cannot be changed now" in str(problem) and "in review" in str(problem) for problem in report.problems)
    item.refresh_from_db()
    assert item.field_data == {"summary": "same"} and item.status == DraftItem.Status.IN_REVIEW


def test_the_command_imports_and_prints_a_summary(tmp_path, collection, editor, capsys):
    path = write_csv(tmp_path / "posts.csv")

    call_command("import_drafts", str(path), "--collection", collection.webflow_id, "--as", "editor")

    assert "imported: 2 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert DraftItem.objects.get(slug="first-post").created_by == editor


def test_the_command_dry_run_writes_nothing(tmp_path, collection, capsys):
    call_command("import_drafts", str(write_jsonl(tmp_path / "p.jsonl")), "--collection", collection.webflow_id,
                 "--dry-run")

    assert "would import: 2 new" in capsys.readouterr().out
    assert not DraftItem.objects.exists()


def test_the_command_lists_bad_rows_and_fails(tmp_path, collection, capsys):
    path = write_csv(tmp_path / "bad.csv", headers=["name", "summary", "reading-minutes"],
                     rows=[["Good", "x", "1"], ["Bad", "", "lots"]])

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_drafts", str(path), "--collection", collection.webflow_id)

    err = capsys.readouterr().err
    assert "row 2: summary: This field is required." in err
    assert "row 2: reading-minutes: 'lots' is not a number." in err
    assert not DraftItem.objects.exists()


def test_the_command_line_exits_non_zero_on_bad_rows(tmp_path, collection, capsys):
    path = write_csv(tmp_path / "bad.csv", headers=["name"], rows=[["No summary"]])

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_drafts", str(path), "--collection", collection.webflow_id])

    assert exited.value.code == 1
    assert "row 1: summary: This field is required." in capsys.readouterr().err


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("posts.txt", "name\nA\n", "unknown file type '.txt'"),
    ("posts.json", "{not json", r"not valid JSON \(line 1, column 2"),
    ("posts.jsonl", '{"name": "A"}\nnope\n', "line 2 is not valid JSON"),
])
def test_the_command_explains_unreadable_files(tmp_path, collection, name, content, reason):
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(CommandError, match=reason):
        call_command("import_drafts", str(path), "--collection", collection.webflow_id)


def test_the_command_refuses_an_unknown_collection_or_user(tmp_path, collection):
    path = write_csv(tmp_path / "posts.csv")
    with pytest.raises(CommandError, match="No collection with Webflow ID"):
        call_command("import_drafts", str(path), "--collection", "0" * 24)
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("import_drafts", str(path), "--collection", collection.webflow_id, "--as", "ghost")


def test_spreadsheet_cell_types_and_item_flags_are_understood(tmp_path, site, editor):
    import datetime as dt

    fields = factories.BLOG_FIELDS[:3] + [
        {"slug": "published-on", "displayName": "Published on", "type": "DateTime", "isRequired": False,
         "isEditable": True, "validations": None},
        {"slug": "featured", "displayName": "Featured", "type": "Switch", "isRequired": False, "isEditable": True,
         "validations": None}]
    collection = factories.make_collection(site, fields_schema=fields)
    book = openpyxl.Workbook()
    book.active.append(["name", "summary", "published-on", "featured", "is_draft", "is_archived"])
    book.active.append(["Dated", 42, dt.datetime(2024, 5, 1, 9, 30), True, "yes", False])
    book.save(tmp_path / "typed.xlsx")

    report = drafts_import_file(path=tmp_path / "typed.xlsx", collection=collection, actor=editor)

    assert report.ok, report.problems
    item = DraftItem.objects.get(slug="dated")
    assert item.field_data == {"summary": "42", "published-on": "2024-05-01T09:30:00.000Z", "featured": True}
    assert (item.is_draft, item.is_archived) == (True, False)


def test_json_items_may_carry_lists_and_an_items_wrapper(tmp_path, site, editor):
    fields = factories.BLOG_FIELDS[:3] + [
        {"slug": "related", "displayName": "Related", "type": "MultiReference", "isRequired": False,
         "isEditable": True, "validations": {"collectionId": "c" * 24}}]
    collection = factories.make_collection(site, fields_schema=fields)
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"items": [{"name": "Linked", "summary": "S", "related": ["1" * 24, "2" * 24]},
                                          {"summary": "T", "name": "Second", "is_archived": True}]}))

    report = drafts_import_file(path=path, collection=collection, actor=editor)

    assert report.ok, report.problems
    assert DraftItem.objects.get(slug="linked").field_data["related"] == ["1" * 24, "2" * 24]
    assert DraftItem.objects.get(slug="second").is_archived is True


def test_a_bad_flag_value_is_a_row_error(tmp_path, collection, editor):
    report = drafts_import_file(path=write_csv(tmp_path / "f.csv", headers=["name", "summary", "is_draft"],
                                               rows=[["A", "x", "perhaps"]]), collection=collection, actor=editor)

    assert [str(p) for p in report.problems] == [
        "row 1: is_draft: 'perhaps' is not true/false (use true, false, yes, no, 1 or 0)."]


def test_headers_are_matched_case_insensitively(tmp_path, collection, editor):
    path = write_csv(tmp_path / "caps.csv", headers=["Name", "Summary", "FR-fr:Name"],
                     rows=[["Caps", "S", "Majuscules"]])

    report = drafts_import_file(path=path, collection=collection, actor=editor)

    assert report.ok, report.problems
    item = DraftItem.objects.get(slug="caps")
    assert (item.field_data, item.translations.get().name) == ({"summary": "S"}, "Majuscules")


def test_checking_a_file_costs_the_same_queries_for_10_rows_as_for_100(collection, editor, locales):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = ["name", "slug", "summary", "fr-FR:name", "fr-FR:slug"]

    def queries_for(count):
        rows = [[f"Post {n}", f"post-{n}", f"S {n}", f"Article {n}", f"article-{n}"] for n in range(count)]
        with CaptureQueriesContext(connection) as ctx:
            report = drafts_import(collection=collection, dataset=tablib.Dataset(*rows, headers=headers),
                                   actor=editor, dry_run=True)
        assert report.ok and report.new + report.updated == count
        # import-export wraps each row in a savepoint; those touch no table, so they are not counted.
        return sum("SAVEPOINT" not in query["sql"] for query in ctx.captured_queries)

    drafts_import(collection=collection, actor=editor, dataset=tablib.Dataset(
        *[[f"Post {n}", f"post-{n}", "Old", "", ""] for n in range(0, 100, 2)], headers=headers))
    assert queries_for(10) == queries_for(100)


def test_an_import_writes_the_same_audit_entries_and_hashes_as_an_edit_would(collection, editor, locales):
    headers = ["name", "slug", "summary", "fr-FR:name", "fr-FR:summary"]
    drafts_import(collection=collection, actor=editor, file_name="a.csv", dataset=tablib.Dataset(
        ["First", "first", "One", "Premier", "Un"], ["Second", "second", "Two", "", ""], headers=headers))
    first = DraftItem.objects.get(slug="first")
    assert sorted(AuditEvent.objects.filter(action__in=["item.create", "translation.create"]).values_list(
        "action", "object_repr")) == [
        ("item.create", "First"), ("item.create", "Second"), ("translation.create", "First [fr-FR]")]
    created = AuditEvent.objects.get(action="item.create", item=first)
    assert {"field": "field_data", "old": None, "new": {"summary": "One"}} in created.data["changes"]
    assert created.data["history_id"] == first.history.get().pk

    drafts_import(collection=collection, actor=editor, file_name="b.csv", dataset=tablib.Dataset(
        ["First", "first", "One, revised", "Premier", "Un bis"], headers=headers))
    edits = {e.action: e for e in AuditEvent.objects.filter(action__in=["item.edit", "translation.edit"])}
    assert edits["item.edit"].data["changes"] == [
        {"field": "field_data.summary", "old": "One", "new": "One, revised"}]
    assert edits["translation.edit"].data["changes"] == [
        {"field": "field_data.summary", "old": "Un", "new": "Un bis"}]
    assert (edits["item.edit"].actor, edits["translation.edit"].locale.tag) == (editor, "fr-FR")
    first.refresh_from_db()
    translation = first.translations.get()
    # Both hashes are what save() would have written: the translation follows the item's current source.
    assert first.source_hash == first.primary_fingerprint() and translation.source_hash == first.source_hash
    assert [h.history_change_reason for h in first.history.order_by("history_id")] == [
        "Imported from a.csv", "Imported from b.csv"]


def test_an_import_that_changes_an_approved_item_sends_it_back_to_review(collection, editor):
    item = factories.make_item(collection, slug="approved-one", status=DraftItem.Status.APPROVED)
    DraftItem.objects.filter(pk=item.pk).update(approved_fingerprint=item.fingerprint())

    drafts_import(collection=collection, actor=editor, file_name="x.csv", dataset=tablib.Dataset(
        [item.name, "approved-one", "changed"], headers=["name", "slug", "summary"]))

    item.refresh_from_db()
    assert (item.status, item.approved_fingerprint) == (DraftItem.Status.DRAFT, "")
    assert AuditEvent.objects.filter(action="item.approval_reset", item=item).count() == 1


def test_a_chunked_import_costs_the_same_queries_per_chunk_for_a_small_and_a_big_file(
        collection, editor, locales, settings, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stagingapp.models import ImportJob
    from stagingapp.services.import_jobs import import_run, upload_path

    settings.IMPORT_UPLOAD_DIR, settings.IMPORT_WRITE_CHUNK_ROWS = str(tmp_path), 20
    headers = ["name", "slug", "summary", "fr-FR:name", "fr-FR:summary"]

    def queries_per_chunk(prefix, rows):
        # Every other row updates an item (and its translation) an earlier import made; the rest are new.
        drafts_import(collection=collection, actor=editor, dataset=tablib.Dataset(
            *[[f"{prefix} {n}", f"{prefix}-{n}", "Old", f"Vieux {n}", "Vieux"] for n in range(0, rows, 2)],
            headers=headers))
        job = ImportJob.objects.create(token=f"t-{prefix}", user=editor, session_key="s", collection=collection,
                                       original_name=f"{prefix}.csv", stored_name=f"{prefix}.csv", rows=rows,
                                       status=ImportJob.Status.QUEUED, result={})
        upload_path(job).write_text(tablib.Dataset(
            *[[f"{prefix} {n}", f"{prefix}-{n}", f"S {n}", f"Article {n}", f"R {n}"] for n in range(rows)],
            headers=headers).export("csv"), encoding="utf-8")
        with CaptureQueriesContext(connection) as ctx:
            assert import_run(job_id=job.pk).status == ImportJob.Status.DONE
        chunks, count = [], 0
        for query in ctx.captured_queries:
            if "SAVEPOINT" in query["sql"]:
                continue  # import-export wraps each row in one; they touch no table
            count += 1
            if query["sql"].startswith('UPDATE "stagingapp_importjob"') and '"rows_done"' in query["sql"]:
                chunks.append(count)  # each chunk ends by recording its progress
                count = 0
        assert DraftItem.objects.filter(slug__startswith=f"{prefix}-").count() == rows
        return chunks

    small, big = queries_per_chunk("small", 40), queries_per_chunk("big", 200)
    assert (len(small), len(big)) == (2, 10)
    assert len(set(small[1:] + big[1:])) == 1, (small, big)
    assert small[1] < 40, small  # a handful of bulk statements, not one or more per row (20 rows a chunk)


def test_a_translated_slug_may_repeat_a_row_slug_only_where_that_row_has_its_own(collection, editor, locales):
    headers = ["name", "slug", "summary", "fr-FR:slug", "de-DE:slug"]
    # Row 1 has a fr-FR slug of its own, so its slug 'a' is free in fr-FR but still taken in de-DE.
    report = drafts_import(collection=collection, actor=editor, dry_run=True, dataset=tablib.Dataset(
        ["A", "a", "S", "a-fr", ""], ["B", "b", "S", "a", "a"], headers=headers))

    assert [(p.row, p.field) for p in report.problems] == [(2, "de-DE:slug")]
    assert "row 1's slug" in report.problems[0].message
