"""Seeding the demo world."""

import logging
import os
import time
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from creators.models import CreatorProfile, User
from creators.roles import STAFF_GROUPS
from creators.services import creator_follower_counts_refresh

from .models import SimulationRun
from .world import WorldConfig, build_world
from .world.config import GENERATOR_VERSION
from .world.population import DEMO_CREATOR_EMAIL, DEMO_CREATOR_HANDLE
from .world.writer import Progress, write_world

logger = logging.getLogger(__name__)

DEMO_STAFF_EMAIL = "staff@example.com"
DEFAULT_DEMO_PASSWORD = "valuetok-demo"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class SeedOutcome:
    run: SimulationRun
    seeded: bool  # False: this world was already in the database and nothing was written
    seconds: float
    build_seconds: float = 0.0


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


def demo_world_seed(*, config: WorldConfig, force: bool = False, progress: Progress | None = None) -> SeedOutcome:
    """Generate the world for ``config`` and write it; a world already written is skipped.

    With ``force`` the world is generated and written again; every row is keyed on a natural key,
    so that adds nothing either, and repairs a database a crash left half-written.
    """
    started = time.perf_counter()
    digest = config.digest()
    existing = SimulationRun.objects.filter(params_digest=digest, finished_at__isnull=False).first()
    if existing is not None and not force:
        return SeedOutcome(existing, seeded=False, seconds=time.perf_counter() - started)

    world = build_world(config)
    build_seconds = time.perf_counter() - started
    with transaction.atomic():
        run, _ = SimulationRun.objects.get_or_create(
            params_digest=digest,
            defaults={"seed": config.seed, "params": config.as_params(), "generator_version": GENERATOR_VERSION},
        )
        counts = write_world(world, run=run, progress=progress or (lambda stage, n: None))
        creator_follower_counts_refresh()
        demo_accounts_ensure(password=demo_password())
        SimulationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=counts)
        run.refresh_from_db()
    logger.info("demo world seeded seed=%s digest=%s events=%s", config.seed, digest[:12], counts["events"])
    return SeedOutcome(run, seeded=True, seconds=time.perf_counter() - started, build_seconds=build_seconds)


def demo_accounts_ensure(*, password: str) -> tuple[User | None, User]:
    """The demo creator gets a password; a staff user in every staff group exists. Idempotent."""
    creator = User.objects.filter(email=DEMO_CREATOR_EMAIL).first()
    if creator is not None and not creator.has_usable_password():
        creator.set_password(password)
        creator.save(update_fields=["password"])
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
    if staff is None:
        staff = User.objects.create_user(
            DEMO_STAFF_EMAIL, password, first_name="Demo", last_name="Staff", is_staff=True
        )
    staff.groups.add(*Group.objects.filter(name__in=STAFF_GROUPS))
    return creator, staff


def demo_sign_in_help() -> str:
    creator = CreatorProfile.objects.filter(handle=DEMO_CREATOR_HANDLE).select_related("user").first()
    lines = ["Sign in at /accounts/login/ with:"]
    if creator is not None:
        lines.append(f"  creator  {creator.user.email} / {demo_password()}  (@{creator.handle})")
    lines.append(f"  staff    {DEMO_STAFF_EMAIL} / {demo_password()}  (Trust & Safety and Finance, /admin/)")
    return "\n".join(lines)
