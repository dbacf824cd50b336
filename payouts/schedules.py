from celery.schedules import crontab

from valuetok.schedules import PeriodicSchedule

SCHEDULES = [
    # --- Ledger: gifts ---
    PeriodicSchedule(
        name="payouts: release held gifts",
        task="payouts.release_held_gifts",
        schedule=crontab(minute="30", hour="2"),
        description="Daily: move gifts older than PAYOUTS_GIFT_HOLD_DAYS from held to available (creators with KYC).",
    ),
    PeriodicSchedule(
        name="payouts: milestones sweep",
        task="payouts.milestones_sweep",
        schedule=crontab(minute="23"),
        description="Hourly: record follower milestones the live checks missed, pay awards waiting for the bonus pool.",
    ),
    PeriodicSchedule(
        name="payouts: trends sweep",
        task="payouts.trends_sweep",
        schedule=crontab(minute="*/15"),
        description="Every 15 minutes: record trend adoptions, recount adopters, pay waiting trend bonuses.",
    ),
    # --- Revenue split runs ---
    PeriodicSchedule(
        name="payouts: monthly revenue split",
        task="payouts.run_period",
        schedule=crontab(minute="0", hour="6", day_of_month="2"),
        kwargs={"granularity": "monthly"},
        description="2nd of the month: split last month's recorded revenue (after the daily EIS windows are in).",
    ),
    PeriodicSchedule(
        name="payouts: release safety reserves",
        task="payouts.release_reserves",
        schedule=crontab(minute="45", hour="3"),
        description="Daily: release reserves older than PAYOUTS_RESERVE_RELEASE_DAYS, less clawbacks.",
    ),
    PeriodicSchedule(
        name="payouts: clawbacks for revised EIS",
        task="payouts.clawbacks",
        schedule=crontab(minute="15", hour="1"),
        description="Daily, after the EIS pass: recover what runs overpaid on windows whose EIS was revised down.",
    ),
]
