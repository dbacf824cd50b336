"""Value units of a period, set-based in SQL (PostgreSQL, and SQLite for the embedded default).

What counts, per video, for a period [start, end):

- engagement units: from the daily EIS windows of the period (integrity's judged-valid counts),
  ``view*w_view + like*w_like + comment*w_comment + share*w_share`` per window;
- EIS-weighted units: each window's units times ``(EIS/100)^gamma``; a window too thin to score
  counts at ``unscored_eis``;
- per-viewer cap (Deezer-style, per viewer across the whole platform and period): each viewer's
  valid engagement units of the period (events not judged invalid by the daily pass) are added
  up; a viewer over ``cap_units_per_day x days`` has every one of their engagements scaled by
  ``cap / total``. What the scaling removes is subtracted from the window-based units of each
  video the viewer engaged with (``capped_units``), and the EIS-weighted units shrink by the same
  ratio. One scan of the period's events, grouped by (viewer, video), gives both this and the
  unique-viewer counts of the eligibility floor;
- early velocity: ``velocity_multiplier`` when the valid events of a video's first
  ``velocity_hours`` after upload came from at least ``velocity_min_devices`` devices and
  ``velocity_min_networks`` network prefixes (a property of the video's launch, so it applies in
  every period the video earns in);
- creator trust: integrity's CreatorTrust score s (0-100, EIS of the creator's recent windows)
  maps to ``trust_min + (trust_max - trust_min) * s / 100``; no score yet: 1.0.

value_units = eis_weighted_units x capped_units / engagement_units x velocity x trust.

Removed videos earn nothing. The per-video lines are written straight from SQL into
``PayoutVideoLine``; only the per-creator sums come back to Python.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection

from payouts.timing import step
from valuetok.bulk import adapt

from .config import SplitConfig

TEMP_TABLES = ["pay_video", "pay_viewer_video", "pay_heavy", "pay_excess", "pay_viewers", "pay_fast", "pay_creator"]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# Parameters that are real numbers. A Python float reaches PostgreSQL as a literal of type numeric,
# which would make every product and POWER() over the period's windows arbitrary-precision
# arithmetic (about ten times slower); cast, they are double precision like the columns they meet.
FLOAT_PARAMS = ("w_view", "w_like", "w_comment", "w_share", "gamma", "unscored", "cap", "velocity", "trust_min",
                "trust_span")  # fmt: skip


def _floats(sql: str) -> str:
    if not _postgres():
        return sql
    for name in FLOAT_PARAMS:
        sql = sql.replace(f"%({name})s", f"CAST(%({name})s AS double precision)")
    return sql


def _plus_hours(column: str, hours: int) -> str:
    if _postgres():
        return f"({column} + INTERVAL '{int(hours)} hours')"
    return f"datetime({column}, '+{int(hours)} hours')"


def _temp(cursor, name: str, select_sql: str, params: dict | None = None, *, index: str | None = None) -> None:
    with step(f"compute: {name}"):
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMP TABLE {name} AS {_floats(select_sql)}", params or None)
        if index:
            cursor.execute(f"CREATE INDEX {name}_idx ON {name} ({index})")
        if _postgres():
            cursor.execute(f"ANALYZE {name}")


@dataclass(frozen=True)
class CreatorUnits:
    """Per-creator sums, aligned arrays (one entry per creator with any engagement in the period)."""

    creator_id: np.ndarray
    user_id: np.ndarray
    is_active: np.ndarray
    trust_score: np.ndarray  # NaN where integrity has no score yet
    trust_multiplier: np.ndarray
    videos: np.ndarray
    engagement_units: np.ndarray
    value_units: np.ndarray
    unique_viewers: np.ndarray

    def __len__(self) -> int:
        return len(self.creator_id)


def _params(config: SplitConfig, *, start: datetime, end: datetime, scoring_version: str) -> dict:
    days = max(1, round((end - start).total_seconds() / 86_400))
    w = config.unit_weights
    return {
        "start": adapt(start), "end": adapt(end), "version": scoring_version,
        "w_view": float(w["view"]), "w_like": float(w["like"]), "w_comment": float(w["comment"]),
        "w_share": float(w["share"]), "gamma": float(config.eis_gamma), "unscored": float(config.unscored_eis),
        "cap": float(config.per_viewer_cap_units_per_day) * days,
        "min_devices": int(config.velocity_min_devices), "min_networks": int(config.velocity_min_networks),
        "velocity": float(config.velocity_multiplier), "trust_min": float(config.trust_min),
        "trust_span": float(config.trust_max - config.trust_min),
    }  # fmt: skip


def _not_invalid(alias: str) -> str:
    return (
        "NOT EXISTS (SELECT 1 FROM integrity_invalidengagement i "  # noqa: S608 - a table alias
        f"WHERE i.event_id = {alias}.id AND i.scoring_version = %(version)s)"
    )


def video_lines_write(
    *, run_id: int, config: SplitConfig, start: datetime, end: datetime, scoring_version: str
) -> CreatorUnits:
    """Write the run's PayoutVideoLine rows and return the per-creator sums. Runs on the caller's
    transaction; the temporary tables are dropped before it returns."""
    params = {**_params(config, start=start, end=end, scoring_version=scoring_version), "run": int(run_id)}
    units = "(w.valid_views * %(w_view)s + w.valid_likes * %(w_like)s + w.valid_comments * %(w_comment)s + w.valid_shares * %(w_share)s)"  # noqa: E501
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SET LOCAL work_mem = '256MB'")
        _temp(
            cursor,
            "pay_video",
            f"""
            SELECT x.video_id, v.creator_id, SUM(x.u) AS engagement_units,
                   SUM(x.u * POWER(x.eis / 100.0, %(gamma)s)) AS eis_weighted_units,
                   SUM(x.u * x.eis) / SUM(x.u) AS eis, COUNT(*) AS windows
            FROM (SELECT w.video_id, {units} AS u, COALESCE(w.engagement_integrity_score, %(unscored)s) AS eis
                  FROM integrity_engagementwindow w
                  WHERE w.granularity = 'day' AND w.scoring_version = %(version)s
                    AND w.window_start >= %(start)s AND w.window_start < %(end)s) x
            JOIN creators_video v ON v.id = x.video_id
            WHERE v.status <> 'removed'
            GROUP BY x.video_id, v.creator_id
            HAVING SUM(x.u) > 0
            """,  # noqa: S608 - SQL from constants and validated numbers; values are parameters
            params,
            index="video_id",
        )
        _temp(
            cursor,
            "pay_viewer_video",
            f"""
            SELECT e.user_id, e.video_id,
                   SUM(CASE e.event_type WHEN 'view' THEN %(w_view)s WHEN 'like' THEN %(w_like)s
                       WHEN 'comment' THEN %(w_comment)s ELSE %(w_share)s END) AS units
            FROM integrity_viewerevent e
            WHERE e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
              AND e.event_type IN ('view', 'like', 'comment', 'share') AND {_not_invalid("e")}
            GROUP BY e.user_id, e.video_id
            """,  # noqa: S608 - SQL from constants and validated numbers; values are parameters
            params,
        )
        _temp(
            cursor,
            "pay_heavy",
            """SELECT user_id, %(cap)s / SUM(units) AS keep FROM pay_viewer_video
               GROUP BY user_id HAVING SUM(units) > %(cap)s""",
            params,
        )
        _temp(
            cursor,
            "pay_excess",
            """SELECT vv.video_id, SUM(vv.units * (1 - h.keep)) AS excess
               FROM pay_viewer_video vv JOIN pay_heavy h ON h.user_id = vv.user_id GROUP BY vv.video_id""",
            index="video_id",
        )
        _temp(
            cursor,
            "pay_viewers",
            """SELECT p.creator_id, COUNT(DISTINCT vv.user_id) AS viewers
               FROM pay_viewer_video vv JOIN pay_video p ON p.video_id = vv.video_id GROUP BY p.creator_id""",
            index="creator_id",
        )
        _temp(
            cursor,
            "pay_fast",
            f"""
            SELECT p.video_id FROM pay_video p
            JOIN creators_video v ON v.id = p.video_id
            JOIN integrity_viewerevent e ON e.video_id = p.video_id AND e.occurred_at >= v.created_at
                 AND e.occurred_at < {_plus_hours("v.created_at", config.velocity_hours)}
            WHERE {_not_invalid("e")}
            GROUP BY p.video_id
            HAVING COUNT(DISTINCT e.device_id) >= %(min_devices)s AND COUNT(DISTINCT e.ip_prefix_hash) >= %(min_networks)s
            """,  # noqa: E501, S608 - SQL from constants and validated numbers; values are parameters
            params,
            index="video_id",
        )
        _temp(
            cursor,
            "pay_creator",
            """
            SELECT c.id AS creator_id, c.user_id, u.is_active, t.score AS trust_score,
                   CASE WHEN t.score IS NULL THEN 1.0 ELSE %(trust_min)s + %(trust_span)s * t.score / 100.0 END
                       AS trust_multiplier
            FROM (SELECT DISTINCT creator_id FROM pay_video) pc
            JOIN creators_creatorprofile c ON c.id = pc.creator_id
            JOIN creators_user u ON u.id = c.user_id
            LEFT JOIN integrity_creatortrust t ON t.creator_id = c.id
            """,
            params,
            index="creator_id",
        )
        insert = _floats("""
            INSERT INTO payouts_payoutvideoline (run_id, video_id, creator_id, engagement_units, capped_units,
                engagement_integrity_score, windows, eis_weighted_units, velocity_multiplier, trust_multiplier,
                value_units)
            SELECT %(run)s, q.video_id, q.creator_id, q.engagement_units, q.capped, q.eis, q.windows,
                   q.eis_weighted_units, q.velocity, q.trust_multiplier,
                   q.eis_weighted_units * (q.capped / q.engagement_units) * q.velocity * q.trust_multiplier
            FROM (SELECT p.video_id, p.creator_id, p.engagement_units, p.eis, p.windows, p.eis_weighted_units,
                         CASE WHEN p.engagement_units - COALESCE(x.excess, 0) > 0
                              THEN p.engagement_units - COALESCE(x.excess, 0) ELSE 0 END AS capped,
                         CASE WHEN f.video_id IS NULL THEN 1.0 ELSE %(velocity)s END AS velocity,
                         c.trust_multiplier
                  FROM pay_video p
                  JOIN pay_creator c ON c.creator_id = p.creator_id
                  LEFT JOIN pay_excess x ON x.video_id = p.video_id
                  LEFT JOIN pay_fast f ON f.video_id = p.video_id) q
            ORDER BY q.video_id
        """)
        sums = """
            SELECT c.creator_id, c.user_id, c.is_active, c.trust_score, c.trust_multiplier, s.videos,
                   s.engagement_units, s.value_units, COALESCE(vw.viewers, 0)
            FROM pay_creator c
            JOIN (SELECT creator_id, COUNT(*) AS videos, SUM(engagement_units) AS engagement_units,
                         SUM(value_units) AS value_units
                  FROM {lines} GROUP BY creator_id) s
                 ON s.creator_id = c.creator_id
            LEFT JOIN pay_viewers vw ON vw.creator_id = c.creator_id
            ORDER BY c.creator_id
        """
        if _postgres():
            # The per-creator sums straight from the inserted rows (RETURNING), in the order they
            # were written, instead of reading a million lines back from the table.
            with step("compute: insert video lines and creator sums"):
                cursor.execute(
                    f"WITH ins AS ({insert} RETURNING creator_id, engagement_units, value_units) "
                    + sums.format(lines="ins"),
                    params,
                )
                rows = cursor.fetchall()
        else:
            with step("compute: insert video lines"):
                cursor.execute(insert, params)
            with step("compute: creator sums"):
                cursor.execute(sums.format(lines="payouts_payoutvideoline WHERE run_id = %(run)s"), params)
                rows = cursor.fetchall()
        for name in TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9

    def array(i: int, dtype) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in columns[i]], dtype=dtype)

    return CreatorUnits(
        creator_id=array(0, np.int64),
        user_id=array(1, np.int64),
        is_active=np.array([bool(v) for v in columns[2]], dtype=bool),
        trust_score=array(3, np.float64),
        trust_multiplier=array(4, np.float64),
        videos=array(5, np.int64),
        engagement_units=array(6, np.float64),
        value_units=array(7, np.float64),
        unique_viewers=array(8, np.int64),
    )


def video_values_now(
    *, video_ids: list[int], config: SplitConfig, start: datetime, end: datetime, scoring_version: str
) -> dict[int, tuple[float, float, float]]:
    """For clawbacks: each video's (engagement units, EIS-weighted units, EIS) from the windows as
    they are stored now. The per-viewer cap ratio and the multipliers are taken from the run's
    lines, so only what integrity revised changes."""
    if not video_ids:
        return {}
    params = _params(config, start=start, end=end, scoring_version=scoring_version)
    units = "(w.valid_views * %(w_view)s + w.valid_likes * %(w_like)s + w.valid_comments * %(w_comment)s + w.valid_shares * %(w_share)s)"  # noqa: E501
    found: dict[int, tuple[float, float, float]] = {}
    with connection.cursor() as cursor:
        for offset in range(0, len(video_ids), 10_000):
            chunk = [int(v) for v in video_ids[offset : offset + 10_000]]
            placeholders = ", ".join(["%s"] * len(chunk))
            # Named and positional parameters cannot mix: inline the named ones in order.
            query = f"""
                SELECT x.video_id, SUM(x.u), SUM(x.u * POWER(x.eis / 100.0, %(gamma)s)),
                       SUM(x.u * x.eis) / NULLIF(SUM(x.u), 0)
                FROM (SELECT w.video_id, {units} AS u, COALESCE(w.engagement_integrity_score, %(unscored)s) AS eis
                      FROM integrity_engagementwindow w
                      WHERE w.granularity = 'day' AND w.scoring_version = %s
                        AND w.window_start >= %s AND w.window_start < %s AND w.video_id IN ({placeholders})) x
                GROUP BY x.video_id
            """  # noqa: S608 - only placeholders are interpolated
            query = (
                _floats(query)
                .replace("%(gamma)s", "%s")
                .replace("%(unscored)s", "%s")
                .replace("%(w_view)s", "%s")
                .replace("%(w_like)s", "%s")
                .replace("%(w_comment)s", "%s")
                .replace("%(w_share)s", "%s")
            )
            args = [params["gamma"], params["w_view"], params["w_like"], params["w_comment"], params["w_share"],
                    params["unscored"], scoring_version, params["start"], params["end"], *chunk]  # fmt: skip
            cursor.execute(query, args)
            for video_id, engagement, weighted, eis in cursor.fetchall():
                found[int(video_id)] = (float(engagement or 0), float(weighted or 0), float(eis or 0))
    return found
