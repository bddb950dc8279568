"""Plain statements for the rows the push writes by the thousand and the few it touches several times a request.

bulk_create prepares every field of every object through the generic field machinery and reads the new ids
back. On the 3,000-item push that was about a third of the worker's CPU (254,000 prepare_value calls). These
rows need no ids back and only their JSON and date columns need converting, so one executemany writes them,
and a history row is copied from its item's row by the database itself.

Likewise building a QuerySet.update() costs about 150 us of CPU here, ten times what SQLite then takes to run a
one-row UPDATE, and a push request ran about twenty of them (heartbeat, limiter state, entry and chunk states).
update_rows, delete_rows and select_values write those few fixed shapes directly, values still converted by
their fields, so they stay portable between SQLite and PostgreSQL.
"""
import enum
import functools

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

# Columns whose Python value the database driver takes as it is (everything else goes through the field).
PLAIN_TYPES = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "ForeignKey", "IntegerField",
    "OneToOneField", "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
    "TextField",
})
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
    default, auto_now columns take now. All or none are written (one transaction, the caller's if any)."""
    if not rows:
        return
    now = timezone.now()
    fields = insert_fields(model)
    columns = []
    for field in fields:
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        kind = field.get_internal_type()
        convert = None if kind in PLAIN_TYPES else field.get_db_prep_save
        # A push writes the same few dates on thousands of rows: each distinct one is converted once.
        converted = {} if kind in DATE_TYPES else None
        columns.append((field.attname, stamped, field.get_default(), convert, converted))
    values = []
    for row in rows:
        line = []
        for attname, stamped, default, convert, converted in columns:
            value = now if stamped else row.get(attname, default)
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


def copy_to_history(model: type[models.Model], pks: list[int], *, action: str, actor, when) -> None:
    """One simple-history "~" row per item, copied from its row as it is now by INSERT ... SELECT.

    Same row bulk_history_create writes (every tracked column, history_user=actor, change reason
    "<action>: <status_reason>" clipped to 100 characters, or `action` when the reason is empty), without building
    an instance per row. Call right after the UPDATE that moved the items, inside its transaction.
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in history.tracked_fields]
    reason_max = history._meta.get_field("history_change_reason").max_length
    user = actor if actor is not None else history.get_default_history_user(None)
    date = history._meta.get_field("history_date").get_db_prep_save(when, connection)
    status_reason = quote("status_reason")
    user_column = quote(history._meta.get_field("history_user").column)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(pks), IDS_PER_STATEMENT):
            part = pks[start:start + IDS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}, {quote('history_date')}, "
                f"{quote('history_change_reason')}, {quote('history_type')}, {user_column}) "
                f"SELECT {', '.join(columns)}, %s, CASE WHEN {status_reason} = '' THEN CAST(%s AS TEXT) "
                f"ELSE SUBSTR(CAST(%s AS TEXT) || {status_reason}, 1, {reason_max}) END, '~', %s "
                f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN "
                f"({', '.join(['%s'] * len(part))})"
            )
            cursor.execute(sql, [date, action, f"{action}: ", getattr(user, "pk", None), *part])


class Add:
    """An UPDATE value that adds to the column (F(column) + amount, for update_rows)."""

    def __init__(self, amount: int = 1):
        self.amount = amount


def update_rows(model: type[models.Model], where: dict, **values) -> int:
    """UPDATE `model` SET values WHERE every `where` column equals its value (a list or set: is one of them);
    returns the rows matched. Values go through their field as QuerySet.update would; no signals, no auto_now.

    For the statements the push runs several times per request (heartbeat, entry states, chunk rows): building
    an UPDATE through the QuerySet costs about ten times what SQLite then needs to run it.
    """
    params, sets = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        column = connection.ops.quote_name(field.column)
        if isinstance(value, Add):
            sets.append(f"{column} = {column} + %s")
            params.append(value.amount)
        else:
            sets.append(f"{column} = %s")
            params.append(_db_value(field, value))
    conditions = _where(model, where, params)
    if conditions is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {', '.join(sets)} "
                       f"WHERE {conditions}", params)
        return cursor.rowcount


def delete_rows(model: type[models.Model], **where) -> int:
    """DELETE the rows matching `where` (as update_rows reads it) with one plain statement: no signals, no
    cascade. Only for tables no foreign key points at."""
    params: list = []
    conditions = _where(model, where, params)
    if conditions is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {conditions}", params)
        return cursor.rowcount


def newest_pk(model: type[models.Model]) -> int | None:
    """The highest primary key in the table (by its index), None when it is empty."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(model._meta.pk.column)}) FROM "
                       f"{connection.ops.quote_name(model._meta.db_table)}")
        return cursor.fetchone()[0]


def _where(model: type[models.Model], where: dict, params: list) -> str | None:
    """`column = %s AND column IN (%s, ...)` for `where` (a list or set value: is one of them), its values
    appended to params; None when a list is empty (nothing can match)."""
    conditions = []
    for name, value in where.items():
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        column = connection.ops.quote_name(field.column)
        if isinstance(value, (list, set, tuple, frozenset)):
            value = list(value)
            if not value:
                return None
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(value))})")
            params.extend(_db_value(field, v) for v in value)
        else:
            conditions.append(f"{column} = %s")
            params.append(_db_value(field, value))
    return " AND ".join(conditions)


def _db_value(field: models.Field, value):
    if isinstance(value, enum.Enum):  # a Status member: its value (psycopg would otherwise send its name)
        value = value.value
    elif isinstance(value, models.Model):  # a related instance: its key
        value = value.pk
    return value if field.get_internal_type() in PLAIN_TYPES or value is None else field.get_db_prep_save(
        value, connection)


def select_values(model: type[models.Model], names, *, for_update: bool = False, **where) -> dict | None:
    """{name: value} of the one row matching `where` (None when there is none), read with a plain SELECT and
    converted as the ORM would (JSON decoded); `for_update` locks the row where the database can (the caller
    holds a transaction; SQLite serialises writers instead)."""
    fields = [model._meta.get_field(name) for name in names]
    params: list = []
    conditions = _where(model, where, params)
    if conditions is None:
        return None
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(connection.ops.quote_name(f.column) for f in fields)} FROM "
                       f"{connection.ops.quote_name(model._meta.db_table)} WHERE {conditions}{lock}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = {}
    for field, value in zip(fields, row, strict=True):
        from_db = getattr(field, "from_db_value", None)
        values[field.name] = from_db(value, None, connection) if from_db is not None and value is not None else value
    return values
