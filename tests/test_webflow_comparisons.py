"""What differs from Webflow reads in the collection's words: a pull conflict's two versions and a drift finding's
differences show field labels and rendered values (option names, yes/no), not slugs, IDs, isArchived or JSON."""
from django.urls import reverse

from stagingapp.models import DriftFinding, DriftRun, PullConflict
from tests import factories

NEWS, GUIDES = "a" * 24, "b" * 24  # the blog's category options


def test_a_pull_conflict_shows_both_versions_by_label_and_value(client, collection, locales, editor):
    item = factories.make_item(collection, name="Both changed")
    conflict = PullConflict.objects.create(item=item, versions={"en-US": {
        "ours": {"name": "Both changed", "summary": "Ours", "category": NEWS, "isArchived": False},
        "webflow": {"name": "Both changed", "summary": "Theirs <img src=x onerror=alert(1)>", "category": GUIDES,
                    "isArchived": False}}})
    client.force_login(editor)

    page = client.get(reverse("admin:stagingapp_pullconflict_change", args=[conflict.pk])).content.decode()
    table = page[page.index('id="conflict-versions"'):page.index("</table>", page.index('id="conflict-versions"'))]

    rows = table.split("<tr")[2:]
    assert [row.split("<td>")[2].split("<")[0] for row in rows] == ["Name", "Summary", "Category", "Archived"]
    assert "News" in table and "Guides" in table and NEWS not in table and GUIDES not in table
    assert "isArchived" not in table and ">No<" in table
    assert table.count("conflict-differs") == 2  # summary and category
    assert "<img src=x" not in page and "Theirs &lt;img src=x onerror=alert(1)&gt;" in table  # Webflow's text, as text


def test_a_drift_finding_lists_its_differences_by_label(client, collection, locales, publisher):
    run = DriftRun.objects.create(collection=collection, status=DriftRun.Status.DONE)
    finding = DriftFinding.objects.create(
        run=run, kind=DriftFinding.Kind.CHANGED, locale=locales[0], slug="post-1",
        diff={"category": {"ours": NEWS, "webflow": GUIDES}, "reading-minutes": {"ours": 3, "webflow": 5}})
    in_sync = DriftFinding.objects.create(run=run, kind=DriftFinding.Kind.IN_SYNC, locale=locales[0], slug="post-2")
    client.force_login(publisher)

    page = client.get(reverse("admin:stagingapp_driftfinding_change", args=[finding.pk])).content.decode()
    quiet = client.get(reverse("admin:stagingapp_driftfinding_change", args=[in_sync.pk])).content.decode()

    table = page[page.index('id="finding-differences"'):page.index("</table>", page.index('id="finding-differences"'))]
    assert "Reading minutes" in table and "Category" in table and "News" in table and "Guides" in table
    assert NEWS not in table and '"ours"' not in page and "{}" not in quiet
