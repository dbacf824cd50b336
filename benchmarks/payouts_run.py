"""Revenue split benchmark on PostgreSQL: one monthly run over 100,000 creators and 1,000,000 videos.

Seeds a scratch database (valuetok_bench_payouts) set-based with INSERT ... SELECT generate_series:
creators and their videos, about 1.5 daily EIS windows per video over the month, viewer events
(valid engagement for the per-viewer cap, the unique-viewer floor and early velocity, with a few
heavy accounts), KYC approvals at every level, creator trust (some under the likely-bot line) and
the month's revenue. Then times, separately, computing the run (windows check, value units in SQL,
numpy water-filling and largest remainder, allocation lines written) and committing it (one
journal entry per paid creator through ``ledger.entries_post``), and prints both with the peak
memory of this process and the machine. Target: under 60 seconds on two cores.

    .venv/bin/python benchmarks/payouts_run.py [--creators 100000] [--videos 1000000] [--events 2000000] [--keep]
        [--reuse] [--database valuetok_bench_payouts]

``--reuse`` keeps an already seeded scratch database (implies ``--keep``): the world stays, and
every payout and ledger table is emptied with TRUNCATE before the run (the ledger's append-only
triggers are row-level UPDATE/DELETE triggers, which TRUNCATE does not fire), so the run can be
measured again without seeding again.
"""

import argparse
import logging
import os
import resource
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import scratch  # noqa: E402
from benchmarks.machine import describe  # noqa: E402

DATABASE = "valuetok_bench_payouts"
PERIOD = date(2026, 10, 1)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Emptied between runs with --reuse: everything a run, its commit and the revenue entry wrote.
RUN_TABLES = [
    "payouts_clawback", "payouts_reserverelease", "payouts_payoutallocation", "payouts_payoutvideoline",
    "payouts_payoutrun", "payouts_journalleg", "payouts_journalentry", "payouts_ledgeraccount",
    "payouts_ledger_pending_entry", "payouts_ledger_txn_check",
]  # fmt: skip


