"""Plain INSERTs for the append-only rows written by the thousand (Webflow refs, audit entries, history rows).

bulk_create prepares every field of every object through the generic field machinery and reads the new ids
back. On the 3,000-item push that was about a third of the worker's CPU (254,000 prepare_value calls). These
rows need no ids back and only their JSON and date columns need converting, so one executemany writes them,
and a history row is copied from its item's row by the database itself.

The one-row statements the push runs several times per request are in stagingapp.statements.
"""
import functools

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from ..statements import PLAIN_TYPES

DATE_TYPES = frozenset({"DateField", "DateTimeField", "TimeField"})
# SQLite's limit on bound parameters is 32,766 on current builds; 500 ids per statement stays far below it.
IDS_PER_STATEMENT = 500


def insert_rows(objs: list[models.Model]) -> None:
    """INSERT these unsaved instances of one model (ids not read back; auto_now columns set to now).

    Unlike bulk_create this sends no signals and leaves `obj.pk` unset: for rows nothing reads back in the
    same run. All or none are written (one transaction, the caller's when there is one).
    """
    if objs:
        fields = insert_fields(type(objs[0]))
        insert_values(type(objs[0]), [{f.attname: getattr(obj, f.attname) for f in fields} for obj in objs])


def insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]


def insert_values(model: type[models.Model], rows: list[dict]) -> None:
    """INSERT one row per dict of attname -> Python value; a column a dict leaves out takes its field's
    default, auto_now columns take now (an auto_now_add one only when the dict gives no value: a row noted
    earlier keeps its time). All or none are written (one transaction, the caller's if any)."""
    if not rows:
        return
    now = timezone.now()
    fields = insert_fields(model)
    columns = []
    for field in fields:
        always_now = getattr(field, "auto_now", False)
        stamp_unless_given = getattr(field, "auto_now_add", False)
        kind = field.get_internal_type()
        convert = None if kind in PLAIN_TYPES else field.get_db_prep_save
        # A push writes the same few dates on thousands of rows: each distinct one is converted once.
        converted = {} if kind in DATE_TYPES else None
        columns.append((field.attname, always_now, stamp_unless_given, field.get_default(), convert, converted))
    values = []
    for row in rows:
        line = []
        for attname, always_now, stamp_unless_given, default, convert, converted in columns:
            value = now if always_now else row.get(attname, default)
            if value is None and stamp_unless_given:
                value = now
            if converted is not None:
                if value not in converted:
                    converted[value] = convert(value, connection)
                value = converted[value]
            elif convert is not None:
                value = convert(value, connection)
            line.append(value)
        values.append(line)
    # One transaction, as bulk_create opens: outside one, each row would be committed on its own.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(insert_sql(model, tuple(fields)), values)


@functools.cache
def insert_sql(model: type[models.Model], fields: tuple) -> str:
    quote = connection.ops.quote_name
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})")


@functools.cache
def _history_copy_sql(model: type[models.Model], vendor: str) -> tuple[type[models.Model], str]:
    """(history model, copy_to_history's INSERT ... SELECT up to its key list) for `model` on the `vendor`
    database: worked out once (reading model.history alone builds a manager each time)."""
    history = model.history.model
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in history.tracked_fields]
    reason_max = history._meta.get_field("history_change_reason").max_length
    status_reason = quote("status_reason")
    user_column = quote(history._meta.get_field("history_user").column)
    head = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}, {quote('history_date')}, "
        f"{quote('history_change_reason')}, {quote('history_type')}, {user_column}) "
        f"SELECT {', '.join(columns)}, %s, CASE WHEN {status_reason} = '' THEN CAST(%s AS TEXT) "
        f"ELSE SUBSTR(CAST(%s AS TEXT) || {status_reason}, 1, {reason_max}) END, '~', %s "
        f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN "
    )
    return history, head


def copy_to_history(model: type[models.Model], pks: list[int], *, action: str, actor, when) -> None:
    """One simple-history "~" row per item, copied from its row as it is now by INSERT ... SELECT.

    Same row bulk_history_create writes (every tracked column, history_user=actor, change reason
    "<action>: <status_reason>" clipped to 100 characters, or `action` when the reason is empty), without building
    an instance per row. Call right after the UPDATE that moved the items, inside its transaction.
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history, head = _history_copy_sql(model, connection.vendor)
    user = actor if actor is not None else history.get_default_history_user(None)
    date = history._meta.get_field("history_date").get_db_prep_save(when, connection)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(pks), IDS_PER_STATEMENT):
            part = pks[start:start + IDS_PER_STATEMENT]
            sql = f"{head}({', '.join(['%s'] * len(part))})"
            cursor.execute(sql, [date, action, f"{action}: ", getattr(user, "pk", None), *part])
