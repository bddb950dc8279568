"""On PostgreSQL, trigram indexes so the item list's search (icontains on name and slug) stays fast at 100,000
items instead of scanning the table. Skipped on SQLite and where pg_trgm is missing (0006 tried to create it)."""
from django.db import migrations

COLUMNS = ["name", "slug"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            print("\n  pg_trgm is not installed: item search works, but scans the table.")
            return
        for column in COLUMNS:
            # Django's icontains on PostgreSQL is UPPER(col::text) LIKE UPPER(%s); the index matches that expression.
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS draftitem_{column}_trgm_idx ON stagingapp_draftitem "
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS draftitem_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("stagingapp", "0011_push_recovery_every_minute")]

    operations = [migrations.RunPython(create, drop)]
