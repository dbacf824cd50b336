from django.core.management.base import BaseCommand, CommandError

from simulation.portal import PortalDemoError, portal_demo_seed


class Command(BaseCommand):
    help = (
        "Give the demo creator of the seeded world what the portal shows: KYC level 2, committed daily "
        "payout runs, gifts, a pending withdrawal, moderated videos with a flag and an appeal, a trend "
        "idea. Run after seed_demo and integrity_backfill. Deterministic; running twice adds nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=None, help="The world's seed (default: the latest world).")
        parser.add_argument(
            "--skip-moderation", action="store_true", help="Do not run the speech and text models on the demo clips."
        )

    def handle(self, *args, **options) -> None:
        try:
            outcome = portal_demo_seed(seed=options["seed"], moderation=not options["skip_moderation"])
        except PortalDemoError as exc:
            raise CommandError(str(exc)) from exc
        added = ", ".join(f"{k}={v}" for k, v in sorted(outcome.added.items())) or "nothing (already seeded)"
        self.stdout.write(
            self.style.SUCCESS(f"Portal demo for world seed {outcome.seed} in {outcome.seconds:.1f}s: added {added}")
        )
        for note in outcome.notes:
            self.stdout.write(f"  note: {note}")
