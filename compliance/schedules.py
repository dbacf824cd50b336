"""Compliance's periodic schedules (installed by ``manage.py sync_periodic_tasks``)."""

from celery.schedules import crontab

from valuetok.schedules import PeriodicSchedule

SCHEDULES = [
    # --- KYC ---------------------------------------------------------------------------------------
    PeriodicSchedule(
        name="compliance: expire KYC verifications",
        task="compliance.expire_kyc",
        schedule=crontab(minute="15", hour="0"),
        description="Marks KYC verifications whose identity document expired yesterday or earlier.",
    ),
    # --- AML ---------------------------------------------------------------------------------------
    PeriodicSchedule(
        name="compliance: scan the gift graph for circles",
        task="compliance.scan_gift_graph",
        schedule=crontab(minute="40"),
        description="Finds laundering circles in the last two weeks of gifts that real-time decisions could not see.",
    ),
]
