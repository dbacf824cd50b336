"""Run the revenue split for every missed period in a range. Prints the plan unless --commit."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payouts.models import PayoutRun
from payouts.split import PayoutRunError, payout_period_run, period_bounds, revenue_for_period

from .payouts_run import summary


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise CommandError(f"months are YYYY-MM, got {text!r}") from exc


def periods(first: date, last: date, granularity: str) -> list[date]:
    """Period starts from the month ``first`` through the month ``last``, inclusive."""
    found, month = [], first
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        if granularity == PayoutRun.Granularity.MONTHLY:
            found.append(month)
        else:
            found.extend(month + timedelta(days=i) for i in range((following - month).days))
        month = following
    return found


class Command(BaseCommand):
    help = "Run missed payout periods from --from to --to (months, inclusive). Prints the plan unless --commit."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="YYYY-MM")
        parser.add_argument("--to", dest="last", required=True, help="YYYY-MM")
        parser.add_argument("--granularity", choices=PayoutRun.Granularity.values, default="monthly")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **options) -> None:
        first, last = _month(options["first"]), _month(options["last"])
        if last < first:
            raise CommandError("--to must not be before --from")
        granularity, today = options["granularity"], timezone.now().date()
        done = planned = 0
        for start in periods(first, last, granularity):
            _, end = period_bounds(granularity=granularity, period_start=start)
            run = PayoutRun.objects.filter(granularity=granularity, period_start=start).exclude(status="failed").first()
            if end > today:
                self.stdout.write(f"{start}: not over yet, skipped")
                continue
            if run is not None and run.status == PayoutRun.Status.COMMITTED:
                self.stdout.write(f"{start}: already committed (run {run.public_id})")
                continue
            pool = run.pool_cents if run else revenue_for_period(period_start=start, period_end=end)
            if pool <= 0:
                self.stdout.write(f"{start}: no revenue recorded, skipped")
                continue
            planned += 1
            if not options["commit"]:
                existing = f" (finishing {run.status} run {run.public_id})" if run else ""
                self.stdout.write(f"{start}: would run with a pool of {pool} cents{existing}")
                continue
            try:
                run = payout_period_run(granularity=granularity, period_start=start, commit=True)
            except PayoutRunError as exc:
                self.stdout.write(f"{start}: FAILED: {exc}")
                continue
            done += 1
            self.stdout.write("\n".join(summary(run, top=0)))
        verb = "committed" if options["commit"] else "to run (add --commit)"
        self.stdout.write(f"{done if options['commit'] else planned} period(s) {verb}")
