"""The portal demo data: what `make seed` gives the demo creator, through the product's own services."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from compliance.models import GiftRequest, KycSubmission
from compliance.selectors import kyc_level_for_user
from creators.models import CreatorProfile, Trend, Video
from moderation.models import Appeal, Evaluation, Flag
from payouts.models import GiftBooking, JournalEntry, PayoutAllocation, PayoutRun, Withdrawal
from payouts.selectors import owner_balances
from payouts.statements import statement_for
from simulation.portal import PortalDemoError, passport_mrz, portal_demo_seed
from simulation.services import demo_world_seed
from simulation.world import WorldConfig
from simulation.world.population import DEMO_CREATOR_EMAIL

pytestmark = pytest.mark.django_db

SMALL = WorldConfig(seed=11, creators=12, viewers=200, days=5, events=4_000)


def demo_creator() -> CreatorProfile:
    return CreatorProfile.objects.select_related("user").get(user__email=DEMO_CREATOR_EMAIL)


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            KycSubmission, PayoutRun, PayoutAllocation, JournalEntry, GiftRequest, GiftBooking, Withdrawal,
            Evaluation, Flag, Appeal, Trend,
        )
    }  # fmt: skip


def fingerprint() -> dict[str, object]:
    """What a person would compare between two seedings: amounts, dates, statuses (not random ids)."""
    creator = demo_creator()
    return {
        "kyc": list(KycSubmission.objects.values_list("given_names", "surname", "date_of_birth", "status", "level")),
        "runs": list(PayoutRun.objects.order_by("period_start").values_list("period_start", "pool_cents", "status")),
        "allocations": sorted(PayoutAllocation.objects.values_list("creator__handle", "gross_cents", "net_cents")),
        "gifts": sorted(GiftRequest.objects.values_list("sender__email", "amount_cents", "created_at", "decision")),
        "withdrawals": list(Withdrawal.objects.values_list("amount_cents", "payee_name", "status")),
        "balances": owner_balances(user=creator.user),
    }


@pytest.fixture
def world():
    demo_world_seed(config=SMALL)
    return SMALL


def test_the_demo_creator_gets_kyc_money_moderation_and_a_trend(world):
    outcome = portal_demo_seed(seed=world.seed)
    creator = demo_creator()
    user = creator.user

    # KYC: a verified passport, level 2, approved (by the demo staff user: no sanctions list here).
    assert kyc_level_for_user(user=user) == 2
    submission = KycSubmission.objects.get(user=user)
    assert submission.status == KycSubmission.Status.APPROVED
    assert submission.documents.count() == 1
    assert all(f["result"] == "pass" for f in submission.flags if f["check"].startswith("mrz"))

    # Payouts: one committed daily run per day of the world, the demo creator paid in each.
    runs = PayoutRun.objects.order_by("period_start")
    assert [r.period_start for r in runs] == [world.end_date - timedelta(days=n) for n in range(world.days, 0, -1)]
    assert {r.status for r in runs} == {PayoutRun.Status.COMMITTED}
    paid = PayoutAllocation.objects.filter(creator=creator, gross_cents__gt=0)
    assert paid.count() == world.days
    statement = statement_for(creator=creator, month=world.end_date.replace(day=1))
    assert statement.allocations

    # Gifts: funded wallets, every demo gift allowed, the older ones released from held.
    gifts = GiftRequest.objects.filter(receiver=creator)
    assert gifts.count() == 8
    assert set(gifts.values_list("decision", flat=True)) == {GiftRequest.Decision.ALLOW}
    assert GiftBooking.objects.filter(receiver_user=user, release_entry__isnull=False).exists()
    assert GiftBooking.objects.filter(receiver_user=user, release_entry__isnull=True).exists()
    balances = owner_balances(user=user)
    assert balances.available_cents > 0
    assert balances.held_cents > 0
    assert balances.reserve_cents > 0

    # A pending withdrawal of a quarter of what was available, in transit.
    withdrawal = Withdrawal.objects.get(creator=user)
    assert withdrawal.status == Withdrawal.Status.PENDING
    assert balances.in_transit_cents == withdrawal.amount_cents >= 1_000

    # Moderation: the real pipeline on the bundled clips; the hateful one flagged and appealed.
    evaluations = Evaluation.objects.filter(video__creator=creator).order_by("quality_score")
    assert [e.status for e in evaluations] == [Evaluation.Status.DONE] * 2
    flagged, clean = evaluations
    assert flagged.flagged
    assert "hate" in flagged.transcript.lower()
    assert not clean.flagged
    assert "bread" in clean.transcript.lower()
    assert Video.objects.get(pk=flagged.video_id).status == Video.Status.FLAGGED
    flag = Flag.objects.get(evaluation=flagged)
    assert flag.status == Flag.Status.OPEN
    assert Appeal.objects.get(flag=flag).status == Appeal.Status.PENDING

    assert Trend.objects.get(originator=creator).status == Trend.Status.SUBMITTED
    assert outcome.added["payout_runs_committed"] == world.days
    assert outcome.notes == []


def test_seeding_the_portal_demo_twice_adds_nothing(world):
    portal_demo_seed(seed=world.seed)
    before = table_counts()
    balances = owner_balances(user=demo_creator().user)
    again = portal_demo_seed(seed=world.seed)
    assert again.added == {}
    assert table_counts() == before
    assert owner_balances(user=demo_creator().user) == balances


def test_the_same_seed_gives_the_same_portal_data(world):
    prints = []
    for _ in range(2):
        with transaction.atomic():
            portal_demo_seed(seed=world.seed, moderation=False)
            prints.append(fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1]
    assert prints[0]["withdrawals"]
    assert prints[0]["gifts"]


def test_the_portal_demo_needs_a_seeded_world():
    with pytest.raises(PortalDemoError, match="seed_demo"):
        portal_demo_seed()
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_portal_demo")


def test_a_world_without_that_seed_is_refused(world):
    with pytest.raises(PortalDemoError, match="No demo world"):
        portal_demo_seed(seed=world.seed + 1)


def test_the_demo_passport_zone_verifies_with_the_kyc_parser():
    from datetime import date

    from compliance.kyc.mrz import mrz_parse

    zone = passport_mrz(
        number="123456789", country3="GBR", surname="O-Neil Smith", given="Ana Maria", birth=date(1990, 1, 15),
        sex="F", expiry=date(2031, 6, 1),
    )  # fmt: skip
    parsed = mrz_parse(zone)
    assert parsed.failed_checks == []
    assert parsed.document_number == "123456789"
    assert parsed.expiry_date() == date(2031, 6, 1)
