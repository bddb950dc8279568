"""Audit and item search use PostgreSQL's trigram indexes (a plan check, not a timing: the numbers at 1M audit
entries / 100k items come from `manage.py bench_admin_search`)."""
import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from stagingapp.models import AuditEvent, DraftItem

pytestmark = pytest.mark.postgres


def search_plan(model, term: str, superuser) -> str:
    request = RequestFactory().get("/", {"q": term})
    request.user = superuser
    admin = site._registry[model]
    # The matching rows, as the capped count reads them (the page's ORDER BY lets a tiny table use another plan).
    queryset = admin.get_changelist_instance(request).get_queryset(request).order_by().values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table would otherwise always be scanned
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(("model", "indexes"), [
    (AuditEvent, ["audit_search_trgm_idx"]),  # one index over object, message and actor (migration 0017)
    (DraftItem, ["draftitem_name_trgm_idx", "draftitem_slug_trgm_idx"]),
])
def test_admin_search_reads_the_trigram_indexes(db, superuser, model, indexes):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    plan = search_plan(model, "launch", superuser)
    assert all(index in plan for index in indexes), plan


def test_audit_search_finds_each_term_in_any_field_and_quoted_phrases_whole(db, superuser):
    AuditEvent.objects.create(action="item.edit", actor_label="grace", object_repr="Spring launch",
                              message="Changed the summary")
    AuditEvent.objects.create(action="item.edit", actor_label="alan", object_repr="Pricing", message="Spring sale")
    request = RequestFactory().get("/")
    request.user = superuser
    admin = site._registry[AuditEvent]

    def found(term):
        queryset, _ = admin.get_search_results(request, AuditEvent.objects.all(), term)
        return sorted(queryset.values_list("actor_label", flat=True))

    assert found("SPRING") == ["alan", "grace"]
    assert found("spring grace") == ["grace"]        # terms in different fields of one entry
    assert found('"spring sale"') == ["alan"]
    assert found('"launch changed"') == []           # a phrase never runs from one field into the next
    assert found("50%") == []                        # LIKE wildcards are searched as text
