"""Bulk writes shared by the apps: COPY on PostgreSQL, batched executemany elsewhere."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection

BATCH = 5_000


def table_of(model) -> str:
    return model._meta.db_table


def columns_of(model, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def adapt(value):
    """Python values as the current backend wants them in a raw statement."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, uuid.UUID) and connection.vendor != "postgresql":
        return value.hex  # Django stores UUIDs as 32 hex digits where there is no uuid type
    return value


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Append rows to a table (often a temporary staging table) as fast as the backend allows."""
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    batch: list[tuple] = []
    for row in rows:
        batch.append(tuple(adapt(v) for v in row))
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        cursor.executemany(sql, batch)


def insert_ignoring_conflicts(model, fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert rows, silently keeping any row that already exists under a unique key."""
    table, columns = table_of(model), columns_of(model, fields)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        stage = f"stage_{table}"
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMP TABLE {stage} AS SELECT {column_list} FROM {table} WHERE 1 = 0")  # noqa: S608
        copy_rows(cursor, stage, columns, rows)
        cursor.execute(
            # "WHERE 1 = 1": SQLite cannot otherwise tell ON CONFLICT from a join's ON.
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage} WHERE 1 = 1 ON CONFLICT DO NOTHING"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {stage}")
