"""One pass over a time range: measure, judge, score, and store, idempotently.

Storing compares before it writes: a window whose content hash is unchanged, a judgement whose
reason is unchanged and a trust score that is unchanged are left as they are, so recomputing a
range with the same scoring version changes nothing.
"""

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from valuetok.bulk import copy_rows

from . import sql
from .config import DAY, HOUR, ScoringConfig
from .measure import TEMP_TABLES, Range, measure
from .scoring import score_window

logger = logging.getLogger(__name__)

WINDOW_SECONDS = {"hour": HOUR, "day": DAY}
FETCH = 5_000
WINDOW_COLUMNS = [
    "video_id", "granularity", "window_start", "window_end", "scoring_version", "engagement_integrity_score",
    "band", "components", "features", "events_total", "events_invalid", "valid_views", "valid_likes",
    "valid_comments", "valid_shares", "content_hash", "computed_at",
]  # fmt: skip


@dataclass(frozen=True)
class PassResult:
    granularity: str
    start: datetime
    end: datetime
    scoring_version: str
    windows: int
    windows_written: int
    events: int
    events_invalid: int
    seconds: float


def align(moment: datetime, granularity: str) -> datetime:
    size = WINDOW_SECONDS[granularity]
    return datetime.fromtimestamp(int(moment.timestamp()) // size * size, tz=UTC)


def run_pass(*, start: datetime, end: datetime, granularity: str, config: ScoringConfig) -> PassResult:
    if granularity not in WINDOW_SECONDS:
        raise ValueError(f"granularity must be one of {', '.join(WINDOW_SECONDS)}")
    start, end = align(start, granularity), align(end, granularity)
    if end <= start:
        raise ValueError("the range must span at least one whole window")
    began = time.perf_counter()
    rng = Range(start, end, WINDOW_SECONDS[granularity])
    now = timezone.now()
    # On PostgreSQL outside a transaction (workers, commands) the work tables are shared between two
    # connections so that independent steps use both cores; inside one (tests, callers that hold a
    # transaction) they are temporary tables. Either way, what is stored is written in one transaction.
    shared = sql.is_postgres() and settings.EIS_SHARED_WORK_TABLES and not connection.in_atomic_block
    outer = contextlib.nullcontext() if shared else transaction.atomic()
    with outer, sql.work_tables(work_mem=settings.EIS_WORK_MEM, shared=shared):
        with connection.cursor() as cursor:
            measure(cursor, rng, config)
        with transaction.atomic(), connection.cursor() as cursor:
            if granularity == "day":  # the daily pass is the authoritative judge of each engagement
                with sql.step("store judgements"):
                    _store_judgements(cursor, rng, config)
            with sql.step("store trust"):
                _store_trust(cursor, config, now)
            with sql.step("store windows"):
                windows, written, events, invalid = _store_windows(cursor, rng, granularity, config, now)
            if granularity == "day":
                with sql.step("refresh current"):
                    _refresh_current(cursor, config, now)
            cursor.execute("DROP TABLE IF EXISTS new_windows")
            if not shared:
                sql.drop_temp_tables(cursor, TEMP_TABLES)
    result = PassResult(granularity, start, end, config.version, windows, written, events, invalid,
                        time.perf_counter() - began)  # fmt: skip
    logger.info(
        "eis pass granularity=%s start=%s end=%s windows=%s written=%s events=%s invalid=%s seconds=%.1f",
        granularity, start.isoformat(), end.isoformat(), windows, written, events, invalid, result.seconds,
    )  # fmt: skip
    return result


def _store_judgements(cursor, rng: Range, config: ScoringConfig) -> None:
    params = {"version": config.version, "start": rng.start, "end": rng.end}
    cursor.execute(
        """
        DELETE FROM integrity_invalidengagement
        WHERE scoring_version = %(version)s AND window_start >= %(start)s AND window_start < %(end)s
          AND NOT EXISTS (SELECT 1 FROM judged j WHERE j.id = integrity_invalidengagement.event_id
                          AND j.reason = integrity_invalidengagement.reason)
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO integrity_invalidengagement (event_id, scoring_version, reason, window_start)
        SELECT j.id, %(version)s, j.reason, {sql.from_epoch("j.bucket")} FROM judged j
        WHERE j.reason IS NOT NULL
        ON CONFLICT (event_id, scoring_version) DO NOTHING
        """,
        params,
    )


def _store_trust(cursor, config: ScoringConfig, now: datetime) -> None:
    def part(points: str, most: int, reason: str) -> str:
        return sql.json_object([("points", sql.round1(points)), ("max", str(most)), ("reason", reason)])

    parts = sql.json_object([
        ("account_age", part("t.age_points", 30, f"'account ' || {sql.int_text('t.age_days')} || ' days old'")),
        ("phone", part("t.phone_points", 15,
                       "CASE WHEN t.phone_points > 0 THEN 'phone number on file' ELSE 'no phone number' END")),
        ("devices", part("t.device_points", 20,
                         "CASE WHEN t.device_points > 0 THEN 'own devices' "
                         "ELSE 'uses a device shared by many accounts' END")),
        ("networks", part("t.network_points", 20,
                          f"{sql.int_text('100 * (1 - t.hosting_share)')} "
                          "|| '%% of activity from residential networks'")),
        ("history", part("t.history_points", 15, "'no reports of theirs upheld by staff'")),
    ])  # fmt: skip
    score = sql.round1("t.age_points + t.phone_points + t.device_points + t.network_points + t.history_points")
    cursor.execute(
        f"""
        INSERT INTO integrity_viewertrust (user_id, score, parts, scoring_version, computed_at)
        SELECT t.user_id, {score}, {parts}, %(version)s, %(now)s FROM trust t
        WHERE 1 = 1  -- SQLite needs a WHERE between INSERT ... SELECT and ON CONFLICT
        ON CONFLICT (user_id) DO UPDATE SET score = EXCLUDED.score, parts = EXCLUDED.parts,
            scoring_version = EXCLUDED.scoring_version, computed_at = EXCLUDED.computed_at
        WHERE integrity_viewertrust.score <> EXCLUDED.score
           OR integrity_viewertrust.scoring_version <> EXCLUDED.scoring_version
        """,
        {"version": config.version, "now": now},
    )


def _feature_chunks(cursor):
    """The features table in chunks, whatever its size (a server-side cursor on PostgreSQL).

    Each chunk is fetched completely before the caller writes it: one connection cannot fetch
    from a cursor while a COPY is streaming.
    """
    query = "SELECT * FROM features ORDER BY video_id, bucket"
    if sql.is_postgres():
        with connection.connection.cursor(name="eis_features") as server_side:
            server_side.execute(query)
            names = [c.name for c in server_side.description]
            while rows := server_side.fetchmany(FETCH):
                yield [dict(zip(names, row, strict=True)) for row in rows]
        return
    reader = connection.connection.cursor()  # a second cursor: SQLite interleaves reads and writes fine
    reader.execute(query)
    names = [c[0] for c in reader.description]
    while rows := reader.fetchmany(FETCH):
        yield [dict(zip(names, row, strict=True)) for row in rows]
    reader.close()


def _store_windows(cursor, rng: Range, granularity: str, config: ScoringConfig, now: datetime):
    cursor.execute("DROP TABLE IF EXISTS new_windows")
    cursor.execute(
        f"CREATE TEMP TABLE new_windows AS SELECT {', '.join(WINDOW_COLUMNS)} "
        "FROM integrity_engagementwindow WHERE 1 = 0"
    )
    cursor.execute("CREATE INDEX new_windows_video_start ON new_windows (video_id, window_start)")
    totals = {"windows": 0, "events": 0, "invalid": 0}

    def rows(chunk):
        for row in chunk:
            scored = score_window(row, config)
            start = datetime.fromtimestamp(int(row["bucket"]), tz=UTC)
            end = datetime.fromtimestamp(int(row["bucket"]) + rng.window_seconds, tz=UTC)
            events = int(row["n_events"])
            invalid = events - sum(int(row[f"valid_{t}"] or 0) for t in ("view", "like", "comment", "share",
                                                                         "report", "follow"))  # fmt: skip
            components = orjson.dumps(scored.components, option=orjson.OPT_SORT_KEYS).decode()
            features = orjson.dumps(scored.features, option=orjson.OPT_SORT_KEYS).decode()
            counts = (events, invalid, int(row["valid_view"]), int(row["valid_like"]), int(row["valid_comment"]),
                      int(row["valid_share"]))  # fmt: skip
            digest = hashlib.sha256(
                f"{scored.engagement_integrity_score}\x1f{scored.band}\x1f{components}\x1f{features}\x1f{counts}".encode()
            ).hexdigest()
            totals["windows"] += 1
            totals["events"] += events
            totals["invalid"] += invalid
            yield (int(row["video_id"]), granularity, start, end, config.version, scored.engagement_integrity_score,
                   scored.band, components, features, *counts, digest, now)  # fmt: skip

    with sql.step("score windows"):
        for chunk in _feature_chunks(cursor):
            copy_rows(cursor, "new_windows", WINDOW_COLUMNS, rows(chunk))
        if sql.is_postgres():
            cursor.execute("ANALYZE new_windows")
    params = {"granularity": granularity, "version": config.version, "start": rng.start, "end": rng.end}
    cursor.execute(
        """
        DELETE FROM integrity_engagementwindow
        WHERE granularity = %(granularity)s AND scoring_version = %(version)s
          AND window_start >= %(start)s AND window_start < %(end)s
          AND NOT EXISTS (SELECT 1 FROM new_windows n WHERE n.video_id = integrity_engagementwindow.video_id
                          AND n.window_start = integrity_engagementwindow.window_start
                          AND n.content_hash = integrity_engagementwindow.content_hash)
        """,
        params,
    )
    columns = ", ".join(WINDOW_COLUMNS)
    # ON CONFLICT rather than NOT EXISTS: an anti-join planned against a table that starts empty
    # rescans the rows the statement itself inserts, which turns quadratic on large passes.
    cursor.execute(
        f"""
        INSERT INTO integrity_engagementwindow ({columns})
        SELECT {columns} FROM new_windows n WHERE 1 = 1
        ON CONFLICT (video_id, granularity, window_start, scoring_version) DO NOTHING
        """
    )
    written = cursor.rowcount
    return totals["windows"], written, totals["events"], totals["invalid"]


def _band_case(expr: str, config: ScoringConfig) -> str:
    low, high = config.bands
    return (f"CASE WHEN {expr} IS NULL THEN 'insufficient' WHEN {expr} >= {high} THEN 'high' "
            f"WHEN {expr} >= {low} THEN 'medium' ELSE 'low' END")  # fmt: skip


def _refresh_current(cursor, config: ScoringConfig, now: datetime) -> None:
    """Current EIS of each touched video, and trust of each touched creator, from recent daily windows."""
    weighted = (
        "SUM(CASE WHEN w.engagement_integrity_score IS NOT NULL THEN w.engagement_integrity_score * w.events_total END)"
        " / NULLIF(SUM(CASE WHEN w.engagement_integrity_score IS NOT NULL THEN w.events_total END), 0)"
    )
    params = {"version": config.version, "now": now}
    score_changed = sql.differs(
        "integrity_videointegrity.engagement_integrity_score", "EXCLUDED.engagement_integrity_score"
    )
    cursor.execute(
        f"""
        INSERT INTO integrity_videointegrity (video_id, engagement_integrity_score, band, scoring_version, windows,
                                              updated_at)
        SELECT agg.video_id, agg.score, {_band_case("agg.score", config)}, %(version)s, agg.windows, %(now)s
        FROM (
            SELECT w.video_id, {sql.round1(weighted)} AS score, COUNT(*) AS windows
            FROM integrity_engagementwindow w
            JOIN (SELECT v.video_id, MAX(x.window_start) AS last
                  FROM (SELECT DISTINCT video_id FROM features) v
                  JOIN integrity_engagementwindow x ON x.video_id = v.video_id
                  WHERE x.granularity = 'day' AND x.scoring_version = %(version)s
                  GROUP BY v.video_id) latest ON latest.video_id = w.video_id
            WHERE w.granularity = 'day' AND w.scoring_version = %(version)s
              AND w.window_start > {sql.minus_days("latest.last", config.current_days)}
            GROUP BY w.video_id
        ) agg
        WHERE 1 = 1
        ON CONFLICT (video_id) DO UPDATE SET engagement_integrity_score = EXCLUDED.engagement_integrity_score,
            band = EXCLUDED.band, scoring_version = EXCLUDED.scoring_version, windows = EXCLUDED.windows,
            updated_at = EXCLUDED.updated_at
        WHERE {score_changed}
           OR integrity_videointegrity.windows <> EXCLUDED.windows
           OR integrity_videointegrity.scoring_version <> EXCLUDED.scoring_version
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO integrity_creatortrust (creator_id, score, windows, scoring_version, updated_at)
        SELECT agg.creator_id, agg.score, agg.windows, %(version)s, %(now)s
        FROM (
            SELECT v.creator_id, {sql.round1(weighted)} AS score, COUNT(*) AS windows
            FROM integrity_engagementwindow w
            JOIN creators_video v ON v.id = w.video_id
            JOIN (SELECT c.creator_id, MAX(x.window_start) AS last
                  FROM (SELECT DISTINCT creator_id FROM features f JOIN creators_video cv ON cv.id = f.video_id) c
                  JOIN creators_video cv2 ON cv2.creator_id = c.creator_id
                  JOIN integrity_engagementwindow x ON x.video_id = cv2.id
                  WHERE x.granularity = 'day' AND x.scoring_version = %(version)s
                  GROUP BY c.creator_id) latest ON latest.creator_id = v.creator_id
            WHERE w.granularity = 'day' AND w.scoring_version = %(version)s
              AND w.window_start > {sql.minus_days("latest.last", config.creator_trust_days)}
            GROUP BY v.creator_id
        ) agg
        WHERE 1 = 1
        ON CONFLICT (creator_id) DO UPDATE SET score = EXCLUDED.score, windows = EXCLUDED.windows,
            scoring_version = EXCLUDED.scoring_version, updated_at = EXCLUDED.updated_at
        WHERE {sql.differs("integrity_creatortrust.score", "EXCLUDED.score")}
           OR integrity_creatortrust.windows <> EXCLUDED.windows
        """,
        params,
    )
