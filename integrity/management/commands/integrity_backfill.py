from datetime import UTC, date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from integrity.models import ViewerEvent
from integrity.services import engagement_windows_compute


def _day(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Recompute EIS windows for a range of days (idempotent: unchanged windows are not rewritten)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--start", help="First day, ISO 8601 (YYYY-MM-DD).")
        parser.add_argument("--end", help="Last day, inclusive.")
        parser.add_argument("--all", action="store_true", help="Every day that has viewer events.")
        parser.add_argument("--granularity", choices=["day", "hour", "both"], default="day")
        parser.add_argument("--scoring-version", default=None)
        parser.add_argument("--chunk-days", type=int, default=7)

    def handle(self, *args, **options) -> None:
        if options["all"]:
            span = ViewerEvent.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
            if span["first"] is None:
                self.stdout.write("no viewer events: nothing to compute")
                return
            options["start"], options["end"] = span["first"].date().isoformat(), span["last"].date().isoformat()
        elif not (options["start"] and options["end"]):
            raise CommandError("give --start and --end, or --all")
        start, end = _day(options["start"]), _day(options["end"]) + timedelta(days=1)
        if end <= start:
            raise CommandError("--end must not be before --start")
        granularities = ["day", "hour"] if options["granularity"] == "both" else [options["granularity"]]
        for granularity in granularities:
            try:
                results = engagement_windows_compute(
                    start=start, end=end, granularity=granularity, scoring_version=options["scoring_version"],
                    chunk_days=options["chunk_days"],
                )  # fmt: skip
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            for r in results:
                self.stdout.write(
                    f"{granularity} {r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}: {r.windows} windows ({r.windows_written} "
                    f"written), {r.events} events, {r.events_invalid} invalid, {r.seconds:.1f}s"
                )
