"""Train one moderation classifier's LoRA adapter from the labelled corpora.

    python manage.py train_adapter --task hate [--data-dir DIR] [--epochs 2] [--max-length 64]
        [--limit 200] [--output-dir DIR] [--threads 2]

Writes adapter_model.safetensors, adapter_config.json, label_map.json and metrics.json into
``<MODERATION_ADAPTERS_DIR>/<task>/`` unless --output-dir says otherwise.
"""

from pathlib import Path

import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from moderation.classify.datasets import DatasetError
from moderation.classify.labels import TASKS
from moderation.classify.model import adapter_dir_for
from moderation.classify.training import adapter_train


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Train a moderation classifier adapter (LoRA on all-MiniLM-L6-v2) and write its metrics."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--task", required=True, choices=TASKS)
        parser.add_argument("--data-dir", type=Path, default=None, help="default: MODERATION_DATASETS_DIR")
        parser.add_argument("--output-dir", type=Path, default=None, help="default: MODERATION_ADAPTERS_DIR/<task>")
        parser.add_argument("--epochs", type=_positive, default=None)
        parser.add_argument("--max-length", type=_positive, default=None, help="tokens per training text")
        parser.add_argument("--limit", type=_positive, default=None, help="train on a stratified sample of N texts")
        parser.add_argument(
            "--max-per-class",
            type=int,
            default=-1,
            help="training examples kept per label; -1: the task's default, 0: all",
        )
        parser.add_argument("--learning-rate", type=float, default=1.5e-3)
        parser.add_argument("--lora-r", type=_positive, default=8)
        parser.add_argument("--batch-size", type=_positive, default=32)
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--threads", type=int, default=None, help="torch threads; default MODERATION_TORCH_THREADS")

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()  # training runs for minutes, often with stdout redirected to a log

    def handle(self, *args, **options) -> None:
        task = options["task"]
        threads = options["threads"] if options["threads"] is not None else settings.MODERATION_TORCH_THREADS
        if threads > 0:
            torch.set_num_threads(threads)
        data_dir = options["data_dir"] or Path(settings.MODERATION_DATASETS_DIR)
        output_dir = options["output_dir"] or adapter_dir_for(task)
        try:
            metrics = adapter_train(
                task=task,
                data_dir=data_dir,
                output_dir=output_dir,
                epochs=options["epochs"],
                max_length=options["max_length"],
                limit=options["limit"],
                max_per_class=options["max_per_class"],
                learning_rate=options["learning_rate"],
                lora_r=options["lora_r"],
                batch_size=options["batch_size"],
                seed=options["seed"],
                progress=self._progress,
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        validation = metrics["validation"]
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {output_dir}: validation macro_f1={validation['macro_f1']} "
                f"accuracy={validation['accuracy']} n={validation['n']} train_seconds={metrics['train_seconds']}"
            )
        )
