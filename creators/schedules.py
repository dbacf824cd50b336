from celery.schedules import crontab

from valuetok.schedules import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="creators: recount followers",
        task="creators.recount_followers",
        schedule=crontab(minute="17"),
        description="Hourly repair of denormalised follower counts from the follow table.",
    ),
]
