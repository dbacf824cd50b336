"""Moderation classifiers next to published baselines, and their CPU inference throughput.

Scores the hate validation split (the same rows ``train_adapter --task hate`` held out, rebuilt
from the corpus with the seed stored in the adapter's metrics) with:

- our ``hate`` adapter, through the product path (``score_texts``: chunking, offsets, batching);
- ``hatesonar`` (3 classes, logistic regression on Davidson et al.);
- ``alt-profanity-check`` (binary: offensive-or-hate against neither, so it is compared on the
  binary collapse of the labels, next to the same collapse of ours and hatesonar's).

Both baselines were trained on the whole Davidson corpus, validation rows included, so their
figures here are optimistic. They are not product dependencies; install them for this script only:

    .venv/bin/pip install hatesonar alt-profanity-check -c constraints.txt

A baseline that is not installed (or cannot run) is skipped with a message. The script also prints
the validation figures stored with each committed adapter and the CPU inference throughput
(texts per second, batch 32) of each adapter on its own validation texts.

    .venv/bin/python benchmarks/moderation_baselines.py [--data-dir DIR] [--threads 2] [--texts 256]
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valuetok.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from django.conf import settings  # noqa: E402

from benchmarks.machine import describe  # noqa: E402
from moderation.classify import LABELS, TASKS, score_texts  # noqa: E402
from moderation.classify.datasets import task_splits  # noqa: E402
from moderation.classify.metrics import classification_metrics  # noqa: E402
from moderation.classify.model import METRICS, adapter_dir_for  # noqa: E402
from moderation.classify.runtime import classifier_for  # noqa: E402

BINARY = ("abusive", "neither")


def binary(label: str) -> str:
    return "neither" if label == "neither" else "abusive"


def line(name: str, report: dict, classes: tuple[str, ...]) -> str:
    per_class = "  ".join(
        f"{label}: P {report['per_class'][label]['precision']:.3f} R {report['per_class'][label]['recall']:.3f} "
        f"F1 {report['per_class'][label]['f1']:.3f}"
        for label in classes
    )
    figures = f"n={report['n']}  macro-F1 {report['macro_f1']:.4f}  accuracy {report['accuracy']:.4f}"
    return f"  {name:<22} {figures}  {per_class}"


def hatesonar_predict(texts: list[str]) -> list[str] | str:
    """hatesonar's labels for ``texts``, or the reason it cannot run."""
    try:
        import onnxruntime as ort
        from hatesonar.api import DEFAULT_MODEL_FILE
    except ImportError:
        return "not installed (.venv/bin/pip install hatesonar -c constraints.txt)"
    options = ort.SessionOptions()
    options.log_severity_level = 4  # the locale failure below is handled; keep its log line out
    try:
        session = ort.InferenceSession(str(DEFAULT_MODEL_FILE), options, providers=["CPUExecutionProvider"])
        note = ""
    except Exception as exc:
        if "locale" not in str(exc):
            return f"cannot run: {exc}"
        import onnx
        from onnx import helper

        model = onnx.load(str(DEFAULT_MODEL_FILE))
        for node in model.graph.node:
            if node.op_type == "StringNormalizer":
                node.attribute.append(helper.make_attribute("locale", "C.UTF-8"))
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        note = " (en_US.UTF-8 locale missing here: its lower-casing step was run with C.UTF-8)"
    print(f"  hatesonar: onnx model {DEFAULT_MODEL_FILE.name}{note}")
    mapping = {0: "hate", 1: "offensive", 2: "neither"}
    predicted, _ = session.run(None, {"text": np.array(texts, dtype=object)})
    return [mapping[int(i)] for i in predicted]


def profanity_check_predict(texts: list[str]) -> list[str] | str:
    try:
        from profanity_check import predict_prob
    except ImportError:
        return "not installed (.venv/bin/pip install alt-profanity-check -c constraints.txt)"
    return ["abusive" if p >= 0.5 else "neither" for p in predict_prob(texts)]


