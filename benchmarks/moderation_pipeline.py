"""The moderation worker path on this machine: model load, then each stage of an evaluation.

Runs the real pipeline (``moderation.services.evaluation_run``: decode with PyAV, faster-whisper
tiny.en, the three LoRA classifiers, scores, summary) on the committed speech fixtures, each clip
``--repeat`` times, in a scratch PostgreSQL database, and prints the median milliseconds of every
stage the evaluation stored. Then it transcribes and classifies a minute of speech (the hello clip
tiled) to show the real-time factor of a longer video. No LLM key is set: the local path decides.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/valuetok \
        .venv/bin/python benchmarks/moderation_pipeline.py [--repeat 5]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import scratch  # noqa: E402
from benchmarks.machine import describe  # noqa: E402

SCRATCH = "valuetok_bench_moderation"
MEDIA = ROOT / "tests" / "moderation" / "media"
CLIPS = ("speech_hello.mp4", "speech_hello.webm", "speech_hate.mp4", "speech_clickbait.mp4", "silent.mp4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    url = scratch.django_setup(SCRATCH)
    try:
        run(url, repeat=args.repeat)
    finally:
        scratch.drop(SCRATCH)


def run(url: str, *, repeat: int) -> None:
    import numpy as np
    import torch
    from django.core.files.base import ContentFile

    from creators.models import Video
    from moderation import services
    from moderation.classify import score_text
    from moderation.media.audio import audio_decode
    from moderation.models import Evaluation
    from moderation.transcribe import transcribe
    from tests.factories import VideoFactory

    print(describe(url))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; CUDA available: {torch.cuda.is_available()}")

    started = time.perf_counter()
    services.moderation_models_preload()
    print(f"model load (Whisper tiny.en + 3 adapters): {time.perf_counter() - started:.2f} s")

    storage = Video._meta.get_field("media_file").storage
    storage.location = tempfile.mkdtemp(prefix="valuetok-bench-media-")
    print(f"\n{'clip':<22} {'media s':>7} {'decode':>7} {'transcribe':>10} {'classify':>8} {'total ms':>8}  outcome")
    for clip in CLIPS:
        rows = []
        for _ in range(repeat):
            video = VideoFactory(
                source_url="", media_file=ContentFile((MEDIA / clip).read_bytes(), name=clip), status="pending"
            )
            evaluation = services.evaluation_create(video=video, requested_by=video.creator.user)
            services.evaluation_run(evaluation_id=evaluation.pk)
            rows.append(Evaluation.objects.get(pk=evaluation.pk))
        last = rows[-1]

        def median(stage: str, rows: list = rows) -> float:
            return statistics.median(row.timings_ms.get(stage, 0) for row in rows)

        seconds = last.media.get("probe", {}).get("duration_seconds") or 0
        outcome = f"{last.status}, quality {last.quality_score:.1f}, flagged {last.flagged}"
        print(f"{clip:<22} {seconds:>7.1f} {median('decode'):>7.0f} {median('transcribe'):>10.0f} "
              f"{median('classify'):>8.0f} {median('total'):>8.0f}  {outcome}")  # fmt: skip

    samples, _ = audio_decode(path=MEDIA / "speech_hello.mp4")
    minute = np.tile(samples, int(np.ceil(60 * 16_000 / len(samples))))[: 60 * 16_000]
    started = time.perf_counter()
    transcript = transcribe(samples=minute)
    asr = time.perf_counter() - started
    started = time.perf_counter()
    for task in ("hate", "mental_health", "clickbait"):
        result = score_text(task=task, text=transcript.text)
    classify = time.perf_counter() - started
    print(f"\n60 s of speech: transcribe {asr:.2f} s (real-time factor {asr / 60:.3f}), "
          f"{len(transcript.text.split())} words; classify 3 tasks {classify * 1000:.0f} ms "
          f"({result.chunks} chunks, {result.combined})")  # fmt: skip


if __name__ == "__main__":
    main()
