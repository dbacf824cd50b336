"""The set-based measuring pass: events of a time range in, per video-window features out.

Everything happens in temporary tables with aggregate and window-function queries, for all videos
and all windows of the range at once; no video's events are ever loaded into Python. Steps:

1. ``ev``: the range's events, plus the actor lookback before it, with their video's creator.
2. Actor signals over ``ev``: devices shared by many accounts, metronomic accounts, lockstep
   pairs (CopyCatch-style co-liking), creators' own devices, repeat viewing, impossible rates.
3. ``judged``: each event of the range with the first invalid-traffic reason that applies (general
   invalid traffic first, as the MRC guidelines split it), or none.
4. ``trust``: a trust score for each viewer active in the range, each part explained.
5. ``features``: one row per (video, window) with counts, valid counts, diversity, timing.
"""

from dataclasses import dataclass
from datetime import datetime

from . import sql
from .config import ScoringConfig

TEMP_TABLES = [
    "agents", "ev", "reporters", "f_users", "flag_device", "flag_metronomic", "flag_lockstep", "flag_rate",
    "flag_repeat", "creator_devices", "graph_edges", "graph_labels", "graph_devices", "graph_next", "flag_cluster",
    "judged", "trust", "f_counts", "f_devices", "f_prefixes", "f_gaps", "f_watch", "f_hours", "f_profile",
    "features",
]  # fmt: skip

REASONS = [
    "hosting_network", "bot_user_agent", "impossible_rate", "self_engagement", "shared_device", "device_cluster",
    "metronomic", "lockstep", "repeat_views",
]  # fmt: skip
TYPES = ["view", "like", "comment", "share", "report", "follow"]


@dataclass(frozen=True)
class Range:
    start: datetime
    end: datetime
    window_seconds: int


def measure(cursor, rng: Range, config: ScoringConfig) -> None:
    """Fill the temporary tables for the range; the caller reads ``features``, ``judged``, ``trust``."""
    lookback_start = datetime.fromtimestamp(rng.start.timestamp() - config.actor_lookback_seconds, tz=rng.start.tzinfo)
    pattern = config.bot_user_agent_pattern if sql.is_postgres() else "(?i)" + config.bot_user_agent_pattern
    params = {
        "start": rng.start,
        "end": rng.end,
        "lookback_start": lookback_start,
        "start_epoch": rng.start.timestamp(),
        "bot_pattern": pattern,
    }
    t = sql.epoch("e.occurred_at")
    # The user-agent pattern is matched once per distinct agent, not once per event: a platform
    # sees a few thousand agents and billions of events.
    sql.temp_table(
        cursor,
        "agents",
        f"""SELECT user_agent, CASE WHEN {sql.matches("user_agent")} THEN 1 ELSE 0 END AS bot_ua
            FROM (SELECT DISTINCT user_agent FROM integrity_viewerevent
                  WHERE occurred_at >= %(lookback_start)s AND occurred_at < %(end)s) distinct_agents""",
        params,
    )
    sql.temp_table(
        cursor,
        "ev",
        f"""
        SELECT e.id, e.video_id, e.user_id, e.event_type, {t} AS t, e.device_id, e.session_id,
               e.ip_prefix_hash AS prefix, e.watch_time_ms AS watch, v.duration_ms AS duration,
               c.user_id AS creator_user, v.creator_id,
               CASE WHEN e.is_hosting_network THEN 1 ELSE 0 END AS hosting,
               a.bot_ua,
               CASE WHEN e.occurred_at >= %(start)s THEN 1 ELSE 0 END AS in_range,
               {sql.floor_to(t, rng.window_seconds)} AS bucket
        FROM integrity_viewerevent e
        JOIN creators_video v ON v.id = e.video_id
        JOIN creators_creatorprofile c ON c.id = v.creator_id
        JOIN agents a ON a.user_agent = e.user_agent
        WHERE e.occurred_at >= %(lookback_start)s AND e.occurred_at < %(end)s
        """,
        params,
    )
    _actor_signals(cursor, config)
    _judge(cursor)
    _viewer_trust(cursor, params)
    _features(cursor, rng, config)


