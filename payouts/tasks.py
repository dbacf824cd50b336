"""Payouts Celery tasks: thin wrappers that call a service; every one is safe to run twice."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# --- Ledger: gifts -------------------------------------------------------------------------------------
@shared_task(name="payouts.release_held_gifts", queue="payouts", soft_time_limit=1800, time_limit=1860,
             ignore_result=True)  # fmt: skip
def release_held_gifts() -> dict[str, int]:
    """Move gifts past their hold period (creator with KYC) from held to available; once per gift."""
    from payouts.gifts import held_gifts_release
    from payouts.held import held_earnings_release

    result = held_gifts_release()
    earnings = held_earnings_release()
    return {"released": result.released, "released_cents": result.released_cents,
            "waiting_for_kyc": result.waiting_for_kyc, "earnings_released": earnings}  # fmt: skip


# --- Bonuses and trends ------------------------------------------------------------------------------
@shared_task(name="payouts.milestones_sweep", queue="payouts", soft_time_limit=900, time_limit=960, ignore_result=True)
def milestones_sweep() -> dict[str, int]:
    """Record follower milestones that live checks missed and pay awards waiting for the bonus pool."""
    from creators.milestones import milestones_sweep as sweep

    return sweep()


@shared_task(name="payouts.trends_sweep", queue="payouts", soft_time_limit=900, time_limit=960, ignore_result=True)
def trends_sweep() -> dict[str, int]:
    """Record trend adoptions (videos published after tagging), recount, pay waiting trend bonuses."""
    from creators.trends import trends_sweep as sweep

    return sweep()


# --- Revenue split runs ------------------------------------------------------------------------------
@shared_task(name="payouts.run_period", queue="payouts", soft_time_limit=1800, time_limit=1860, ignore_result=True)
def run_period(granularity: str = "monthly", period_start: str | None = None) -> dict[str, object]:
    """Run (create, compute, commit) the split of the last ended period, or of ``period_start``
    (ISO date), with the revenue recorded for it. A rerun finishes or repeats the same run."""
    from datetime import date

    from payouts.split import payout_period_run, previous_period_start

    start = date.fromisoformat(period_start) if period_start else previous_period_start(granularity=granularity)
    run = payout_period_run(granularity=granularity, period_start=start)
    if run is None:
        return {"period_start": start.isoformat(), "status": "skipped: no revenue"}
    return {"period_start": start.isoformat(), "run": str(run.public_id), "status": run.status}


@shared_task(name="payouts.release_reserves", queue="payouts", soft_time_limit=1800, time_limit=1860,
             ignore_result=True)  # fmt: skip
def release_reserves() -> int:
    """Release safety reserves past their holding period; each allocation once."""
    from payouts.split import reserve_release_due

    return reserve_release_due()


@shared_task(name="payouts.clawbacks", queue="payouts", soft_time_limit=1800, time_limit=1860, ignore_result=True)
def clawbacks() -> int:
    """Claw back what committed runs overpaid on EIS windows revised down since; repeats claw nothing twice."""
    from payouts.split import clawback_for_revised_windows

    return clawback_for_revised_windows()
