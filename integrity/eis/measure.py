"""The set-based measuring pass: events of a time range in, per video-window features out.

Everything happens in work tables (see ``sql.work_tables``: temporary tables, or a per-pass schema
shared by two connections) with aggregate and window-function queries, for all videos and all
windows of the range at once; no video's events are ever loaded into Python. Independent groups of
steps run side by side where the work tables are shared (``sql.together``). Steps:

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
    "agents", "ev", "reporters", "flag_device", "flag_timing", "flag_lockstep", "flag_user",
    "flag_repeat", "creator_devices", "graph_edges", "graph_labels", "graph_devices", "graph_next", "flag_cluster",
    "judged", "trust", "f_counts", "f_reports", "f_hostile", "f_devices", "f_prefixes", "f_watch", "f_timing",
    "f_profile", "features",
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
        SELECT e.id, e.video_id, e.user_id, e.event_type, {t} AS t, {sql.key64("e.device_id")} AS device_id,
               {sql.key64("e.ip_prefix_hash")} AS prefix, e.watch_time_ms AS watch, v.duration_ms AS duration,
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
    # Independent groups of steps; on PostgreSQL outside a transaction they run on two connections.
    sql.together(cursor, lambda c: _account_signals(c, config), lambda c: _device_signals(c, config))
    _account_flags(cursor)
    sql.together(cursor, _judge, lambda c: _viewer_trust(c, params))
    sql.together(cursor, lambda c: _features_counts(c, config), _features_spread)
    _features_join(cursor)


def _device_signals(cursor, config: ScoringConfig) -> None:
    """The account-device graph and what comes from it, lockstep likes, and creators' hour profiles."""
    # Which accounts used which devices: the account-device graph, shared devices and creators' own
    # devices all come from these distinct pairs rather than from the events again.
    sql.temp_table(cursor, "graph_edges", "SELECT user_id, device_id FROM ev GROUP BY user_id, device_id",
                   index="device_id")  # fmt: skip
    sql.temp_table(
        cursor,
        "flag_device",
        f"""SELECT device_id, COUNT(*) AS accounts FROM graph_edges GROUP BY device_id
            HAVING COUNT(*) >= {int(config.shared_device_accounts)}""",
    )
    # Devices a creator's own account used: engagement from them on that creator's videos is self-engagement.
    sql.temp_table(
        cursor,
        "creator_devices",
        """SELECT device_id, user_id AS creator_user FROM graph_edges
           WHERE user_id IN (SELECT user_id FROM creators_creatorprofile)""",
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
    _device_clusters(cursor, config)
    # Hour of day: each creator's views over the lookback, the profile a window's views are held against.
    hour = f"({sql.floor_to('t', 3600)} / 3600 % 24)"
    sql.temp_table(
        cursor,
        "f_profile",
        f"""SELECT creator_id, {hour} AS hour, {sql.as_float("COUNT(*)")} AS n FROM ev
            WHERE event_type = 'view' GROUP BY creator_id, {hour}""",
    )


def _account_signals(cursor, config: ScoringConfig) -> None:
    """Per-account timing: impossible rates, metronomic viewing, repeat views."""
    # One ordered pass over each account's events gives both timing signals: impossible rates (more
    # actions within any sliding minute than a person can make) and metronomic viewing (the gaps
    # between an account's views barely vary: a small coefficient of variation). It also marks the
    # busy accounts, the only ones that can repeat-view a video within one clock hour.
    repeats = int(config.repeat_views_per_hour)
    previous_view = (
        "MAX(CASE WHEN event_type = 'view' THEN t END) OVER (PARTITION BY user_id ORDER BY t "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    sql.temp_table(
        cursor,
        "flag_timing",
        f"""
        SELECT user_id,
               CASE WHEN MAX(per_minute) > {int(config.max_events_per_minute)} THEN 1 ELSE 0 END AS rate,
               CASE WHEN COUNT(gap) >= {int(config.metronomic_min_views) - 1} AND AVG(gap) > 0
                         AND AVG(gap * gap) - AVG(gap) * AVG(gap)
                             < {float(config.metronomic_max_cv) ** 2} * AVG(gap) * AVG(gap)
                    THEN 1 ELSE 0 END AS metronomic,
               CASE WHEN MAX(views_per_hour) > {repeats} THEN 1 ELSE 0 END AS busy
        FROM (SELECT user_id,
                     COUNT(*) OVER (PARTITION BY user_id ORDER BY t
                                    RANGE BETWEEN 60 PRECEDING AND CURRENT ROW) AS per_minute,
                     COUNT(CASE WHEN event_type = 'view' THEN 1 END) OVER (PARTITION BY user_id ORDER BY t
                                    RANGE BETWEEN 3600 PRECEDING AND CURRENT ROW) AS views_per_hour,
                     CASE WHEN event_type = 'view' THEN t - {previous_view} END AS gap
              FROM ev) timing
        GROUP BY user_id
        HAVING MAX(per_minute) > {int(config.max_events_per_minute)} OR MAX(views_per_hour) > {repeats}
            OR (COUNT(gap) >= {int(config.metronomic_min_views) - 1} AND AVG(gap) > 0
                AND AVG(gap * gap) - AVG(gap) * AVG(gap)
                    < {float(config.metronomic_max_cv) ** 2} * AVG(gap) * AVG(gap))
        """,
    )
    sql.temp_table(
        cursor,
        "flag_repeat",
        f"""SELECT user_id, video_id, {sql.floor_to("t", 3600)} AS hour FROM ev
            WHERE event_type = 'view' AND user_id IN (SELECT user_id FROM flag_timing WHERE busy = 1)
            GROUP BY user_id, video_id, {sql.floor_to("t", 3600)}
            HAVING COUNT(*) > {repeats}""",
    )


def _account_flags(cursor) -> None:
    # Every account-level flag in one row per account, so judging joins once.
    sql.temp_table(
        cursor,
        "flag_user",
        """
        SELECT user_id, MAX(rate) AS rate, MAX(cluster) AS cluster, MAX(metronomic) AS metronomic,
               MAX(lockstep) AS lockstep
        FROM (SELECT user_id, rate, 0 AS cluster, metronomic, 0 AS lockstep FROM flag_timing
              UNION ALL SELECT user_id, 0, 1, 0, 0 FROM flag_cluster
              UNION ALL SELECT user_id, 0, 0, 0, 1 FROM flag_lockstep) flags
        GROUP BY user_id
        """,
    )


def _device_clusters(cursor, config: ScoringConfig) -> None:
    """Connected components of the account-device graph, by iterated min-label propagation.

    Network prefixes are left out of the graph on purpose: households and mobile carriers share
    addresses, and joining strangers through them would make every carrier one big "cluster".
    """
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
        SELECT ev.id, ev.video_id, ev.user_id, ev.event_type, ev.t, ev.bucket, ev.device_id, ev.prefix, ev.watch,
               ev.duration, ev.creator_id,
               CASE
                 WHEN ev.hosting = 1 THEN 'hosting_network'
                 WHEN ev.bot_ua = 1 THEN 'bot_user_agent'
                 WHEN fu.rate = 1 THEN 'impossible_rate'
                 WHEN ev.user_id = ev.creator_user OR cd.device_id IS NOT NULL THEN 'self_engagement'
                 WHEN fd.device_id IS NOT NULL THEN 'shared_device'
                 WHEN fu.cluster = 1 THEN 'device_cluster'
                 WHEN fu.metronomic = 1 THEN 'metronomic'
                 WHEN fu.lockstep = 1 THEN 'lockstep'
                 WHEN rv.user_id IS NOT NULL THEN 'repeat_views'
               END AS reason
        FROM ev
        LEFT JOIN flag_user fu ON fu.user_id = ev.user_id
        LEFT JOIN creator_devices cd ON cd.device_id = ev.device_id AND cd.creator_user = ev.creator_user
        LEFT JOIN flag_device fd ON fd.device_id = ev.device_id
        LEFT JOIN flag_repeat rv ON rv.user_id = ev.user_id AND rv.video_id = ev.video_id
             AND rv.hour = {sql.floor_to("ev.t", 3600)} AND ev.event_type = 'view'
        WHERE ev.in_range = 1
        """,
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


def _features_counts(cursor, config: ScoringConfig) -> None:
    """Per window: counts, valid counts, distinct accounts, reports, hostile traffic, device diversity."""
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
    # One sort of the window's rows gives the counts and the distinct accounts (PostgreSQL counts
    # distinct values within each sorted group, which beats grouping by account first when most
    # accounts act once).
    sql.temp_table(
        cursor,
        "f_counts",
        f"""
        SELECT j.video_id, j.bucket, COUNT(*) AS n_events, {counts}, {reasons},
               AVG(CASE WHEN j.event_type = 'view' AND j.reason IS NULL THEN j.watch END) AS avg_watch_ms,
               AVG(CASE WHEN j.event_type = 'view' AND j.reason IS NULL AND j.duration > 0
                        THEN {completion} END) AS completion,
               COUNT(DISTINCT j.user_id) AS viewers,
               COUNT(DISTINCT CASE WHEN j.event_type = 'like' THEN j.user_id END) AS likers,
               COUNT(DISTINCT CASE WHEN j.event_type = 'comment' THEN j.user_id END) AS commenters,
               COUNT(DISTINCT CASE WHEN j.reason IS NULL THEN j.user_id END) AS valid_viewers
        FROM judged j
        GROUP BY j.video_id, j.bucket
        """,
    )
    # Report credibility and hostile traffic touch few rows: they are joined on their own rather
    # than probing trust and reporters for every event.
    trust = "(tr.age_points + tr.phone_points + tr.device_points + tr.network_points + tr.history_points)"
    sql.temp_table(
        cursor,
        "f_reports",
        f"""
        SELECT j.video_id, j.bucket, SUM({trust} / 100.0) AS credible_reports,
               SUM(CASE WHEN {trust} < 40 THEN 1 ELSE 0 END) AS low_trust_reports
        FROM judged j JOIN trust tr ON tr.user_id = j.user_id
        WHERE j.event_type = 'report' AND j.reason IS NULL
        GROUP BY j.video_id, j.bucket
        """,
    )
    sql.temp_table(
        cursor,
        "f_hostile",
        f"""
        SELECT j.video_id, j.bucket, SUM(CASE j.event_type {units} ELSE 0 END) AS hostile_invalid_units,
               COUNT(DISTINCT j.user_id) AS hostile_accounts
        FROM judged j
        JOIN reporters rp ON rp.video_id = j.video_id AND rp.bucket = j.bucket AND rp.user_id = j.user_id
        WHERE j.reason IS NOT NULL
        GROUP BY j.video_id, j.bucket
        """,
    )
    _entropy(cursor, "f_devices", "device_id", ", SUM(liked) AS liker_devices")


def _entropy(cursor, name: str, column: str, extra: str = "") -> None:
    """Diversity among everything that engaged: Shannon entropy of the column's values per window."""
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


def _features_spread(cursor) -> None:
    """Per window: network diversity, the most common watch time, timing of views against the creator's hours."""
    _entropy(cursor, "f_prefixes", "prefix")
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
    f = sql.as_float
    sql.temp_table(
        cursor,
        "f_timing",
        f"""
        WITH gaps AS (
            SELECT video_id, bucket, creator_id, abs_hour,
                   t - LAG(t) OVER (PARTITION BY video_id, bucket ORDER BY abs_hour, t) AS gap
            FROM (SELECT video_id, bucket, creator_id, t, {sql.floor_to("t", 3600)} / 3600 AS abs_hour
                  FROM judged WHERE event_type = 'view') views
        ),
        per_hour AS (
            SELECT video_id, bucket, abs_hour % 24 AS hour, MAX(creator_id) AS creator_id, {f("COUNT(*)")} AS n,
                   COUNT(gap) AS gaps, SUM(gap) AS gap_sum, SUM(gap * gap) AS gap_sq_sum
            FROM gaps GROUP BY video_id, bucket, abs_hour
        ),
        shares AS (
            SELECT h.*, h.n / SUM(h.n) OVER (PARTITION BY h.video_id, h.bucket) AS share,
                   COALESCE(p.n, 0) / pt.total AS usual_share, pt.total AS profile_views
            FROM per_hour h
            JOIN (SELECT creator_id, SUM(n) AS total FROM f_profile GROUP BY creator_id) pt
              ON pt.creator_id = h.creator_id
            LEFT JOIN f_profile p ON p.creator_id = h.creator_id AND p.hour = h.hour
        )
        SELECT video_id, bucket, SUM(gaps) AS gaps, SUM(gap_sum) / NULLIF(SUM(gaps), 0) AS gap_mean,
               SUM(gap_sq_sum) / NULLIF(SUM(gaps), 0) AS gap_sq, MAX(share) AS peak_hour_share,
               MAX(profile_views) AS profile_views,
               0.5 * SUM(ABS(share - usual_share)) + 0.5 * (1.0 - SUM(usual_share)) AS hour_deviation
        FROM shares GROUP BY video_id, bucket
        """,
    )


def _features_join(cursor) -> None:
    sql.temp_table(
        cursor,
        "features",
        """
        SELECT c.*, COALESCE(r.credible_reports, 0) AS credible_reports,
               COALESCE(r.low_trust_reports, 0) AS low_trust_reports,
               COALESCE(x.hostile_invalid_units, 0) AS hostile_invalid_units,
               COALESCE(x.hostile_accounts, 0) AS hostile_accounts,
               d.distinct_values AS devices, d.liker_devices, p.distinct_values AS prefixes,
               d.entropy AS device_entropy, p.entropy AS prefix_entropy,
               COALESCE(h.gaps, 0) AS gaps, h.gap_mean, h.gap_sq, w.top_watch_views,
               h.peak_hour_share, h.hour_deviation, h.profile_views
        FROM f_counts c
        LEFT JOIN f_reports r ON r.video_id = c.video_id AND r.bucket = c.bucket
        LEFT JOIN f_hostile x ON x.video_id = c.video_id AND x.bucket = c.bucket
        LEFT JOIN f_devices d ON d.video_id = c.video_id AND d.bucket = c.bucket
        LEFT JOIN f_prefixes p ON p.video_id = c.video_id AND p.bucket = c.bucket
        LEFT JOIN f_watch w ON w.video_id = c.video_id AND w.bucket = c.bucket
        LEFT JOIN f_timing h ON h.video_id = c.video_id AND h.bucket = c.bucket
        """,
    )
