"""The few spellings that differ between PostgreSQL and SQLite (the embedded default).

Django registers LN, REGEXP and friends on its SQLite connections, so the measuring SQL is shared
and only these fragments change.
"""

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class _SharedWork:
    schema: str
    work_mem: str

    def enter(self, cursor) -> None:
        """Point a connection's session at the work tables, with the pass's memory."""
        cursor.execute("SELECT set_config('work_mem', %s, false), set_config('search_path', %s, false)",
                       [self.work_mem, f"{self.schema}, public"])  # fmt: skip


# The current pass's work tables when they are shared between connections (see work_tables);
# None: session-private temporary tables.
_shared: contextvars.ContextVar[_SharedWork | None] = contextvars.ContextVar("eis_shared_work", default=None)

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
    shared = _shared.get()
    with step(name):
        if shared:
            cursor.execute(f"DROP TABLE IF EXISTS {shared.schema}.{name}")
            cursor.execute(f"CREATE UNLOGGED TABLE {shared.schema}.{name} AS {select_sql}", params or None)
        else:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"CREATE TEMP TABLE {name} AS {select_sql}", params or None)
        if index:
            # SQLite needs a name; a fresh one, since a renamed table keeps its index's name.
            cursor.execute(f"CREATE INDEX {name}_{uuid.uuid4().hex[:8]} ON {name} ({index})")
        if is_postgres():
            cursor.execute(f"ANALYZE {name}")


@contextmanager
def work_tables(*, work_mem: str, shared: bool):
    """Where a pass keeps its work tables, for the duration of the ``with`` block.

    Shared (PostgreSQL, only outside a transaction): UNLOGGED tables in a schema of their own,
    committed as they are made, so that a second connection can read them and ``together`` can run
    independent steps on both of a two-core machine's cores. The schema is dropped at the end, and
    schemas a killed worker left behind are dropped by the next pass after a day. Otherwise:
    temporary tables, private to the session, gone with it. Yields whether the tables are shared.
    """
    if not shared:
        if is_postgres():
            with connection.cursor() as cursor:  # for this transaction only
                cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        yield False
        return
    work = _SharedWork(f"eis_work_{int(time.time())}_{uuid.uuid4().hex[:8]}", work_mem)
    with connection.cursor() as cursor:
        _drop_abandoned(cursor)
        cursor.execute(f"CREATE SCHEMA {work.schema}")
        work.enter(cursor)
    token = _shared.set(work)
    try:
        yield True
    finally:
        _shared.reset(token)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {work.schema} CASCADE")
            cursor.execute("RESET work_mem; RESET search_path")


def _drop_abandoned(cursor, older_than_seconds: int = 86_400) -> None:
    cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'eis\\_work\\_%%'")
    for (name,) in cursor.fetchall():
        started = name.split("_")[2]
        if started.isdigit() and int(started) < time.time() - older_than_seconds:
            cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def together(cursor, *groups: Callable) -> None:
    """Run independent groups of steps; each group gets a cursor and runs its steps in order.

    With shared work tables the groups after the first run in threads, each on a connection of its
    own (Django gives every thread one), while the first runs on ``cursor``; otherwise one after
    another on ``cursor``.
    """
    work = _shared.get()
    if not work:
        for group in groups:
            group(cursor)
        return
    errors: list[BaseException] = []

    def run(group: Callable) -> None:
        token = _shared.set(work)
        try:
            with connection.cursor() as own:
                work.enter(own)
                group(own)
        except BaseException as exc:  # handed to the calling thread below
            errors.append(exc)
        finally:
            _shared.reset(token)
            connection.close()

    threads = [threading.Thread(target=run, args=(group,), name="eis-together") for group in groups[1:]]
    for thread in threads:
        thread.start()
    try:
        groups[0](cursor)
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]


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
