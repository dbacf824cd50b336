"""Follower milestones: recorded once, paid once from the bonus pool, waiting when the pool is empty."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from creators.milestones import milestones_check, milestones_sweep
from creators.models import CreatorProfile, MilestoneAward
from creators.services import follow_create
from payouts import ledger
from payouts.bonuses import BonusError, bonus_pool_balance, bonus_pool_fund
from payouts.models import AccountKind, JournalEntry
from tests.factories import CreatorProfileFactory, UserFactory
from tests.payouts.bonus_support import followers_set, kyc_approve, pool_fund
from tests.payouts.conftest import assert_ledger_invariant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def milestone_settings(settings):
    settings.PAYOUTS_MILESTONES = [1_000, 10_000, 100_000]
    settings.PAYOUTS_MILESTONE_BONUS_CENTS = {1_000: 1_000, 10_000: 5_000, 100_000: 25_000}


def balances(creator: CreatorProfile) -> dict[str, int]:
    return ledger.balances_for_owner(owner=creator.user)


def test_reaching_a_milestone_records_it_and_pays_into_held_without_kyc(ledger_checked):
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    followers_set(creator, 1_500)

    awards = milestones_check(creator=creator)

    assert [(a.threshold, a.bonus_cents, a.follower_count) for a in awards] == [(1_000, 1_000, 1_500)]
    assert awards[0].paid_at is not None
    entry = JournalEntry.objects.get(public_id=awards[0].bonus_entry_id)
    assert (entry.kind, entry.idempotency_key) == ("bonus", f"milestone:{creator.pk}:1000")
    assert balances(creator)[AccountKind.CREATOR_HELD] == 1_000
    assert balances(creator)[AccountKind.CREATOR_AVAILABLE] == 0
    assert bonus_pool_balance() == 99_000


def test_a_verified_creator_is_paid_into_available(ledger_checked):
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    kyc_approve(creator.user, level=1)
    followers_set(creator, 1_000)

    milestones_check(creator=creator)

    assert balances(creator)[AccountKind.CREATOR_AVAILABLE] == 1_000
    assert balances(creator)[AccountKind.CREATOR_HELD] == 0


def test_checking_twice_pays_once(ledger_checked):
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    followers_set(creator, 1_200)

    first = milestones_check(creator=creator)
    second = milestones_check(creator=creator)
    milestones_sweep()

    assert len(first) == 1
    assert second == []
    assert MilestoneAward.objects.filter(creator=creator).count() == 1
    assert JournalEntry.objects.filter(kind="bonus").count() == 1
    assert balances(creator)[AccountKind.CREATOR_HELD] == 1_000


def test_crossing_two_thresholds_at_once_pays_both(ledger_checked):
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    followers_set(creator, 12_000)

    awards = milestones_check(creator=creator)

    assert [a.threshold for a in awards] == [1_000, 10_000]
    assert all(a.paid_at for a in awards)
    assert balances(creator)[AccountKind.CREATOR_HELD] == 6_000


def test_an_empty_pool_records_the_award_and_the_sweep_pays_it_after_funding(ledger_checked):
    creator = CreatorProfileFactory()
    followers_set(creator, 10_000)

    awards = milestones_check(creator=creator)

    assert [(a.threshold, a.paid_at) for a in awards] == [(1_000, None), (10_000, None)]
    assert "bonus pool" in awards[0].last_error
    assert not JournalEntry.objects.filter(kind="bonus").exists()
    assert balances(creator)[AccountKind.CREATOR_HELD] == 0

    pool_fund(3_000)  # covers the 1k bonus but not the 10k one: that one keeps waiting
    assert milestones_sweep() == {"recorded": 0, "paid": 1, "waiting": 1}
    assert bonus_pool_balance() == 2_000

    pool_fund(10_000, key="top-up")
    assert milestones_sweep() == {"recorded": 0, "paid": 1, "waiting": 0}
    assert balances(creator)[AccountKind.CREATOR_HELD] == 6_000
    assert MilestoneAward.objects.filter(creator=creator, paid_at__isnull=True).count() == 0


def test_a_follow_that_reaches_a_milestone_awards_it_after_commit(settings, django_capture_on_commit_callbacks):
    settings.PAYOUTS_MILESTONES = [2]
    settings.PAYOUTS_MILESTONE_BONUS_CENTS = {2: 500}
    pool_fund(1_000)
    creator = CreatorProfileFactory()
    follow_create(follower=UserFactory(), creator=creator)
    assert not MilestoneAward.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=UserFactory(), creator=creator)

    award = MilestoneAward.objects.get(creator=creator)
    assert (award.threshold, award.follower_count, award.paid_at is not None) == (2, 2, True)
    assert balances(creator)[AccountKind.CREATOR_HELD] == 500
    assert_ledger_invariant()


def test_losing_followers_keeps_the_award_and_regaining_them_pays_nothing_more(ledger_checked):
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    followers_set(creator, 1_000)
    milestones_check(creator=creator)
    CreatorProfile.objects.filter(pk=creator.pk).update(follower_count=900)
    milestones_check(creator=creator)
    CreatorProfile.objects.filter(pk=creator.pk).update(follower_count=1_100)

    assert milestones_check(creator=creator) == []
    assert MilestoneAward.objects.filter(creator=creator).count() == 1
    assert balances(creator)[AccountKind.CREATOR_HELD] == 1_000


def test_the_sweep_records_what_follows_missed_and_is_safe_to_run_twice(ledger_checked):
    from payouts.tasks import milestones_sweep as milestones_sweep_task

    pool_fund(100_000)
    big, small, none = CreatorProfileFactory(), CreatorProfileFactory(), CreatorProfileFactory()
    CreatorProfile.objects.filter(pk=big.pk).update(follower_count=150_000)
    CreatorProfile.objects.filter(pk=small.pk).update(follower_count=1_000)
    CreatorProfile.objects.filter(pk=none.pk).update(follower_count=999)

    milestones_sweep_task.delay()
    milestones_sweep_task.delay()

    got = sorted(MilestoneAward.objects.filter(paid_at__isnull=False).values_list("creator_id", "threshold"))
    assert got == [(big.pk, 1_000), (big.pk, 10_000), (big.pk, 100_000), (small.pk, 1_000)]
    assert MilestoneAward.objects.count() == 4
    assert balances(big)[AccountKind.CREATOR_HELD] == 31_000
    assert JournalEntry.objects.filter(kind="bonus").count() == 4


def test_a_milestone_without_a_bonus_amount_is_a_configuration_error(settings):
    settings.PAYOUTS_MILESTONES = [1_000, 5_000]
    settings.PAYOUTS_MILESTONE_BONUS_CENTS = {1_000: 1_000}
    creator = CreatorProfileFactory()
    with pytest.raises(ImproperlyConfigured, match="5000"):
        milestones_check(creator=creator)


def test_funding_the_pool_is_idempotent_and_refuses_bad_amounts(ledger_checked):
    first = bonus_pool_fund(amount_cents=5_000, idempotency_key="finance-2026-11")
    again = bonus_pool_fund(amount_cents=5_000, idempotency_key="finance-2026-11")
    assert first.pk == again.pk
    assert bonus_pool_balance() == 5_000
    for bad in (0, -5, 1.5, True, "100"):
        with pytest.raises(BonusError):
            bonus_pool_fund(amount_cents=bad, idempotency_key="x")
    with pytest.raises(BonusError):
        bonus_pool_fund(amount_cents=100, idempotency_key="  ")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_pay_a_milestone_once():
    pool_fund(100_000)
    creator = CreatorProfileFactory()
    followers_set(creator, 10_000)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def check() -> None:
        try:
            barrier.wait()
            milestones_check(creator=creator)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(MilestoneAward.objects.values_list("threshold", flat=True)) == [1_000, 10_000]
    assert JournalEntry.objects.filter(kind="bonus").count() == 2
    assert balances(creator)[AccountKind.CREATOR_HELD] == 6_000
    assert bonus_pool_balance() == 94_000
    assert_ledger_invariant()
