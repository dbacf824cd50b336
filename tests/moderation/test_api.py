"""The moderation API: checkContent (at once or queued), polling, refusals, and reporting content."""

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from moderation.models import Evaluation, Flag
from tests.factories import CreatorProfileFactory, EvaluationFactory, UserFactory, VideoFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

CHECK = "/api/v1/checkContent"
FLAGGED = "/api/v1/flagged"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- checkContent: refusals and media errors (no models needed) -------------------------------------


def test_anonymous_callers_get_401():
    response = APIClient().post(CHECK, {"url": "https://cdn.example.com/a.mp4"}, format="json")
    assert response.status_code == 401
    assert (
        APIClient().post(FLAGGED, {"url": "https://x.example/a.mp4", "reason": "r"}, format="json").status_code == 401
    )


def test_a_private_address_is_refused_with_400_and_the_refusal_is_stored(api, user):
    response = api.post(CHECK, {"url": "http://127.0.0.1:9/internal.mp4"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "address_not_allowed"
    assert response.json()["detail"]
    evaluation = Evaluation.objects.get(public_id=response.json()["evaluation_id"])
    assert (evaluation.status, evaluation.error_code, evaluation.requested_by) == (
        "failed",
        "address_not_allowed",
        user,
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"url": "ftp://x.example/a.mp4"}, {"url": "not a url"}, {"url": "https://x.example/a.mp4", "video_id": None}],
)
def test_bad_input_is_400_and_stores_nothing(api, body):
    response = api.post(CHECK, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"]
    assert not Evaluation.objects.exists()


def test_someone_elses_video_cannot_be_checked(api):
    other = VideoFactory()
    response = api.post(CHECK, {"video_id": str(other.public_id)}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"] == {"video_id": ["No such video of yours."]}


def test_media_without_audio_is_422_with_the_code(api, media_server):
    response = api.post(CHECK, {"url": f"{media_server}/video_only.mp4"}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "no_audio"
    assert Evaluation.objects.get().status == "failed"


def test_a_url_that_is_not_media_is_refused(api, media_server):
    response = api.post(CHECK, {"url": f"{media_server}/not_media.mp4"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_media"


def test_the_endpoint_is_throttled_by_its_own_scope(api, settings):
    from django.core.cache import cache

    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "moderation": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [api.post(CHECK, {"url": "http://127.0.0.1:9/x.mp4"}, format="json").status_code for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert codes == [400, 400, 429]


# --- checkContent on real speech (needs the models) ---------------------------------------------------


def test_short_media_is_evaluated_at_once(api, media_server):
    response = api.post(CHECK, {"url": f"{media_server}/speech_hello.mp4"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == "Quality score is high"
    assert 50 <= body["score"] <= 100
    assert body["summary"].startswith("Quality")
    assert body["status"] == "done"
    assert "welcome" in body["transcript"].lower()
    assert set(body["scores"]) >= {"quality", "safety_risk", "hate_risk", "mental_health_risk", "clickbait_risk"}
    assert set(body["probabilities"]) == {"hate", "mental_health", "clickbait"}
    assert body["flagged"] is False


def test_a_low_score_says_so(api, media_server, settings):
    settings.MODERATION_FLAG_THRESHOLD = 101
    response = api.post(CHECK, {"url": f"{media_server}/speech_hello.mp4"}, format="json")
    assert response.json()["message"] == "Quality score is low"
    assert Flag.objects.filter(origin="automatic").count() == 1


def test_long_media_is_queued_with_202_and_can_be_polled(
    api, media_server, settings, django_capture_on_commit_callbacks
):
    settings.MODERATION_SYNC_MAX_SECONDS = 0.5

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api.post(CHECK, {"url": f"{media_server}/speech_hello.mp4"}, format="json")

    assert response.status_code == 202
    poll_url = response.json()["poll_url"]
    assert response.json()["status"] == "queued"
    waiting = api.get(poll_url)
    assert (waiting.status_code, waiting.json()["status"], waiting.json()["error"]) == (200, "queued", None)

    for callback in queued:  # the transaction commits: the task runs (eagerly here)
        callback()

    done = api.get(poll_url)
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done.json()["message"] == "Quality score is high"
    assert "welcome" in done.json()["transcript"].lower()


def test_my_own_uploaded_video_can_be_checked(api, user):
    creator = CreatorProfileFactory(user=user)
    from pathlib import Path

    data = (Path(__file__).parent / "media" / "speech_hello.mp4").read_bytes()
    video = VideoFactory(creator=creator, source_url="", media_file=ContentFile(data, name="clip.mp4"))
    response = api.post(CHECK, {"video_id": str(video.public_id)}, format="json")
    assert response.status_code == 200, response.content
    assert Evaluation.objects.get().video == video


# --- Polling ---------------------------------------------------------------------------------------------


def test_polling_someone_elses_evaluation_is_404(api):
    other = EvaluationFactory(requested_by=UserFactory())
    assert api.get(f"/api/v1/evaluations/{other.public_id}").status_code == 404


def test_polling_a_failed_evaluation_shows_the_error(api, user):
    evaluation = Evaluation.objects.create(
        source_url="https://x.example/a.mp4", requested_by=user, status="failed", error_code="no_audio",
        error_message="The media has no audio track.",
    )  # fmt: skip
    body = api.get(f"/api/v1/evaluations/{evaluation.public_id}").json()
    assert body["status"] == "failed"
    assert body["error"] == {"code": "no_audio", "message": "The media has no audio track."}


# --- flagged -----------------------------------------------------------------------------------------------


def test_reporting_a_video_stores_an_open_flag_for_review(api, user):
    video = VideoFactory()
    response = api.post(FLAGGED, {"video_id": str(video.public_id), "reason": "Slurs at 0:12."}, format="json")

    assert response.status_code == 201
    flag = Flag.objects.get(public_id=response.json()["id"])
    assert (flag.origin, flag.status, flag.video, flag.creator, flag.reported_by, flag.reason) == (
        "reported",
        "open",
        video,
        video.creator,
        user,
        "Slurs at 0:12.",
    )


def test_reporting_a_url_with_my_evaluation(api, user):
    evaluation = EvaluationFactory(video=None, source_url="https://cdn.example.com/a.mp4", requested_by=user)
    response = api.post(
        FLAGGED, {"evaluation_id": str(evaluation.public_id), "reason": "Clickbait scam."}, format="json"
    )
    assert response.status_code == 201
    flag = Flag.objects.get()
    assert (flag.source_url, flag.evaluation) == ("https://cdn.example.com/a.mp4", evaluation)


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "no subject"},
        {"url": "https://x.example/a.mp4"},
        {"url": "https://x.example/a.mp4", "reason": ""},
        {"url": "javascript:alert(1)", "reason": "bad url"},
        {"video_id": "00000000-0000-0000-0000-000000000000", "reason": "no such video"},
    ],
)
def test_invalid_reports_are_400(api, body):
    response = api.post(FLAGGED, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not Flag.objects.exists()


def test_someone_elses_evaluation_cannot_be_attached_to_a_report(api):
    other = EvaluationFactory(requested_by=UserFactory())
    body = {"evaluation_id": str(other.public_id), "reason": "Not mine."}
    assert api.post(FLAGGED, body, format="json").status_code == 400


def test_the_schema_documents_the_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/checkContent", "/api/v1/flagged"} <= set(schema["paths"])
    assert "/api/v1/evaluations/{public_id}" in schema["paths"]
    check = schema["paths"]["/api/v1/checkContent"]["post"]
    assert {"200", "202", "400", "422"} <= set(check["responses"])