class StepLog(logging.Handler):
    """Collects the step timings that compute and commit log at DEBUG under "payouts.split.steps"."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: Counter = Counter()
        self.order: list[str] = []
        steps = logging.getLogger("payouts.split.steps")
        steps.setLevel(logging.DEBUG)
        steps.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        name, seconds = record.args
        if name not in self.seconds:
            self.order.append(name)
        self.seconds[name] += seconds


def seeded_already(cursor) -> bool:
    cursor.execute("SELECT to_regclass('creators_creatorprofile') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT EXISTS (SELECT 1 FROM creators_creatorprofile)")
    return bool(cursor.fetchone()[0])


def seed(cursor, *, creators: int, videos: int, viewers: int, events: int, version: str) -> dict[str, float]:
    """Everything set-based in the database; returns seconds per table."""
    seconds: dict[str, float] = {}

    def step(name: str, sql: str, params: dict | None = None) -> None:
        began = time.perf_counter()
        cursor.execute(sql, params or {})
        seconds[name] = time.perf_counter() - began

    params = {"creators": creators, "videos": videos, "viewers": viewers, "events": events, "version": version}
    step("users", """
        INSERT INTO creators_user (password, is_superuser, public_id, email, first_name, last_name, phone_number,
                                   country, is_staff, is_active, date_joined)
        SELECT '!', false, gen_random_uuid(), 'u' || g || '@bench.test', '', '', '', 'GB', false,
               g %% 997 <> 0, timestamptz '2025-01-01'
        FROM generate_series(1, %(creators)s + %(viewers)s) g""", params)  # fmt: skip
    step(
        "creators",
        """
        INSERT INTO creators_creatorprofile (user_id, handle, display_name, bio, country, follower_count, created_at)
        SELECT u.id, 'creator' || u.id, 'Creator ' || u.id, '', 'GB', 0, timestamptz '2025-01-01'
        FROM creators_user u WHERE u.id <= (SELECT MIN(id) FROM creators_user) + %(creators)s - 1""",
        params,
    )
    step("videos", """
        INSERT INTO creators_video (public_id, creator_id, title, description, media_file, source_url, duration_ms,
                                    width, height, codec, status, created_at)
        SELECT gen_random_uuid(), c.min_id + (g %% %(creators)s), 'v' || g, '', '', 'https://m.bench.test/' || g,
               30000, 1080, 1920, 'h264', CASE WHEN g %% 500 = 0 THEN 'removed' ELSE 'published' END,
               timestamptz '2026-10-01' + ((g %% 28) || ' days')::interval + ((g %% 24) || ' hours')::interval
        FROM generate_series(1, %(videos)s) g, (SELECT MIN(id) AS min_id FROM creators_creatorprofile) c""",
         params)  # fmt: skip
    step("windows", """
        INSERT INTO integrity_engagementwindow (video_id, granularity, window_start, window_end, scoring_version,
            engagement_integrity_score, band, components, features, events_total, events_invalid, valid_views,
            valid_likes, valid_comments, valid_shares, content_hash, computed_at)
        SELECT v.id, 'day', timestamptz '2026-10-01' + (d || ' days')::interval,
               timestamptz '2026-10-02' + (d || ' days')::interval, %(version)s,
               CASE WHEN v.id %% 17 = 0 THEN NULL ELSE 30 + (v.id * 7919 %% 71) END, 'medium', '{}', '{}',
               100, 5, 5 + v.id %% 90, v.id %% 13, v.id %% 5, v.id %% 3, md5(v.id || '-' || d), now()
        FROM creators_video v
        CROSS JOIN LATERAL (SELECT v.id %% 31 AS d UNION ALL
                            SELECT (v.id %% 31 + 1 + v.id %% 29) %% 31 WHERE v.id %% 2 = 0) days""",
         params)  # fmt: skip
    step("events", """
        INSERT INTO integrity_viewerevent (event_uuid, video_id, user_id, event_type, occurred_at, device_id,
            session_id, watch_time_ms, ip_hash, ip_prefix_hash, country, is_hosting_network, user_agent,
            received_at)
        SELECT gen_random_uuid(), vmin + (g * 7919 %% %(videos)s), umin + %(creators)s +
                 CASE WHEN g %% 50 = 0 THEN g %% 5 ELSE (hashtext(g::text) & 2147483647) %% %(viewers)s END,
               CASE WHEN g %% 10 < 7 THEN 'view' WHEN g %% 10 < 9 THEN 'like' ELSE 'share' END,
               timestamptz '2026-10-01' + ((g %% (31 * 86400)) || ' seconds')::interval,
               'dev-' || (g %% 150000), 's' || g, CASE WHEN g %% 10 < 7 THEN 15000 END,
               md5('ip' || g %% 90000), substr(md5('net' || g %% 40000), 1, 32), 'GB', false, 'ValueTok/38.2', now()
        FROM generate_series(1::bigint, %(events)s) g,
             (SELECT MIN(id) AS vmin FROM creators_video) v, (SELECT MIN(id) AS umin FROM creators_user) u""",
         params)  # fmt: skip
    step("kyc", """
        INSERT INTO compliance_kycsubmission (public_id, user_id, given_names, surname, aliases, date_of_birth, sex,
            nationality, address_line1, address_line2, city, postal_code, address_country, phone_number, email,
            status, level, eligible_level, score, flags, screening_matches, enhanced_review, submitted_at,
            decided_at)
        SELECT gen_random_uuid(), c.user_id, 'A', 'B', '[]', date '1990-01-01', '', 'GB', '1 High St', '', 'London',
               '', 'GB', '+447700900123', 'k' || c.id || '@bench.test', 'approved', 1 + c.id %% 3,
               LEAST(2, 1 + c.id %% 3), 80, '[]', '[]', false, now(), now()
        FROM creators_creatorprofile c WHERE c.id %% 5 <> 0""")  # fmt: skip
    step("trust", """
        INSERT INTO integrity_creatortrust (creator_id, score, windows, scoring_version, updated_at)
        SELECT c.id, (c.id * 31 %% 101), 10, %(version)s, now()
        FROM creators_creatorprofile c WHERE c.id %% 10 <> 0""", params)  # fmt: skip
    began = time.perf_counter()
    cursor.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.perf_counter() - began
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--videos", type=int, default=1_000_000)
    parser.add_argument("--viewers", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--pool-cents", type=int, default=500_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a seeded scratch database (run tables emptied); implies --keep"
    )
    parser.add_argument("--database", default=DATABASE, help="scratch database name (valuetok_bench_*)")
    args = parser.parse_args()
    if not args.database.startswith("valuetok_bench_") or not args.database.replace("_", "").isalnum():
        sys.exit("--database must be a plain name starting with valuetok_bench_")

    os.environ.setdefault("PAYOUTS_MIN_UNIQUE_VIEWERS", "3")
    url = scratch.django_setup(args.database, reuse=args.reuse)
    from django.db import connection

    from integrity.eis.config import CURRENT
    from payouts.models import JournalEntry, JournalLeg, PayoutAllocation, PayoutVideoLine
    from payouts.split import payout_run_commit, payout_run_compute, payout_run_create, revenue_record

    began = time.perf_counter()
    with connection.cursor() as cursor:
        if args.reuse and seeded_already(cursor):
            cursor.execute(f"TRUNCATE {', '.join(RUN_TABLES)} RESTART IDENTITY CASCADE")
            cursor.execute(f"VACUUM ANALYZE {', '.join(RUN_TABLES)}")
            seeded = {"reused, payout and ledger tables truncated": time.perf_counter() - began}
        else:
            seeded = seed(cursor, creators=args.creators, videos=args.videos, viewers=args.viewers,
                          events=args.events, version=CURRENT.version)  # fmt: skip
    seed_seconds = time.perf_counter() - began
    steps = StepLog()
    revenue_record(period_start=PERIOD, period_end=date(2026, 11, 1), amount_cents=args.pool_cents,
                   idempotency_key="bench-2026-10")  # fmt: skip
    rss_before = peak_rss_mib()

    began = time.perf_counter()
    run = payout_run_create(granularity="monthly", period_start=PERIOD, pool_cents=args.pool_cents)
    run = payout_run_compute(run_id=run.id)
    compute_seconds = time.perf_counter() - began
    began = time.perf_counter()
    run = payout_run_commit(run_id=run.id)
    commit_seconds = time.perf_counter() - began
    peak = peak_rss_mib()

    total = compute_seconds + commit_seconds
    print(describe(url))
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in seeded.items())
    print(
        f"world: {args.creators:,} creators, {args.videos:,} videos, {args.events:,} viewer events from "
        f"{args.viewers:,} viewers; seeded set-based in {seed_seconds:.1f}s ({stages}; not part of the run)"
    )
    print(
        f"run: status {run.status}, {PayoutVideoLine.objects.filter(run=run).count():,} video lines, "
        f"{PayoutAllocation.objects.filter(run=run).count():,} creator lines, {run.creators_paid:,} paid, "
        f"{run.creators_excluded:,} excluded, water-filling rounds {run.config.get('waterfill_rounds')}"
    )
    print(
        f"money: pool {run.pool_cents:,} = allocated {run.allocated_cents:,} + carried forward "
        f"{run.carried_forward_cents:,}; fees {run.fees_cents + run.margin_adjustment_cents:,}, reserve "
        f"{run.reserve_cents:,}, available {run.net_available_cents:,}, held {run.net_held_cents:,}"
    )
    print(
        f"ledger: {JournalEntry.objects.filter(kind='allocation').count():,} allocation entries, "
        f"{JournalLeg.objects.filter(entry__kind='allocation').count():,} legs"
    )
    with connection.cursor() as cursor:
        # Same cents to every creator before and after a change: a checksum over each allocation.
        cursor.execute(
            "SELECT md5(string_agg(concat_ws(':', creator_id, gross_cents, fee_cents + margin_adjustment_cents, "
            "reserve_cents, net_cents), ',' ORDER BY creator_id)) FROM payouts_payoutallocation WHERE run_id = %s",
            [run.id],
        )
        checksum = cursor.fetchone()[0]
    print(f"checksum (creator_id, gross, fee, reserve, net): {checksum}")
    print(f"compute (create + windows check + value units + split + lines): {compute_seconds:.1f}s")
    print(f"commit (accounts + entries_post + link entries + status): {commit_seconds:.1f}s")
    print(f"total: {total:.1f}s (target < 60 s -> {'met' if total < 60 else 'NOT met'})")
    print(f"peak memory of this process: {peak:.0f} MiB (before the run: {rss_before:.0f} MiB)")
    print("steps (seconds):")
    for name in steps.order:
        print(f"  {name:<40} {steps.seconds[name]:7.2f}")
    if not (args.keep or args.reuse):
        scratch.drop(args.database)


if __name__ == "__main__":
    main()
