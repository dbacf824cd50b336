"""Each invalid-traffic signal on a hand-made set of events, and what must not be punished."""

import random
from datetime import timedelta

import pytest

from integrity.eis.config import CURRENT
from integrity.models import EngagementWindow, InvalidEngagement, ViewerTrust
from integrity.services import engagement_windows_compute
from tests.factories import CreatorProfileFactory, UserFactory, VideoFactory

from .helpers import DAY, add_events

pytestmark = pytest.mark.django_db


def compute():
    return engagement_windows_compute(start=DAY, end=DAY + timedelta(days=1), granularity="day")


def reasons_of(events) -> dict[int, str | None]:
    judged = dict(InvalidEngagement.objects.filter(scoring_version=CURRENT.version).values_list("event_id", "reason"))
    return {e.pk: judged.get(e.pk) for e in events}


def organic_crowd(video, viewers: int = 12, seed: int = 1):
    rng = random.Random(seed)
    users = UserFactory.create_batch(viewers)
    specs = []
    for user in users:
        for _ in range(2):
            specs.append(
                {"user": user, "video": video, "at": rng.uniform(0, 80_000), "watch": rng.randint(2_000, 30_000)}
            )
    return add_events(specs)


def test_organic_engagement_is_all_valid_and_scores_high():
    video = VideoFactory()
    events = organic_crowd(video, viewers=20)
    compute()
    assert set(reasons_of(events).values()) == {None}
    window = EngagementWindow.objects.get(video=video)
    assert window.engagement_integrity_score >= 80
    assert window.band == "high"
    assert window.components["authentic_engagement"]["reason"].startswith("all 40 engagements")


def test_a_metronomic_bot_is_judged_invalid():
    video = VideoFactory()
    bot = UserFactory()
    bot_events = add_events([{"user": bot, "video": video, "at": 1_000 + 30 * i, "watch": 15_000} for i in range(10)])
    organic = organic_crowd(video)
    compute()
    assert set(reasons_of(bot_events).values()) == {"metronomic"}
    assert set(reasons_of(organic).values()) == {None}


def test_a_household_sharing_one_ip_is_not_punished():
    video = VideoFactory()
    family = UserFactory.create_batch(4)
    events = add_events([
        {"user": member, "video": video, "at": 3_600 * (i + 1) + 977 * j, "ip": "86.12.40.7", "device": f"phone-{i}"}
        for i, member in enumerate(family) for j in range(3)
    ])  # fmt: skip
    events += organic_crowd(video)
    compute()
    assert set(reasons_of(events).values()) == {None}
    assert EngagementWindow.objects.get(video=video).engagement_integrity_score >= 80


def test_a_report_brigade_of_low_trust_accounts_does_not_sink_a_video():
    video = VideoFactory()
    organic = organic_crowd(video, viewers=30)
    brigade = UserFactory.create_batch(12, phone_number="", date_joined=DAY - timedelta(days=2))
    specs = []
    for i, account in enumerate(brigade):
        device = f"brigade-{i % 2}"
        specs.append({"user": account, "video": video, "at": 40_000 + i * 60, "device": device, "watch": 1_500})
        specs.append({"user": account, "video": video, "at": 40_010 + i * 60, "device": device, "type": "report"})
    brigade_events = add_events(specs)
    compute()
    assert set(reasons_of(brigade_events).values()) == {"shared_device"}
    window = EngagementWindow.objects.get(video=video)
    assert window.components["report_cleanliness"]["score"] == 100.0
    assert "12 set aside as invalid traffic" in window.components["report_cleanliness"]["reason"]
    assert window.engagement_integrity_score >= 70
    assert set(reasons_of(organic).values()) == {None}


def test_a_credible_report_counts():
    video = VideoFactory()
    organic_crowd(video, viewers=20)
    reporter = UserFactory(phone_number="+447700900123", date_joined=DAY - timedelta(days=400))
    add_events([{"user": reporter, "video": video, "at": 50_000, "type": "report"}])
    compute()
    window = EngagementWindow.objects.get(video=video)
    assert window.components["report_cleanliness"]["score"] < 100.0
    assert "1 report weigh as 1.0 credible" in window.components["report_cleanliness"]["reason"]


def test_a_lockstep_like_ring_is_found():
    ring = UserFactory.create_batch(5)
    videos = VideoFactory.create_batch(3)
    specs = []
    for v, video in enumerate(videos):
        for i, member in enumerate(ring):
            start = 10_000 * (v + 1)
            specs.append({"user": member, "video": video, "at": start + i, "watch": 4_000 + i})
            specs.append({"user": member, "video": video, "at": start + 5 + i * 2, "type": "like"})
    ring_events = add_events(specs)
    organic = organic_crowd(videos[0])
    compute()
    assert set(reasons_of(ring_events).values()) == {"lockstep"}
    assert set(reasons_of(organic).values()) == {None}


def test_general_invalid_traffic_is_removed_first():
    video = VideoFactory()
    user = UserFactory()
    hosted = add_events([{"user": user, "video": video, "at": 100, "ip": "159.65.21.10"}])
    scripted = add_events([{"user": UserFactory(), "video": video, "at": 200, "agent": "python-requests/2.32.3"}])
    fast_user = UserFactory()
    fast = add_events([{"user": fast_user, "video": VideoFactory(), "at": 3_000 + i * 0.5, "type": "like"}
                       for i in range(70)])  # fmt: skip
    compute()
    assert reasons_of(hosted) == {hosted[0].pk: "hosting_network"}
    assert reasons_of(scripted) == {scripted[0].pk: "bot_user_agent"}
    assert set(reasons_of(fast).values()) == {"impossible_rate"}


