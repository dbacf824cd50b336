"""Clawbacks: recovering money when a past window's EIS is revised down (fraud found late).

After a run is committed, integrity may recompute a window of its period (a new scoring pass finds
a bot ring, say): its ``computed_at`` then lies after the run's. For each such video the run's
value is re-derived from the windows as stored now, keeping the run's per-viewer cap ratio,
velocity and trust multipliers (only what integrity revised changes). A creator whose value fell
keeps ``gross x value_now / value_at_run`` (rounded down); the difference is reversed by one
compensating entry that references the original allocation entry:

  platform_revenue +(fee refund + recovered)   the money returns to the pool of later runs
  platform_fees    -fee refund                 the platform gives back its fee on that part
  safety_reserve   -from this allocation's reserve (while not yet released)
  creator_held     -then from the held balance
  creator_available -then from the available balance

What the creator already withdrew is recorded as ``unrecovered_cents``, never invented. Revisions
upwards pay nothing extra (the run's pool is spent). Each clawback is a ``Clawback`` row with the
reason and the videos, for the statement and the dashboard.
"""

import logging
from datetime import UTC, datetime, time

from django.db import connection, transaction

from payouts import ledger
from payouts.models import AccountKind, Clawback, EntryKind, PayoutAllocation, PayoutRun, PayoutVideoLine
from valuetok.bulk import adapt

from .config import SplitConfig
from .units import video_values_now

logger = logging.getLogger(__name__)

# Value changes smaller than this fraction are float noise, not revisions.
TOLERANCE = 1e-9


