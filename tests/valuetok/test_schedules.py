import pytest
from celery.schedules import crontab, schedule
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from valuetok.schedules import MANAGED_MARK, PeriodicSchedule, collect_schedules, periodic_tasks_sync

pytestmark = pytest.mark.django_db


def test_schedules_declared_in_apps_are_collected():
    names = {s.task for s in collect_schedules()}
    assert "creators.recount_followers" in names


def test_sync_installs_schedules_once_and_is_idempotent():
    first = periodic_tasks_sync()
    assert first["created"] == len(collect_schedules())
    second = periodic_tasks_sync()
    assert second["created"] == 0
    assert second["updated"] == 0
    assert second["unchanged"] == first["created"]
    task = PeriodicTask.objects.get(task="creators.recount_followers")
    assert task.crontab.minute == "17"
    assert task.enabled


def test_sync_updates_changed_schedules_removes_dropped_ones_and_keeps_hand_made_ones():
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    hand_made = PeriodicTask.objects.create(name="ops: one-off", task="valuetok.ping", interval=every_minute)
    periodic_tasks_sync(
        [
            PeriodicSchedule("a", "valuetok.ping", crontab(minute="1")),
            PeriodicSchedule("b", "valuetok.ping", schedule(30)),
        ]
    )
    counts = periodic_tasks_sync([PeriodicSchedule("a", "valuetok.ping", crontab(minute="2"))])
    assert counts == {"created": 0, "updated": 1, "unchanged": 0, "removed": 1}
    assert PeriodicTask.objects.get(name="a").crontab.minute == "2"
    assert not PeriodicTask.objects.filter(name="b").exists()
    assert PeriodicTask.objects.filter(pk=hand_made.pk).exists()
    assert not hand_made.description.startswith(MANAGED_MARK)


def test_duplicate_schedule_names_are_refused(monkeypatch):
    import creators.schedules as declared

    monkeypatch.setattr(declared, "SCHEDULES", declared.SCHEDULES * 2)
    with pytest.raises(ValueError, match="unique"):
        collect_schedules()


def test_command_prints_what_it_did(capsys):
    call_command("sync_periodic_tasks")
    assert f"created={len(collect_schedules())}" in capsys.readouterr().out
