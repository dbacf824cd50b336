"""The portal's reads (creators/portal.py): the numbers the dashboard and the video pages show, and
that each read runs a fixed number of queries whatever the number of videos and windows."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creators import portal
from creators.models import MilestoneAward
from integrity.eis.config import CURRENT
from integrity.models import CreatorTrust, VideoIntegrity
from tests.factories import (
    CreatorProfileFactory,
    EngagementWindowFactory,
    EvaluationFactory,
    FlagFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


def window(video, day: int, *, eis: float | None = 90.0, views: int = 10, likes: int = 0, comments: int = 0,
           shares: int = 0, invalid: int = 0, components: dict | None = None, band: str | None = None):  # fmt: skip
    """A daily window ``day`` days after DAY0 with these counted numbers (events_total includes the invalid)."""
    return EngagementWindowFactory(
        video=video,
        window_start=DAY0 + timedelta(days=day),
        engagement_integrity_score=eis,
        band=band or CURRENT.band(eis),
        valid_views=views,
        valid_likes=likes,
        valid_comments=comments,
        valid_shares=shares,
        events_total=views + likes + comments + shares + invalid,
        events_invalid=invalid,
        components=components or {},
    )


def current(video, score: float | None, *, version: str = CURRENT.version) -> VideoIntegrity:
    return VideoIntegrity.objects.create(
        video=video, engagement_integrity_score=score, band=CURRENT.band(score), scoring_version=version,
        windows=1, updated_at=timezone.now(),
    )  # fmt: skip


def components(**scores) -> dict:
    return {
        key: {"score": score, "band": CURRENT.band(score), "reason": f"{key} reason"} for key, score in scores.items()
    }


# --- Dashboard numbers -----------------------------------------------------------------------------
def test_the_trend_weights_each_days_eis_by_engagement_and_leaves_unscored_days_empty():
    creator = CreatorProfileFactory()
    a, b = VideoFactory(creator=creator), VideoFactory(creator=creator)
    window(a, 0, eis=100.0, views=10)  # 10 events
    window(b, 0, eis=40.0, views=20, invalid=10)  # 30 events
    window(a, 1, eis=None, views=3)  # too little to score
    window(VideoFactory(), 0, eis=0.0, views=500)  # another creator's: not theirs

    last = portal._creator_latest_day(creator=creator)
    trend = portal.creator_trend(creator=creator, last=last)

    assert [p.day for p in trend] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert trend[0].engagement_integrity_score == pytest.approx((100 * 10 + 40 * 30) / 40, abs=0.05)
    assert trend[0].band == "medium"
    assert trend[0].engagement.views == 30
    assert trend[0].engagement.events_invalid == 10
    assert trend[1].engagement_integrity_score is None
    assert trend[1].band == "insufficient"
    assert trend[1].engagement.views == 3


def test_dashboard_totals_cover_the_latest_30_days_and_the_trend_90():
    creator = CreatorProfileFactory()
    video = VideoFactory(creator=creator)
    window(video, 0, views=1000, likes=1000)  # 100 days before the latest: in neither
    window(video, 60, views=100, likes=100)  # 40 days before: trend only
    window(video, 100, views=200, likes=10, comments=6, shares=4, invalid=20)  # the latest day

    dashboard = portal.creator_dashboard(creator=creator)

    assert dashboard.latest_day == date(2026, 11, 1) + timedelta(days=100)
    assert dashboard.totals_start == dashboard.latest_day - timedelta(days=29)
    assert [p.day for p in dashboard.trend] == [date(2026, 11, 1) + timedelta(days=d) for d in (60, 100)]
    assert dashboard.totals.views == 200
    assert dashboard.totals.engagement_rate == pytest.approx(20 / 200)
    assert dashboard.totals.events_invalid == 20
    assert dashboard.totals.events_total == 240


def test_current_eis_is_the_videos_current_eis_weighted_by_their_recent_engagement():
    creator = CreatorProfileFactory()
    busy, quiet, stale, other_version = (VideoFactory(creator=creator) for _ in range(4))
    window(busy, 50, views=300)
    window(quiet, 50, views=100)
    window(stale, 0, views=1000)  # its engagement is older than the 30 days: no weight
    window(other_version, 50, views=1000)
    current(busy, 90.0)
    current(quiet, 50.0)
    current(stale, 10.0)
    current(other_version, 0.0, version="eis-old")

    result = portal.creator_dashboard(creator=creator).current_eis

    assert result.score == pytest.approx((90 * 300 + 50 * 100) / 400, abs=0.05)
    assert result.band == "high"
    assert result.videos == 2


def test_without_windows_the_dashboard_has_no_numbers_to_show():
    creator = CreatorProfileFactory()
    VideoFactory(creator=creator)

    dashboard = portal.creator_dashboard(creator=creator)

    assert dashboard.latest_day is None
    assert dashboard.trend == []
    assert dashboard.totals.engagement_rate is None
    assert dashboard.current_eis.score is None
    assert dashboard.current_eis.band == "insufficient"
    assert dashboard.trust.score is None
    assert dashboard.trust.multiplier == 1.0
    assert dashboard.video_count == 1
    assert dashboard.kyc.level == 0
    assert dashboard.kyc_status_label == "Not submitted"
    assert dashboard.balances.available_cents == 0


def test_trust_is_explained_with_its_payout_multiplier_and_the_windows_that_lowered_it(settings):
    settings.PAYOUTS_TRUST_MIN, settings.PAYOUTS_TRUST_MAX = 0.8, 1.2
    creator = CreatorProfileFactory()
    video = VideoFactory(creator=creator, title="Cooking with gas")
    window(video, 20, eis=95.0)
    window(video, 21, eis=42.0, components=components(authentic_engagement=60.0, like_integrity=12.5, timing=None))
    window(video, 22, eis=70.0, components=components(audience_diversity=55.0))
    window(video, -10, eis=5.0)  # older than the 28 days trust looks at
    CreatorTrust.objects.create(
        creator=creator, score=62.5, windows=3, scoring_version=CURRENT.version, updated_at=timezone.now()
    )

    trust = portal.creator_dashboard(creator=creator).trust

    assert trust.score == 62.5
    assert trust.band == "medium"
    assert trust.multiplier == pytest.approx(0.8 + 0.4 * 0.625, abs=0.005)
    assert not trust.excluded
    assert any("3 daily windows" in reason for reason in trust.reasons)
    assert [(w.score, w.day) for w in trust.low_windows] == [(42.0, date(2026, 11, 22)), (70.0, date(2026, 11, 23))]
    weakest = trust.low_windows[0].component
    assert (weakest.label, weakest.score, weakest.reason) == ("Like integrity", 12.5, "like_integrity reason")
    assert trust.low_windows[0].video_title == "Cooking with gas"


def test_trust_below_the_likely_bot_line_says_payouts_leave_the_creator_out(settings):
    settings.PAYOUTS_LIKELY_BOT_TRUST_BELOW = 25.0
    creator = CreatorProfileFactory()
    window(VideoFactory(creator=creator), 0, eis=10.0)
    CreatorTrust.objects.create(
        creator=creator, score=10.0, windows=1, scoring_version=CURRENT.version, updated_at=timezone.now()
    )

    trust = portal.creator_dashboard(creator=creator).trust

    assert trust.excluded
    assert any("likely automated" in reason for reason in trust.reasons)


def test_the_dashboard_lists_the_creators_latest_flags_and_plaques_only():
    creator = CreatorProfileFactory()
    mine = FlagFactory(evaluation__video__creator=creator)
    FlagFactory()  # another creator's
    MilestoneAward.objects.create(creator=creator, threshold=1000, follower_count=1000, bonus_cents=1000)

    dashboard = portal.creator_dashboard(creator=creator)

    assert dashboard.flags == [mine]
    assert [p.threshold for p in dashboard.plaques] == [1000]


# --- Components ------------------------------------------------------------------------------------
def test_window_components_come_in_blend_order_and_tolerate_odd_json():
    stored = components(timing=80.0, authentic_engagement=100.0) | {
        "new_signal": {"score": "high?", "reason": "added later"},
        "like_integrity": "not a dict",
    }

    result = portal.window_components(stored)

    assert [c.key for c in result] == ["authentic_engagement", "like_integrity", "timing", "new_signal"]
    assert (result[1].score, result[1].band) == (None, "insufficient")
    assert (result[3].label, result[3].score) == ("New signal", None)
    assert portal.window_components(None) == []


# --- Videos list -----------------------------------------------------------------------------------
def test_the_video_list_shows_counted_views_current_eis_and_the_latest_evaluation():
    creator = CreatorProfileFactory()
    video = VideoFactory(creator=creator)
    window(video, 0, views=30)
    window(video, 1, views=12)
    current(video, 77.0)
    EvaluationFactory(video=video, quality_score=20.0, created_at=DAY0)
    latest = EvaluationFactory(video=video, quality_score=88.0, created_at=DAY0 + timedelta(days=1))
    bare = VideoFactory(creator=creator)
    VideoFactory()  # another creator's

    page, rows = portal.creator_videos_page(creator=creator, page="1")

    assert page.paginator.count == 2
    by_video = {row.video: row for row in rows}
    assert by_video[video].engagement.views == 42
    assert by_video[video].engagement_integrity_score == 77.0
    assert by_video[video].band == "medium"
    assert by_video[video].evaluation == latest
    assert by_video[bare].evaluation is None
    assert by_video[bare].engagement_integrity_score is None
    assert by_video[bare].band == "insufficient"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "3", "1.5"])
def test_a_page_that_is_not_there_is_refused(page):
    creator = CreatorProfileFactory()
    VideoFactory.create_batch(portal.VIDEOS_PER_PAGE + 1, creator=creator)

    with pytest.raises(portal.PageNotFound):
        portal.creator_videos_page(creator=creator, page=page)


def test_an_empty_list_has_one_empty_page():
    page, rows = portal.creator_videos_page(creator=CreatorProfileFactory(), page=None)

    assert page.number == 1
    assert rows == []


# --- One video -------------------------------------------------------------------------------------
def test_a_videos_analytics_show_its_latest_30_windows_oldest_first():
    creator = CreatorProfileFactory()
    video = VideoFactory(creator=creator)
    for day in range(35):
        window(video, day, eis=50.0 + day, views=day)

    found = portal.video_for_creator(creator=creator, public_id=video.public_id)

    analytics = portal.video_analytics(creator=creator, video=found)

    assert len(analytics.windows) == portal.VIDEO_WINDOWS
    assert analytics.windows[0].day == date(2026, 11, 6)
    assert analytics.windows[-1].engagement_integrity_score == 84.0
    assert analytics.totals.views == sum(range(5, 35))
    assert analytics.moderation is None


def test_another_creators_video_is_not_found():
    video = VideoFactory()

    assert portal.video_for_creator(creator=CreatorProfileFactory(), public_id=video.public_id) is None


def test_the_moderation_result_highlights_the_driving_passages_escaped_and_lists_each_tasks_risk():
    flag = FlagFactory()  # transcript "you people are vermin <script>x</script> ..."
    evaluation = flag.evaluation
    evaluation.spans["hate"].append({"start": 5, "end": 9999, "text": "out of range", "risk": 0.99})
    evaluation.deciders = {"hate": "llm", "mental_health": "local", "clickbait": "local"}

    result = portal.moderation_result(evaluation=evaluation)

    assert "<mark>you people are vermin</mark>" in result.transcript_html
    assert "&lt;script&gt;x&lt;/script&gt;" in result.transcript_html
    assert "<script>" not in result.transcript_html
    assert [(s["text"], s["task_label"]) for s in result.driving_spans] == [
        ("you people are vermin", "hate or offensive speech")
    ]
    assert [(r.task, r.risk, r.decided_by) for r in result.risks] == [
        ("hate", 0.9, "LLM fallback"),
        ("mental_health", 0.03, "local classifiers"),
        ("clickbait", 0.1, "local classifiers"),
    ]


# --- Summaries -------------------------------------------------------------------------------------
def test_the_eis_summary_names_latest_lowest_highest_and_unscored_days():
    points = [(date(2026, 11, 1), 80.0, "high"), (date(2026, 11, 2), None, "insufficient"),
              (date(2026, 11, 3), 45.5, "low"), (date(2026, 11, 4), 60.0, "medium")]  # fmt: skip

    text = portal.eis_summary(points)

    assert "Latest EIS 60.0 (Some doubtful engagement) on 4 Nov 2026" in text
    assert "lowest 45.5 on 3 Nov 2026" in text
    assert "highest 80.0 on 1 Nov 2026" in text
    assert "1 day had too little engagement to score" in text
    assert "No daily windows yet" in portal.eis_summary([])
    assert "None of the 1 day shown" in portal.eis_summary([(date(2026, 11, 1), None, "insufficient")])


def test_the_engagement_summary_adds_up_the_days_shown():
    points = [
        (date(2026, 11, 1), portal.Engagement(views=1200, likes=3, comments=2, shares=1, events_total=1300,
                                              events_invalid=94)),
        (date(2026, 11, 2), portal.Engagement(views=300, likes=1, events_total=301)),
    ]  # fmt: skip

    text = portal.engagement_summary(points)

    assert "1,500 counted views, 4 likes, 2 comments and 1 shares" in text
    assert "busiest day was 1 Nov 2026 with 1,200 views" in text
    assert "94 of 1,601 engagements were set aside" in text


# --- Bounded queries -------------------------------------------------------------------------------
def _creator_with(videos: int, days: int):
    creator = CreatorProfileFactory()
    for n in range(videos):
        video = VideoFactory(creator=creator)
        current(video, 80.0)
        for day in range(days):
            window(video, day, eis=40.0 + day, components=components(like_integrity=30.0))
        EvaluationFactory(video=video)
        EvaluationFactory(video=video)
        if n % 2:
            FlagFactory(evaluation__video=video)
    CreatorTrust.objects.create(
        creator=creator, score=70.0, windows=videos * days, scoring_version=CURRENT.version, updated_at=timezone.now()
    )
    MilestoneAward.objects.create(creator=creator, threshold=1000, follower_count=1000, bonus_cents=1000)
    return creator


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured.captured_queries)


def test_the_dashboard_runs_the_same_few_queries_for_1_video_or_many(django_assert_max_num_queries):
    small, large = _creator_with(1, 1), _creator_with(12, 8)

    with django_assert_max_num_queries(12):
        portal.creator_dashboard(creator=large)
    assert _queries(lambda: portal.creator_dashboard(creator=small)) == _queries(
        lambda: portal.creator_dashboard(creator=large)
    )


def test_a_page_of_videos_runs_four_queries_whatever_its_size(django_assert_max_num_queries):
    small, large = _creator_with(1, 1), _creator_with(portal.VIDEOS_PER_PAGE + 3, 3)

    with django_assert_max_num_queries(4):
        _, rows = portal.creator_videos_page(creator=large, page=1)
    assert len(rows) == portal.VIDEOS_PER_PAGE
    assert _queries(lambda: portal.creator_videos_page(creator=small, page=1)) == 4


def test_a_videos_analytics_run_the_same_queries_for_1_window_or_30(django_assert_max_num_queries):
    small, large = _creator_with(1, 1), _creator_with(1, 40)
    small_video, large_video = small.videos.get(), large.videos.get()

    with django_assert_max_num_queries(4):
        video = portal.video_for_creator(creator=large, public_id=large_video.public_id)
        portal.video_analytics(creator=large, video=video)
    assert _queries(
        lambda: portal.video_analytics(
            creator=small, video=portal.video_for_creator(creator=small, public_id=small_video.public_id)
        )
    ) == _queries(
        lambda: portal.video_analytics(
            creator=large, video=portal.video_for_creator(creator=large, public_id=large_video.public_id)
        )
    )
