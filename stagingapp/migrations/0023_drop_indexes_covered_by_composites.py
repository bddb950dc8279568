"""Drop single-column indexes that a composite index or unique constraint with the same leading column already
serves: each cost every insert (a push writes an audit entry, a batch entry update and refs per item) for nothing.

Only the indexes go (by their names, the same on SQLite and PostgreSQL): Django's AlterField would rebuild the
whole audit table on SQLite, five times, to drop five indexes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stagingapp', '0022_pushbatch_requests_audited'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name='+', to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='batch',
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events',
                to='stagingapp.pushbatch',
            ),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='collection',
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stagingapp.collection',
            ),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='item',
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events',
                to='stagingapp.draftitem',
            ),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='locale',
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stagingapp.localemapping',
            ),
        ),
        migrations.AlterField(
            model_name='batchitem',
            name='batch',
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries',
                to='stagingapp.pushbatch',
            ),
        ),
        migrations.AlterField(
            model_name='webflowitemref',
            name='item',
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='webflow_refs',
                to='stagingapp.draftitem',
            ),
        ),
    ]


# (table, column, index name as Django created it)
COVERED = [
    ("stagingapp_auditevent", "actor_id", "stagingapp_auditevent_actor_id_52d6c0bb"),
    ("stagingapp_auditevent", "batch_id", "stagingapp_auditevent_batch_id_e3b0284b"),
    ("stagingapp_auditevent", "collection_id", "stagingapp_auditevent_collection_id_d3443d0a"),
    ("stagingapp_auditevent", "item_id", "stagingapp_auditevent_item_id_f241d0c5"),
    ("stagingapp_auditevent", "locale_id", "stagingapp_auditevent_locale_id_ccd16858"),
    ("stagingapp_batchitem", "batch_id", "stagingapp_batchitem_batch_id_7e6191e8"),
    ("stagingapp_webflowitemref", "item_id", "stagingapp_webflowitemref_item_id_05803f23"),
]

Migration.operations = [
    migrations.SeparateDatabaseAndState(
        state_operations=Migration.state_operations,
        database_operations=[
            migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"', f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
            for table, column, name in COVERED
        ],
    ),
]
