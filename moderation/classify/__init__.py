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

from moderation.classify.labels import LABELS, TASKS, risk_of
from moderation.classify.model import AdapterMissing
from moderation.classify.runtime import TaskResult, preload, score_text, score_texts

__all__ = ["LABELS", "TASKS", "AdapterMissing", "TaskResult", "preload", "risk_of", "score_text", "score_texts"]
