from celery.schedules import crontab

from valuetok.schedules import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="integrity: hourly EIS windows",
        task="integrity.compute_closed_window",
        schedule=crontab(minute="5"),
        kwargs={"granularity": "hour"},
        description="Scores the hour that just closed (five minutes late, for stragglers).",
    ),
    PeriodicSchedule(
        name="integrity: daily EIS windows",
        task="integrity.compute_closed_window",
        schedule=crontab(minute="20", hour="0"),
        kwargs={"granularity": "day"},
        description="Scores yesterday and judges each of its engagements; payouts count what stays valid.",
    ),
]
