"""Schedules, tasks, backfill and the evaluation against planted fraud."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from integrity.models import EngagementWindow
from integrity.services import daily_windows_ensure
from integrity.tasks import compute_closed_window
from simulation.services import demo_world_seed
from simulation.world import WorldConfig
from valuetok.schedules import collect_schedules

from .helpers import DAY, add_events

pytestmark = pytest.mark.django_db


def test_hourly_and_daily_passes_are_scheduled():
    tasks = {(s.task, s.kwargs.get("granularity")) for s in collect_schedules()}
    assert {("integrity.compute_closed_window", "hour"), ("integrity.compute_closed_window", "day")} <= tasks


def test_the_closed_window_task_is_safe_to_run_twice(monkeypatch):
    from tests.factories import UserFactory, VideoFactory

    video = VideoFactory()
    add_events([{"user": UserFactory(), "video": video, "at": 600 * i, "watch": 5_000 + i} for i in range(12)])
    monkeypatch.setattr("django.utils.timezone.now", lambda: DAY + timedelta(days=1, minutes=20))
    first = compute_closed_window.delay("day").get()
    second = compute_closed_window.delay("day").get()
    assert first["written"] == 1
    assert second == {**first, "written": 0}
    assert EngagementWindow.objects.filter(granularity="day").count() == 1


def test_payouts_can_ask_for_missing_daily_windows():
    from tests.factories import UserFactory, VideoFactory

    video = VideoFactory()
    add_events([{"user": UserFactory(), "video": video, "at": 86_400 * d + 60 * i} for d in (0, 2) for i in range(6)])
    done = daily_windows_ensure(start=DAY, end=DAY + timedelta(days=3))
    assert [r.start for r in done] == [DAY, DAY + timedelta(days=2)]  # the empty day is not computed
    assert daily_windows_ensure(start=DAY, end=DAY + timedelta(days=3)) == []


def test_backfill_command_reports_each_chunk(capsys):
    call_command("integrity_backfill", "--start", "2026-11-10", "--end", "2026-11-11")
    assert "day 2026-11-10..2026-11-12: 0 windows" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a date"):
        call_command("integrity_backfill", "--start", "10/11/2026", "--end", "2026-11-11")
    with pytest.raises(CommandError, match="must not be before"):
        call_command("integrity_backfill", "--start", "2026-11-11", "--end", "2026-11-10")
    with pytest.raises(CommandError, match="--all"):
        call_command("integrity_backfill", "--start", "2026-11-11")


def test_backfill_all_covers_every_day_with_events(capsys):
    from tests.factories import UserFactory, VideoFactory

    video = VideoFactory()
    add_events([{"user": UserFactory(), "video": video, "at": 86_400 * d + 60 * i} for d in (0, 3) for i in range(6)])
    call_command("integrity_backfill", "--all")
    assert "day 2026-11-10..2026-11-14: 2 windows (2 written)" in capsys.readouterr().out


def test_eis_separates_planted_fraud_from_organic_engagement(capsys):
    """integrity_eval on a generated world with every fraud scenario planted."""
    demo_world_seed(config=WorldConfig(seed=5, creators=24, viewers=600, days=7, events=20_000))
    call_command("integrity_eval")
    out = capsys.readouterr().out
    auc = float(out.split("fraud-boosted vs organic videos: ")[1].split()[0])
    bot_ring = float(out.split("bot farm and like ring engagements judged invalid: ")[1].split("%")[0])
    organic = float(out.split("organic engagements judged invalid: ")[1].split("(")[1].split("%")[0])
    assert auc >= 0.95, out
    assert bot_ring >= 90.0, out
    assert organic <= 2.0, out
    assert "targets met" in out


def test_eval_without_events_is_a_clear_error():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("integrity_eval")


def test_alignment_of_ranges():
    from integrity.eis.pipeline import align

    assert align(datetime(2026, 11, 10, 13, 45, tzinfo=UTC), "day") == datetime(2026, 11, 10, tzinfo=UTC)
    assert align(datetime(2026, 11, 10, 13, 45, tzinfo=UTC), "hour") == datetime(2026, 11, 10, 13, tzinfo=UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_compute_exactly_what_one_does(settings, monkeypatch):
    """Outside a transaction the pass shares its work tables between two connections: same results."""
    import threading

    from django.db import connection

    from integrity.eis import sql
    from integrity.eis.config import CURRENT
    from integrity.eis.pipeline import run_pass
    from integrity.models import InvalidEngagement, ViewerTrust

    demo_world_seed(config=WorldConfig(seed=5, creators=24, viewers=600, days=7, events=20_000))
    start, end = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)

    def stored() -> tuple:
        return (
            sorted(EngagementWindow.objects.values_list("video_id", "window_start", "content_hash")),
            sorted(InvalidEngagement.objects.values_list("event_id", "reason")),
            sorted(ViewerTrust.objects.values_list("user_id", "score")),
        )

    def clear() -> None:
        EngagementWindow.objects.all().delete()
        InvalidEngagement.objects.all().delete()
        ViewerTrust.objects.all().delete()

    settings.EIS_SHARED_WORK_TABLES = False
    one = run_pass(start=start, end=end, granularity="day", config=CURRENT)
    alone = stored()
    clear()
    settings.EIS_SHARED_WORK_TABLES = True
    threads = set()
    original = sql.temp_table
    monkeypatch.setattr(sql, "temp_table", lambda *a, **k: (threads.add(threading.current_thread().name),
                                                             original(*a, **k))[1])  # fmt: skip
    two = run_pass(start=start, end=end, granularity="day", config=CURRENT)

    assert two.windows == one.windows > 100
    assert "eis-together" in threads  # some steps really ran on the second connection
    assert stored() == alone
    with connection.cursor() as cursor:  # the pass's schema is gone, and so are its settings
        cursor.execute("SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'eis_work_%%'")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SHOW search_path")
        assert "eis_work" not in cursor.fetchone()[0]
