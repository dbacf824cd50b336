"""The evaluation pipeline end to end on real media with the real models (Celery tasks run eagerly).

Media failures stop before the models; the rest need the committed adapters and the Whisper model.
"""

import socket
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from creators.models import Video
from moderation.models import Evaluation, Flag
from moderation.services import TransientEvaluationError, evaluation_run, evaluation_start
from moderation.tasks import evaluate
from tests.factories import VideoFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

MEDIA = Path(__file__).parent / "media"
ALL_TASKS_ANSWER = {
    "hate": {"label": "neither", "confidence": 0.97},
    "mental_health": {"label": "none", "confidence": 0.95},
    "clickbait": {"label": "not_clickbait", "confidence": 0.9},
    "rationale": "A friendly greeting; nothing targets anyone.",
    "summary": "A creator greets viewers and welcomes them to the channel; nothing in it is risky.",
}


def uploaded(name: str) -> Video:
    return VideoFactory(
        source_url="",
        media_file=ContentFile((MEDIA / name).read_bytes(), name=name),
        status=Video.Status.PENDING,
    )


def start(django_capture_on_commit_callbacks, video: Video) -> Evaluation:
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = evaluation_start(video=video, requested_by=video.creator.user)
    return Evaluation.objects.select_related("video").get(pk=evaluation.pk)


# --- Media that cannot be evaluated: stored as failed with the error's code --------------------------


def test_a_file_that_is_not_media_fails_with_not_media(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("not_media.mp4"))
    assert evaluation.status == "failed"
    assert evaluation.error_code == "not_media"
    assert evaluation.error_message
    assert evaluation.video.status == Video.Status.FAILED
    assert "fetch" in evaluation.timings_ms


def test_a_video_without_sound_fails_with_no_audio(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("video_only.mp4"))
    assert (evaluation.status, evaluation.error_code) == ("failed", "no_audio")


def test_a_failed_evaluation_is_not_run_again(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("video_only.mp4"))
    evaluate.delay(evaluation.pk)
    again = Evaluation.objects.get(pk=evaluation.pk)
    assert (again.status, again.attempts, again.finished_at) == ("failed", 1, evaluation.finished_at)


