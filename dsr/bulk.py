"""Many rows written at once: inserted by COPY (`insert`), updated in one statement each with its own values
(`update_each`: `UPDATE ... FROM (VALUES ...)`).

`insert`: Django's `bulk_create` writes one placeholder per value, which Django compiles and the driver then
finds again in the statement's text and quotes one by one; a batch of 1,000 requests (about 130 values a
request, with its events) spent about half of the web process's CPU there (issue #13). On PostgreSQL the
rows go by COPY instead: each value prepared by its field as Django saves it, and written by the driver's
copy, without a statement to parse. The ids are drawn first from the table's sequence (`reserve_ids`).

Django's `bulk_update` writes one `CASE WHEN id = ... THEN ...` per field and row, which costs the
process a compiled expression per row and the database a scan of the CASE per row; a batch of 200
(the deadline sweep's) spent most of its Python time there. This joins the table to a list of rows
instead, on PostgreSQL and on SQLite 3.33+ (`UPDATE ... FROM`; an older SQLite, which Django 5.2 still
supports from 3.31, gets `bulk_update`); the values are prepared by each field as Django saves them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar, cast

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def insert(model: type[M], objs: Sequence[M]) -> list[M]:
    """Insert `objs`, new rows of `model`, and return them saved, each with its id, as `bulk_create` does
    (no signals, no conflict handling: a duplicate key fails the statement, and the caller's transaction).
    On PostgreSQL by COPY, after giving the rows without an id theirs from the table's sequence; elsewhere
    by `bulk_create`. Unlike `bulk_create`, a generated column is not read back (it is read when used),
    and the COPY goes past `execute_wrapper` hooks; it is logged as Django logs its statements."""
    if not objs:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    for obj in objs:
        # As bulk_create: a related object not saved is refused, one saved since it was set gives its id.
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]  # Django's own
    connection.validate_no_broken_transaction()
    reserve_ids(model, [obj for obj in objs if obj.pk is None])
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    rows = []
    for obj in objs:
        row = []
        for field in fields:
            value = field.get_db_prep_save(field.pre_save(obj, add=True), connection)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"{model.__name__}.{field.name}: an expression cannot be copied; use bulk_create")
            row.append(value)
        rows.append(row)
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(str(field.column)) for field in fields)}) FROM STDIN"
    with connection.cursor() as cursor:
        # Logged as Django logs its statements, when it does (DEBUG, tests that count them): its debug cursor.
        logged = cursor.debug_sql(f"{sql} -- {len(rows)} rows") if connection.queries_logged else nullcontext()
        # Django's errors (IntegrityError, ...), as for the statements it runs itself.
        with connection.wrap_database_errors, logged, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def update_each(
    model: type[Model], fields: Sequence[str], rows: Mapping[int, Sequence[Any]], *, unless_null: str | None = None
) -> int:
    """Set `fields` of each row `pk` to its own values (`rows`: {pk: values in the order of `fields`}), in
    one statement. Returns how many rows were updated. A pk with no row is left out silently, as `update`;
    so is a row whose field `unless_null` is NULL when the statement runs."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    if not joins_values(connection):
        with transaction.atomic(using=connection.alias):
            if unless_null is not None:
                kept = set(
                    model._default_manager.filter(pk__in=list(rows), **{f"{unless_null}__isnull": False})
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
                rows = {pk: values for pk, values in rows.items() if pk in kept}
            changed = [model(pk=pk, **dict(zip(fields, values, strict=True))) for pk, values in rows.items()]
            return int(model._default_manager.bulk_update(changed, list(fields))) if changed else 0
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    if not all(isinstance(column, Field) and column.column for column in columns):
        raise ValueError(f"{model.__name__}: only concrete fields can be updated ({', '.join(fields)})")
    concrete = cast(list[Field[Any, Any]], columns)
    quote = connection.ops.quote_name
    # PostgreSQL types a VALUES column by its values (all NULL: text), so each is cast to its column's
    # type; SQLite stores what it is given (and a CAST there would turn a date into a number).
    typed = connection.vendor == "postgresql"

    def value(i: int) -> str:
        return f"CAST(v.column{i + 1} AS {concrete[i].db_type(connection)})" if typed else f"v.column{i + 1}"

    table = quote(meta.db_table)
    assignments = ", ".join(f"{quote(str(concrete[i].column))} = {value(i)}" for i in range(1, len(concrete)))
    placeholders = "(" + ", ".join(["%s"] * len(concrete)) + ")"
    params: list[Any] = []
    for pk, values in rows.items():
        params.append(pk)
        params.extend(field.get_db_prep_save(v, connection) for field, v in zip(concrete[1:], values, strict=True))
    condition = ""
    if unless_null is not None:
        column = meta.get_field(unless_null)
        if not isinstance(column, Field) or not column.column:
            raise ValueError(f"{model.__name__}: {unless_null} is not a concrete field")
        condition = f" AND {table}.{quote(str(column.column))} IS NOT NULL"
    sql = (
        f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholders] * len(rows))}) AS v "  # noqa: S608 (model names and placeholders only)
        f"WHERE {table}.{quote(str(concrete[0].column))} = {value(0)}{condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def joins_values(connection: BaseDatabaseWrapper) -> bool:
    """Whether the database can `UPDATE ... FROM` a list of rows (SQLite from 3.33, PostgreSQL always)."""
    return connection.vendor != "sqlite" or sqlite3.sqlite_version_info >= (3, 33)


def reserve_ids(model: type[Model], objs: Sequence[Model]) -> bool:
    """Give each of `objs` (new rows of `model`) its id now, from the table's own sequence, in one query,
    so that what depends on the ids can be written with the rows (one write each instead of an insert and
    an update). PostgreSQL only; elsewhere nothing is set and False is returned (insert, then update)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or not objs:
        return False
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    return True