def _actor_signals(cursor, config: ScoringConfig) -> None:
    sql.temp_table(
        cursor,
        "flag_device",
        f"""SELECT device_id, COUNT(DISTINCT user_id) AS accounts FROM ev GROUP BY device_id
            HAVING COUNT(DISTINCT user_id) >= {int(config.shared_device_accounts)}""",
    )
    # Metronomic: the gaps between an account's views barely vary (coefficient of variation).
    sql.temp_table(
        cursor,
        "flag_metronomic",
        f"""
        SELECT user_id FROM (
            SELECT user_id, t - LAG(t) OVER (PARTITION BY user_id ORDER BY t) AS gap
            FROM ev WHERE event_type = 'view'
        ) gaps
        WHERE gap IS NOT NULL
        GROUP BY user_id
        HAVING COUNT(*) >= {int(config.metronomic_min_views) - 1} AND AVG(gap) > 0
           AND AVG(gap * gap) - AVG(gap) * AVG(gap)
               < {float(config.metronomic_max_cv) ** 2} * AVG(gap) * AVG(gap)
        """,
    )
    # Lockstep (CopyCatch): two accounts liking the same videos within seconds of each other, on
    # several videos. Likes are bucketed by the span so the self-join stays an equi-join.
    span = int(config.lockstep_span_seconds)
    likes = f"(SELECT user_id, video_id, t, {sql.floor_to('t', span)} AS bk FROM ev WHERE event_type = 'like')"
    pair = f"{sql.least('a.user_id', 'b.user_id')} AS u1, {sql.greatest('a.user_id', 'b.user_id')} AS u2"
    sql.temp_table(
        cursor,
        "flag_lockstep",
        f"""
        WITH likes AS {likes},
        pairs AS (
            SELECT {pair}, a.video_id FROM likes a JOIN likes b
              ON b.video_id = a.video_id AND b.bk = a.bk AND a.user_id < b.user_id AND ABS(b.t - a.t) <= {span}
            UNION ALL
            SELECT {pair}, a.video_id FROM likes a JOIN likes b
              ON b.video_id = a.video_id AND b.bk = a.bk + {span} AND a.user_id <> b.user_id
             AND ABS(b.t - a.t) <= {span}
        ),
        groups AS (
            SELECT u1, u2 FROM pairs GROUP BY u1, u2
            HAVING COUNT(DISTINCT video_id) >= {int(config.lockstep_min_videos)}
        )
        SELECT user_id, COUNT(*) AS partners
        FROM (SELECT u1 AS user_id FROM groups UNION ALL SELECT u2 AS user_id FROM groups) members
        GROUP BY user_id
        """,
    )
    # Impossible rates: more actions within any sliding minute than a person can make.
    sql.temp_table(
        cursor,
        "flag_rate",
        f"""SELECT user_id, MAX(per_minute) AS per_minute FROM (
                SELECT user_id, COUNT(*) OVER (PARTITION BY user_id ORDER BY t
                                              RANGE BETWEEN 60 PRECEDING AND CURRENT ROW) AS per_minute
                FROM ev) rates
            GROUP BY user_id HAVING MAX(per_minute) > {int(config.max_events_per_minute)}""",
    )
    sql.temp_table(
        cursor,
        "flag_repeat",
        f"""SELECT user_id, video_id, {sql.floor_to("t", 3600)} AS hour FROM ev WHERE event_type = 'view'
            GROUP BY user_id, video_id, {sql.floor_to("t", 3600)}
            HAVING COUNT(*) > {int(config.repeat_views_per_hour)}""",
    )
    _device_clusters(cursor, config)
    # Devices a creator's own account used: engagement from them on that creator's videos is self-engagement.
    sql.temp_table(
        cursor,
        "creator_devices",
        """SELECT DISTINCT ev.device_id, ev.user_id AS creator_user FROM ev
           WHERE ev.user_id IN (SELECT user_id FROM creators_creatorprofile)""",
    )


