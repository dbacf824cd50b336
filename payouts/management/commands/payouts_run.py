"""Run the revenue split for one period. Prints the preview unless --commit."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from payouts.models import PayoutAllocation, PayoutRun
from payouts.split import PayoutRunError, payout_period_run, revenue_for_period
from payouts.split.runs import period_bounds, platform_revenue_balance


def parse_period(text: str, granularity: str | None) -> tuple[str, date]:
    """``YYYY-MM`` (monthly) or ``YYYY-MM-DD`` (daily) -> (granularity, first day)."""
    try:
        if len(text) == 7:
            day, implied = date.fromisoformat(f"{text}-01"), PayoutRun.Granularity.MONTHLY
        else:
            day, implied = date.fromisoformat(text), PayoutRun.Granularity.DAILY
    except ValueError as exc:
        raise CommandError(f"--period must be YYYY-MM or YYYY-MM-DD, got {text!r}") from exc
    if granularity and granularity != implied:
        raise CommandError(f"--period {text} is a {implied} period but --granularity says {granularity}")
    return implied, day


class _Preview(Exception):
    """Raised to roll the preview's writes back."""


def summary(run: PayoutRun, *, top: int = 10) -> list[str]:
    money = lambda cents: f"{cents / 100:,.2f}"  # noqa: E731
    lines = [
        f"run {run.public_id}: {run.granularity} {run.period_start} to {run.period_end}, status {run.status}",
        f"pool {money(run.pool_cents)}: creators paid {run.creators_paid}, excluded {run.creators_excluded}; "
        f"allocated {money(run.allocated_cents)} = fees {money(run.fees_cents)} + margin adjustment "
        f"{money(run.margin_adjustment_cents)} + reserve {money(run.reserve_cents)} + available "
        f"{money(run.net_available_cents)} + held {money(run.net_held_cents)}; carried forward "
        f"{money(run.carried_forward_cents)}",
    ]
    if run.error:
        lines.append(f"error: {run.error}")
    allocations = PayoutAllocation.objects.filter(run=run).select_related("creator").order_by("-gross_cents")[:top]
    for a in allocations:
        state = "" if a.eligible else f" EXCLUDED ({a.get_excluded_reason_display()})"
        cap = "uncapped" if a.cap_cents is None else f"cap {money(a.cap_cents)}"
        lines.append(
            f"  @{a.creator.handle}: value {a.value_units:,.1f} ({a.share:.2%}), KYC {a.kyc_level} {cap}, gross "
            f"{money(a.gross_cents)}, fee {money(a.fee_cents + a.margin_adjustment_cents)}, reserve "
            f"{money(a.reserve_cents)}, net {money(a.net_cents)} -> {a.destination}{state}"
        )
    return lines


class Command(BaseCommand):
    help = "Allocate a period's revenue pool to creators. Without --commit, prints the preview and writes nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM (monthly) or YYYY-MM-DD (daily)")
        parser.add_argument("--granularity", choices=PayoutRun.Granularity.values)
        parser.add_argument("--pool-cents", type=int, help="default: revenue recorded for the period")
        parser.add_argument("--commit", action="store_true", help="post the journal entries")

    def handle(self, *args, **options) -> None:
        granularity, start = parse_period(options["period"], options["granularity"])
        pool = options["pool_cents"]
        if pool is not None and pool <= 0:
            raise CommandError("--pool-cents must be positive")
        try:
            if options["commit"]:
                run = payout_period_run(granularity=granularity, period_start=start, pool_cents=pool, commit=True)
                if run is None:
                    raise CommandError("no revenue recorded for the period and no --pool-cents given")
                self.stdout.write("\n".join(summary(run)))
                return
            lines: list[str] = []
            try:
                with transaction.atomic():
                    run = payout_period_run(granularity=granularity, period_start=start, pool_cents=pool, commit=False)
                    if run is None:
                        _, end = period_bounds(granularity=granularity, period_start=start)
                        lines = [f"nothing to do: no revenue recorded for {start} to {end} "
                                 f"({revenue_for_period(period_start=start, period_end=end)} cents; platform revenue "
                                 f"holds {platform_revenue_balance()} cents)"]  # fmt: skip
                    else:
                        lines = ["DRY RUN (nothing written; add --commit):", *summary(run)]
                    raise _Preview
            except _Preview:
                pass
            self.stdout.write("\n".join(lines))
        except PayoutRunError as exc:
            raise CommandError(str(exc)) from exc
