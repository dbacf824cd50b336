"""Real transcription of the speech fixtures with faster-whisper and the packaged Whisper tiny.en."""

from pathlib import Path

import numpy as np
import pytest

from moderation import transcribe as transcribe_module
from moderation.errors import TranscriptionUnavailable
from moderation.media.audio import SAMPLE_RATE, audio_decode
from moderation.transcribe import Transcript, default_model_path, transcribe, transcriber_preload

MEDIA_DIR = Path(__file__).parent / "media"


@pytest.fixture
def faster_whisper_defaults(settings):
    settings.MODERATION_ASR_ENGINE = "faster-whisper"
    settings.MODERATION_ASR_MODEL_PATH = ""
    settings.MODERATION_ASR_MODEL_SIZE = "tiny.en"
    settings.MODERATION_ASR_DEVICE = "auto"
    settings.MODERATION_ASR_COMPUTE_TYPE = ""
    settings.MODERATION_ASR_BEAM_SIZE = 1
    settings.MODERATION_ASR_VAD = True
    settings.MODERATION_ASR_CPU_THREADS = 0


@pytest.mark.parametrize("name", ["speech_hello.mp4", "speech_hello.webm"])
def test_speech_is_transcribed_with_timestamps_inside_the_clip(faster_whisper_defaults, name):
    samples, info = audio_decode(path=MEDIA_DIR / name)

    transcript = transcribe(samples=samples)

    assert isinstance(transcript, Transcript)
    assert "welcome" in transcript.text.lower()
    assert "cooking" in transcript.text.lower()
    assert transcript.engine == "faster-whisper"
    assert transcript.model == "tiny.en"
    assert transcript.language == "en"
    assert transcript.seconds > 0
    assert transcript.segments
    for segment in transcript.segments:
        assert 0 <= segment.start < segment.end <= info.duration_seconds + 0.1
        assert segment.text
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)
    as_dict = transcript.as_dict()
    assert as_dict["segments"][0]["text"] == transcript.segments[0].text


def test_clickbait_and_hate_fixtures_say_what_their_names_promise(faster_whisper_defaults):
    clickbait, _ = audio_decode(path=MEDIA_DIR / "speech_clickbait.mp4")
    hate, _ = audio_decode(path=MEDIA_DIR / "speech_hate.mp4")

    clickbait_text = transcribe(samples=clickbait).text.lower()
    hate_text = transcribe(samples=hate).text.lower()

    assert "believe" in clickbait_text
    assert "shock" in clickbait_text
    assert "immigrants" in hate_text
    assert "animals" in hate_text


def test_silent_track_gives_an_empty_transcript(faster_whisper_defaults):
    samples, _ = audio_decode(path=MEDIA_DIR / "silent.mp4")

    transcript = transcribe(samples=samples)

    assert transcript.text == ""
    assert transcript.segments == []


def test_no_samples_gives_an_empty_transcript(faster_whisper_defaults):
    transcript = transcribe(samples=np.zeros(0, dtype=np.float32))

    assert transcript.text == ""
    assert transcript.segments == []


def test_model_loads_once_per_process(faster_whisper_defaults):
    transcriber_preload()
    loaded = transcribe_module._engine_get()

    transcriber_preload()
    samples, _ = audio_decode(path=MEDIA_DIR / "silent.mp4")
    transcribe(samples=samples)

    assert transcribe_module._engine_get() is loaded
    assert loaded.device == "cpu" or loaded.compute_type == "float16"
    if loaded.device == "cpu":
        assert loaded.compute_type == "int8"


def test_default_model_is_the_packaged_tiny_en():
    model_dir = default_model_path()

    assert (model_dir / "model.bin").is_file()
    assert (model_dir / "tokenizer.json").is_file()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, SAMPLE_RATE), dtype=np.float32),
        np.array([0.0, np.nan, 0.1], dtype=np.float32),
    ],
)
def test_malformed_samples_are_refused(faster_whisper_defaults, bad):
    with pytest.raises(ValueError, match=r"mono|NaN"):
        transcribe(samples=bad)


def test_samples_must_be_an_array(faster_whisper_defaults):
    with pytest.raises(TypeError):
        transcribe(samples=[0.0, 0.1])


def test_openai_whisper_without_checkpoint_is_unavailable(settings):
    settings.MODERATION_ASR_ENGINE = "openai-whisper"
    settings.MODERATION_ASR_CHECKPOINT = ""

    with pytest.raises(TranscriptionUnavailable, match="MODERATION_ASR_CHECKPOINT"):
        transcribe(samples=np.zeros(SAMPLE_RATE, dtype=np.float32))


def test_openai_whisper_with_a_missing_checkpoint_file_is_unavailable(settings, tmp_path):
    settings.MODERATION_ASR_ENGINE = "openai-whisper"
    settings.MODERATION_ASR_CHECKPOINT = str(tmp_path / "tiny.en.pt")

    with pytest.raises(TranscriptionUnavailable, match="does not exist"):
        transcriber_preload()


def test_openai_whisper_without_the_package_is_unavailable(settings, tmp_path):
    try:
        import whisper  # noqa: F401

        pytest.skip("openai-whisper is installed here; this test covers its absence")
    except ImportError:
        pass
    checkpoint = tmp_path / "tiny.en.pt"
    checkpoint.write_bytes(b"not really a checkpoint")
    settings.MODERATION_ASR_ENGINE = "openai-whisper"
    settings.MODERATION_ASR_CHECKPOINT = str(checkpoint)

    with pytest.raises(TranscriptionUnavailable, match="openai-whisper package is not installed"):
        transcriber_preload()


def test_unknown_engine_is_unavailable(settings):
    settings.MODERATION_ASR_ENGINE = "vosk"

    with pytest.raises(TranscriptionUnavailable, match="not known"):
        transcriber_preload()


def test_model_folder_without_a_model_is_unavailable_and_nothing_is_downloaded(settings, tmp_path):
    settings.MODERATION_ASR_ENGINE = "faster-whisper"
    settings.MODERATION_ASR_MODEL_PATH = str(tmp_path / "no-model-here")

    with pytest.raises(TranscriptionUnavailable, match=r"model\.bin missing"):
        transcriber_preload()