def _device_clusters(cursor, config: ScoringConfig) -> None:
    """Connected components of the account-device graph, by iterated min-label propagation.

    Network prefixes are left out of the graph on purpose: households and mobile carriers share
    addresses, and joining strangers through them would make every carrier one big "cluster".
    """
    sql.temp_table(cursor, "graph_edges", "SELECT DISTINCT user_id, device_id FROM ev", index="device_id")
    sql.temp_table(cursor, "graph_labels", "SELECT DISTINCT user_id, user_id AS label FROM graph_edges",
                   index="user_id")  # fmt: skip
    for _ in range(int(config.cluster_iterations)):
        sql.temp_table(
            cursor,
            "graph_devices",
            """SELECT e.device_id, MIN(l.label) AS label FROM graph_edges e
               JOIN graph_labels l ON l.user_id = e.user_id GROUP BY e.device_id""",
        )
        sql.temp_table(
            cursor,
            "graph_next",
            """SELECT e.user_id, MIN(d.label) AS label FROM graph_edges e
               JOIN graph_devices d ON d.device_id = e.device_id GROUP BY e.user_id""",
            index="user_id",
        )
        cursor.execute(
            "SELECT COUNT(*) FROM graph_next n JOIN graph_labels l ON l.user_id = n.user_id WHERE n.label <> l.label"
        )
        (changed,) = cursor.fetchone()
        cursor.execute("DROP TABLE graph_labels")
        cursor.execute("ALTER TABLE graph_next RENAME TO graph_labels")
        if not changed:
            break
    sql.temp_table(
        cursor,
        "flag_cluster",
        f"""
        WITH clusters AS (
            SELECT l.label, COUNT(DISTINCT l.user_id) AS accounts, COUNT(DISTINCT e.device_id) AS devices
            FROM graph_labels l JOIN graph_edges e ON e.user_id = l.user_id
            GROUP BY l.label
            HAVING COUNT(DISTINCT l.user_id) >= {int(config.cluster_min_accounts)}
        )
        SELECT l.user_id, c.accounts, c.devices FROM graph_labels l JOIN clusters c ON c.label = l.label
        WHERE c.devices < {float(config.cluster_max_devices_per_account)} * c.accounts
        """,
    )


def _judge(cursor) -> None:
    sql.temp_table(
        cursor,
        "judged",
        f"""
        SELECT ev.id, ev.video_id, ev.user_id, ev.event_type, ev.t, ev.bucket, ev.device_id, ev.session_id,
               ev.prefix, ev.watch, ev.duration, ev.creator_id, ev.hosting,
               CASE
                 WHEN ev.hosting = 1 THEN 'hosting_network'
                 WHEN ev.bot_ua = 1 THEN 'bot_user_agent'
                 WHEN fr.user_id IS NOT NULL THEN 'impossible_rate'
                 WHEN ev.user_id = ev.creator_user OR cd.device_id IS NOT NULL THEN 'self_engagement'
                 WHEN fd.device_id IS NOT NULL THEN 'shared_device'
                 WHEN fc.user_id IS NOT NULL THEN 'device_cluster'
                 WHEN fm.user_id IS NOT NULL THEN 'metronomic'
                 WHEN fl.user_id IS NOT NULL THEN 'lockstep'
                 WHEN rv.user_id IS NOT NULL THEN 'repeat_views'
               END AS reason
        FROM ev
        LEFT JOIN flag_rate fr ON fr.user_id = ev.user_id
        LEFT JOIN creator_devices cd ON cd.device_id = ev.device_id AND cd.creator_user = ev.creator_user
        LEFT JOIN flag_device fd ON fd.device_id = ev.device_id
        LEFT JOIN flag_cluster fc ON fc.user_id = ev.user_id
        LEFT JOIN flag_metronomic fm ON fm.user_id = ev.user_id
        LEFT JOIN flag_lockstep fl ON fl.user_id = ev.user_id
        LEFT JOIN flag_repeat rv ON rv.user_id = ev.user_id AND rv.video_id = ev.video_id
             AND rv.hour = {sql.floor_to("ev.t", 3600)} AND ev.event_type = 'view'
        WHERE ev.in_range = 1
        """,
        index="id",
    )


def _viewer_trust(cursor, params: dict) -> None:
    """Trust of each viewer active in the range, from parts a person can check.

    account age (up to 30), a phone number on file (15), no device shared with many accounts (20),
    share of activity from residential rather than data-centre networks (20), and no reports of
    theirs that staff upheld (15; moderation decisions feed this once they exist).
    """
    end_epoch = sql.epoch("%(end)s")
    age_days = f"(({end_epoch} - {sql.epoch('u.date_joined')}) / 86400.0)"
    sql.temp_table(
        cursor,
        "trust",
        f"""
        WITH active AS (
            SELECT ev.user_id, AVG({sql.as_float("ev.hosting")}) AS hosting_share,
                   MAX(CASE WHEN fd.device_id IS NOT NULL THEN 1 ELSE 0 END) AS shared_device
            FROM ev LEFT JOIN flag_device fd ON fd.device_id = ev.device_id
            WHERE ev.in_range = 1
            GROUP BY ev.user_id
        )
        SELECT a.user_id,
               {sql.least(f"30.0 * {age_days} / 180.0", "30.0")} AS age_points,
               {age_days} AS age_days,
               CASE WHEN u.phone_number <> '' THEN 15.0 ELSE 0.0 END AS phone_points,
               CASE WHEN a.shared_device = 1 THEN 0.0 ELSE 20.0 END AS device_points,
               20.0 * (1.0 - a.hosting_share) AS network_points,
               a.hosting_share,
               15.0 AS history_points
        FROM active a JOIN creators_user u ON u.id = a.user_id
        """,
        params,
    )


