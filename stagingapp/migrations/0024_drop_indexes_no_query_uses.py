"""Drop indexes that no query uses, on the tables a push writes a row to per item:

- the history of draft items copied every index of the item (its status, dates and every user and collection
  reference), though versions are only looked up by item (id) and listed by date (history_date), both kept;
- the item's own collection index, which the (collection, slug) constraint and the (collection, status) index,
  both leading with the collection, already serve.

A push writes a history row per item, so each of those indexes cost every item pushed. As in 0023, only the
indexes go (by name, the same on SQLite and PostgreSQL; a CharField's also has a `_like` twin on PostgreSQL):
Django's AlterField would rebuild the history table on SQLite once per field.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

HISTORY_USER_FIELD = dict(blank=True, db_constraint=False, db_index=False, editable=False, null=True,
                          on_delete=django.db.models.deletion.DO_NOTHING, related_name='+',
                          to=settings.AUTH_USER_MODEL)

STATUS_CHOICES = [
    ('draft', 'Draft'), ('in_review', 'In review'), ('approved', 'Approved'), ('rejected', 'Rejected'),
    ('in_batch', 'In a batch'), ('staged', 'Pushed (staged)'), ('live', 'Live'), ('failed', 'Push failed'),
]

state_operations = [
    migrations.AlterField(
        model_name='draftitem',
        name='collection',
        field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='items',
                                to='stagingapp.collection'),
    ),
    migrations.AlterField(
        model_name='historicaldraftitem',
        name='collection',
        field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING, related_name='+',
                                to='stagingapp.collection'),
    ),
    *[migrations.AlterField(model_name='historicaldraftitem', name=name,
                            field=models.ForeignKey(**HISTORY_USER_FIELD))
      for name in ('created_by', 'last_edited_by', 'reviewed_by', 'submitted_by')],
    migrations.AlterField(
        model_name='historicaldraftitem',
        name='status',
        field=models.CharField(choices=STATUS_CHOICES, default='draft', max_length=16),
    ),
    migrations.AlterField(
        model_name='historicaldraftitem',
        name='updated_at',
        field=models.DateTimeField(blank=True, editable=False),
    ),
]

# (table, column, index name as Django created it)
UNUSED = [
    ("stagingapp_draftitem", "collection_id", "stagingapp_draftitem_collection_id_287bf10d"),
    ("stagingapp_historicaldraftitem", "collection_id", "stagingapp_historicaldraftitem_collection_id_934285a6"),
    ("stagingapp_historicaldraftitem", "created_by_id", "stagingapp_historicaldraftitem_created_by_id_ac399b5a"),
    ("stagingapp_historicaldraftitem", "last_edited_by_id",
     "stagingapp_historicaldraftitem_last_edited_by_id_2acbb2dc"),
    ("stagingapp_historicaldraftitem", "reviewed_by_id", "stagingapp_historicaldraftitem_reviewed_by_id_6475a70f"),
    ("stagingapp_historicaldraftitem", "submitted_by_id",
     "stagingapp_historicaldraftitem_submitted_by_id_bb160706"),
    ("stagingapp_historicaldraftitem", "status", "stagingapp_historicaldraftitem_status_8a79c408"),
    ("stagingapp_historicaldraftitem", "updated_at", "stagingapp_historicaldraftitem_updated_at_a79dfbfe"),
]
# PostgreSQL's second index of an indexed CharField, for LIKE (IF EXISTS: SQLite never had it).
LIKE_TWIN = ("stagingapp_historicaldraftitem", "status", "stagingapp_historicaldraftitem_status_8a79c408_like")


def drop_like_twin(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{LIKE_TWIN[2]}"')


def restore_like_twin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table, column, name = LIKE_TWIN
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ('stagingapp', '0023_drop_indexes_covered_by_composites'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[
                *[migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                    f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
                  for table, column, name in UNUSED],
                migrations.RunPython(drop_like_twin, restore_like_twin),
            ],
        ),
    ]
