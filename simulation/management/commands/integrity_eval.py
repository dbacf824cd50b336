from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from integrity.eis.config import config_for
from integrity.models import ViewerEvent
from integrity.services import engagement_windows_compute
from simulation.evaluation import evaluate_integrity

AUC_TARGET, BOT_RING_TARGET, ORGANIC_TARGET = 0.95, 0.90, 0.02


class Command(BaseCommand):
    help = (
        "Score the EIS against the data generator's ground truth: ROC-AUC of EIS separating fraud-boosted "
        "from organic videos, and the share of fraudulent and of organic engagements judged invalid."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scoring-version", default=None)
        parser.add_argument("--no-compute", action="store_true", help="Evaluate stored windows as they are.")

    def handle(self, *args, **options) -> None:
        try:
            config = config_for(options["scoring_version"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        span = ViewerEvent.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        if span["first"] is None:
            raise CommandError("no viewer events: run seed_demo first")
        if not options["no_compute"]:
            start: datetime = span["first"]
            end = span["last"].replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            results = engagement_windows_compute(start=start, end=end, granularity="day",
                                                 scoring_version=config.version)  # fmt: skip
            seconds = sum(r.seconds for r in results)
            events = sum(r.events for r in results)
            self.stdout.write(f"computed daily windows {start:%Y-%m-%d}..{end:%Y-%m-%d}: {events} events "
                              f"in {seconds:.1f}s")  # fmt: skip
        report = evaluate_integrity(config.version)
        auc = report.roc_auc
        self.stdout.write(f"scoring version: {report.scoring_version}")
        self.stdout.write(f"videos scored: {report.videos_scored} ({report.videos_fraud} fraud-boosted)")
        self.stdout.write(f"ROC-AUC of EIS, fraud-boosted vs organic videos: "
                          f"{'n/a' if auc is None else f'{auc:.4f}'} (target >= {AUC_TARGET})")  # fmt: skip
        for scenario, (invalid, total) in report.invalid_by_scenario.items():
            share = invalid / total if total else 0.0
            self.stdout.write(f"  {scenario:16s} {invalid:>8d} of {total:>8d} engagements judged invalid ({share:.1%})")
        self.stdout.write(f"bot farm and like ring engagements judged invalid: {report.bot_and_ring_invalid_share:.1%} "
                          f"(target >= {BOT_RING_TARGET:.0%})")  # fmt: skip
        invalid, total = report.organic_invalid
        self.stdout.write(f"organic engagements judged invalid: {invalid} of {total} "
                          f"({report.organic_invalid_share:.2%}, target <= {ORGANIC_TARGET:.0%})")  # fmt: skip
        met = (auc is not None and auc >= AUC_TARGET and report.bot_and_ring_invalid_share >= BOT_RING_TARGET
               and report.organic_invalid_share <= ORGANIC_TARGET)  # fmt: skip
        self.stdout.write("targets met" if met else "targets NOT met")
