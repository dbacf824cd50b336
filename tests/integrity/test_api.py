from datetime import timedelta

import pytest

from integrity.services import engagement_windows_compute
from tests.factories import UserFactory, VideoFactory

from .helpers import DAY, add_events

pytestmark = pytest.mark.django_db


def test_video_integrity_shows_eis_components_reasons_and_trend(client):
    video = VideoFactory()
    viewers = UserFactory.create_batch(10)
    add_events([{"user": u, "video": video, "at": 1_000 * i + 50 * j, "watch": 9_000 + 37 * i + j}
                for i, u in enumerate(viewers) for j in range(2)])  # fmt: skip
    add_events([{"user": u, "video": video, "at": 86_400 + 2_000 * i} for i, u in enumerate(viewers)])
    engagement_windows_compute(start=DAY, end=DAY + timedelta(days=2), granularity="day")
    client.force_login(UserFactory())
    body = client.get(f"/api/v1/videos/{video.public_id}/integrity/").json()
    assert body["video"] == str(video.public_id)
    assert body["band"] == "high"
    assert 80 <= body["engagement_integrity_score"] <= 100
    assert set(body["components"]) == {"authentic_engagement", "like_integrity", "comment_quality",
                                       "report_cleanliness", "audience_diversity", "timing"}  # fmt: skip
    assert body["components"]["like_integrity"] == {"score": None, "band": "insufficient",
                                                    "reason": "0 likes: not enough to judge"}  # fmt: skip
    assert [w["window_start"] for w in body["trend"]] == ["2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z"]


def test_a_video_not_yet_scored_says_so(client):
    video = VideoFactory()
    client.force_login(UserFactory())
    body = client.get(f"/api/v1/videos/{video.public_id}/integrity/").json()
    assert body["engagement_integrity_score"] is None
    assert body["band"] == "insufficient"
    assert body["trend"] == []


def test_integrity_needs_authentication(client):
    response = client.get(f"/api/v1/videos/{VideoFactory().public_id}/integrity/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_schema_documents_ingest_and_integrity(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert "post" in paths["/api/v1/events/"]
    assert "get" in paths["/api/v1/videos/{id}/integrity/"]
