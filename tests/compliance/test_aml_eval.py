"""Gift traffic from the data generator, and aml_eval's scoring of the engine against its ground truth."""

from io import StringIO

import pytest
from django.core.management import call_command

from compliance.models import GiftRequest
from simulation.models import GroundTruthLabel
from simulation.world.gifts import TYPOLOGIES, GiftWorldConfig, build_gift_world

SMALL = {"viewers": 60, "creators": 12, "organic_gifts": 300, "days": 3}


def test_the_same_seed_gives_the_same_gifts():
    first, again = build_gift_world(GiftWorldConfig(**SMALL)), build_gift_world(GiftWorldConfig(**SMALL))

    assert [(g.ts_ms, g.sender, g.receiver, g.amount_cents, g.ip) for g in first.gifts] == [
        (g.ts_ms, g.sender, g.receiver, g.amount_cents, g.ip) for g in again.gifts]  # fmt: skip


def test_another_seed_gives_other_gifts():
    one, other = build_gift_world(GiftWorldConfig(**SMALL)), build_gift_world(GiftWorldConfig(seed=7, **SMALL))

    assert [g.amount_cents for g in one.gifts] != [g.amount_cents for g in other.gifts]


def test_every_typology_is_planted_labelled_and_in_time_order():
    world = build_gift_world(GiftWorldConfig(**SMALL))

    assert {g.scenario for g in world.gifts} == {None, *TYPOLOGIES}
    assert {label[0] for label in world.labels} == set(TYPOLOGIES)
    assert [g.ts_ms for g in world.gifts] == sorted(g.ts_ms for g in world.gifts)
    assert all(world.config.start_ms <= g.ts_ms < world.config.end_ms for g in world.gifts)


@pytest.mark.django_db
def test_aml_eval_replays_the_gifts_and_prints_recall_and_false_alarms_per_typology():
    out = StringIO()

    call_command("aml_eval", "--quiet", "--viewers", "60", "--creators", "12", "--organic-gifts", "300", "--days", "3",
                 stdout=out)  # fmt: skip

    text = out.getvalue()
    world = build_gift_world(GiftWorldConfig(**SMALL))
    assert GiftRequest.objects.filter(idempotency_key__startswith=f"sim-{world.tag}-").count() == len(world.gifts)
    assert GroundTruthLabel.objects.filter(scenario="gift_mule").exists()
    for typology in TYPOLOGIES:
        assert typology in text
    assert "False alarms: organic gifts held or blocked" in text
    assert "False-alarm rate per typology" in text


@pytest.mark.django_db
def test_running_aml_eval_twice_decides_nothing_twice():
    args = ["--quiet", "--viewers", "60", "--creators", "12", "--organic-gifts", "300", "--days", "3"]
    call_command("aml_eval", *args, stdout=StringIO())
    stored = GiftRequest.objects.count()
    out = StringIO()

    call_command("aml_eval", *args, stdout=out)

    assert GiftRequest.objects.count() == stored
    assert "(0 newly decided" in out.getvalue()
