"""Plain SQL for the few fixed-shape statements the push runs several times per request, and for reading rows
into instances without Model.__init__ (shared by selectors, services and the rate limiter).

Building a QuerySet.update() costs about 150 us of CPU on the 2-core VM, ten times what SQLite then takes to run
a one-row UPDATE, and a push request ran about twenty of them (heartbeat, limiter state, entry and chunk
states). Reading a page of items the same way spent as much on compiling the query and running Model.__init__
(two signals per row) as on the read. These helpers write and read those shapes directly; values still go
through their fields (dates, JSON, enums, related instances), so SQLite and PostgreSQL behave alike.
"""
import enum
import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import QuerySet
from django.db.models.base import ModelState

# Columns whose Python value the database driver takes as it is (everything else goes through the field).
PLAIN_TYPES = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "ForeignKey", "IntegerField",
    "OneToOneField", "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
    "TextField",
})


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
    db = _db()
    params, sets = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        column = db.ops.quote_name(field.column)
        if isinstance(value, Add):
            sets.append(f"{column} = {column} + %s")
            params.append(value.amount)
        else:
            sets.append(f"{column} = %s")
            params.append(_db_value(field, value))
    conditions = _where(model, where, params)
    if conditions is None:
        return 0
    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {db.ops.quote_name(model._meta.db_table)} SET {', '.join(sets)} "
                       f"WHERE {conditions}", params)
        return cursor.rowcount


def delete_rows(model: type[models.Model], **where) -> int:
    """DELETE the rows matching `where` (as update_rows reads it) with one plain statement: no signals, no
    cascade. Only for tables no foreign key points at."""
    db = _db()
    params: list = []
    conditions = _where(model, where, params)
    if conditions is None:
        return 0
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {db.ops.quote_name(model._meta.db_table)} WHERE {conditions}", params)
        return cursor.rowcount


def newest_pk(model: type[models.Model]) -> int | None:
    """The highest primary key in the table (by its index), None when it is empty."""
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(f"SELECT MAX({db.ops.quote_name(model._meta.pk.column)}) FROM "
                       f"{db.ops.quote_name(model._meta.db_table)}")
        return cursor.fetchone()[0]


def _where(model: type[models.Model], where: dict, params: list) -> str | None:
    """`column = %s AND column IN (%s, ...)` for `where` (a list or set value: is one of them), its values
    appended to params; None when a list is empty (nothing can match)."""
    db = _db()
    conditions = []
    for name, value in where.items():
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        column = db.ops.quote_name(field.column)
        if isinstance(value, (list, set, tuple, frozenset)):
            value = list(value)
            if not value:
                return None
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(value))})")
            if field.get_internal_type() in PLAIN_TYPES and all(type(v) is int for v in value):
                params.extend(value)  # keys, the usual list: nothing to convert
            else:
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
    if value is None or field.get_internal_type() in PLAIN_TYPES:
        return value
    return field.get_db_prep_save(value, _db())


def select_values(model: type[models.Model], names, *, for_update: bool = False, **where) -> dict | None:
    """{name: value} of the first row matching `where` (None when there is none), read and converted as
    select_instances reads them; `for_update` locks the row where the database can (the caller holds a
    transaction; SQLite serialises writers instead)."""
    rows = select_instances(model, names, for_update=for_update, **where)
    if not rows:
        return None
    return {name: rows[0].__dict__[model._meta.get_field(name).attname] for name in names}


# A value no key column holds: it marks where the last key read goes in a compiled page query's parameters.
_LAST_KEY = -7_654_321_987


def read_pages(queryset: QuerySet, fields, size: int):
    """The rows of `queryset` page by page (`size` rows each) in pk order, as select_instances builds them (pk
    and `fields`), keyset-paged (pk greater than the last one read). Its SELECT is compiled once: compiling a
    joined QuerySet cost more than SQLite then took to run it, once per create request on the push path. Pages
    are read as they are asked for, so rows changed meanwhile are read as they are then."""
    model, fields = queryset.model, tuple(fields)
    page_query = queryset.filter(pk__gt=_LAST_KEY).order_by("pk").values_list("pk", *fields)[:size]
    sql, params = page_query.query.sql_with_params()
    params = list(params)
    at = params.index(_LAST_KEY)
    db = connections[queryset.db]
    while True:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            yield instances_of(model, fields, rows)
        if len(rows) < size:
            return
        params[at] = rows[-1][0]


def select_instances(model: type[models.Model], fields, *, for_update: bool = False, **where) -> list:
    """The rows of `model` matching `where` (as update_rows reads it) in pk order, as instances holding the pk
    and `fields` only (the rest deferred, as with only()), built without Model.__init__ (its per-field work and
    two signals per row cost as much as the read on the push path; nothing here is saved back), with one plain
    SELECT whose text and value converters are worked out once per model and fields;
    `for_update` row-locks them where the database can (in pk order, so two lockers never deadlock)."""
    return instances_of(model, fields, select_rows(model, fields, for_update=for_update, **where))


def select_rows(model: type[models.Model], fields, *, for_update: bool = False, **where) -> list[tuple]:
    """select_instances' rows as the database driver returns them (pk first, then `fields`), unconverted:
    cheap to compare with rows read before (instances_of builds the instances)."""
    db = _db()
    _, select, _ = _select_plan(db.vendor, model, tuple(fields))
    params: list = []
    conditions = _where(model, where, params)
    if conditions is None:
        return []
    lock = " FOR UPDATE" if for_update and db.features.has_select_for_update else ""
    with db.cursor() as cursor:
        cursor.execute(f"{select} WHERE {conditions} ORDER BY {db.ops.quote_name(model._meta.pk.column)}{lock}",
                       params)
        return cursor.fetchall()


def instances_of(model: type[models.Model], fields, rows: list[tuple]) -> list:
    """Instances (as select_instances builds them) of rows select_rows read for the same model and fields."""
    db = _db()
    columns, _, converters = _select_plan(db.vendor, model, tuple(fields))
    instances = []
    for row in rows:
        values = {}
        for column, value, convert in zip(columns, row, converters, strict=True):
            for converter, expression in convert:
                value = converter(value, expression, db)
            values[column] = value
        instances.append(_built(model, values, db.alias))
    return instances


def _built(model: type[models.Model], values: dict, alias: str) -> models.Model:
    """An instance holding `values` (attname -> value) as if read from the database, without Model.__init__."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, alias
    return instance


def _db():
    """The default connection itself: every attribute read through django.db.connection's proxy goes through
    asgiref's Local, and these statements read several per call."""
    return connections[DEFAULT_DB_ALIAS]


@functools.cache
def _select_plan(vendor: str, model: type[models.Model], fields: tuple):
    """(attnames, SELECT ... FROM table, per column the backend's and the field's converters), as the ORM's
    compiler would apply them to these columns."""
    chosen = [model._meta.pk] + [model._meta.get_field(name) for name in fields]
    table = model._meta.db_table
    converters = []
    for field in chosen:
        column = field.get_col(table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append(tuple((converter, column) for converter in found))
    quote = connection.ops.quote_name
    select = f"SELECT {', '.join(f'{quote(table)}.{quote(f.column)}' for f in chosen)} FROM {quote(table)}"
    return [field.attname for field in chosen], select, converters
