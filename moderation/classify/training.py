"""Training one task's LoRA adapter on the shared corpora, tuning its decision offsets, and
writing the adapter folder (weights, label map with offsets, metrics).

Recipe: all-MiniLM-L6-v2 with LoRA (rank ``r``) on the query/key/value/dense projections and a
fully trained classification head (PEFT ``modules_to_save``); class-weighted cross-entropy
(weights = inverse square root of class frequency, so the rare hate class counts without
drowning the others); AdamW with linear warm-up and decay; length-bucketed batches with dynamic
padding, which is what makes CPU training affordable.

Decision offsets: a small slice of the training split (``tuning``, never trained on) is scored
once training ends, and a grid search picks one additive logit offset per label (the last label
fixed at 0) that maximises macro-F1 there, subject to the task's minimum recalls (hate recall for
``hate``). The offsets go into the label map and the runtime adds them to the logits. The
validation split is only scored, with the chosen offsets, and reported.
"""

import json
import logging
import math
import random
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path

import numpy as np
import torch
from peft import LoraConfig, TaskType, get_peft_model

from moderation.classify.datasets import Example, Splits, task_splits
from moderation.classify.labels import LABELS
from moderation.classify.metrics import classification_metrics, macro_f1_fast
from moderation.classify.model import (
    ADAPTER_CONFIG,
    ADAPTER_WEIGHTS,
    BASE_MODEL_NAME,
    LABEL_MAP,
    METRICS,
    load_base_classifier,
    load_tokenizer,
)

logger = logging.getLogger(__name__)

# Per-task defaults, sized for two CPU cores (see the module docstring of moderation.classify).
DEFAULT_MAX_LENGTH = {"hate": 64, "mental_health": 96, "clickbait": 32}
DEFAULT_EPOCHS = {"hate": 1, "mental_health": 1, "clickbait": 1}
# Training examples kept per label (the validation split keeps its natural mix). Capping the
# majority classes saves CPU time where they carry little new signal: 12.8k offensive tweets,
# 10.8k of each clickbait class.
DEFAULT_MAX_PER_CLASS = {"hate": 5000, "mental_health": 1800, "clickbait": 3000}
# Recalls the offset search must keep on the tuning slice (a margin above the product targets).
MIN_RECALL = {"hate": {"hate": 0.62}}
OFFSET_GRID = np.round(np.arange(-2.0, 4.01, 0.1), 2)


@dataclass
class TrainingSettings:
    task: str
    epochs: int
    max_length: int
    batch_size: int = 32
    learning_rate: float = 1.5e-3
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    warmup_fraction: float = 0.06
    seed: int = 13
    limit: int | None = None
    max_per_class: int | None = None
    device: str = "cpu"
    threads: int = 0
    class_weights: dict[str, float] = field(default_factory=dict)


def cap_per_label(examples: list[Example], cap: int, seed: int) -> list[Example]:
    """At most ``cap`` examples of each label, drawn with ``seed``, in the original order."""
    rng = random.Random(seed + 2)
    by_label: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_label.setdefault(example.label, []).append(index)
    keep = set()
    for indices in by_label.values():
        keep.update(indices if len(indices) <= cap else rng.sample(indices, cap))
    return [example for index, example in enumerate(examples) if index in keep]


