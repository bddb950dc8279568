"""On PostgreSQL, trigram indexes so the audit search (icontains on object, message, actor) stays fast at a
million rows. Skipped on SQLite, and skipped with a notice where the pg_trgm extension cannot be created."""
from django.db import migrations

COLUMNS = ["object_repr", "message", "actor_label"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            print("\n  pg_trgm is not available: audit search works, but scans the table.")
            return
        try:
            cursor.execute("SAVEPOINT trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("RELEASE SAVEPOINT trgm")
        except Exception as exc:  # no privilege to create extensions: search still works, only slower
            cursor.execute("ROLLBACK TO SAVEPOINT trgm")
            print(f"\n  Could not create pg_trgm ({exc}); audit search works, but scans the table.")
            return
        for column in COLUMNS:
            # Django's icontains on PostgreSQL is UPPER(col::text) LIKE UPPER(%s); the index matches that expression.
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS audit_{column}_trgm_idx ON stagingapp_auditevent '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS audit_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("stagingapp", "0005_workflow_permissions")]

    operations = [migrations.RunPython(create, drop)]
