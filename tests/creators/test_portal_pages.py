"""The creator portal's pages: dashboard, videos and a video's analytics, as a creator sees them.

Access (decisions.md): anonymous -> sign in; signed in without a creator profile -> 404; another
creator's video -> 404. Numbers on the page are the data's; empty data shows an empty state, never a
made-up number; transcripts are escaped with the driving passages in <mark>; each chart has a
heading, a visible summary it points to, and a table; queries stay bounded.
"""

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from compliance.models import KycSubmission
from creators.models import MilestoneAward
from creators.portal import VIDEOS_PER_PAGE
from integrity.eis.config import CURRENT
from integrity.models import CreatorTrust, VideoIntegrity
from payouts.ledger import account_for, entry_post
from payouts.models import AccountKind
from tests.factories import (
    CreatorProfileFactory,
    EngagementWindowFactory,
    EvaluationFactory,
    FlagFactory,
    UserFactory,
    VideoFactory,
)
from valuetok.vendor_static import VendoredPackageFinder

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
PLOTLY_STATIC = "vendor/plotly/plotly.min.js"


def window(video, day: int, *, eis: float | None = 90.0, views: int = 10, likes: int = 0, comments: int = 0,
           shares: int = 0, invalid: int = 0, components: dict | None = None):  # fmt: skip
    return EngagementWindowFactory(
        video=video,
        window_start=DAY0 + timedelta(days=day),
        engagement_integrity_score=eis,
        band=CURRENT.band(eis),
        valid_views=views,
        valid_likes=likes,
        valid_comments=comments,
        valid_shares=shares,
        events_total=views + likes + comments + shares + invalid,
        events_invalid=invalid,
        components=components or {},
    )


LIKE_REASON = "likes came from 40 accounts on 3 devices; 12 of 57 counted"
COMPONENTS = {
    "authentic_engagement": {"score": 71.5, "band": "medium", "reason": "71% of engagement counted as authentic"},
    "like_integrity": {"score": 21.1, "band": "low", "reason": LIKE_REASON},
    "comment_quality": {"score": None, "band": "insufficient", "reason": "0 comments: not enough to judge"},
}


@pytest.fixture
def creator():
    return CreatorProfileFactory()


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator.user)
    return client


def text_of(response) -> str:
    """The page's visible text, tags stripped and whitespace folded (for assertions on sentences).

    The dash that stands for "no number" and the multiplication sign read as "-" and "x" here.
    """
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return text.replace("\u2013", "-").replace("\u00d7", "x")