def _revised_video_ids(run: PayoutRun, since: datetime | None) -> list[int]:
    start = datetime.combine(run.period_start, time.min, tzinfo=UTC)
    end = datetime.combine(run.period_end, time.min, tzinfo=UTC)
    after = max(run.computed_at, since) if since else run.computed_at
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT l.video_id FROM payouts_payoutvideoline l
            WHERE l.run_id = %s AND EXISTS (
                SELECT 1 FROM integrity_engagementwindow w
                WHERE w.video_id = l.video_id AND w.granularity = 'day' AND w.scoring_version = %s
                  AND w.window_start >= %s AND w.window_start < %s AND w.computed_at > %s)
            """,
            [run.id, run.scoring_version, adapt(start), adapt(end), adapt(after)],
        )
        return [row[0] for row in cursor.fetchall()]


def _balance(kind: str, user) -> tuple[ledger.LedgerAccount, int]:
    account = ledger.account_for(kind=kind, owner=user)
    return account, ledger.balance_of(account=account)


def _claw(allocation: PayoutAllocation, value_now: float, details: list[dict]) -> Clawback | None:
    with transaction.atomic():
        allocation = (
            PayoutAllocation.objects.select_for_update(of=("self",))
            .select_related("run", "creator__user", "entry")
            .get(id=allocation.id)
        )
        previous = list(allocation.clawbacks.order_by("sequence"))
        value_before = previous[-1].value_units_after if previous else allocation.value_units
        if value_now >= value_before * (1 - TOLERANCE):
            return None
        clawed_gross = sum(c.gross_cents for c in previous)
        keep = (
            int(allocation.gross_cents * max(value_now, 0.0) / allocation.value_units) if allocation.value_units else 0
        )
        gross = allocation.gross_cents - clawed_gross - keep
        if gross <= 0:
            return None
        platform_share = allocation.fee_cents + allocation.margin_adjustment_cents
        fee_refund = gross * platform_share // allocation.gross_cents
        owed = gross - fee_refund
        user = allocation.creator.user
        reserve_left = 0
        if not hasattr(allocation, "reserve_release"):
            reserve_left = allocation.reserve_cents - sum(c.from_reserve_cents for c in previous)
        reserve_account, reserve_balance = _balance(AccountKind.SAFETY_RESERVE, user)
        from_reserve = max(0, min(owed, reserve_left, reserve_balance))
        held_account, held_balance = _balance(AccountKind.CREATOR_HELD, user)
        from_held = max(0, min(owed - from_reserve, held_balance))
        available_account, available_balance = _balance(AccountKind.CREATOR_AVAILABLE, user)
        from_available = max(0, min(owed - from_reserve - from_held, available_balance))
        unrecovered = owed - from_reserve - from_held - from_available
        recovered = fee_refund + from_reserve + from_held + from_available
        sequence = len(previous) + 1
        videos = ", ".join(str(d["video"]) for d in details)
        reason = (
            f"The engagement integrity of video(s) {videos} in the period from {allocation.run.period_start} was "
            f"revised down after the run: value units {value_before:.2f} -> {value_now:.2f}."
        )
        entry = None
        if recovered:
            legs = [(ledger.account_for(kind=AccountKind.PLATFORM_REVENUE), recovered)]
            for account, amount in (
                (ledger.account_for(kind=AccountKind.PLATFORM_FEES), fee_refund),
                (reserve_account, from_reserve),
                (held_account, from_held),
                (available_account, from_available),
            ):
                if amount:
                    legs.append((account, -amount))
            entry = ledger.entry_post(
                kind=EntryKind.CLAWBACK, legs=legs, idempotency_key=f"payouts:clawback:{allocation.id}:{sequence}",
                memo=reason,
                reference={"run": str(allocation.run.public_id), "allocation": allocation.id,
                           "creator": allocation.creator_id,
                           "original_entry": str(allocation.entry.public_id) if allocation.entry else None},
            )  # fmt: skip
        clawback = Clawback.objects.create(
            allocation=allocation, run=allocation.run, creator=allocation.creator, sequence=sequence, reason=reason,
            details={"videos": details}, value_units_before=value_before, value_units_after=value_now,
            gross_cents=gross, fee_refund_cents=fee_refund, from_reserve_cents=from_reserve,
            from_held_cents=from_held, from_available_cents=from_available, unrecovered_cents=unrecovered,
            entry=entry,
        )  # fmt: skip
    logger.info("payout_clawback creator=%s run=%s gross=%s recovered=%s unrecovered=%s", allocation.creator_id,
                allocation.run.public_id, gross, recovered, unrecovered)  # fmt: skip
    return clawback


def clawback_for_revised_windows(*, run_id: int | None = None, since: datetime | None = None) -> int:
    """Claw back what committed runs overpaid on windows revised since they were computed; returns
    how many clawbacks were recorded. Safe to repeat: an unchanged revision claws nothing twice."""
    runs = PayoutRun.objects.filter(status=PayoutRun.Status.COMMITTED).order_by("id")
    if run_id is not None:
        runs = runs.filter(id=run_id)
    made = 0
    for run in runs:
        revised = _revised_video_ids(run, since)
        if not revised:
            continue
        config = SplitConfig.from_json({k: v for k, v in run.config.items() if k != "waterfill_rounds"})
        start = datetime.combine(run.period_start, time.min, tzinfo=UTC)
        end = datetime.combine(run.period_end, time.min, tzinfo=UTC)
        now_values = video_values_now(video_ids=revised, config=config, start=start, end=end,
                                      scoring_version=run.scoring_version)  # fmt: skip
        by_creator: dict[int, list[dict]] = {}
        delta: dict[int, float] = {}
        for line in PayoutVideoLine.objects.filter(run=run, video_id__in=revised):
            _units, weighted, eis = now_values.get(line.video_id, (0.0, 0.0, 0.0))
            ratio = line.capped_units / line.engagement_units if line.engagement_units else 0.0
            value = weighted * ratio * line.velocity_multiplier * line.trust_multiplier
            if value >= line.value_units * (1 - TOLERANCE):
                continue
            delta[line.creator_id] = delta.get(line.creator_id, 0.0) + value - line.value_units
            by_creator.setdefault(line.creator_id, []).append(
                {
                    "video": line.video_id,
                    "eis_before": round(line.engagement_integrity_score, 2),
                    "eis_after": round(eis, 2),
                    "value_units_before": round(line.value_units, 4),
                    "value_units_after": round(value, 4),
                }
            )
        allocations = PayoutAllocation.objects.filter(run=run, creator_id__in=list(by_creator), gross_cents__gt=0)
        for allocation in allocations:
            value_now = allocation.value_units + delta[allocation.creator_id]
            if _claw(allocation, value_now, by_creator[allocation.creator_id]):
                made += 1
    return made