def stored_metrics(task: str) -> dict:
    return json.loads((adapter_dir_for(task) / METRICS).read_text())


def compare_hate(data_dir: Path) -> None:
    metrics = stored_metrics("hate")
    seed = metrics["split"]["seed"]
    validation = task_splits(task="hate", data_dir=data_dir, seed=seed).validation
    rows = [e for e in validation if e.source == "davidson"]
    texts, truth = [e.text for e in rows], [e.label for e in rows]
    print(f"\nhate: {len(rows)} Davidson validation rows (seed {seed})")
    print("  ETHOS validation rows are left out: the baselines never saw ETHOS")

    started = time.monotonic()
    ours = [r.top_label for r in score_texts(task="hate", texts=texts)]
    print(f"  ours scored in {time.monotonic() - started:.1f}s")
    predictions: dict[str, list[str] | str] = {
        "ours (LoRA adapter)": ours,
        "hatesonar": hatesonar_predict(texts),
        "alt-profanity-check": profanity_check_predict(texts),
    }
    print(" three classes (hate / offensive / neither):")
    for name, predicted in predictions.items():
        if isinstance(predicted, str):
            print(f"  {name:<22} SKIPPED: {predicted}")
        elif name != "alt-profanity-check":
            print(
                line(
                    name, classification_metrics(labels=LABELS["hate"], y_true=truth, y_pred=predicted), LABELS["hate"]
                )
            )
    print(" binary collapse (abusive = hate or offensive / neither):")
    binary_truth = [binary(label) for label in truth]
    for name, predicted in predictions.items():
        if isinstance(predicted, str):
            print(f"  {name:<22} SKIPPED: {predicted}")
            continue
        collapsed = [binary(label) for label in predicted]
        print(line(name, classification_metrics(labels=BINARY, y_true=binary_truth, y_pred=collapsed), BINARY))


def stored_figures() -> None:
    print("\nvalidation figures stored with the committed adapters (metrics.json, truncation at training length):")
    for task in TASKS:
        metrics = stored_metrics(task)
        report = metrics["validation"]
        print(line(task, report, LABELS[task]))
        print(
            f"  {'':<22} train_seconds {metrics['train_seconds']}  device {metrics['settings']['device']}  "
            f"epochs {metrics['settings']['epochs']}  max_length {metrics['settings']['max_length']}  "
            f"offsets {metrics['logit_offsets']}"
        )


def throughput(data_dir: Path, n_texts: int) -> None:
    batch = settings.MODERATION_CLASSIFIER_BATCH_SIZE
    print(
        f"\nCPU inference throughput (batch {batch}, windows of {settings.MODERATION_CLASSIFIER_MAX_LENGTH} tokens, "
        f"{torch.get_num_threads()} torch threads, device {settings.MODERATION_DEVICE}):"
    )
    for task in TASKS:
        classifier_for(task)  # loading is not part of the figure
        texts = [e.text for e in task_splits(task=task, data_dir=data_dir).validation[:n_texts]]
        score_texts(task=task, texts=texts[:batch])  # warm-up
        started = time.monotonic()
        results = score_texts(task=task, texts=texts)
        seconds = time.monotonic() - started
        chunks = sum(r.chunks for r in results)
        print(
            f"  {task:<14} {len(texts) / seconds:8.1f} texts/s  {chunks / seconds:8.1f} chunks/s  "
            f"({len(texts)} texts, {chunks} chunks, {seconds:.1f}s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(settings.MODERATION_DATASETS_DIR))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (0: torch default)")
    parser.add_argument("--texts", type=int, default=256, help="texts per task for the throughput figure")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(describe())
    print(f"python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch threads")
    stored_figures()
    compare_hate(args.data_dir)
    throughput(args.data_dir, args.texts)


if __name__ == "__main__":
    main()