def chart_data(response, data_id: str) -> dict:
    match = re.search(
        rf'<script id="{data_id}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no chart data {data_id}"
    return json.loads(match.group(1))


def video_url(video) -> str:
    return reverse("portal:video", kwargs={"public_id": video.public_id})


# --- Access ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["portal:dashboard", "portal:videos", "portal:video"])
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    url = video_url(VideoFactory()) if name == "portal:video" else reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{resolve_url(settings.LOGIN_URL)}?next={url}"


@pytest.mark.parametrize("is_staff", [False, True])
@pytest.mark.parametrize("name", ["portal:dashboard", "portal:videos", "portal:video"])
def test_signed_in_users_without_a_creator_profile_get_404(client, name, is_staff):
    client.force_login(UserFactory(is_staff=is_staff))
    url = video_url(VideoFactory()) if name == "portal:video" else reverse(name)

    assert client.get(url).status_code == 404


def test_another_creators_video_is_404_like_one_that_does_not_exist(signed_in):
    theirs = VideoFactory(title="Their secret video")
    window(theirs, 0)

    response = signed_in.get(video_url(theirs))

    assert response.status_code == 404
    assert b"Their secret video" not in response.content
    assert signed_in.get(reverse("portal:video", kwargs={"public_id": uuid.uuid4()})).status_code == 404


def test_the_pages_only_answer_get(signed_in):
    assert signed_in.post(reverse("portal:dashboard")).status_code == 405


# --- Dashboard -------------------------------------------------------------------------------------
def test_the_dashboard_shows_the_creators_own_numbers(signed_in, creator):
    video = VideoFactory(creator=creator, title="Bread at home")
    window(video, 0, eis=92.0, views=1200, likes=60, comments=30, shares=10, invalid=100)
    window(video, 1, eis=88.0, views=800, likes=40, comments=10, shares=0)
    window(VideoFactory(), 1, eis=5.0, views=99_999)  # another creator's
    VideoIntegrity.objects.create(
        video=video, engagement_integrity_score=90.4, band="high", scoring_version=CURRENT.version, windows=2,
        updated_at=timezone.now(),
    )  # fmt: skip
    CreatorTrust.objects.create(
        creator=creator, score=81.0, windows=2, scoring_version=CURRENT.version, updated_at=timezone.now()
    )

    response = signed_in.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    text = text_of(response)
    assert f"Dashboard for @{creator.handle}" in text
    assert "Counted views 2,000" in text
    assert "Engagement rate 7.5%" in text  # (100 + 40 + 10 + 0) / 2,000
    assert "Current EIS 90.4 High integrity" in text
    assert "Creator trust 81.0 High integrity" in text
    assert "100 of 2,250 engagements (4.4%) were set aside" in text
    assert "The EIS of 2 daily windows of your videos in the 28 days to 2 Nov 2026" in text
    assert "Payout runs multiply your earnings by x1.12" in text
    assert "99,999" not in text
    trend = chart_data(response, "eis-trend-chart-data")
    assert trend["x"] == ["2026-11-01", "2026-11-02"]
    assert trend["series"][0]["y"] == [92.0, 88.0]


def test_the_dashboard_shows_kyc_balances_flags_and_plaques(signed_in, creator):
    KycSubmission.objects.create(
        user=creator.user, given_names="Jane", surname="Smith", date_of_birth=date(1990, 1, 15), nationality="GB",
        address_line1="1 Test Street", city="London", address_country="GB", phone_number="+447400123456",
        email=creator.user.email, status=KycSubmission.Status.APPROVED, level=2, eligible_level=2,
        expires_at=timezone.localdate() + timedelta(days=365),
    )  # fmt: skip
    entry_post(
        kind="allocation",
        legs=[
            (account_for(kind=AccountKind.EXTERNAL), -3000),
            (account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator.user), 1234),
            (account_for(kind=AccountKind.CREATOR_HELD, owner=creator.user), 1766),
        ],
        idempotency_key="test-portal-balances",
    )
    flag = FlagFactory(evaluation__video__creator=creator, evaluation__video__title="Loud opinions")
    MilestoneAward.objects.create(creator=creator, threshold=10_000, follower_count=10_200, bonus_cents=5000)

    response = signed_in.get(reverse("portal:dashboard"))

    text = text_of(response)
    assert "Level 2 Status Approved" in text
    assert "Available $12.34 Held $17.66" in text
    assert "Loud opinions : Open, quality score below the line" in text
    assert reverse("moderation:flag-detail", kwargs={"public_id": flag.public_id}) in response.content.decode()
    assert "10,000 followers" in text
    for name in ("portal:upload", "portal:videos", "payouts:summary", "compliance:kyc"):
        assert f'href="{reverse(name)}"' in response.content.decode()


def test_a_new_creators_dashboard_shows_empty_states_not_numbers(signed_in):
    response = signed_in.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    text = text_of(response)
    assert "No engagement has been measured on your videos yet" in text
    assert "Counted views - Engagement rate -" in text
    assert "Current EIS - Not enough data" in text
    assert "Not scored yet" in text
    assert "Status Not submitted" in text
    assert "Withdrawals need level 1 or more" in text
    assert "Nothing of yours is flagged" in text
    assert "Your first plaque comes at 1,000 followers" in text
    assert "No daily windows yet" in text
    assert chart_data(response, "eis-trend-chart-data")["x"] == []


def test_the_dashboard_chart_has_a_heading_a_visible_summary_a_table_and_our_own_plotly(signed_in, creator):
    window(VideoFactory(creator=creator), 0, eis=64.0, views=50)

    response = signed_in.get(reverse("portal:dashboard"))

    html = response.content.decode()
    chart = re.search(r'<div id="eis-trend-chart"[^>]*>', html).group(0)
    assert 'aria-labelledby="eis-trend-title"' in chart
    assert 'aria-describedby="eis-trend-summary"' in chart
    assert re.search(r'<h2 id="eis-trend-title">[^<]+</h2>', html)
    assert re.search(r'<p id="eis-trend-summary"[^>]*>Latest EIS 64.0 \(Some doubtful engagement\) on 1 Nov 2026', html)
    assert re.search(r'<table class="data" id="eis-trend-table">.*<caption', html, re.S)
    assert f'src="{settings.STATIC_URL}{PLOTLY_STATIC}" defer' in html
    assert f'src="{settings.STATIC_URL}js/charts.js" defer' in html
    assert html.index(PLOTLY_STATIC) < html.index("js/charts.js")
    assert f'href="{settings.STATIC_URL}css/portal.css"' in html
    assert "cdn" not in html.lower()


