from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from compliance.aml.config import config_for
from compliance.aml.evaluation import TypologyScore, gift_world_evaluate, gift_world_replay, gift_world_scan
from simulation.world.config import DEFAULT_END_DATE
from simulation.world.gifts import GiftWorldConfig, build_gift_world, write_gift_accounts


def _pct(part: int, whole: int) -> str:
    return f"{TypologyScore.share(part, whole):.1%}"


class Command(BaseCommand):
    help = (
        "Generate gift traffic with planted laundering (circles, smurfing, layering chains, mules), replay it "
        "through the AML decision engine in time order, and print detection recall and false-alarm rate per "
        "typology against the generator's ground truth. Same seed and knobs, same traffic; running again "
        "replays the stored decisions (idempotency keys) and adds nothing."
    )

    def add_arguments(self, parser) -> None:
        d = GiftWorldConfig()
        parser.add_argument("--seed", type=int, default=d.seed)
        parser.add_argument("--viewers", type=int, default=d.viewers)
        parser.add_argument("--creators", type=int, default=d.creators)
        parser.add_argument("--days", type=int, default=d.days)
        parser.add_argument("--organic-gifts", type=int, default=d.organic_gifts)
        parser.add_argument("--end-date", type=date.fromisoformat, default=DEFAULT_END_DATE)
        parser.add_argument("--config-version", default=None, help="AML configuration version (default: current).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        out = self.stdout.write
        try:
            config = config_for(options["config_version"])
            world_config = GiftWorldConfig(
                seed=options["seed"], viewers=options["viewers"], creators=options["creators"],
                days=options["days"], organic_gifts=options["organic_gifts"], end_date=options["end_date"],
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        world = build_gift_world(world_config)
        counts = write_gift_accounts(world)
        out(f"gift world {world.tag} (seed {world_config.seed}): {counts['accounts']} accounts, "
            f"{counts['creators']} creators, {len(world.gifts)} gifts, {counts['labels']} labels")  # fmt: skip

        bar = None if options["quiet"] else tqdm(total=len(world.gifts), unit="gift", desc="deciding", leave=False)
        replay = gift_world_replay(world=world, config=config, progress=bar.update if bar else None)
        if bar is not None:
            bar.close()
        rate = replay.decided / replay.seconds if replay.seconds and replay.decided else 0.0
        decisions = ", ".join(f"{k}={v}" for k, v in sorted(replay.decisions.items()))
        out(f"replayed {replay.gifts} gifts ({replay.decided} newly decided, {rate:.0f}/s) under {config.version}: "
            f"{decisions}")  # fmt: skip

        scanned = gift_world_scan(world=world, config=config)
        out(f"periodic graph scan over the same days: {scanned} new alerts")
        report = gift_world_evaluate(world=world, config_version=config.version)
        out("")
        out("Detection recall per typology (gifts held or blocked; accounts alerted on (in real time or by the "
            "scan) or held):")
        out(f"{'typology':<15} {'gifts':>6} {'flagged':>8} {'recall':>7} {'by own rules':>13} "
            f"{'accounts':>9} {'flagged':>8} {'recall':>7}")  # fmt: skip
        for name, s in report.typologies.items():
            out(f"{name:<15} {s.gifts:>6} {s.gifts_flagged:>8} {_pct(s.gifts_flagged, s.gifts):>7} "
                f"{_pct(s.gifts_own_rule, s.gifts):>13} {s.accounts:>9} {s.accounts_flagged:>8} "
                f"{_pct(s.accounts_flagged, s.accounts):>7}")  # fmt: skip
        out("")
        organic, flagged = report.organic_gifts, report.organic_gifts_flagged
        out(f"False alarms: organic gifts held or blocked {flagged} of {organic} ({_pct(flagged, organic)})")
        accounts, alerted = report.organic_accounts, report.organic_accounts_flagged
        out(f"              organic accounts alerted on or held {alerted} of {accounts} ({_pct(alerted, accounts)})")
        out("False-alarm rate per typology (organic gifts held or blocked with that typology's rules firing):")
        for name in report.typologies:
            fired = report.organic_rule_fires.get(name, 0)
            out(f"  {name:<15} {fired:>5} of {organic} ({_pct(fired, organic)})")
        timings = sorted(report.decision_ms)
        if timings:
            def pick(q: float) -> float:
                return timings[min(len(timings) - 1, int(q * len(timings)))]

            out(f"decision time inside the engine: p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms")
