"""Seeding the database: deterministic, idempotent, FK-safe, and labelled."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from creators.models import CreatorProfile, Follow, User, Video
from integrity.models import ViewerEvent
from simulation.digest import world_digest
from simulation.models import GroundTruthLabel, SimulationRun
from simulation.services import DEMO_STAFF_EMAIL, demo_world_seed
from simulation.world import WorldConfig
from simulation.world import writer as world_writer
from simulation.world.scenarios import REGISTRY

pytestmark = pytest.mark.django_db

SMALL = WorldConfig(seed=11, creators=12, viewers=200, days=5, events=4_000)


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, CreatorProfile, Video, Follow, ViewerEvent, GroundTruthLabel, SimulationRun)
    }


def wipe() -> None:
    for model in (GroundTruthLabel, SimulationRun, ViewerEvent, Follow, Video, CreatorProfile):
        model.objects.all().delete()
    User.objects.all().delete()


def test_seeding_writes_the_world_and_records_the_run():
    outcome = demo_world_seed(config=SMALL)
    assert outcome.seeded
    counts = table_counts()
    assert counts["ViewerEvent"] == SMALL.events
    assert counts["CreatorProfile"] == SMALL.creators
    assert outcome.run.counts["events"] == SMALL.events
    assert outcome.run.finished_at is not None


def test_seeding_twice_adds_nothing():
    demo_world_seed(config=SMALL)
    before, digest = table_counts(), world_digest()
    second = demo_world_seed(config=SMALL)
    assert not second.seeded
    forced = demo_world_seed(config=SMALL, force=True)  # regenerates and upserts every row
    assert forced.seeded
    assert table_counts() == before
    assert world_digest() == digest


def test_the_same_seed_gives_the_same_rows_in_a_fresh_database():
    demo_world_seed(config=SMALL)
    first = world_digest()
    wipe()
    demo_world_seed(config=SMALL)
    assert world_digest() == first
    wipe()
    demo_world_seed(
        config=WorldConfig(**{**SMALL.as_params(), "end_date": SMALL.end_date, "scenarios": (), "seed": 12})
    )
    assert world_digest() != first


def test_every_foreign_key_points_at_a_stored_row():
    demo_world_seed(config=SMALL)
    assert not ViewerEvent.objects.exclude(user__in=User.objects.all()).exists()
    assert not ViewerEvent.objects.exclude(video__in=Video.objects.all()).exists()
    assert not Follow.objects.exclude(creator__in=CreatorProfile.objects.all()).exists()


def test_follower_counts_match_the_follows():
    demo_world_seed(config=SMALL)
    for profile in CreatorProfile.objects.all():
        assert profile.follower_count == Follow.objects.filter(creator=profile).count()


def test_ground_truth_names_every_scenario_and_every_fraudulent_event():
    run = demo_world_seed(config=SMALL).run
    labels = GroundTruthLabel.objects.filter(run=run)
    assert set(labels.values_list("scenario", flat=True)) == set(REGISTRY)
    event_keys = set(labels.filter(entity_type="event").values_list("entity_key", flat=True))
    stored = {str(u) for u in ViewerEvent.objects.values_list("event_uuid", flat=True)}
    assert event_keys <= stored
    assert 0.03 * SMALL.events < len(event_keys) < 0.12 * SMALL.events
    assert labels.filter(entity_type="video", role="beneficiary").exists()
    assert labels.filter(scenario="report_brigade", entity_type="creator", role="target").count() == 1
    # No raw address is ever stored, not even in the ground truth.
    for key in labels.filter(entity_type="network").values_list("entity_key", flat=True):
        assert len(key) == 32
        assert "." not in key


def test_demo_accounts_can_sign_in(client):
    demo_world_seed(config=SMALL)
    assert client.login(username="demo.creator@example.com", password="valuetok-demo")
    staff = User.objects.get(email=DEMO_STAFF_EMAIL)
    assert staff.is_staff
    assert not staff.is_superuser
    assert set(staff.groups.values_list("name", flat=True)) == {"Trust & Safety", "Finance"}


def test_the_command_prints_the_result_and_how_to_sign_in(capsys):
    args = ["--seed", "11", "--creators", "12", "--viewers", "200", "--days", "5", "--events", "4000", "--quiet"]
    call_command("seed_demo", *args)
    out = capsys.readouterr().out
    assert "Seeded world" in out
    assert "events=4000" in out
    assert "demo.creator@example.com" in out
    assert DEMO_STAFF_EMAIL in out
    call_command("seed_demo", *args)
    assert "nothing added" in capsys.readouterr().out


def test_the_command_refuses_bad_knobs_with_a_clear_error():
    with pytest.raises(CommandError, match="creators must be at least 12"):
        call_command("seed_demo", "--creators", "2", "--quiet")
    with pytest.raises(CommandError):
        call_command("seed_demo", "--end-date", "16/11/2026", "--quiet")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_loads_restore_and_validate_every_foreign_key(monkeypatch):
    """The large-load path lifts foreign keys; afterwards they are back, validated, and enforced."""
    monkeypatch.setattr(world_writer, "BULK_FOREIGN_KEY_THRESHOLD", 1)

    def foreign_keys() -> set[tuple[str, str, bool]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text IN "
                "('integrity_viewerevent', 'creators_follow', 'simulation_groundtruthlabel')"
            )
            return set(cursor.fetchall())

    before = foreign_keys()
    assert len(before) == 5
    demo_world_seed(config=SMALL)
    assert foreign_keys() == before
    assert all(validated for _, _, validated in before)
    # Force the conflict path of the direct COPY: every event is already there.
    demo_world_seed(config=SMALL, force=True)
    assert ViewerEvent.objects.count() == SMALL.events
