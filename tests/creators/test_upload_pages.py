"""The upload page and the evaluation status page (creators/views/upload.py).

Real fixture media from tests/moderation/media go through the real service (creators.uploads) into a
temporary private-storage folder; the evaluation task runs eagerly when the request's transaction
commits (``django_capture_on_commit_callbacks(execute=True)``), with the real speech model and adapters.
"""

import html as html_lib
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from creators.models import CreatorProfile, Video
from moderation.models import Evaluation
from tests.creators.test_uploads import adapters_missing
from tests.factories import CreatorProfileFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

MEDIA = Path(__file__).resolve().parent.parent / "moderation" / "media"
UPLOAD = "/videos/upload/"
REFRESH = '<meta http-equiv="refresh" content="3">'
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
# What Chromium sends with a plain form post: HTML preferred, anything accepted.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(autouse=True)
def private_root(tmp_path, monkeypatch) -> Path:
    """Uploaded videos go to a temporary folder instead of PRIVATE_MEDIA_ROOT (the field's storage object)."""
    storage = Video._meta.get_field("media_file").storage
    root = tmp_path / "private"
    root.mkdir()
    monkeypatch.setattr(storage, "location", str(root))
    return root


@pytest.fixture
def creator() -> CreatorProfile:
    return CreatorProfileFactory(handle="ann_makes")


@pytest.fixture
def client_in(creator) -> Client:
    client = Client()
    client.force_login(creator.user)
    return client


def media(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (MEDIA / name).read_bytes(), content_type="video/mp4")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def status_url(video) -> str:
    return reverse("portal:upload-status", kwargs={"public_id": video.public_id})