@pytest.fixture
def unreachable_url(settings) -> str:
    """A URL on a port nobody listens on: connection refused, a transient error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    return f"http://127.0.0.1:{port}/clip.mp4"


def test_a_transient_error_puts_the_evaluation_back_in_the_queue_for_a_retry(unreachable_url):
    evaluation = Evaluation.objects.create(source_url=unreachable_url)
    with pytest.raises(TransientEvaluationError) as caught:
        evaluation_run(evaluation_id=evaluation.pk, retry_transient=True)
    assert caught.value.code == "connection_failed"
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.attempts) == ("queued", 1)


def test_run_eagerly_a_transient_error_is_stored_at_once(unreachable_url, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = evaluation_start(url=unreachable_url, requested_by=None)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.error_code) == ("failed", "connection_failed")


# --- Real speech through the real models -------------------------------------------------------------


def test_speech_is_transcribed_scored_and_published(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hello.mp4"))

    assert evaluation.status == "done", evaluation.error_message
    assert "welcome" in evaluation.transcript.lower()
    assert evaluation.segments
    assert {"start", "end", "text"} <= set(evaluation.segments[0])
    assert evaluation.quality_score >= 50
    assert evaluation.flagged is False
    assert not Flag.objects.exists()
    assert evaluation.video.status == Video.Status.PUBLISHED
    assert set(evaluation.probabilities) == {"hate", "mental_health", "clickbait"}
    assert evaluation.decided_by in ("local", "llm")
    assert all(version.startswith(task) for task, version in evaluation.adapter_versions.items())
    assert evaluation.asr_engine
    assert evaluation.asr_model
    assert {"fetch", "decode", "transcribe", "classify", "total"} <= set(evaluation.timings_ms)
    assert evaluation.media["probe"]["duration_seconds"] > 0
    assert evaluation.summary.startswith(f"Quality {evaluation.quality_score:.0f}/100")


def test_silence_is_done_with_an_empty_transcript_and_no_risk(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("silent.mp4"))
    assert evaluation.status == "done", evaluation.error_message
    assert evaluation.transcript == ""
    assert evaluation.quality_score == 100.0
    assert evaluation.flagged is False
    assert "No speech was found" in evaluation.summary


def test_content_below_the_line_is_flagged_once_even_when_the_task_runs_twice(
    settings, django_capture_on_commit_callbacks
):
    settings.MODERATION_FLAG_THRESHOLD = 101  # every quality score is below it
    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hello.mp4"))
    assert evaluation.flagged is True
    assert evaluation.video.status == Video.Status.FLAGGED

    evaluate.delay(evaluation.pk)  # a redelivered message
    evaluation_run(evaluation_id=evaluation.pk)

    again = Evaluation.objects.get(pk=evaluation.pk)
    assert (again.attempts, again.timings_ms, again.finished_at) == (1, evaluation.timings_ms, evaluation.finished_at)
    flag = Flag.objects.get()
    assert (flag.evaluation_id, flag.origin, flag.status, flag.creator_id) == (
        evaluation.pk,
        "automatic",
        "open",
        evaluation.video.creator_id,
    )


def test_a_run_left_mid_way_by_a_dead_worker_is_finished_by_the_redelivered_task():
    video = uploaded("speech_hello.mp4")
    evaluation = Evaluation.objects.create(video=video, status="transcribing", attempts=1)

    evaluate.delay(evaluation.pk)

    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.attempts) == ("done", 2)


def test_unsure_classifiers_ask_the_llm_which_decides(settings, fake_gemini, django_capture_on_commit_callbacks):
    settings.MODERATION_LLM_THRESHOLD = 1.01  # every local verdict counts as unsure
    fake_gemini.answer = ALL_TASKS_ANSWER

    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hello.mp4"))

    assert evaluation.status == "done"
    assert evaluation.decided_by == "llm"
    assert evaluation.deciders == {"hate": "llm", "mental_health": "llm", "clickbait": "llm"}
    assert evaluation.probabilities["hate"]["neither"] == pytest.approx(0.97)
    assert evaluation.local_probabilities != evaluation.probabilities
    assert evaluation.summary.startswith(ALL_TASKS_ANSWER["summary"])
    assert evaluation.llm_model == "gemini-2.5-flash"
    assert evaluation.needs_human_review is False
    assert "llm" in evaluation.timings_ms
    assert "welcome" in fake_gemini.requests[0]["body"]["contents"][0]["parts"][0]["text"].lower()


def test_when_the_llm_fails_the_local_verdict_stands_and_a_person_reviews(
    settings, fake_gemini, django_capture_on_commit_callbacks
):
    settings.MODERATION_LLM_THRESHOLD = 1.01
    fake_gemini.mode = "error"

    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hello.mp4"))

    assert evaluation.status == "done"
    assert evaluation.decided_by == "local"
    assert evaluation.probabilities == evaluation.local_probabilities
    assert evaluation.needs_human_review is True
    assert evaluation.llm_error.startswith("http_error")


def test_without_a_key_unsure_verdicts_go_to_human_review(settings, django_capture_on_commit_callbacks):
    settings.MODERATION_LLM_THRESHOLD = 1.01
    settings.GEMINI_API_KEY = ""
    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hello.mp4"))
    assert (evaluation.status, evaluation.decided_by, evaluation.needs_human_review) == ("done", "local", True)


def test_a_url_is_fetched_and_evaluated(media_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = evaluation_start(url=f"{media_server}/speech_hello.webm", requested_by=None)
    evaluation.refresh_from_db()
    assert evaluation.status == "done", evaluation.error_message
    assert "welcome" in evaluation.transcript.lower()
    assert evaluation.media["fetch"]["source"] == "url"


def test_hateful_speech_is_flagged_by_the_real_models_with_the_span_that_drove_it(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_hate.mp4"))

    assert evaluation.status == "done", evaluation.error_message
    assert "immigrants" in evaluation.transcript.lower()
    assert evaluation.probabilities["hate"]["hate"] > 0.5, evaluation.probabilities["hate"]
    assert evaluation.quality_score < 50
    assert evaluation.flagged is True
    assert evaluation.video.status == Video.Status.FLAGGED
    assert Flag.objects.filter(evaluation=evaluation).count() == 1
    top_span = evaluation.spans["hate"][0]
    assert "immigrants" in evaluation.transcript[top_span["start"] : top_span["end"]].lower()
    assert "hate" in evaluation.summary.lower()


def test_clickbait_speech_scores_high_clickbait_risk_but_is_not_flagged(django_capture_on_commit_callbacks):
    evaluation = start(django_capture_on_commit_callbacks, uploaded("speech_clickbait.mp4"))

    assert evaluation.status == "done", evaluation.error_message
    assert evaluation.clickbait_risk > 0.5
    # The stored score is the product's formula over the stored risks; clickbait alone costs at most 20 points.
    expected = (1 - (0.8 * evaluation.safety_risk_score + 0.2 * evaluation.clickbait_risk)) * 100
    assert evaluation.quality_score == pytest.approx(expected, abs=1e-3)
    assert evaluation.flagged is False
