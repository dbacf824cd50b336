"""Moderation text classifiers: all-MiniLM-L6-v2 with one LoRA adapter and head per task.

Tasks and labels: ``hate`` (hate, offensive, neither), ``mental_health`` (self_harm, distress,
none), ``clickbait`` (clickbait, not_clickbait). The trained adapters are committed under
``moderation/adapters/<task>/``; ``python manage.py train_adapter`` rebuilds them.

Risk formulas (``risk_of``), each in [0, 1]:

- hate_risk = P(hate) + 0.5 * P(offensive)
- mental_health_risk = P(self_harm) + 0.5 * P(distress)
- clickbait_risk = P(clickbait)

Long texts are scored in overlapping token windows and combined (worst chunk for hate and
mental_health, mean for clickbait); ``TaskResult.combined`` says how, and ``spans`` lists every
chunk with its character offsets. Models load once per process (``preload`` warms them).
"""

from importlib import import_module

from moderation.classify.labels import LABELS, TASKS, risk_of

__all__ = ["LABELS", "TASKS", "AdapterMissing", "TaskResult", "preload", "risk_of", "score_text", "score_texts"]

# The model and runtime modules import torch and transformers: they load on first use, so that
# reading the labels (the web process, moderation.scores) never pulls them in.
_LAZY = {
    "AdapterMissing": "moderation.classify.model",
    "TaskResult": "moderation.classify.runtime",
    "preload": "moderation.classify.runtime",
    "score_text": "moderation.classify.runtime",
    "score_texts": "moderation.classify.runtime",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