class Elements(HTMLParser):
    """The attributes of every element with an id, and of every stage item, from a rendered page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.stages: dict[str, dict] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {"tag": tag, **{k: (v if v is not None else "") for k, v in attrs}}
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes
        if tag == "li" and "data-stage" in attributes:
            self.stages[attributes["data-stage"]] = attributes


def elements(response) -> Elements:
    return Elements(response.content.decode())


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped, whitespace collapsed)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:ul|p|div|span|dd|section)>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def evaluation_make(video, status: str, **fields) -> Evaluation:
    return Evaluation.objects.create(video=video, requested_by=video.creator.user, status=status, **fields)


# --- The page itself --------------------------------------------------------------------------------------


def test_the_upload_page_shows_the_form_the_progress_bar_and_the_size_limit(client_in, settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 50 * 2**20
    response = client_in.get(UPLOAD)
    assert response.status_code == 200
    page = elements(response)
    form = page.by_id["upload-form"]
    assert (form["method"], form["enctype"], form["action"]) == ("post", "multipart/form-data", UPLOAD)
    assert form["data-max-bytes"] == str(50 * 2**20)
    assert page.by_id["id_file"]["data-max-bytes"] == str(50 * 2**20)
    assert "up to 50 MiB" in response.content.decode()
    assert page.by_id["upload-progress"]["tag"] == "progress"
    assert page.by_id["upload-progress-text"]["aria-live"] == "polite"
    assert page.by_id["evaluation-stages"]["data-status"] == "queued"
    assert "hidden" in page.by_id["upload-live"]  # shown by the script once an upload starts
    for field in ("id_title", "id_description", "id_hashtags", "id_file", "id_source_url"):
        assert f'<label for="{field}"' in response.content.decode()
    assert '<script src="/static/js/upload.js" defer></script>' in response.content.decode()


# --- Without JavaScript: a normal form post ------------------------------------------------------------


@pytest.mark.skipif(bool(adapters_missing()), reason="SKIPPED LOUDLY: the trained LoRA adapters are missing")
def test_a_speech_clip_uploaded_without_javascript_lands_on_its_status_page_done_with_a_score(
    client_in, creator, private_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(
            UPLOAD,
            {
                "title": "Hello there",
                "description": "A greeting.",
                "hashtags": "#Hello, world",
                "file": media("speech_hello.mp4"),
            },
            HTTP_ACCEPT=BROWSER_ACCEPT,
        )
    video = Video.objects.get()
    assert response.status_code == 302
    assert response["Location"] == status_url(video)
    assert (video.creator, video.title) == (creator, "Hello there")
    assert sorted(video.hashtags.values_list("name", flat=True)) == ["hello", "world"]
    assert stored_files(private_root) == [private_root / video.media_file.name]
    evaluation = Evaluation.objects.get(video=video)
    assert (evaluation.status, evaluation.error_code) == ("done", ""), evaluation.error_message

    page = client_in.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    found = elements(page)
    assert found.by_id["evaluation-stages"]["data-status"] == "done"
    assert found.stages["done"]["aria-current"] == "step"
    assert [s for s, attrs in found.stages.items() if "aria-current" in attrs] == ["done"]
    assert text_of(html, "evaluation-score") == f"{round(evaluation.quality_score, 1)}"
    assert evaluation.summary
    assert evaluation.summary.split(".")[0] in html
    assert found.by_id["video-analytics-link"]["href"] == reverse("portal:video", kwargs={"public_id": video.public_id})
    assert REFRESH not in html  # finished: nothing more to wait for


def test_a_file_that_is_not_media_is_refused_next_to_the_field_and_nothing_is_stored(client_in, private_root):
    response = client_in.post(
        UPLOAD,
        {"title": "My clip", "description": "Kept as typed.", "hashtags": "one two", "file": media("not_media.mp4")},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "not a video or audio file" in text_of(html, "id_file_error")
    found = elements(response)
    assert found.by_id["id_file"]["aria-invalid"] == "true"
    assert "id_file_error" in found.by_id["id_file"]["aria-describedby"]
    assert found.by_id["id_title"]["value"] == "My clip"  # typed values are kept
    assert found.by_id["id_hashtags"]["value"] == "one two"
    assert "Kept as typed." in html
    assert "hidden" not in found.by_id["form-errors"]
    assert not Video.objects.exists()
    assert not Evaluation.objects.exists()
    assert stored_files(private_root) == []


def test_every_refused_field_gets_its_own_message(client_in, private_root):
    response = client_in.post(UPLOAD, {"title": "", "hashtags": "good, bad-tag", "source_url": "ftp://x.example/a.mp4"})
    assert response.status_code == 400
    html = response.content.decode()
    assert text_of(html, "id_title_error") == "A title is required."
    assert "'bad-tag'" in text_of(html, "id_hashtags_error")
    assert text_of(html, "id_source_url_error") == "Only http and https links are accepted."
    assert elements(response).by_id["id_source_url"]["value"] == "ftp://x.example/a.mp4"
    assert not Video.objects.exists()


def test_a_file_and_a_link_together_is_a_form_level_error(client_in, private_root):
    response = client_in.post(
        UPLOAD, {"title": "Both", "file": media("speech_hello.mp4"), "source_url": "https://cdn.example.com/a.mp4"}
    )
    assert response.status_code == 400
    assert text_of(response.content.decode(), "form-errors-list") == "Choose a file or give a link: one of the two."
    assert not Video.objects.exists()
    assert stored_files(private_root) == []


def test_a_file_over_the_size_limit_is_refused_by_the_server(client_in, private_root, settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 10_000
    response = client_in.post(UPLOAD, {"title": "Too big", "file": media("speech_hello.mp4")})
    assert response.status_code == 400
    assert text_of(response.content.decode(), "id_file_error").startswith("The file is 32104 bytes; the limit is 10000")
    assert not Video.objects.exists()
    assert stored_files(private_root) == []


def test_a_linked_video_redirects_to_a_status_page_that_refreshes_while_queued(client_in, creator):
    response = client_in.post(UPLOAD, {"title": "Linked", "source_url": "https://cdn.example.com/v/clip.mp4"})
    video = Video.objects.get()
    assert response.status_code == 302
    assert response["Location"] == status_url(video)
    assert video.source_url == "https://cdn.example.com/v/clip.mp4"

    page = client_in.get(response["Location"])  # the task was not run (no commit): still queued
    html = page.content.decode()
    found = elements(page)
    assert found.by_id["evaluation-stages"]["data-status"] == "queued"
    assert found.stages["queued"]["aria-current"] == "step"
    assert f"<noscript>{REFRESH}</noscript>" in html
    assert "video-analytics-link" not in found.by_id
    assert found.by_id["upload-status"]["data-finished"] == "false"
    evaluation = Evaluation.objects.get(video=video)
    assert found.by_id["upload-status"]["data-evaluation-url"] == f"/api/v1/evaluations/{evaluation.public_id}"


# --- With JavaScript: the same form sent by XMLHttpRequest, answered in JSON ------------------------------


def test_the_script_gets_json_with_where_to_follow_the_evaluation(client_in, creator):
    response = client_in.post(
        UPLOAD, {"title": "Linked", "hashtags": "a,b", "source_url": "https://cdn.example.com/v/clip.mp4"}, **JSON
    )
    assert response.status_code == 201
    body = response.json()
    video = Video.objects.get()
    evaluation = Evaluation.objects.get(video=video)
    assert body == {
        "video": {
            "id": str(video.public_id),
            "title": "Linked",
            "status": "processing",
            "url": f"/videos/{video.public_id}/",
        },
        "evaluation": {"id": str(evaluation.public_id), "status": "queued"},
        "status_url": f"/videos/{video.public_id}/status/",
        "evaluation_url": f"/api/v1/evaluations/{evaluation.public_id}",
    }
    # The page polls the evaluation with the same session.
    polled = client_in.get(body["evaluation_url"], HTTP_ACCEPT="application/json")
    assert polled.status_code == 200
    assert polled.json()["status"] == "queued"


@pytest.mark.skipif(bool(adapters_missing()), reason="SKIPPED LOUDLY: the trained LoRA adapters are missing")
def test_the_script_uploading_a_speech_clip_can_poll_its_finished_evaluation(
    client_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(UPLOAD, {"title": "Hello", "file": media("speech_hello.mp4")}, **JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    polled = client_in.get(body["evaluation_url"], HTTP_ACCEPT="application/json").json()
    assert polled["status"] == "done"
    assert 0 <= polled["score"] <= 100
    assert polled["summary"]


def test_the_script_gets_field_errors_in_the_api_error_shape_and_nothing_is_stored(client_in, private_root):
    response = client_in.post(UPLOAD, {"title": " ", "file": media("not_media.mp4")}, **JSON)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"]
    assert body["errors"]["title"] == ["A title is required."]
    assert "not a video or audio file" in body["errors"]["file"][0]
    assert not Video.objects.exists()
    assert not Evaluation.objects.exists()
    assert stored_files(private_root) == []


# --- The status page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "fetching", "transcribing", "scoring"])
def test_an_unfinished_evaluation_marks_its_stage_and_refreshes(client_in, creator, status):
    video = VideoFactory(creator=creator, status=Video.Status.PROCESSING)
    evaluation_make(video, status)
    page = client_in.get(status_url(video))
    assert page.status_code == 200
    found = elements(page)
    assert found.by_id["evaluation-stages"]["data-status"] == status
    assert [s for s, attrs in found.stages.items() if "aria-current" in attrs] == [status]
    order = ["queued", "fetching", "transcribing", "scoring", "done"]
    for stage in order:
        expected = (
            "complete" if order.index(stage) < order.index(status) else "current" if stage == status else "waiting"
        )
        assert found.stages[stage]["data-state"] == expected, stage
    assert REFRESH in page.content.decode()


def test_a_failed_evaluation_shows_its_reason_and_stops_refreshing(client_in, creator):
    video = VideoFactory(creator=creator, status=Video.Status.FAILED)
    evaluation_make(
        video,
        "failed",
        error_code="no_audio",
        error_message="The media has no audio track.",
        finished_at=timezone.now(),
    )
    page = client_in.get(status_url(video))
    html = page.content.decode()
    found = elements(page)
    assert found.by_id["evaluation-stages"]["data-status"] == "failed"
    assert found.stages["failed"]["aria-current"] == "step"
    assert "hidden" not in found.stages["failed"]
    assert "The media has no audio track." in text_of(html, "evaluation-status-text")
    assert REFRESH not in html
    assert "video-analytics-link" not in found.by_id


def test_a_done_evaluation_shows_score_summary_and_the_analytics_link_without_refreshing(client_in, creator):
    video = VideoFactory(creator=creator)
    evaluation_make(video, "done", quality_score=87.26, summary="Quality 87/100, a friendly greeting.")
    page = client_in.get(status_url(video))
    html = page.content.decode()
    assert text_of(html, "evaluation-score") == "87.3"
    assert "Quality 87/100, a friendly greeting." in html
    assert elements(page).by_id["video-analytics-link"]["href"] == f"/videos/{video.public_id}/"
    assert REFRESH not in html
    assert elements(page).by_id["upload-status"]["data-finished"] == "true"


def test_the_latest_evaluation_is_the_one_shown(client_in, creator):
    video = VideoFactory(creator=creator)
    evaluation_make(
        video,
        "failed",
        error_code="no_audio",
        error_message="Old failure.",
        created_at=timezone.now() - timedelta(hours=1),
    )
    evaluation_make(video, "scoring")
    assert elements(client_in.get(status_url(video))).by_id["evaluation-stages"]["data-status"] == "scoring"


def test_a_video_without_an_evaluation_says_so(client_in, creator):
    video = VideoFactory(creator=creator)
    page = client_in.get(status_url(video))
    assert page.status_code == 200
    assert "no evaluation yet" in page.content.decode()
    assert REFRESH not in page.content.decode()


# --- Who may see what ------------------------------------------------------------------------------------


def test_another_creators_status_page_is_404(client_in):
    theirs = VideoFactory(creator=CreatorProfileFactory())
    evaluation_make(theirs, "transcribing")
    assert client_in.get(status_url(theirs)).status_code == 404
    assert client_in.get(f"/videos/{'0' * 8}-0000-4000-8000-{'0' * 12}/status/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(creator):
    video = VideoFactory(creator=creator)
    for path in (UPLOAD, status_url(video)):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"
    response = Client().post(UPLOAD, {"title": "x", "source_url": "https://cdn.example.com/a.mp4"})
    assert response.status_code == 302
    assert list(Video.objects.all()) == [video]


def test_a_signed_in_viewer_without_a_creator_profile_gets_404(creator):
    client = Client()
    client.force_login(UserFactory())
    video = VideoFactory(creator=creator)
    assert client.get(UPLOAD).status_code == 404
    assert client.post(UPLOAD, {"title": "x", "source_url": "https://cdn.example.com/a.mp4"}).status_code == 404
    assert client.get(status_url(video)).status_code == 404
    assert Video.objects.count() == 1