def test_self_engagement_by_the_creator_and_their_devices_is_excluded():
    creator = CreatorProfileFactory()
    video = VideoFactory(creator=creator)
    alt = UserFactory()
    own = add_events([
        {"user": creator.user, "video": video, "at": 500, "device": "creator-phone"},
        {"user": alt, "video": video, "at": 900, "device": "creator-phone"},
        {"user": alt, "video": video, "at": 905, "device": "creator-phone", "type": "like"},
    ])  # fmt: skip
    organic = organic_crowd(video)
    compute()
    assert set(reasons_of(own).values()) == {"self_engagement"}
    assert set(reasons_of(organic).values()) == {None}


def test_many_repeat_views_in_an_hour_are_invalid_but_a_few_are_not():
    video = VideoFactory()
    looper, fan = UserFactory(), UserFactory()
    offsets = [0, 40, 400, 410, 1_500, 1_600, 2_900, 3_000]  # eight views within one clock hour
    loops = add_events([{"user": looper, "video": video, "at": 7_200 + s} for s in offsets])
    fan_views = add_events([{"user": fan, "video": video, "at": 7_200 + 700 * i} for i in range(3)])
    compute()
    assert set(reasons_of(loops).values()) == {"repeat_views"}
    assert set(reasons_of(fan_views).values()) == {None}


def test_too_little_data_gives_no_score_and_says_so():
    video = VideoFactory()
    add_events([{"user": UserFactory(), "video": video, "at": 100 * i} for i in range(3)])
    compute()
    window = EngagementWindow.objects.get(video=video)
    assert window.engagement_integrity_score is None
    assert window.band == "insufficient"
    assert "not enough to judge" in window.components["authentic_engagement"]["reason"]


def test_viewer_trust_is_explained_part_by_part():
    video = VideoFactory()
    veteran = UserFactory(phone_number="+447700900123", date_joined=DAY - timedelta(days=500))
    newcomer = UserFactory(phone_number="", date_joined=DAY - timedelta(days=1))
    add_events([{"user": veteran, "video": video, "at": 10}, {"user": newcomer, "video": video, "at": 20,
                                                                  "ip": "159.65.21.10"}])  # fmt: skip
    compute()
    high, low = ViewerTrust.objects.get(user=veteran), ViewerTrust.objects.get(user=newcomer)
    assert high.score == 100.0
    assert low.score < 40  # only its own device and a clean record count for it
    assert low.parts["phone"] == {"points": 0.0, "max": 15, "reason": "no phone number"}
    assert low.parts["networks"]["reason"] == "0% of activity from residential networks"
    assert high.parts["account_age"]["reason"] == "account 501 days old"


def test_recomputing_a_window_with_the_same_version_changes_nothing():
    video = VideoFactory()
    organic_crowd(video)
    add_events([{"user": UserFactory(), "video": video, "at": 100, "ip": "159.65.21.10"}])
    first = compute()[0]
    windows = list(EngagementWindow.objects.values_list("pk", "computed_at", "content_hash"))
    judgements = list(InvalidEngagement.objects.values_list("pk", "reason"))
    trust = list(ViewerTrust.objects.values_list("user_id", "computed_at"))
    second = compute()[0]
    assert first.windows_written == 1
    assert second.windows_written == 0
    assert list(EngagementWindow.objects.values_list("pk", "computed_at", "content_hash")) == windows
    assert list(InvalidEngagement.objects.values_list("pk", "reason")) == judgements
    assert list(ViewerTrust.objects.values_list("user_id", "computed_at")) == trust


def test_current_eis_and_creator_trust_follow_the_daily_windows():
    from integrity.models import CreatorTrust, VideoIntegrity

    video = VideoFactory()
    organic_crowd(video)
    compute()
    current = VideoIntegrity.objects.get(video=video)
    window = EngagementWindow.objects.get(video=video)
    assert current.engagement_integrity_score == window.engagement_integrity_score
    assert CreatorTrust.objects.get(creator=video.creator).score == window.engagement_integrity_score


def test_hourly_windows_score_without_judging():
    video = VideoFactory()
    organic_crowd(video, viewers=30)
    engagement_windows_compute(start=DAY, end=DAY + timedelta(days=1), granularity="hour")
    hours = EngagementWindow.objects.filter(granularity="hour")
    assert hours.count() > 5
    assert not InvalidEngagement.objects.exists()
    assert all(w.window_end - w.window_start == timedelta(hours=1) for w in hours)


def test_a_range_shorter_than_a_window_is_refused():
    with pytest.raises(ValueError, match="at least one whole window"):
        engagement_windows_compute(start=DAY, end=DAY + timedelta(hours=3), granularity="day")


def test_a_cluster_of_accounts_hopping_between_devices_is_found():
    """No device has more than two accounts, but ten accounts share four devices through one chain."""
    video = VideoFactory()
    farm = UserFactory.create_batch(10)
    specs = [{"user": account, "video": video, "at": 5_000 + 977 * i + 13 * k, "device": f"farm-{(i + k) // 3}",
              "watch": 3_000 + 101 * i + k} for i, account in enumerate(farm) for k in range(2)]  # fmt: skip
    farm_events = add_events(specs)
    organic = organic_crowd(video)
    compute()
    assert set(reasons_of(farm_events).values()) == {"device_cluster"}
    assert set(reasons_of(organic).values()) == {None}
