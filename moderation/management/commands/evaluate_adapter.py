"""Score a labelled CSV with a task's adapter, the way the product scores texts.

    python manage.py evaluate_adapter --task hate --input rows.csv [--adapter-dir DIR]

The CSV needs the header ``text,label`` (other columns are ignored) and labels named as the task
names them (hate: hate/offensive/neither; mental_health: self_harm/distress/none; clickbait:
clickbait/not_clickbait). Texts go through ``score_texts`` (chunking, offsets, batching), so the
figures are those of the product path. The last line printed is one JSON object: macro_f1,
accuracy, n, per_class (precision/recall/f1/support), confusion_matrix, adapter_version.
"""

import csv
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation.classify.labels import LABELS, TASKS
from moderation.classify.metrics import classification_metrics
from moderation.classify.model import AdapterMissing
from moderation.classify.runtime import score_texts

csv.field_size_limit(1 << 27)


def read_labelled_csv(path: Path, task: str) -> tuple[list[str], list[str]]:
    """(texts, labels) from a ``text,label`` CSV, or a CommandError naming the bad row."""
    if not path.is_file():
        raise CommandError(f"input file not found: {path}")
    allowed = LABELS[task]
    texts, labels = [], []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            if "text" not in header or "label" not in header:
                raise CommandError(f"{path}: header must contain the columns text,label; found {header or 'nothing'}")
            reader.fieldnames = header
            for row_number, row in enumerate(reader, start=2):
                label = (row.get("label") or "").strip()
                if label not in allowed:
                    raise CommandError(
                        f"{path}: row {row_number}: unknown label {label!r} for task {task}; "
                        f"expected one of {', '.join(allowed)}"
                    )
                text = row.get("text")
                if text is None:
                    raise CommandError(f"{path}: row {row_number}: missing text")
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc})") from exc
    if not texts:
        raise CommandError(f"{path}: no rows to evaluate")
    return texts, labels


class Command(BaseCommand):
    help = "Evaluate a moderation classifier adapter on a labelled text,label CSV; last line is JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--task", required=True, choices=TASKS)
        parser.add_argument("--input", required=True, type=Path, help="CSV with columns text,label")
        parser.add_argument("--adapter-dir", type=Path, default=None, help="default: MODERATION_ADAPTERS_DIR/<task>")

    def handle(self, *args, **options) -> None:
        task = options["task"]
        texts, truth = read_labelled_csv(options["input"], task)
        started = time.monotonic()
        try:
            results = score_texts(task=task, texts=texts, adapter_dir=options["adapter_dir"])
        except AdapterMissing as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        report = classification_metrics(labels=LABELS[task], y_true=truth, y_pred=[r.top_label for r in results])
        report = {
            "task": task,
            **report,
            "adapter_version": results[0].adapter_version,
            "chunked_texts": sum(1 for r in results if r.chunks > 1),
            "seconds": round(seconds, 2),
        }
        self.stdout.write(
            f"{task}: n={report['n']} macro_f1={report['macro_f1']} accuracy={report['accuracy']} "
            f"({report['adapter_version']}, {seconds:.1f}s)"
        )
        self.stdout.write(json.dumps(report, sort_keys=True))
