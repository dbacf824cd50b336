"""Every API list pages (page, page_size capped), filters and orders the same way."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from compliance.models import KycSubmission
from creators.models import Video
from creators.trends import trend_submit
from payouts.ledger import account_for, entry_post
from payouts.models import AccountKind
from payouts.withdrawals import withdrawal_request
from tests.factories import CreatorProfileFactory, HashtagFactory, UserFactory, VideoFactory
from tests.payouts.conftest import kyc_approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    return CreatorProfileFactory(handle="ann_makes", country="GB")


@pytest.fixture
def api(creator) -> APIClient:
    client = APIClient()
    client.force_authenticate(creator.user)
    return client


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Pagination ----------------------------------------------------------------------------------------


def test_page_size_is_honoured_and_the_pages_link_to_each_other(api):
    for _ in range(5):
        CreatorProfileFactory()
    first = api.get("/api/v1/creators/", {"page_size": 2}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (6, 2, None)
    assert "page=2" in first["next"]
    assert "page_size=2" in first["next"]
    last = api.get("/api/v1/creators/", {"page_size": 2, "page": 3}).json()
    assert (len(last["results"]), last["next"]) == (2, None)


def test_page_size_is_capped_by_the_setting(api, settings):
    for _ in range(4):
        CreatorProfileFactory()
    settings.API_MAX_PAGE_SIZE = 3
    assert len(results(api.get("/api/v1/creators/", {"page_size": 500}))) == 3
    assert len(results(api.get("/api/v1/creators/", {"page_size": "lots"}))) == 5  # the default, 50


def test_a_page_past_the_last_is_a_json_404(api):
    response = api.get("/api/v1/creators/", {"page": 9})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Invalid page."}


# --- Filters and ordering -----------------------------------------------------------------------------


def test_creators_filter_by_handle_country_and_followers_and_order(api, creator):
    CreatorProfileFactory(handle="bob_builds", country="FR", follower_count=900)
    CreatorProfileFactory(handle="annika", country="FR", follower_count=50)
    assert [c["handle"] for c in results(api.get("/api/v1/creators/", {"handle": "ann"}))] == ["ann_makes", "annika"]
    assert [c["handle"] for c in results(api.get("/api/v1/creators/", {"country": "FR", "min_followers": 100}))] == [
        "bob_builds"
    ]
    ordered = results(api.get("/api/v1/creators/", {"ordering": "-follower_count"}))
    assert [c["handle"] for c in ordered] == ["bob_builds", "annika", "ann_makes"]


def test_date_time_filters_take_any_offset_and_refuse_nonsense(api, creator):
    old = CreatorProfileFactory(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # 2025-01-01T23:00-23:29 is 2025-01-02T22:29Z: after `old`, before `creator` (now).
    after = results(api.get("/api/v1/creators/", {"created_after": "2025-01-01T23:00:00-23:29"}))
    assert [c["handle"] for c in after] == [creator.handle]
    before = results(api.get("/api/v1/creators/", {"created_before": "0164-11-08T22:42:48+23:29"}))
    assert before == []
    assert old.handle in {
        c["handle"] for c in results(api.get("/api/v1/creators/", {"created_before": "2021-01-01T00:00:00Z"}))
    }
    refused = api.get("/api/v1/creators/", {"created_after": "yesterday"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert list(refused.json()["errors"]) == ["created_after"]


def test_videos_filter_by_creator_hashtag_and_my_status(api, creator):
    tagged = VideoFactory(creator=creator, title="Tagged")
    tagged.hashtags.add(HashtagFactory(name="tinydesk"))
    VideoFactory(title="Someone else's")
    VideoFactory(creator=creator, title="Processing", status=Video.Status.PROCESSING)
    assert [v["title"] for v in results(api.get("/api/v1/videos/", {"hashtag": "tinydesk"}))] == ["Tagged"]
    assert [v["title"] for v in results(api.get("/api/v1/videos/", {"creator": "ann_makes"}))] == ["Tagged"]
    mine = results(api.get("/api/v1/videos/mine/", {"status": "processing"}))
    assert [v["title"] for v in mine] == ["Processing"]
    assert api.get("/api/v1/videos/mine/", {"status": "nonsense"}).status_code == 400


def test_kyc_submissions_filter_by_status(api, creator):
    kyc_approved(creator.user)
    assert len(results(api.get("/api/v1/kyc/submissions/", {"status": KycSubmission.Status.APPROVED}))) == 1
    assert results(api.get("/api/v1/kyc/submissions/", {"status": KycSubmission.Status.REJECTED})) == []


def test_withdrawals_filter_by_status_and_amount_and_order(api, creator):
    user = creator.user
    kyc_approved(user)
    legs = [
        (account_for(kind="external"), -20_000),
        (account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=user), 20_000),
    ]
    entry_post(kind="revenue", legs=legs, idempotency_key="lists-earn")
    for n, cents in enumerate((1_000, 5_000, 2_000)):
        withdrawal_request(creator=user, amount_cents=cents, payee_name="Jane Smith", idempotency_key=f"k{n}")
    by_amount = results(api.get("/api/v1/payouts/withdrawals/", {"ordering": "-amount_cents"}))
    assert [w["amount_cents"] for w in by_amount] == [5_000, 2_000, 1_000]
    large = results(api.get("/api/v1/payouts/withdrawals/", {"min_amount_cents": 2_000, "status": "pending"}))
    assert {w["amount_cents"] for w in large} == {5_000, 2_000}
    assert results(api.get("/api/v1/payouts/withdrawals/", {"status": "paid"})) == []
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert results(api.get("/api/v1/payouts/withdrawals/", {"created_after": later})) == []


def test_trends_filter_by_mine_hashtag_and_status(api, creator):
    trend_submit(originator=creator, name="Mine", hashtag="#mine_idea", description="Mine.")
    viewer = APIClient()
    viewer.force_authenticate(UserFactory())
    assert [t["hashtag"] for t in results(api.get("/api/v1/trends/", {"mine": "true"}))] == ["mine_idea"]
    assert results(api.get("/api/v1/trends/", {"mine": "false"})) == []
    assert [
        t["hashtag"] for t in results(api.get("/api/v1/trends/", {"hashtag": "mine_idea", "status": "submitted"}))
    ] == ["mine_idea"]
    assert results(viewer.get("/api/v1/trends/", {"mine": "true"})) == []


def test_pages_ordered_by_a_field_with_ties_never_repeat_or_skip_a_row(api, creator):
    for _ in range(4):
        CreatorProfileFactory(follower_count=7)
    creator.follower_count = 7
    creator.save(update_fields=["follower_count"])
    seen = [
        c["handle"]
        for page in range(1, 6)
        for c in results(api.get("/api/v1/creators/", {"ordering": "-follower_count", "page_size": 1, "page": page}))
    ]
    assert sorted(seen) == sorted({c["handle"] for c in results(api.get("/api/v1/creators/"))})
    assert len(seen) == 5