# --- Videos list -----------------------------------------------------------------------------------
def test_the_video_list_shows_each_videos_status_views_eis_and_evaluation(signed_in, creator):
    video = VideoFactory(creator=creator, title="<img src=x onerror=alert(1)>")
    window(video, 0, views=1500)
    window(video, 1, views=34)
    VideoIntegrity.objects.create(
        video=video, engagement_integrity_score=45.0, band="low", scoring_version=CURRENT.version, windows=2,
        updated_at=timezone.now(),
    )  # fmt: skip
    EvaluationFactory(video=video, quality_score=38.2, flagged=True)
    VideoFactory(creator=creator, title="Fresh upload", status="pending")

    response = signed_in.get(reverse("portal:videos"))

    html = response.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    text = text_of(response)
    assert "<img src=x onerror=alert(1)> Published 1,534 45.0 Mostly doubtful engagement Done (flagged) 38/100" in text
    assert "Fresh upload Pending evaluation 0 - Not enough data Not evaluated -" in text
    assert f'href="{video_url(video)}"' in html


def test_the_video_list_pages_through_many_videos(signed_in, creator):
    VideoFactory.create_batch(VIDEOS_PER_PAGE + 3, creator=creator)

    first = signed_in.get(reverse("portal:videos"))
    second = signed_in.get(reverse("portal:videos"), {"page": 2})

    assert first.content.decode().count('<th scope="row">') == VIDEOS_PER_PAGE
    assert second.content.decode().count('<th scope="row">') == 3
    assert "Page 2 of 2" in text_of(second)
    assert 'href="?page=2"' in first.content.decode()
    assert signed_in.get(reverse("portal:videos"), {"page": "abc"}).status_code == 404
    assert signed_in.get(reverse("portal:videos"), {"page": 3}).status_code == 404


def test_a_creator_without_videos_is_invited_to_upload(signed_in):
    response = signed_in.get(reverse("portal:videos"))

    assert response.status_code == 200
    assert "You have no videos yet" in text_of(response)


# --- One video -------------------------------------------------------------------------------------
def test_the_video_page_shows_engagement_and_each_windows_eis_components_bands_and_reasons(signed_in, creator):
    video = VideoFactory(creator=creator)
    window(video, 0, eis=48.2, views=640, likes=57, comments=0, shares=3, invalid=45, components=COMPONENTS)
    window(video, 1, eis=None, views=2)

    response = signed_in.get(video_url(video))

    assert response.status_code == 200
    text = text_of(response)
    assert "1 Nov 2026 640 57 0 3 45 of 745" in text  # engagement table
    assert "1 Nov 2026 48.2 Mostly doubtful engagement 71.5 21.1 -" in text  # EIS table with components
    assert "2 Nov 2026 - Not enough data" in text
    assert "1 Nov 2026: EIS 48.2, Mostly doubtful engagement" in text
    assert f"Like integrity : 21.1 Mostly doubtful engagement {LIKE_REASON.capitalize()}" in text
    assert "Comment quality : no score Not enough data 0 comments: not enough to judge" in text
    assert "2 Nov 2026: EIS not scored, Not enough data" in text
    eis = chart_data(response, "eis-chart-data")
    assert eis["x"] == ["2026-11-01", "2026-11-02"]
    assert eis["series"][0] == {"name": "EIS", "y": [48.2, None]}
    assert {"name": "Like integrity", "y": [21.1, None]} in eis["series"]
    engagement = chart_data(response, "engagement-chart-data")
    assert engagement["series"][0] == {"name": "Views", "y": [640, 2]}
    html = response.content.decode()
    chart = re.search(r'<div id="eis-chart"[^>]*>', html).group(0)
    assert 'aria-describedby="eis-summary"' in chart
    assert '<p id="eis-summary" class="chart-summary">Latest EIS 48.2' in html


