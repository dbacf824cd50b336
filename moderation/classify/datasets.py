"""Reading the labelled corpora into (text, label) examples for one task, and splitting them.

The corpora are not part of the product (some have licences that forbid copying them into it):
``train_adapter`` reads them from ``settings.MODERATION_DATASETS_DIR`` or ``--data-dir``; see
``/work/shared/datasets/README.md`` for what each file holds.

Decisions, per task:

- ``hate``: Davidson ``class`` 0/1/2 -> hate/offensive/neither. ETHOS comments with
  ``isHate >= 0.5`` -> hate; the other ETHOS comments -> neither (annotators judged them not hate;
  leaving them out would make "long, well-formed comment" a shortcut for the hate class).
- ``mental_health``: SDCNL ``is_suicide`` 1 and suicidal_tweets ``Sem`` 1 -> self_harm; SDCNL 0
  (r/depression), Dreaddit ``label`` 1, depression_reddit ``is_depressive`` 1 and every
  reddit_mental_health_5class row (stress, depression, bipolar, personality disorder, anxiety)
  -> distress; Dreaddit 0, depression_reddit 0 and suicidal_tweets 0 -> none. SDCNL's
  "emptypost" placeholder bodies are dropped (the title stays). The corpus is subsampled to at
  most ``MENTAL_HEALTH_PER_CLASS`` rows per class, drawn evenly across the sources of that class,
  so that the biggest source does not decide the class (and training fits on two CPU cores).
- ``clickbait``: Chakraborty ``clickbait`` 1/0 -> clickbait/not_clickbait.

Texts are cleaned the same way for every corpus: HTML entities decoded, @mentions replaced by
"@user", URLs by "http", retweet markers dropped, whitespace collapsed. Exact duplicate texts are
kept once; a text seen with two different labels is dropped.
"""

import csv
import html
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from moderation.classify.labels import LABELS, check_task

csv.field_size_limit(1 << 27)

MENTAL_HEALTH_PER_CLASS = 3500
VALIDATION_FRACTION = 0.15
TUNING_FRACTION = 0.10

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_RETWEET = re.compile(r"(^|\s)RT\s+(?=@)")
_SPACE = re.compile(r"\s+")


