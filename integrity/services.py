"""Writes of the integrity app: computing EIS windows (and, in ingest, storing viewer events)."""

from datetime import UTC, datetime, timedelta

from django.db.models.functions import TruncDay
from django.utils import timezone

from .eis.config import config_for
from .eis.pipeline import WINDOW_SECONDS, PassResult, align, run_pass
from .models import EngagementWindow, ViewerEvent


def engagement_windows_compute(
    *, start: datetime, end: datetime, granularity: str, scoring_version: str | None = None, chunk_days: int = 7
) -> list[PassResult]:
    """Compute every window of `granularity` in [start, end), in chunks that bound the work per pass.

    Recomputing with the same scoring version changes nothing that is stored.
    """
    config = config_for(scoring_version)
    start, end = align(start, granularity), align(end, granularity)
    if end <= start:
        raise ValueError("the range must span at least one whole window")
    results, cursor = [], start
    step = max(timedelta(days=chunk_days), timedelta(seconds=WINDOW_SECONDS[granularity]))
    while cursor < end:
        stop = min(cursor + step, end)
        results.append(run_pass(start=cursor, end=stop, granularity=granularity, config=config))
        cursor = stop
    return results


def closed_window_compute(*, granularity: str, now: datetime | None = None) -> PassResult:
    """The most recent window that has closed: what the beat schedule runs every hour and every day."""
    now = now or timezone.now()
    end = align(now, granularity)
    start = end - timedelta(seconds=WINDOW_SECONDS[granularity])
    return engagement_windows_compute(start=start, end=end, granularity=granularity)[0]


def daily_windows_ensure(*, start: datetime, end: datetime, scoring_version: str | None = None) -> list[PassResult]:
    """Compute the daily windows of [start, end) that have events but no stored result (for payouts)."""
    config = config_for(scoring_version)
    day = timedelta(days=1)
    start, end = align(start, "day"), align(end, "day")
    with_events = set(
        ViewerEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(day=TruncDay("occurred_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    scored = set(
        EngagementWindow.objects.filter(
            granularity="day", scoring_version=config.version, window_start__gte=start, window_start__lt=end
        )
        .values_list("window_start", flat=True)
        .distinct()
    )
    missing = sorted(with_events - scored)
    return [run_pass(start=moment, end=moment + day, granularity="day", config=config) for moment in missing]
