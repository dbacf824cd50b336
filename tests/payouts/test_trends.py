"""Trends: submission, review with a reason (audited), adoption by other creators after approval,
and the originator's bonus and boost, each once."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from creators.models import Trend, TrendAdoption, User, Video
from creators.roles import TRUST_AND_SAFETY
from creators.services import video_hashtags_set
from creators.trends import (
    TrendError,
    trend_adoptions_track,
    trend_approve,
    trend_reject,
    trend_submit,
    trends_sweep,
)
from payouts import ledger
from payouts.models import AccountKind, JournalEntry
from tests.factories import CreatorProfileFactory, HashtagFactory, UserFactory, VideoFactory
from tests.payouts.bonus_support import pool_fund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def trend_settings(settings):
    settings.TRENDS_ADOPTION_THRESHOLD = 3
    settings.TRENDS_BONUS_CENTS = 2_500
    settings.TRENDS_BOOST_DAYS = 7


@pytest.fixture
def reviewer(db) -> User:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def originator():
    return CreatorProfileFactory()


def approved_trend(originator, reviewer, tag: str = "dance_off") -> Trend:
    trend = trend_submit(originator=originator, name="Dance off", hashtag=f"#{tag}", description="Two moves, one beat.")
    return trend_approve(trend=trend, reviewer=reviewer, reason="Original and safe for all ages.")


def tagged_video(creator, tag: str, *, after: Trend | None = None, **fields) -> Video:
    created_at = (after.reviewed_at + timedelta(minutes=1)) if after else timezone.now()
    video = VideoFactory(creator=creator, created_at=created_at, **fields)
    video.hashtags.add(HashtagFactory(name=tag))
    return video


# --- Submission and review ---------------------------------------------------------------------------


def test_submitting_normalises_the_hashtag_and_waits_for_review(originator):
    trend = trend_submit(originator=originator, name=" Dance off ", hashtag=" #Dance_Off", description="Two moves.")
    assert (trend.name, trend.hashtag.name, trend.status) == ("Dance off", "dance_off", "submitted")


@pytest.mark.parametrize(
    ("name", "hashtag", "description", "message"),
    [
        ("", "dance", "d", "name"),
        ("Dance", "dance off", "d", "hashtag"),
        ("Dance", "#", "d", "hashtag"),
        ("Dance", "dance", "   ", "description"),
    ],
)
def test_bad_submissions_are_refused_with_a_clear_message(originator, name, hashtag, description, message):
    with pytest.raises(TrendError, match=message):
        trend_submit(originator=originator, name=name, hashtag=hashtag, description=description)
    assert not Trend.objects.exists()


def test_a_hashtag_is_one_open_trend_at_a_time(originator, reviewer):
    first = trend_submit(originator=originator, name="A", hashtag="dance", description="first")
    with pytest.raises(TrendError, match="already a trend"):
        trend_submit(originator=CreatorProfileFactory(), name="B", hashtag="DANCE", description="second")
    trend_reject(trend=first, reviewer=reviewer, reason="Too close to an existing challenge.")
    again = trend_submit(originator=CreatorProfileFactory(), name="B", hashtag="dance", description="second")
    assert again.status == "submitted"


def test_approval_needs_a_reason_and_is_audited(originator, reviewer):
    trend = trend_submit(originator=originator, name="Dance off", hashtag="dance_off", description="Two moves.")
    with pytest.raises(TrendError, match="reason"):
        trend_approve(trend=trend, reviewer=reviewer, reason="  ok ")
    assert Trend.objects.get(pk=trend.pk).status == "submitted"

    approved = trend_approve(trend=trend, reviewer=reviewer, reason="Original and safe for all ages.")

    assert (approved.status, approved.reviewed_by, approved.review_reason) == (
        "approved",
        reviewer,
        "Original and safe for all ages.",
    )
    event = AuditEvent.objects.get(action="trends.approve")
    assert (event.actor, event.subject, event.reason) == (
        reviewer,
        f"creators.trend:{trend.pk}",
        approved.review_reason,
    )
    assert (event.before, event.after["status"]) == ({"status": "submitted"}, "approved")


def test_a_decided_trend_cannot_be_decided_again(originator, reviewer):
    trend = approved_trend(originator, reviewer)
    with pytest.raises(TrendError, match="no longer awaiting review"):
        trend_reject(trend=trend, reviewer=reviewer, reason="Changed my mind about it.")
    assert Trend.objects.get(pk=trend.pk).status == "approved"
    assert AuditEvent.objects.filter(action__startswith="trends.").count() == 1


def test_reviewing_needs_the_permission_and_never_ones_own_idea(originator, reviewer):
    trend = trend_submit(originator=originator, name="Dance off", hashtag="dance_off", description="Two moves.")
    with pytest.raises(TrendError, match="permission"):
        trend_approve(trend=trend, reviewer=UserFactory(is_staff=True), reason="Looks good to me.")
    reviewer.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    own = CreatorProfileFactory(user=reviewer)
    mine = trend_submit(originator=own, name="Mine", hashtag="mine", description="My own idea.")
    with pytest.raises(TrendError, match="own"):
        trend_approve(trend=mine, reviewer=User.objects.get(pk=reviewer.pk), reason="Looks good to me.")


# --- Adoption --------------------------------------------------------------------------------------


def test_only_other_creators_published_videos_after_approval_count(originator, reviewer):
    other = CreatorProfileFactory()
    before = tagged_video(other, "dance_off")  # before approval (created now, approval follows)
    trend = approved_trend(originator, reviewer)
    own = tagged_video(originator, "dance_off", after=trend)
    pending = tagged_video(CreatorProfileFactory(), "dance_off", after=trend, status=Video.Status.PENDING)
    untagged = VideoFactory(creator=other, created_at=trend.reviewed_at + timedelta(minutes=1))
    counted = tagged_video(other, "dance_off", after=trend)

    for video in (before, own, pending, untagged, counted):
        trend_adoptions_track(video=video)

    assert list(TrendAdoption.objects.values_list("video_id", flat=True)) == [counted.pk]
    assert Trend.objects.get(pk=trend.pk).adoption_count == 1


def test_a_video_counts_once_and_a_creator_counts_once(originator, reviewer):
    trend = approved_trend(originator, reviewer)
    other = CreatorProfileFactory()
    first, second = tagged_video(other, "dance_off", after=trend), tagged_video(other, "dance_off", after=trend)
    for video in (first, first, second):
        trend_adoptions_track(video=video)
    trends_sweep()

    assert TrendAdoption.objects.count() == 2
    assert Trend.objects.get(pk=trend.pk).adoption_count == 1  # distinct adopting creators


def test_setting_a_videos_hashtags_tracks_adoption_after_commit(
    originator, reviewer, django_capture_on_commit_callbacks
):
    trend = approved_trend(originator, reviewer)
    video = VideoFactory(creator=CreatorProfileFactory(), created_at=trend.reviewed_at + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        tags = video_hashtags_set(video=video, names=["#Dance_Off", "dance_off", "fun"])
    assert [t.name for t in tags] == ["dance_off", "fun"]
    assert TrendAdoption.objects.filter(trend=trend, video=video).exists()


def test_the_threshold_pays_the_bonus_and_boosts_once(originator, reviewer, ledger_checked):
    pool_fund(10_000)
    trend = approved_trend(originator, reviewer)
    adopters = [CreatorProfileFactory() for _ in range(4)]
    for creator in adopters[:2]:
        trend_adoptions_track(video=tagged_video(creator, "dance_off", after=trend))
    trend.refresh_from_db()
    assert (trend.adoption_count, trend.boost_until, trend.bonus_paid_at) == (2, None, None)

    trend_adoptions_track(video=tagged_video(adopters[2], "dance_off", after=trend))
    trend.refresh_from_db()
    assert trend.adoption_count == 3
    assert trend.bonus_paid_at is not None
    assert trend.is_boosted
    assert timedelta(days=6, hours=23) < trend.boost_until - timezone.now() <= timedelta(days=7)
    boost_until, entry_id = trend.boost_until, trend.bonus_entry_id

    trend_adoptions_track(video=tagged_video(adopters[3], "dance_off", after=trend))
    trends_sweep()
    trends_sweep()
    trend.refresh_from_db()

    assert trend.adoption_count == 4
    assert (trend.boost_until, trend.bonus_entry_id) == (boost_until, entry_id)
    entry = JournalEntry.objects.get(kind="bonus")
    assert (entry.public_id, entry.idempotency_key) == (entry_id, f"trend:{trend.pk}")
    assert ledger.balances_for_owner(owner=originator.user)[AccountKind.CREATOR_HELD] == 2_500


def test_an_empty_pool_boosts_now_and_the_sweep_pays_after_funding(originator, reviewer, ledger_checked):
    trend = approved_trend(originator, reviewer)
    for _ in range(3):
        trend_adoptions_track(video=tagged_video(CreatorProfileFactory(), "dance_off", after=trend))
    trend.refresh_from_db()
    assert trend.is_boosted
    assert trend.bonus_paid_at is None
    assert not JournalEntry.objects.filter(kind="bonus").exists()

    pool_fund(10_000)
    trends_sweep()

    trend.refresh_from_db()
    assert trend.bonus_paid_at is not None
    assert ledger.balances_for_owner(owner=originator.user)[AccountKind.CREATOR_HELD] == 2_500


def test_the_sweep_picks_up_videos_published_after_tagging(originator, reviewer, ledger_checked):
    from payouts.tasks import trends_sweep as trends_sweep_task

    pool_fund(10_000)
    trend = approved_trend(originator, reviewer)
    videos = [
        tagged_video(CreatorProfileFactory(), "dance_off", after=trend, status=Video.Status.PENDING) for _ in range(3)
    ]
    for video in videos:
        trend_adoptions_track(video=video)
    assert not TrendAdoption.objects.exists()

    Video.objects.filter(pk__in=[v.pk for v in videos]).update(status=Video.Status.PUBLISHED)
    trends_sweep_task.delay()
    trends_sweep_task.delay()

    trend.refresh_from_db()
    assert (trend.adoption_count, TrendAdoption.objects.count()) == (3, 3)
    assert JournalEntry.objects.filter(kind="bonus").count() == 1


# --- Pages and API -----------------------------------------------------------------------------------


def test_the_trends_page_submits_and_lists_own_trends(client, originator):
    client.force_login(originator.user)
    url = reverse("payouts:trends")
    response = client.post(url, {"name": "Dance off", "hashtag": "#dance_off", "description": "Two moves."})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Dance off" in page
    assert "#dance_off" in page
    assert "Submitted, awaiting review" in page

    bad = client.post(url, {"name": "Again", "hashtag": "dance_off", "description": "Same tag."})
    assert bad.status_code == 200
    assert "already a trend" in bad.content.decode()


def test_the_api_submits_and_lists_own_and_approved_trends(client, originator, reviewer):
    shown = approved_trend(CreatorProfileFactory(), reviewer, tag="public_one")
    hidden = trend_submit(originator=CreatorProfileFactory(), name="Hidden", hashtag="hidden", description="Not yet.")
    client.force_login(originator.user)

    created = client.post("/api/v1/trends/", {"name": "Mine", "hashtag": "#Mine", "description": "My idea."})
    assert created.status_code == 201, created.content
    assert (created.json()["hashtag"], created.json()["status"]) == ("mine", "submitted")

    ids = {t["id"] for t in client.get("/api/v1/trends/").json()["results"]}
    assert ids == {created.json()["id"], str(shown.public_id)}
    assert str(hidden.public_id) not in ids
    other = client.get(f"/api/v1/trends/{shown.public_id}/").json()
    assert (other["review_reason"], other["bonus_cents"]) == ("", None)

    refused = client.post("/api/v1/trends/", {"name": "Mine", "hashtag": "no spaces", "description": "x"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert list(refused.json()["errors"]) == ["non_field_errors"]


def test_viewers_without_a_creator_profile_cannot_submit(client):
    client.force_login(UserFactory())
    response = client.post("/api/v1/trends/", {"name": "X", "hashtag": "x", "description": "x"})
    assert response.status_code == 403
