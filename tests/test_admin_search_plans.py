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
    (AuditEvent, ["audit_object_repr_trgm_idx", "audit_message_trgm_idx", "audit_actor_label_trgm_idx"]),
    (DraftItem, ["draftitem_name_trgm_idx", "draftitem_slug_trgm_idx"]),
])
def test_admin_search_reads_the_trigram_indexes(db, superuser, model, indexes):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    plan = search_plan(model, "launch", superuser)
    assert all(index in plan for index in indexes), plan