def _features(cursor, rng: Range, config: ScoringConfig) -> None:
    counts = ", ".join(
        f"SUM(CASE WHEN event_type = '{t}' THEN 1 ELSE 0 END) AS n_{t}, "
        f"SUM(CASE WHEN event_type = '{t}' AND reason IS NULL THEN 1 ELSE 0 END) AS valid_{t}"
        for t in TYPES
    )
    reasons = ", ".join(f"SUM(CASE WHEN reason = '{r}' THEN 1 ELSE 0 END) AS inv_{r}" for r in REASONS)
    completion = sql.least("1.0 * j.watch / j.duration", "1.0")
    units = " ".join(f"WHEN '{t}' THEN {float(w)}" for t, w in config.unit_weights.items())
    # Accounts that reported a video are attacking it, not boosting it: their invalid traffic must
    # not count against the video (a brigade must not sink what it targets).
    sql.temp_table(
        cursor, "reporters", "SELECT DISTINCT video_id, bucket, user_id FROM judged WHERE event_type = 'report'"
    )
    sql.temp_table(
        cursor,
        "f_counts",
        f"""
        SELECT j.video_id, j.bucket, COUNT(*) AS n_events, {counts}, {reasons},
               AVG(CASE WHEN j.event_type = 'view' AND j.reason IS NULL THEN j.watch END) AS avg_watch_ms,
               AVG(CASE WHEN j.event_type = 'view' AND j.reason IS NULL AND j.duration > 0
                        THEN {completion} END) AS completion,
               SUM(CASE WHEN j.event_type = 'report' AND j.reason IS NULL
                        THEN (tr.age_points + tr.phone_points + tr.device_points + tr.network_points
                              + tr.history_points) / 100.0 ELSE 0 END) AS credible_reports,
               SUM(CASE WHEN j.event_type = 'report' AND j.reason IS NULL
                         AND tr.age_points + tr.phone_points + tr.device_points + tr.network_points
                             + tr.history_points < 40 THEN 1 ELSE 0 END) AS low_trust_reports,
               SUM(CASE WHEN j.reason IS NOT NULL AND rp.user_id IS NOT NULL
                        THEN CASE j.event_type {units} ELSE 0 END ELSE 0 END) AS hostile_invalid_units
        FROM judged j LEFT JOIN trust tr ON tr.user_id = j.user_id
        LEFT JOIN reporters rp ON rp.video_id = j.video_id AND rp.bucket = j.bucket AND rp.user_id = j.user_id
        GROUP BY j.video_id, j.bucket
        """,
    )
    # Distinct counts come from grouping twice (hash aggregates), which is far cheaper than many
    # COUNT(DISTINCT ...) in one query. Per account: did it like, comment, engage validly, attack?
    sql.temp_table(
        cursor,
        "f_users",
        """
        SELECT video_id, bucket, COUNT(*) AS viewers,
               SUM(liked) AS likers, SUM(commented) AS commenters, SUM(any_valid) AS valid_viewers,
               SUM(hostile) AS hostile_accounts
        FROM (SELECT j.video_id, j.bucket, j.user_id,
                     MAX(CASE WHEN j.event_type = 'like' THEN 1 ELSE 0 END) AS liked,
                     MAX(CASE WHEN j.event_type = 'comment' THEN 1 ELSE 0 END) AS commented,
                     MAX(CASE WHEN j.reason IS NULL THEN 1 ELSE 0 END) AS any_valid,
                     MAX(CASE WHEN j.reason IS NOT NULL AND rp.user_id IS NOT NULL THEN 1 ELSE 0 END) AS hostile
              FROM judged j
              LEFT JOIN reporters rp ON rp.video_id = j.video_id AND rp.bucket = j.bucket AND rp.user_id = j.user_id
              GROUP BY j.video_id, j.bucket, j.user_id) per_user
        GROUP BY video_id, bucket
        """,
    )
    # Diversity among everything that engaged: Shannon entropy of devices and of network prefixes.
    for name, column, extra in (
        ("f_devices", "device_id", ", SUM(liked) AS liker_devices"),
        ("f_prefixes", "prefix", ""),
    ):
        sql.temp_table(
            cursor,
            name,
            f"""
            SELECT video_id, bucket, LN(SUM(n)) - SUM(n * LN(n)) / SUM(n) AS entropy, COUNT(*) AS distinct_values
                   {extra}
            FROM (SELECT video_id, bucket, {column}, {sql.as_float("COUNT(*)")} AS n,
                         MAX(CASE WHEN event_type = 'like' THEN 1 ELSE 0 END) AS liked
                  FROM judged GROUP BY video_id, bucket, {column}) per_value
            GROUP BY video_id, bucket
            """,
        )
    # Timing: the gaps between views of a video (too regular or too bursty).
    sql.temp_table(
        cursor,
        "f_gaps",
        """
        SELECT video_id, bucket, COUNT(*) AS gaps, AVG(gap) AS gap_mean, AVG(gap * gap) AS gap_sq
        FROM (SELECT video_id, bucket, t - LAG(t) OVER (PARTITION BY video_id, bucket ORDER BY t) AS gap
              FROM judged WHERE event_type = 'view') g
        WHERE gap IS NOT NULL
        GROUP BY video_id, bucket
        """,
    )
    # Session shape: the share of views with the single most common watch time.
    sql.temp_table(
        cursor,
        "f_watch",
        """
        SELECT video_id, bucket, MAX(n) AS top_watch_views
        FROM (SELECT video_id, bucket, watch, COUNT(*) AS n FROM judged WHERE event_type = 'view'
              GROUP BY video_id, bucket, watch) w
        GROUP BY video_id, bucket
        """,
    )
    # Hour of day: the window's views against the creator's profile over the lookback.
    hour = "(CAST(t / 3600 AS INTEGER) % 24)"
    sql.temp_table(
        cursor,
        "f_profile",
        f"""SELECT creator_id, {hour} AS hour, {sql.as_float("COUNT(*)")} AS n FROM ev
            WHERE event_type = 'view' GROUP BY creator_id, {hour}""",
    )
    judged_hour = "(CAST(j.t / 3600 AS INTEGER) % 24)"
    sql.temp_table(
        cursor,
        "f_hours",
        f"""
        WITH mine AS (
            SELECT j.video_id, j.bucket, j.creator_id, {judged_hour} AS hour, {sql.as_float("COUNT(*)")} AS n
            FROM judged j WHERE j.event_type = 'view' GROUP BY j.video_id, j.bucket, j.creator_id, {judged_hour}
        ),
        mine_total AS (SELECT video_id, bucket, SUM(n) AS total, MAX(n) AS peak FROM mine GROUP BY video_id, bucket),
        profile_total AS (SELECT creator_id, SUM(n) AS total FROM f_profile GROUP BY creator_id)
        SELECT m.video_id, m.bucket, MAX(mt.peak) / MAX(mt.total) AS peak_hour_share, MAX(pt.total) AS profile_views,
               0.5 * SUM(ABS(m.n / mt.total - COALESCE(p.n, 0) / pt.total))
               + 0.5 * (1.0 - SUM(COALESCE(p.n, 0) / pt.total)) AS hour_deviation
        FROM mine m
        JOIN mine_total mt ON mt.video_id = m.video_id AND mt.bucket = m.bucket
        JOIN profile_total pt ON pt.creator_id = m.creator_id
        LEFT JOIN f_profile p ON p.creator_id = m.creator_id AND p.hour = m.hour
        GROUP BY m.video_id, m.bucket
        """,
    )
    sql.temp_table(
        cursor,
        "features",
        """
        SELECT c.*, u.viewers, u.valid_viewers, u.likers, u.commenters, u.hostile_accounts,
               d.distinct_values AS devices, d.liker_devices, p.distinct_values AS prefixes,
               d.entropy AS device_entropy, p.entropy AS prefix_entropy,
               COALESCE(g.gaps, 0) AS gaps, g.gap_mean, g.gap_sq, w.top_watch_views,
               h.peak_hour_share, h.hour_deviation, h.profile_views
        FROM f_counts c
        JOIN f_users u ON u.video_id = c.video_id AND u.bucket = c.bucket
        LEFT JOIN f_devices d ON d.video_id = c.video_id AND d.bucket = c.bucket
        LEFT JOIN f_prefixes p ON p.video_id = c.video_id AND p.bucket = c.bucket
        LEFT JOIN f_gaps g ON g.video_id = c.video_id AND g.bucket = c.bucket
        LEFT JOIN f_watch w ON w.video_id = c.video_id AND w.bucket = c.bucket
        LEFT JOIN f_hours h ON h.video_id = c.video_id AND h.bucket = c.bucket
        """,
    )