class DatasetError(Exception):
    """A corpus file is missing or does not have the expected columns."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str


@dataclass(frozen=True)
class Splits:
    train: list[Example]
    tuning: list[Example]
    validation: list[Example]


def clean_text(text: str) -> str:
    text = html.unescape(html.unescape(text))
    text = _RETWEET.sub(" ", text)
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    return _SPACE.sub(" ", text).strip()


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DatasetError(f"corpus file not found: {path}")
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}; found {reader.fieldnames}")
        return list(reader)


def _hate(data_dir: Path) -> list[Example]:
    examples = []
    davidson = {"0": "hate", "1": "offensive", "2": "neither"}
    for row in _rows(data_dir / "hate" / "davidson_labeled_data.csv", ("tweet", "class")):
        if row["class"] not in davidson:
            raise DatasetError(f"davidson_labeled_data.csv: unexpected class {row['class']!r}")
        examples.append(Example(row["tweet"], davidson[row["class"]], "davidson"))
    for row in _rows(data_dir / "hate" / "ethos_binary.csv", ("comment", "isHate")):
        label = "hate" if float(row["isHate"]) >= 0.5 else "neither"
        examples.append(Example(row["comment"], label, "ethos"))
    return examples


def _clickbait(data_dir: Path) -> list[Example]:
    labels = {"1": "clickbait", "0": "not_clickbait"}
    examples = []
    for row in _rows(data_dir / "clickbait" / "chakraborty_headlines.csv", ("headline", "clickbait")):
        if row["clickbait"] not in labels:
            raise DatasetError(f"chakraborty_headlines.csv: unexpected clickbait value {row['clickbait']!r}")
        examples.append(Example(row["headline"], labels[row["clickbait"]], "chakraborty"))
    return examples


def _title_and_body(title: str, body: str) -> str:
    title, body = (title or "").strip(), (body or "").strip()
    if body.lower() == "emptypost":
        body = ""
    if title and body:
        return f"{title}. {body}"
    return title or body


def _mental_health_sources(data_dir: Path) -> list[Example]:
    folder = data_dir / "mental_health"
    examples = []
    for row in _rows(folder / "sdcnl_suicide_vs_depression.csv", ("title", "selftext", "is_suicide")):
        label = "self_harm" if row["is_suicide"] == "1" else "distress"
        examples.append(Example(_title_and_body(row["title"], row["selftext"]), label, "sdcnl"))
    for row in _rows(folder / "suicidal_tweets.csv", ("Text", "Sem")):
        examples.append(Example(row["Text"], "self_harm" if row["Sem"] == "1" else "none", "suicidal_tweets"))
    for row in _rows(folder / "dreaddit_stress.csv", ("text", "label")):
        examples.append(Example(row["text"], "distress" if row["label"] == "1" else "none", "dreaddit"))
    for row in _rows(folder / "depression_reddit_cleaned.csv", ("text", "is_depressive")):
        label = "distress" if row["is_depressive"] == "1" else "none"
        examples.append(Example(row["text"], label, "depression_reddit"))
    for row in _rows(folder / "reddit_mental_health_5class.csv", ("title", "text", "target")):
        examples.append(Example(_title_and_body(row["title"], row["text"]), "distress", "reddit_5class"))
    return examples


def _even_quota(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Split ``total`` across sources as evenly as their sizes allow (water filling)."""
    quota = dict.fromkeys(sizes, 0)
    left = min(total, sum(sizes.values()))
    open_sources = sorted(sizes, key=lambda name: sizes[name])
    while left > 0 and open_sources:
        share = max(1, left // len(open_sources))
        for name in list(open_sources):
            take = min(share, sizes[name] - quota[name], left)
            quota[name] += take
            left -= take
            if quota[name] >= sizes[name]:
                open_sources.remove(name)
            if left == 0:
                break
    return quota


def _balance(examples: list[Example], per_class: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    by_class: dict[str, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for example in examples:
        by_class[example.label][example.source].append(example)
    chosen = []
    for label in sorted(by_class):
        sources = by_class[label]
        quota = _even_quota({name: len(rows) for name, rows in sources.items()}, per_class)
        for name in sorted(sources):
            chosen.extend(rng.sample(sources[name], quota[name]))
    return chosen


def _deduplicate(examples: list[Example]) -> list[Example]:
    labels_of: dict[str, set[str]] = defaultdict(set)
    for example in examples:
        labels_of[example.text.lower()].add(example.label)
    seen: set[str] = set()
    kept = []
    for example in examples:
        key = example.text.lower()
        if len(labels_of[key]) == 1 and key not in seen:
            seen.add(key)
            kept.append(example)
    return kept


def load_examples(*, task: str, data_dir: Path, seed: int = 13) -> list[Example]:
    """Every usable example of the task, cleaned and deduplicated, in a stable order."""
    check_task(task)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(f"datasets folder not found: {data_dir}")
    raw = {"hate": _hate, "clickbait": _clickbait, "mental_health": _mental_health_sources}[task](data_dir)
    cleaned = [Example(clean_text(e.text), e.label, e.source) for e in raw]
    examples = _deduplicate([e for e in cleaned if e.text])
    if task == "mental_health":
        examples = _balance(examples, MENTAL_HEALTH_PER_CLASS, seed)
    unknown = {e.label for e in examples} - set(LABELS[task])
    if unknown:
        raise DatasetError(f"{task}: labels {sorted(unknown)} are not in {LABELS[task]}")
    return examples


def stratified_split(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """(rest, held_out): ``fraction`` of every (source, label) group held out, chosen with ``seed``."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.source, example.label)].append(example)
    rest, held_out = [], []
    for key in sorted(groups):
        rows = groups[key]
        rng.shuffle(rows)
        cut = round(len(rows) * fraction)
        held_out.extend(rows[:cut])
        rest.extend(rows[cut:])
    return rest, held_out


def task_splits(*, task: str, data_dir: Path, seed: int = 13, limit: int | None = None) -> Splits:
    """Train / tuning / validation examples of a task. Deterministic for a given seed and corpus.

    ``limit`` keeps a stratified sample of that many examples before splitting (for quick runs).
    The tuning part (a slice of the training split) is used only to choose the decision offsets;
    the validation split is only ever scored.
    """
    examples = load_examples(task=task, data_dir=data_dir, seed=seed)
    if limit is not None and limit < len(examples):
        _, examples = stratified_split(examples, limit / len(examples), seed + 3)
    rest, validation = stratified_split(examples, VALIDATION_FRACTION, seed)
    train, tuning = stratified_split(rest, TUNING_FRACTION, seed + 1)
    return Splits(train=train, tuning=tuning, validation=validation)