def test_the_video_page_shows_the_moderation_result_with_the_transcript_escaped_and_highlighted(signed_in, creator):
    flag = FlagFactory(evaluation__video__creator=creator, evaluation__summary="Hate speech drove the score.")
    video = flag.video

    response = signed_in.get(video_url(video))

    html = response.content.decode()
    assert "<mark>you people are vermin</mark> &lt;script&gt;x&lt;/script&gt; and I hate you all" in html
    assert "<script>x</script>" not in html
    text = text_of(response)
    assert "Evaluation Done Quality score 38.8 out of 100, below the review line: flagged" in text
    assert "Hate speech drove the score." in text
    assert "Hate or offensive speech 0.90 local classifiers" in text
    assert "Self-harm or distress 0.03 local classifiers" in text
    assert "<li><q>you people are vermin</q>: hate or offensive speech, risk 0.90</li>" in html
    assert reverse("moderation:flag-detail", kwargs={"public_id": flag.public_id}) in html


def test_the_video_page_uses_the_latest_evaluation(signed_in, creator):
    video = VideoFactory(creator=creator)
    EvaluationFactory(video=video, quality_score=12.0, created_at=DAY0)
    EvaluationFactory(video=video, quality_score=91.0, created_at=DAY0 + timedelta(hours=1))

    text = text_of(signed_in.get(video_url(video)))

    assert "Quality score 91.0 out of 100" in text
    assert "12.0" not in text


def test_a_video_without_windows_or_evaluation_shows_empty_states(signed_in, creator):
    video = VideoFactory(creator=creator, status="pending")

    response = signed_in.get(video_url(video))

    assert response.status_code == 200
    text = text_of(response)
    assert "This video has not been evaluated yet" in text
    assert "No daily windows yet" in text
    assert "No scored days yet" in text
    assert "Current EIS - Not enough data" in text
    assert "Counted views - no engagement measured yet" in text
    assert 'id="eis-chart"' in response.content.decode()
    assert chart_data(response, "eis-chart-data")["x"] == []


def test_a_running_evaluation_links_to_its_live_status(signed_in, creator):
    video = VideoFactory(creator=creator, status="processing")
    EvaluationFactory(video=video, status="transcribing", quality_score=None, summary="")

    response = signed_in.get(video_url(video))

    assert "Evaluation Transcribing the audio" in text_of(response)
    assert reverse("portal:upload-status", kwargs={"public_id": video.public_id}) in response.content.decode()


# --- Bounded queries -------------------------------------------------------------------------------
def _busy_creator(creator, videos: int, days: int) -> None:
    for _ in range(videos):
        video = VideoFactory(creator=creator)
        for day in range(days):
            window(video, day, eis=50.0 + day, components=COMPONENTS)
        EvaluationFactory(video=video)
        FlagFactory(evaluation__video=video)


def test_the_pages_run_a_bounded_number_of_queries(signed_in, creator, django_assert_max_num_queries):
    _busy_creator(creator, videos=25, days=12)
    video = creator.videos.first()

    # Session, user and creator profile, then the page's own reads (see test_portal_selectors.py).
    with django_assert_max_num_queries(14):
        assert signed_in.get(reverse("portal:dashboard")).status_code == 200
    with django_assert_max_num_queries(7):
        assert signed_in.get(reverse("portal:videos")).status_code == 200
    with django_assert_max_num_queries(8):
        assert signed_in.get(video_url(video)).status_code == 200


# --- Plotly from our own static files ---------------------------------------------------------------
def test_plotly_is_served_from_the_pinned_package_and_nothing_else_of_it_is():
    package_file = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

    found = finders.find(PLOTLY_STATIC)

    assert found
    assert Path(found).read_bytes() == package_file.read_bytes()
    assert finders.find("vendor/plotly/widgetbundle.js") is None
    assert finders.find("vendor/plotly/../plotly.min.js") is None
    listed = [(storage.prefix, path) for path, storage in VendoredPackageFinder().list([])]
    assert listed == [("vendor/plotly", "plotly.min.js")]
    assert VendoredPackageFinder().check() == []


# --- Home ------------------------------------------------------------------------------------------
def test_the_home_page_takes_a_signed_in_creator_to_the_dashboard(client, signed_in):
    assert f'href="{reverse("portal:dashboard")}"' in signed_in.get(reverse("home")).content.decode()
    signed_in.logout()
    assert "Go to your dashboard" not in client.get(reverse("home")).content.decode()