def _length_buckets(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of indices of similar length: shuffle, sort within pools of 50 batches, shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _collate(tokenizer, encoded: list[list[int]], indices: list[int], device: torch.device) -> dict:
    batch = tokenizer.pad({"input_ids": [encoded[i] for i in indices]}, return_tensors="pt")
    return {key: value.to(device) for key, value in batch.items()}


@torch.inference_mode()
def predict_logits(model, tokenizer, texts: list[str], *, max_length: int, device: torch.device) -> np.ndarray:
    """Logits of each text, truncated to ``max_length`` tokens, in the order given."""
    model.eval()
    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    for start in range(0, len(order), 64):
        indices = order[start : start + 64]
        logits = model(**_collate(tokenizer, encoded, indices, device)).logits
        out[indices] = logits.float().cpu().numpy()
    return out


def tune_offsets(*, task: str, logits: np.ndarray, true_index: np.ndarray) -> tuple[list[float], dict]:
    """Per-label logit offsets (last label 0) maximising macro-F1 under the task's minimum recalls."""
    labels = LABELS[task]
    n_labels = len(labels)
    minimums = {labels.index(label): value for label, value in MIN_RECALL.get(task, {}).items()}
    best, best_key = [0.0] * n_labels, None
    for combo in product(OFFSET_GRID, repeat=n_labels - 1):
        offsets = np.array([*combo, 0.0])
        predicted = (logits + offsets).argmax(axis=1)
        macro_f1, recall = macro_f1_fast(true_index, predicted, n_labels)
        meets = all(recall[i] >= value for i, value in minimums.items())
        # Prefer: meeting the recall floors, then macro-F1, then the smallest offsets.
        key = (meets, round(macro_f1, 4), -float(np.abs(offsets).sum()))
        if best_key is None or key > best_key:
            best, best_key = [float(x) for x in offsets], key
    return best, {
        "meets_min_recall": bool(best_key[0]),
        "tuning_macro_f1": best_key[1],
        "min_recall": MIN_RECALL.get(task, {}),
    }


def _figures(task: str, logits: np.ndarray, examples: list[Example], offsets: list[float]) -> dict:
    labels = LABELS[task]
    predicted = (logits + np.array(offsets)).argmax(axis=1)
    return classification_metrics(
        labels=labels, y_true=[e.label for e in examples], y_pred=[labels[i] for i in predicted]
    )


def adapter_train(
    *,
    task: str,
    data_dir: Path,
    output_dir: Path,
    epochs: int | None = None,
    max_length: int | None = None,
    limit: int | None = None,
    learning_rate: float = 1.5e-3,
    lora_r: int = 8,
    batch_size: int = 32,
    seed: int = 13,
    max_per_class: int | None = -1,
    device: torch.device | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Train the task's adapter, write it into ``output_dir`` and return its metrics document."""
    say = progress or (lambda message: logger.info("adapter_train %s", message))
    started = time.monotonic()
    labels = LABELS[task]
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)

    splits = task_splits(task=task, data_dir=data_dir, seed=seed, limit=limit)
    if max_per_class == -1:
        max_per_class = DEFAULT_MAX_PER_CLASS[task]
    if max_per_class:
        splits = Splits(cap_per_label(splits.train, max_per_class, seed), splits.tuning, splits.validation)
    counts = Counter(e.label for e in splits.train)
    missing = [label for label in labels if counts[label] == 0]
    if missing:
        raise ValueError(f"{task}: no training examples for {missing}; raise --limit")
    total = sum(counts.values())
    weights = {label: math.sqrt(total / (len(labels) * counts[label])) for label in labels}
    config = TrainingSettings(
        task=task,
        epochs=epochs or DEFAULT_EPOCHS[task],
        max_length=max_length or DEFAULT_MAX_LENGTH[task],
        batch_size=batch_size,
        learning_rate=learning_rate,
        lora_r=lora_r,
        lora_alpha=2 * lora_r,
        seed=seed,
        limit=limit,
        max_per_class=max_per_class,
        device=str(device),
        threads=torch.get_num_threads(),
        class_weights={label: round(value, 4) for label, value in weights.items()},
    )
    say(
        f"task={task} train={len(splits.train)} tuning={len(splits.tuning)} "
        f"validation={len(splits.validation)} classes={dict(counts)} device={device}"
    )

    tokenizer = load_tokenizer()
    lora_config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=["query", "key", "value", "dense"],
        modules_to_save=["classifier"],
    )
    with warnings.catch_warnings():  # peft calls a transformers method deprecated in v5
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        model = get_peft_model(load_base_classifier(labels), lora_config)
    model = model.to(device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    texts = [e.text for e in splits.train]
    targets = torch.tensor([labels.index(e.label) for e in splits.train])
    encoded = tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    rng = random.Random(seed)
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(total_steps * config.warmup_fraction))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=0.01
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([weights[label] for label in labels], device=device))

    step = 0
    train_started = time.monotonic()
    for epoch in range(config.epochs):
        model.train()
        running = 0.0
        for batch_number, indices in enumerate(_length_buckets(lengths, batch_size, rng), start=1):
            logits = model(**_collate(tokenizer, encoded, indices, device)).logits
            loss = loss_fn(logits, targets[indices].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.item()
            step += 1
            if batch_number % 50 == 0 or batch_number == steps_per_epoch:
                say(
                    f"epoch={epoch + 1}/{config.epochs} step={batch_number}/{steps_per_epoch} "
                    f"loss={running / batch_number:.4f} elapsed_s={time.monotonic() - train_started:.0f}"
                )
    train_seconds = time.monotonic() - train_started

    true_tuning = np.array([labels.index(e.label) for e in splits.tuning])
    tuning_logits = predict_logits(
        model, tokenizer, [e.text for e in splits.tuning], max_length=config.max_length, device=device
    )
    offsets, tuning_info = tune_offsets(task=task, logits=tuning_logits, true_index=true_tuning)
    say(f"offsets={dict(zip(labels, offsets, strict=True))} {tuning_info}")
    validation_logits = predict_logits(
        model, tokenizer, [e.text for e in splits.validation], max_length=config.max_length, device=device
    )
    validation = _figures(task, validation_logits, splits.validation, offsets)
    by_source = {}
    for source in sorted({e.source for e in splits.validation}):
        rows = [i for i, e in enumerate(splits.validation) if e.source == source]
        by_source[source] = _figures(task, validation_logits[rows], [splits.validation[i] for i in rows], offsets)

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output_dir), safe_serialization=True)
    # The saved config names the base model by this machine's venv path; name it portably instead.
    (output_dir / "README.md").unlink(missing_ok=True)  # PEFT's model card template, with local paths
    adapter_config = json.loads((output_dir / ADAPTER_CONFIG).read_text())
    adapter_config["base_model_name_or_path"] = BASE_MODEL_NAME
    (output_dir / ADAPTER_CONFIG).write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
    label_map = {
        "task": task,
        "base_model": BASE_MODEL_NAME,
        "labels": list(labels),
        "label2id": {label: i for i, label in enumerate(labels)},
        "logit_offsets": dict(zip(labels, offsets, strict=True)),
        "max_length_trained": config.max_length,
    }
    (output_dir / LABEL_MAP).write_text(json.dumps(label_map, indent=2) + "\n")
    metrics = {
        "task": task,
        "validation": validation,
        "validation_without_offsets": _figures(task, validation_logits, splits.validation, [0.0] * len(labels)),
        "validation_by_source": by_source,
        "tuning": {"n": len(splits.tuning), **tuning_info},
        "logit_offsets": label_map["logit_offsets"],
        "split": {
            "train": len(splits.train),
            "tuning": len(splits.tuning),
            "validation": len(splits.validation),
            "stratified_by": "source and label",
            "seed": seed,
            "train_class_counts": dict(counts),
        },
        "settings": {**asdict(config), "trainable_parameters": trainable},
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.monotonic() - started, 1),
        "adapter_bytes": (output_dir / ADAPTER_WEIGHTS).stat().st_size,
        "scored_with": f"head truncation at {config.max_length} tokens, offsets applied",
    }
    (output_dir / METRICS).write_text(json.dumps(metrics, indent=2) + "\n")
    say(
        f"done macro_f1={validation['macro_f1']} accuracy={validation['accuracy']} "
        f"train_seconds={metrics['train_seconds']} adapter_bytes={metrics['adapter_bytes']}"
    )
    return metrics
