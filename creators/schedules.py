from celery.schedules import crontab

from valuetok.schedules import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="creators: recount followers",
        task="creators.recount_followers",
        schedule=crontab(minute="17"),
        description="Hourly repair of denormalised follower counts from the follow table.",
    ),
    PeriodicSchedule(
        name="creators: prune unverified sign-ups",
        task="creators.prune_unverified_signups",
        schedule=crontab(minute="41", hour="3"),
        description="Daily: sign-ups never verified within ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS are deleted.",
    ),
]
