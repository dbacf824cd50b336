"""Scoring texts with the committed adapters: loading once per process, chunking, batching.

A text longer than ``MODERATION_CLASSIFIER_MAX_LENGTH`` tokens is cut into overlapping token
windows (``MODERATION_CLASSIFIER_STRIDE`` tokens shared by neighbours), each mapped back to the
character span of the original text it covers. Every chunk of every text goes through the model
in batches of ``MODERATION_CLASSIFIER_BATCH_SIZE``, shortest first so padding stays small. The
chunks of one text are combined as ``labels.COMBINE`` says: the chunk with the highest risk for
hate and mental_health (the worst passage decides), the mean of the chunk probabilities for
clickbait. Probabilities are the softmax of the logits plus the adapter's tuned decision offsets.
"""

import logging
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from peft import PeftModel

from moderation.classify.labels import COMBINE, LABELS, NEGATIVE_LABEL, TASKS, check_task, risk_of
from moderation.classify.model import (
    AdapterMissing,
    adapter_dir_for,
    adapter_version,
    load_base_classifier,
    load_tokenizer,
    read_label_map,
    resolve_device,
)

logger = logging.getLogger(__name__)


@dataclass
class TaskResult:
    task: str
    probabilities: dict[str, float]
    risk: float
    top_label: str
    top_probability: float
    chunks: int
    combined: str  # "single", "max_risk_of_4_overlapping_chunks", "mean_of_3_overlapping_chunks", "empty"
    spans: list[dict] = field(default_factory=list)  # every chunk, highest risk first
    adapter_version: str = ""


@dataclass
class _Classifier:
    task: str
    labels: tuple[str, ...]
    model: torch.nn.Module
    tokenizer: object
    offsets: torch.Tensor
    device: torch.device
    version: str
    # The fast tokenizer keeps truncation settings in shared Rust state: one caller at a time.
    tokenizer_lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[tuple[str, str], _Classifier] = {}
_lock = threading.Lock()


def _load(task: str, adapter_dir: Path) -> _Classifier:
    label_map = read_label_map(adapter_dir)
    labels = tuple(label_map["labels"])
    if label_map.get("task") != task or labels != LABELS[task]:
        raise AdapterMissing(
            f"adapter folder {adapter_dir} holds task {label_map.get('task')!r} {labels}, not {task!r}"
        )
    if settings.MODERATION_TORCH_THREADS > 0:
        torch.set_num_threads(settings.MODERATION_TORCH_THREADS)
    device = resolve_device()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        model = PeftModel.from_pretrained(load_base_classifier(labels), str(adapter_dir))
    # Folding LoRA into the base weights makes inference cost what the plain encoder costs.
    model = model.merge_and_unload().to(device).eval()
    offsets = torch.tensor([float(label_map.get("logit_offsets", {}).get(label, 0.0)) for label in labels])
    version = adapter_version(task, adapter_dir)
    logger.info("classifier_loaded task=%s version=%s device=%s", task, version, device)
    return _Classifier(task, labels, model, load_tokenizer(), offsets.to(device), device, version)


def classifier_for(task: str, adapter_dir: Path | None = None) -> _Classifier:
    """The task's model, loaded once per process and adapter folder (thread-safe)."""
    check_task(task)
    folder = Path(adapter_dir) if adapter_dir else adapter_dir_for(task)
    key = (task, str(folder.resolve()))
    classifier = _cache.get(key)
    if classifier is None:
        with _lock:
            classifier = _cache.get(key)
            if classifier is None:
                if not folder.is_dir():
                    raise AdapterMissing(
                        f"no adapter for task {task!r} at {folder}; run `python manage.py train_adapter --task {task}`"
                    )
                classifier = _cache[key] = _load(task, folder)
    return classifier


def preload(tasks: tuple[str, ...] | list[str] = TASKS) -> None:
    """Load the given tasks' models now (e.g. from a Celery worker_process_init hook)."""
    for task in tasks:
        classifier_for(task)


