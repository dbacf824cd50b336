"""Reserve releases and clawbacks after a committed run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity.models import EngagementWindow
from payouts import ledger
from payouts.models import AccountKind, Clawback, JournalEntry, PayoutAllocation, ReserveRelease
from payouts.split import clawback_for_revised_windows, payout_run_commit, reserve_release_due
from tests.payouts.test_runs import _split_settings, computed_run, creator_earning, revenue  # noqa: F401

pytestmark = pytest.mark.django_db


def committed(*creators_counts: int, pool: int = 20_000):
    made = [creator_earning(valid_views=views) for views in creators_counts]
    revenue(pool)
    run = payout_run_commit(run_id=computed_run(pool).id)
    return run, made


def revise(video, eis: float, *, valid_views: int | None = None) -> None:
    """Integrity recomputes the window later (fraud found late): new EIS, new computed_at."""
    window = EngagementWindow.objects.get(video=video)
    window.engagement_integrity_score = eis
    if valid_views is not None:
        window.valid_views = valid_views
    window.computed_at = timezone.now() + timedelta(seconds=1)
    window.save()


def test_a_window_revised_down_claws_back_the_difference_with_the_reason(ledger_checked):
    run, [(a, a_video), (b, _)] = committed(100, 100)
    line = PayoutAllocation.objects.get(run=run, creator=a)
    assert (line.gross_cents, line.fee_cents, line.reserve_cents, line.net_cents) == (10_000, 3_000, 700, 6_300)
    revise(a_video, 50.0)  # value (EIS/100)^2: 1.0 -> 0.25, so a keeps a quarter of the gross
    assert clawback_for_revised_windows() == 1
    claw = Clawback.objects.get(creator=a)
    assert claw.gross_cents == 7_500
    assert claw.fee_refund_cents == 2_250  # the platform returns its 30 % on the reversed part
    assert claw.from_reserve_cents == 700  # this allocation's whole reserve first
    assert claw.from_held_cents == 0
    assert claw.from_available_cents == 7_500 - 2_250 - 700
    assert claw.unrecovered_cents == 0
    assert "revised down" in claw.reason
    assert str(a_video.pk) in claw.reason
    assert claw.details["videos"][0]["eis_after"] == 50.0
    assert claw.entry.kind == "clawback"
    assert claw.entry.reference["original_entry"] == str(line.entry.public_id)
    balances = ledger.balances_for_owner(owner=a.user)
    assert balances["safety_reserve"] == 0
    assert balances["creator_available"] == 6_300 - 4_550
    revenue_now = ledger.balance_of(account=ledger.account_for(kind=AccountKind.PLATFORM_REVENUE))
    assert revenue_now == 7_500
    assert not Clawback.objects.filter(creator=b).exists()


def test_clawing_back_again_without_a_new_revision_takes_nothing(ledger_checked):
    _run, [(a, a_video)] = committed(100, pool=10_000)
    revise(a_video, 50.0)
    assert clawback_for_revised_windows() == 1
    entries = JournalEntry.objects.count()
    assert clawback_for_revised_windows() == 0
    assert JournalEntry.objects.count() == entries
    revise(a_video, 0.0)  # a second, deeper revision claws the rest
    assert clawback_for_revised_windows() == 1
    assert sum(c.gross_cents for c in Clawback.objects.filter(creator=a)) == 10_000  # all of it, in two steps


def test_what_was_already_withdrawn_is_recorded_as_unrecovered(ledger_checked):
    _run, [(a, a_video)] = committed(100, pool=10_000)
    available = ledger.account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=a.user)
    paid = ledger.balance_of(account=available)
    outside = ledger.account_for(kind=AccountKind.EXTERNAL)
    ledger.entry_post(kind="withdrawal_paid", idempotency_key="gone", legs=[(available, -paid), (outside, paid)])
    revise(a_video, 0.0)
    clawback_for_revised_windows()
    claw = Clawback.objects.get(creator=a)
    assert claw.from_available_cents == 0
    assert claw.unrecovered_cents == claw.gross_cents - claw.fee_refund_cents - claw.from_reserve_cents > 0


def test_an_upward_revision_pays_nothing_more(ledger_checked):
    _run, [(_a, a_video)] = committed(100, pool=10_000)
    revise(a_video, 100.0, valid_views=500)
    assert clawback_for_revised_windows() == 0


def test_reserves_are_released_after_their_period_once_less_clawbacks(ledger_checked, settings):
    _run, [(a, a_video), (b, _)] = committed(100, 100)
    assert reserve_release_due() == 0  # not due yet
    revise(a_video, 90.0)  # value 0.81: a small clawback, taken from the reserve
    clawback_for_revised_windows()
    claw = Clawback.objects.get(creator=a)
    later = timezone.now() + timedelta(days=91)
    assert reserve_release_due(now=later) == 2
    assert reserve_release_due(now=later) == 0
    release_a = ReserveRelease.objects.get(allocation__creator=a)
    release_b = ReserveRelease.objects.get(allocation__creator=b)
    assert release_a.amount_cents == 700 - claw.from_reserve_cents
    assert release_b.amount_cents == 700
    assert release_b.destination == "available"
    assert ledger.balances_for_owner(owner=a.user)["safety_reserve"] == 0
    assert ledger.balances_for_owner(owner=b.user)["safety_reserve"] == 0
    assert ledger.balances_for_owner(owner=b.user)["creator_available"] == 6_300 + 700
