"""Payout runs end to end on small worlds: value units, eligibility, caps, fees, reserve, commit."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from compliance.models import KycSubmission
from integrity.eis.config import CURRENT
from integrity.models import CreatorTrust, EngagementWindow, InvalidEngagement
from payouts import ledger
from payouts.models import AccountKind, JournalEntry, PayoutAllocation, PayoutRun, PayoutVideoLine
from payouts.split import (
    PayoutRunError,
    payout_period_run,
    payout_run_commit,
    payout_run_compute,
    payout_run_create,
    revenue_for_period,
    revenue_record,
)
from tests.factories import (
    CreatorProfileFactory,
    EngagementWindowFactory,
    UserFactory,
    VideoFactory,
    ViewerEventFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 10)
START = datetime(2026, 11, 10, tzinfo=UTC)
TIERS = [[0, 0.30], [10_000, 0.20], [100_000, 0.10]]


@pytest.fixture(autouse=True)
def _split_settings(settings):
    settings.PAYOUTS_UNIT_WEIGHTS = {"view": 1, "like": 3, "comment": 5, "share": 8}
    settings.PAYOUTS_EIS_GAMMA = 2.0
    settings.PAYOUTS_MIN_UNIQUE_VIEWERS = 0
    settings.PAYOUTS_MIN_PLATFORM_MARGIN = 0.0
    settings.PAYOUTS_RESERVE_RATE = 0.10
    settings.PAYOUTS_FEE_TIERS = TIERS
    settings.PAYOUTS_KYC_CAPS_CENTS = {"0": 5_000, "1": 5_000, "2": 50_000, "3": None}
    settings.PAYOUTS_LIKELY_BOT_TRUST_BELOW = 25.0
    settings.PAYOUTS_PER_VIEWER_CAP_UNITS = 200.0


def approve_kyc(user, level: int) -> None:
    KycSubmission.objects.create(
        user=user, given_names="Ada", surname="Lovelace", date_of_birth=date(1990, 1, 1), nationality="GB",
        address_line1="1 High Street", city="London", address_country="GB", phone_number="+447700900123",
        email=user.email, status="approved", level=level, eligible_level=min(level, 2),
    )  # fmt: skip


def creator_earning(*, kyc: int | None = 3, trust: float | None = None, eis: float | None = 100.0, **counts):
    """A creator with one video and one daily window on DAY with the given valid counts."""
    creator = CreatorProfileFactory()
    if kyc:
        approve_kyc(creator.user, kyc)
    if trust is not None:
        CreatorTrust.objects.create(creator=creator, score=trust, windows=3, scoring_version=CURRENT.version,
                                    updated_at=timezone.now())  # fmt: skip
    video = VideoFactory(creator=creator, created_at=START - timedelta(days=30))
    EngagementWindowFactory(video=video, engagement_integrity_score=eis, **counts)
    return creator, video


def revenue(cents: int, key: str = "nov-10") -> None:
    revenue_record(period_start=DAY, period_end=DAY + timedelta(days=1), amount_cents=cents, idempotency_key=key)


def computed_run(pool: int = 100_000) -> PayoutRun:
    run = payout_run_create(granularity="daily", period_start=DAY, pool_cents=pool)
    return payout_run_compute(run_id=run.id)


def line_of(run, creator) -> PayoutAllocation:
    return PayoutAllocation.objects.get(run=run, creator=creator)


def balances(creator) -> dict[str, int]:
    return ledger.balances_for_owner(owner=creator.user)


def platform(kind: str) -> int:
    return ledger.balance_of(account=ledger.account_for(kind=kind))


# --- Formulas on a hand-made case ----------------------------------------------------------------


def test_value_units_follow_the_formula(ledger_checked):
    # A: 100 views + 10 likes + 2 comments + 1 share = 100 + 30 + 10 + 8 = 148 units, EIS 80, trust 75.
    _a, a_video = creator_earning(trust=75, eis=80, valid_views=100, valid_likes=10, valid_comments=2, valid_shares=1)
    b, _ = creator_earning(valid_views=50)  # 50 units, EIS 100, no trust score yet
    revenue(100_000)
    run = computed_run()
    line = PayoutVideoLine.objects.get(run=run, video=a_video)
    assert line.engagement_units == 148
    assert line.eis_weighted_units == pytest.approx(148 * 0.8**2)
    assert line.trust_multiplier == pytest.approx(0.8 + 0.4 * 0.75)  # 1.1
    assert line.velocity_multiplier == 1.0
    assert line.value_units == pytest.approx(148 * 0.64 * 1.1)  # 104.192
    assert line_of(run, b).value_units == pytest.approx(50.0)
    assert line_of(run, b).trust_multiplier == 1.0


def test_cents_follow_largest_remainder_marginal_fees_and_reserve(ledger_checked):
    a, _ = creator_earning(trust=75, eis=80, valid_views=100, valid_likes=10, valid_comments=2, valid_shares=1)
    b, _ = creator_earning(valid_views=50)
    revenue(100_000)
    run = computed_run()
    # Shares 104.192 : 50 of 100,000 cents = 67,572.90 and 32,427.10 -> 67,573 and 32,427.
    la, lb = line_of(run, a), line_of(run, b)
    assert (la.gross_cents, lb.gross_cents) == (67_573, 32_427)
    # 30 % of the first 10,000 and 20 % of the rest: 3,000 + 11,514.6 and 3,000 + 4,485.4 (rounded down).
    assert (la.fee_cents, lb.fee_cents) == (14_514, 7_485)
    assert (la.fee_tier, lb.fee_tier) == (1, 1)
    # 10 % of what is left is held back; the rest is paid.
    assert (la.reserve_cents, lb.reserve_cents) == (5_305, 2_494)
    assert (la.net_cents, lb.net_cents) == (47_754, 22_448)
    assert run.allocated_cents + run.carried_forward_cents == 100_000
    assert run.fees_cents == 14_514 + 7_485
    assert run.status == PayoutRun.Status.COMPUTED
    assert JournalEntry.objects.filter(kind="allocation").count() == 0  # a preview moves no money

    run = payout_run_commit(run_id=run.id)
    assert run.status == PayoutRun.Status.COMMITTED
    assert balances(a)["creator_available"] == 47_754
    assert balances(a)["safety_reserve"] == 5_305
    assert balances(b)["creator_available"] == 22_448
    assert platform(AccountKind.PLATFORM_FEES) == 14_514 + 7_485
    assert platform(AccountKind.PLATFORM_REVENUE) == 0
    assert line_of(run, a).entry.idempotency_key == f"{run.entry_key_prefix}{a.pk}"


def test_kyc_level_zero_earns_into_held_under_its_cap_and_the_rest_is_water_filled(ledger_checked):
    unverified, _ = creator_earning(kyc=None, valid_views=100)
    basic, _ = creator_earning(kyc=1, valid_views=100)
    verified, _ = creator_earning(kyc=3, valid_views=100)
    revenue(60_000)
    run = computed_run(60_000)
    # 20,000 each by value; level 0 and 1 are capped at 5,000: the 30,000 over goes to the uncapped one.
    assert [line_of(run, c).gross_cents for c in (unverified, basic, verified)] == [5_000, 5_000, 50_000]
    assert line_of(run, unverified).capped
    assert line_of(run, basic).capped
    assert not line_of(run, verified).capped
    assert line_of(run, unverified).destination == "held"
    assert line_of(run, basic).destination == "available"
    payout_run_commit(run_id=run.id)
    assert balances(unverified)["creator_held"] == line_of(run, unverified).net_cents
    assert balances(unverified)["creator_available"] == 0


def test_what_nobody_can_take_under_their_cap_stays_in_platform_revenue(ledger_checked):
    a, _ = creator_earning(kyc=1, valid_views=10)
    b, _ = creator_earning(kyc=2, valid_views=10)
    revenue(100_000)
    run = computed_run(100_000)
    assert line_of(run, a).gross_cents == 5_000
    assert line_of(run, b).gross_cents == 50_000
    assert run.carried_forward_cents == 45_000
    payout_run_commit(run_id=run.id)
    assert platform(AccountKind.PLATFORM_REVENUE) == 45_000


def test_margin_guardrail_tops_fees_up_and_shows_it(ledger_checked, settings):
    settings.PAYOUTS_FEE_TIERS = [[0, 0.05]]
    settings.PAYOUTS_MIN_PLATFORM_MARGIN = 0.15
    a, _ = creator_earning(valid_views=10)
    revenue(10_000)
    run = computed_run(10_000)
    line = line_of(run, a)
    assert (line.fee_cents, line.margin_adjustment_cents) == (500, 1_000)
    payout_run_commit(run_id=run.id)
    assert platform(AccountKind.PLATFORM_FEES) == 1_500


# --- Eligibility and the integrity signals --------------------------------------------------------


def test_likely_bots_and_creators_under_the_viewer_floor_are_excluded(ledger_checked, settings):
    settings.PAYOUTS_MIN_UNIQUE_VIEWERS = 2
    bot, _ = creator_earning(trust=10, valid_views=100)
    lonely, _ = creator_earning(valid_views=100)
    popular, video = creator_earning(valid_views=2)
    for _ in range(2):
        ViewerEventFactory(video=video, occurred_at=START + timedelta(hours=3))
    ViewerEventFactory(video=lonely.videos.first(), occurred_at=START + timedelta(hours=3))
    revenue(10_000)
    run = computed_run(10_000)
    assert line_of(run, bot).excluded_reason == PayoutAllocation.Excluded.LIKELY_BOT
    assert line_of(run, lonely).excluded_reason == PayoutAllocation.Excluded.FEW_VIEWERS
    assert line_of(run, lonely).unique_viewers == 1
    assert line_of(run, bot).gross_cents == 0
    assert line_of(run, lonely).gross_cents == 0
    assert line_of(run, popular).eligible
    assert line_of(run, popular).gross_cents == 10_000
    assert run.creators_excluded == 2


def test_one_heavy_viewer_is_capped_per_period(settings):
    settings.PAYOUTS_PER_VIEWER_CAP_UNITS = 4.0  # units per viewer per day
    _creator, video = creator_earning(valid_views=12)
    heavy, light = UserFactory(), UserFactory()
    for i in range(10):  # 10 units from one account: over the cap of 4, kept at 4/10
        ViewerEventFactory(video=video, user=heavy, occurred_at=START + timedelta(hours=2, minutes=i))
    for i in range(2):
        ViewerEventFactory(video=video, user=light, occurred_at=START + timedelta(hours=4, minutes=i))
    revenue(10_000)
    run = computed_run(10_000)
    line = PayoutVideoLine.objects.get(run=run, video=video)
    assert line.engagement_units == 12
    assert line.capped_units == pytest.approx(12 - 6)  # the heavy viewer's 10 count as 4
    assert line.value_units == pytest.approx(6.0)


def test_invalid_engagement_does_not_count_toward_a_viewers_cap_or_the_floor(settings):
    settings.PAYOUTS_PER_VIEWER_CAP_UNITS = 4.0
    settings.PAYOUTS_MIN_UNIQUE_VIEWERS = 1
    creator, video = creator_earning(valid_views=4)
    viewer = UserFactory()
    events = [ViewerEventFactory(video=video, user=viewer, occurred_at=START + timedelta(hours=2, minutes=i))
              for i in range(10)]  # fmt: skip
    for event in events[4:]:  # the daily pass judged six of them invalid
        InvalidEngagement.objects.create(event=event, scoring_version=CURRENT.version, reason="repeat_views",
                                         window_start=START)  # fmt: skip
    revenue(10_000)
    run = computed_run(10_000)
    line = PayoutVideoLine.objects.get(run=run, video=video)
    assert line.capped_units == 4  # four valid views, exactly at the cap
    assert line_of(run, creator).unique_viewers == 1


def test_early_velocity_from_diverse_devices_and_networks_earns_the_multiplier(settings):
    settings.PAYOUTS_VELOCITY_MIN_DEVICES = 3
    settings.PAYOUTS_VELOCITY_MIN_NETWORKS = 3
    creator = CreatorProfileFactory()
    approve_kyc(creator.user, 3)
    fast = VideoFactory(creator=creator, created_at=START + timedelta(hours=1))
    slow = VideoFactory(creator=creator, created_at=START + timedelta(hours=1))
    for i, ip in enumerate(["81.2.69.160", "82.132.10.5", "86.1.20.7"]):
        ViewerEventFactory(
            video=fast, ip=ip, device_id=f"phone-{i}", occurred_at=START + timedelta(hours=1, minutes=20)
        )
        ViewerEventFactory(video=slow, ip="81.2.69.160", device_id=f"phone-{i}",
                           occurred_at=START + timedelta(hours=1, minutes=20))  # fmt: skip
    EngagementWindowFactory(video=fast, valid_views=3)
    EngagementWindowFactory(video=slow, valid_views=3)
    revenue(10_000)
    run = computed_run(10_000)
    assert PayoutVideoLine.objects.get(run=run, video=fast).velocity_multiplier == pytest.approx(1.05)
    assert PayoutVideoLine.objects.get(run=run, video=slow).velocity_multiplier == 1.0
    assert PayoutVideoLine.objects.get(run=run, video=fast).value_units == pytest.approx(3 * 1.05)


def test_unscored_windows_count_at_the_configured_eis_and_removed_videos_earn_nothing(settings):
    settings.PAYOUTS_UNSCORED_EIS = 50.0
    creator, thin = creator_earning(eis=None, valid_views=4)
    removed = VideoFactory(creator=creator, status="removed")
    EngagementWindowFactory(video=removed, valid_views=100)
    revenue(10_000)
    run = computed_run(10_000)
    assert PayoutVideoLine.objects.get(run=run, video=thin).value_units == pytest.approx(4 * 0.25)
    assert not PayoutVideoLine.objects.filter(run=run, video=removed).exists()


def test_missing_windows_are_computed_through_integrity_on_demand():
    creator = CreatorProfileFactory()
    approve_kyc(creator.user, 3)
    video = VideoFactory(creator=creator, created_at=START - timedelta(days=3))
    for i in range(12):
        ViewerEventFactory(video=video, device_id=f"phone-{i}", occurred_at=START + timedelta(hours=1 + i))
    assert not EngagementWindow.objects.exists()
    revenue(10_000)
    run = computed_run(10_000)
    assert EngagementWindow.objects.filter(video=video, granularity="day", window_start=START).exists()
    assert PayoutVideoLine.objects.get(run=run, video=video).engagement_units > 0


# --- The state machine ------------------------------------------------------------------------------


def test_the_pool_cannot_exceed_platform_revenue():
    creator_earning(valid_views=10)
    revenue(5_000)
    with pytest.raises(PayoutRunError, match="exceeds platform revenue"):
        payout_run_create(granularity="daily", period_start=DAY, pool_cents=5_001)


@pytest.mark.parametrize(
    ("granularity", "start", "message"),
    [("monthly", date(2026, 10, 2), "starts on the 1st"), ("daily", date(2999, 1, 1), "has not ended"),
     ("weekly", DAY, "daily or monthly")],
)  # fmt: skip
def test_bad_periods_are_refused(granularity, start, message):
    revenue(5_000)
    with pytest.raises(PayoutRunError, match=message):
        payout_run_create(granularity=granularity, period_start=start, pool_cents=100)


def test_one_live_run_per_period_and_a_failed_run_can_be_followed(ledger_checked):
    revenue(5_000)
    run = payout_run_create(granularity="daily", period_start=DAY, pool_cents=1_000)
    with pytest.raises(PayoutRunError, match="already exists"):
        payout_run_create(granularity="daily", period_start=DAY, pool_cents=1_000)
    with pytest.raises(PayoutRunError, match="no eligible creator"):
        payout_run_compute(run_id=run.id)  # nobody earned anything in the period
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.FAILED
    assert "no eligible creator" in run.error
    creator_earning(valid_views=10)
    again = payout_run_create(granularity="daily", period_start=DAY, pool_cents=1_000)
    assert payout_run_compute(run_id=again.id).status == PayoutRun.Status.COMPUTED


def test_only_a_computed_run_can_be_committed():
    creator_earning(valid_views=10)
    revenue(5_000)
    run = payout_run_create(granularity="daily", period_start=DAY, pool_cents=1_000)
    with pytest.raises(PayoutRunError, match="only a computed run"):
        payout_run_commit(run_id=run.id)


def test_recomputing_replaces_the_preview(ledger_checked):
    a, _ = creator_earning(valid_views=10)
    revenue(5_000)
    run = computed_run(1_000)
    b, _ = creator_earning(valid_views=10)
    run = payout_run_compute(run_id=run.id)
    assert PayoutAllocation.objects.filter(run=run).count() == 2
    assert line_of(run, a).gross_cents == line_of(run, b).gross_cents == 500


def test_committing_a_committed_run_writes_nothing_more(ledger_checked):
    _creator, _ = creator_earning(valid_views=10)
    revenue(5_000)
    run = computed_run(1_000)
    payout_run_commit(run_id=run.id)
    entries, legs = JournalEntry.objects.count(), ledger.JournalLeg.objects.count()
    again = payout_run_commit(run_id=run.id)
    assert again.status == PayoutRun.Status.COMMITTED
    assert (JournalEntry.objects.count(), ledger.JournalLeg.objects.count()) == (entries, legs)
    with pytest.raises(PayoutRunError, match="only draft or computed"):
        payout_run_compute(run_id=run.id)


def test_a_commit_the_ledger_refuses_half_way_leaves_no_entries_and_a_retry_commits_once(ledger_checked):
    _a, _ = creator_earning(valid_views=10)
    _b, _ = creator_earning(valid_views=30)
    revenue(2_000)
    run = computed_run(2_000)
    # Meanwhile platform revenue was partly spent elsewhere: the second creator's entry would overdraw it.
    ledger.entry_post(kind="revenue_adjustment", idempotency_key="elsewhere",
                      legs=[(ledger.account_for(kind=AccountKind.PLATFORM_REVENUE), -1_000),
                            (ledger.account_for(kind=AccountKind.EXTERNAL), 1_000)])  # fmt: skip
    with pytest.raises(PayoutRunError, match="refused by the ledger"):
        payout_run_commit(run_id=run.id)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert "commit refused" in run.error
    assert not JournalEntry.objects.filter(kind="allocation").exists()
    assert not PayoutAllocation.objects.filter(run=run, entry__isnull=False).exists()
    revenue(1_000, key="top-up")
    payout_run_commit(run_id=run.id)
    payout_run_commit(run_id=run.id)
    assert JournalEntry.objects.filter(kind="allocation").count() == 2


# --- Revenue and whole periods ------------------------------------------------------------------------


def test_revenue_record_is_idempotent_and_counts_for_its_period(ledger_checked):
    revenue(5_000)
    revenue(5_000)
    with pytest.raises(ledger.IdempotencyConflict):
        revenue(6_000)
    revenue_record(period_start=date(2026, 10, 1), period_end=date(2026, 11, 1), amount_cents=700,
                   idempotency_key="october")  # fmt: skip
    assert platform(AccountKind.PLATFORM_REVENUE) == 5_700
    assert revenue_for_period(period_start=DAY, period_end=DAY + timedelta(days=1)) == 5_000
    assert revenue_for_period(period_start=date(2026, 11, 1), period_end=date(2026, 12, 1)) == 5_000
    assert revenue_for_period(period_start=date(2026, 10, 1), period_end=date(2026, 11, 1)) == 700
    with pytest.raises(PayoutRunError, match="positive"):
        revenue_record(period_start=DAY, period_end=DAY, amount_cents=0, idempotency_key="x")


def test_a_period_run_uses_the_recorded_revenue_and_a_rerun_finishes_the_same_run(ledger_checked):
    _creator, _ = creator_earning(valid_views=10)
    revenue(3_000)
    run = payout_period_run(granularity="daily", period_start=DAY)
    assert run.status == PayoutRun.Status.COMMITTED
    assert run.pool_cents == 3_000
    assert payout_period_run(granularity="daily", period_start=DAY).pk == run.pk
    assert PayoutRun.objects.count() == 1
    assert payout_period_run(granularity="monthly", period_start=date(2026, 10, 1)) is None  # no revenue
