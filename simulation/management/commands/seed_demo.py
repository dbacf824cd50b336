from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from simulation.services import demo_sign_in_help, demo_world_seed
from simulation.world import WorldConfig
from simulation.world.config import DEFAULT_END_DATE
from simulation.world.scenarios import REGISTRY


class Command(BaseCommand):
    help = (
        "Generate a deterministic demo world (creators, viewers, videos, follows, viewer events) with "
        "planted, labelled fraud. The same seed and knobs give the same data; running twice adds nothing."
    )

    def add_arguments(self, parser) -> None:
        defaults = WorldConfig()
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--creators", type=int, default=defaults.creators)
        parser.add_argument("--viewers", type=int, default=defaults.viewers)
        parser.add_argument("--days", type=int, default=defaults.days)
        parser.add_argument("--events", type=int, default=defaults.events)
        parser.add_argument(
            "--end-date",
            type=date.fromisoformat,
            default=DEFAULT_END_DATE,
            help="Last day of the window, ISO 8601 (YYYY-MM-DD); the window ends at its start.",
        )
        parser.add_argument("--fraud-share", type=float, default=defaults.fraud_share)
        parser.add_argument(
            "--scenario",
            action="append",
            dest="scenarios",
            default=[],
            choices=sorted(REGISTRY),
            help="Plant only these scenarios (repeatable).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Generate and upsert again even if this world was seeded before."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        try:
            config = WorldConfig(
                seed=options["seed"],
                creators=options["creators"],
                viewers=options["viewers"],
                days=options["days"],
                events=options["events"],
                end_date=options["end_date"],
                fraud_share=options["fraud_share"],
                scenarios=tuple(options["scenarios"]),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        bar = None if options["quiet"] else tqdm(total=config.events, unit="event", desc="writing", leave=False)

        def progress(stage: str, n: int) -> None:
            if bar is not None and stage == "events":
                bar.update(n)

        outcome = demo_world_seed(config=config, force=options["force"], progress=progress)
        if bar is not None:
            bar.close()
        run = outcome.run
        if outcome.seeded:
            counts = ", ".join(f"{k}={v}" for k, v in run.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded world {run.params_digest[:12]} (seed {run.seed}) in {outcome.seconds:.1f}s: {counts}"
                )
            )
        else:
            self.stdout.write(
                f"World {run.params_digest[:12]} (seed {run.seed}) was already seeded on "
                f"{run.finished_at:%Y-%m-%dT%H:%M:%SZ}; nothing added (use --force to re-check)."
            )
        self.stdout.write(demo_sign_in_help())
