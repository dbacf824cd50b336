"""Periodic schedules are declared in code (``<app>/schedules.py``, a ``SCHEDULES`` list) and
installed into django-celery-beat's tables by ``manage.py sync_periodic_tasks``, which is
idempotent: it creates what is missing, updates what changed and removes schedules it once
installed that the code no longer declares. Schedules staff add by hand in admin are left alone.
"""

import json
from dataclasses import dataclass, field
from importlib import import_module

from celery.schedules import crontab, schedule
from django.apps import apps
from django.db import transaction

MANAGED_MARK = "[code] "


@dataclass(frozen=True)
class PeriodicSchedule:
    name: str
    task: str
    schedule: crontab | schedule
    description: str = ""
    kwargs: dict = field(default_factory=dict)


def collect_schedules() -> list[PeriodicSchedule]:
    found: list[PeriodicSchedule] = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        found.extend(getattr(module, "SCHEDULES", []))
    names = [s.name for s in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"schedule names must be unique: {', '.join(sorted(duplicates))}")
    return found


@transaction.atomic
def periodic_tasks_sync(schedules: list[PeriodicSchedule] | None = None) -> dict[str, int]:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    schedules = collect_schedules() if schedules is None else schedules
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    for item in schedules:
        fields: dict[str, object] = {
            "task": item.task,
            "kwargs": json.dumps(item.kwargs, sort_keys=True),
            "description": MANAGED_MARK + item.description,
            "enabled": True,
            "crontab": None,
            "interval": None,
        }
        if isinstance(item.schedule, crontab):
            c = item.schedule
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=c._orig_minute,
                hour=c._orig_hour,
                day_of_week=c._orig_day_of_week,
                day_of_month=c._orig_day_of_month,
                month_of_year=c._orig_month_of_year,
                timezone="UTC",
            )
        else:
            seconds = int(item.schedule.run_every.total_seconds())
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=seconds, period=IntervalSchedule.SECONDS
            )
        task = PeriodicTask.objects.filter(name=item.name).first()
        if task is None:
            PeriodicTask.objects.create(name=item.name, **fields)
            counts["created"] += 1
        elif any(getattr(task, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(task, key, value)
            task.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    stale = PeriodicTask.objects.filter(description__startswith=MANAGED_MARK).exclude(
        name__in=[s.name for s in schedules]
    )
    counts["removed"], _ = stale.delete()
    return counts
