"""On PostgreSQL, the audit search reads one trigram index over object, message and actor joined (the expression
selectors.audit.AuditSearchText writes) instead of three per-column ones: a rare term took three GIN probes, each
through the long posting lists of common trigrams. Skipped on SQLite and where pg_trgm is missing (see 0006)."""
import importlib

from django.db import migrations

trigram_0006 = importlib.import_module("stagingapp.migrations.0006_audit_search_trigram")

# A real line break inside the SQL literals, as AuditSearchText writes it.
EXPRESSION = "(UPPER(((object_repr)::text || '\n' || message || '\n' || (actor_label)::text)::text))"


def has_trgm(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not has_trgm(cursor):
            return  # 0006 said why; search works, but scans the table
        cursor.execute(f"CREATE INDEX IF NOT EXISTS audit_search_trgm_idx ON stagingapp_auditevent "
                       f"USING gin ({EXPRESSION} gin_trgm_ops)")
        for column in trigram_0006.COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS audit_{column}_trgm_idx")
        # Statistics of the new expression: without them a common word is planned as rare (a 2 s bitmap scan).
        cursor.execute("ANALYZE stagingapp_auditevent")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS audit_search_trgm_idx")
    trigram_0006.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("stagingapp", "0016_sync_pull_drift")]

    operations = [migrations.RunPython(create, drop)]
