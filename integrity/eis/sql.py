"""The few spellings that differ between PostgreSQL and SQLite (the embedded default).

Django registers LN, REGEXP and friends on its SQLite connections, so the measuring SQL is shared
and only these fragments change.
"""

import logging
import time
import uuid
from contextlib import contextmanager

from django.db import connection

logger = logging.getLogger("integrity.eis.steps")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def epoch(column: str) -> str:
    """Seconds since 1970 as a float."""
    if is_postgres():
        # date_part, not EXTRACT: EXTRACT returns numeric since PostgreSQL 14, and converting ten
        # million numerics costs seconds.
        return f"date_part('epoch', {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def floor_to(seconds_expr: str, size: int) -> str:
    """Start of the bucket of `size` seconds holding the epoch value, as an integer."""
    if is_postgres():
        return f"(FLOOR(({seconds_expr}) / {size}) * {size})::bigint"
    return f"(CAST(({seconds_expr}) / {size} AS INTEGER) * {size})"


def from_epoch(seconds_expr: str) -> str:
    if is_postgres():
        return f"to_timestamp({seconds_expr})"
    return f"datetime({seconds_expr}, 'unixepoch')"


def matches(column: str) -> str:
    """Case-insensitive regular-expression match against a %(pattern)s parameter."""
    return f"{column} ~* %(bot_pattern)s" if is_postgres() else f"{column} REGEXP %(bot_pattern)s"


def key64(expr: str) -> str:
    """A compact 64-bit stand-in for a long text key (device, network), for grouping and joining.

    Collisions among a few million keys have odds of about one in a million million; SQLite keeps the
    text as it is.
    """
    return f"hashtextextended({expr}, 0)" if is_postgres() else expr


def least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if is_postgres() else f"MIN({a}, {b})"


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if is_postgres() else f"MAX({a}, {b})"


def as_float(expr: str) -> str:
    return f"CAST({expr} AS double precision)" if is_postgres() else f"CAST({expr} AS REAL)"


@contextmanager
def step(name: str):
    """Log how long a step of the pass took (at DEBUG, under "integrity.eis.steps")."""
    began = time.perf_counter()
    yield
    logger.debug("%s %.2fs", name, time.perf_counter() - began)


def temp_table(cursor, name: str, select_sql: str, params: dict | None = None, *, index: str | None = None) -> None:
    """A temporary table from a query, with an optional index on the given columns, analysed."""
    with step(name):
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMP TABLE {name} AS {select_sql}", params or None)
        if index:
            # SQLite needs a name; a fresh one, since a renamed table keeps its index's name.
            cursor.execute(f"CREATE INDEX {name}_{uuid.uuid4().hex[:8]} ON {name} ({index})")
        if is_postgres():
            cursor.execute(f"ANALYZE {name}")


def drop_temp_tables(cursor, names: list[str]) -> None:
    for name in names:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def minus_days(column: str, days: int) -> str:
    if is_postgres():
        return f"({column} - INTERVAL '{int(days)} days')"
    return f"datetime({column}, '-{int(days)} days')"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object from (key, SQL expression) pairs."""
    body = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    return f"jsonb_build_object({body})" if is_postgres() else f"json_object({body})"


def round1(expr: str) -> str:
    return f"ROUND(({expr})::numeric, 1)" if is_postgres() else f"ROUND({expr}, 1)"


def int_text(expr: str) -> str:
    return f"(FLOOR({expr})::bigint)::text" if is_postgres() else f"CAST(CAST({expr} AS INTEGER) AS TEXT)"


def differs(a: str, b: str) -> str:
    """Null-safe inequality."""
    return f"{a} IS DISTINCT FROM {b}" if is_postgres() else f"{a} IS NOT {b}"