def _chunk(tokenizer, texts: list[str]) -> list[tuple[int, list[int], int, int]]:
    """(text index, token ids, char start, char end) of every window of every text."""
    max_length = settings.MODERATION_CLASSIFIER_MAX_LENGTH
    stride = settings.MODERATION_CLASSIFIER_STRIDE
    if not 0 <= stride < max_length - 2:
        raise ValueError("MODERATION_CLASSIFIER_STRIDE must be at least 0 and below MAX_LENGTH - 2")
    encoded = tokenizer(
        texts,
        truncation=True,
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
    chunks = []
    for row, text_index in enumerate(encoded["overflow_to_sample_mapping"]):
        spans = [
            offset
            for offset, special in zip(encoded["offset_mapping"][row], encoded["special_tokens_mask"][row], strict=True)
            if not special
        ]
        if not spans:
            continue
        chunks.append((text_index, encoded["input_ids"][row], spans[0][0], max(end for _, end in spans)))
    return chunks


@torch.inference_mode()
def _probabilities(classifier: _Classifier, token_ids: list[list[int]]) -> np.ndarray:
    batch_size = max(1, settings.MODERATION_CLASSIFIER_BATCH_SIZE)
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
    out = np.zeros((len(token_ids), len(classifier.labels)), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        batch = classifier.tokenizer.pad({"input_ids": [token_ids[i] for i in indices]}, return_tensors="pt")
        batch = {key: value.to(classifier.device) for key, value in batch.items()}
        logits = classifier.model(**batch).logits.float() + classifier.offsets
        out[indices] = torch.softmax(logits, dim=-1).cpu().numpy()
    return out


def _as_dict(labels: tuple[str, ...], row: np.ndarray) -> dict[str, float]:
    return {label: round(float(p), 6) for label, p in zip(labels, row, strict=True)}


def _empty(task: str, version: str) -> TaskResult:
    negative = NEGATIVE_LABEL[task]
    probabilities = {label: 1.0 if label == negative else 0.0 for label in LABELS[task]}
    return TaskResult(task, probabilities, risk_of(task, probabilities), negative, 1.0, 0, "empty", [], version)


def score_texts(*, task: str, texts: list[str], adapter_dir: Path | None = None) -> list[TaskResult]:
    """One result per text, in order. Every chunk of every text is scored in shared batches."""
    classifier = classifier_for(task, adapter_dir)
    labels = classifier.labels
    if any(not isinstance(text, str) for text in texts):
        raise TypeError("score_texts expects a list of str")
    present = [i for i, text in enumerate(texts) if text.strip()]
    chunks = []
    if present:
        with classifier.tokenizer_lock:
            chunks = _chunk(classifier.tokenizer, [texts[i] for i in present])
    probabilities = _probabilities(classifier, [ids for _, ids, _, _ in chunks]) if chunks else np.zeros((0, 0))
    per_text: dict[int, list[int]] = {}
    for row, (local_index, *_rest) in enumerate(chunks):
        per_text.setdefault(present[local_index], []).append(row)

    results = []
    for index, text in enumerate(texts):
        rows = per_text.get(index)
        if not rows:
            results.append(_empty(task, classifier.version))
            continue
        spans = []
        for row in rows:
            _, _, start, end = chunks[row]
            chunk_probabilities = _as_dict(labels, probabilities[row])
            spans.append(
                {
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "risk": round(risk_of(task, chunk_probabilities), 6),
                    "probabilities": chunk_probabilities,
                }
            )
        if COMBINE[task] == "mean":
            combined_row = probabilities[rows].mean(axis=0)
            method = "mean"
        else:
            risks = [span["risk"] for span in spans]
            combined_row = probabilities[rows[int(np.argmax(risks))]]
            method = "max_risk"
        combined = "single" if len(rows) == 1 else f"{method}_of_{len(rows)}_overlapping_chunks"
        combined_probabilities = _as_dict(labels, combined_row)
        top = int(np.argmax(combined_row))
        results.append(
            TaskResult(
                task=task,
                probabilities=combined_probabilities,
                risk=round(risk_of(task, combined_probabilities), 6),
                top_label=labels[top],
                top_probability=round(float(combined_row[top]), 6),
                chunks=len(rows),
                combined=combined,
                spans=sorted(spans, key=lambda span: (-span["risk"], span["start"])),
                adapter_version=classifier.version,
            )
        )
    return results


def score_text(*, task: str, text: str, adapter_dir: Path | None = None) -> TaskResult:
    return score_texts(task=task, texts=[text], adapter_dir=adapter_dir)[0]
