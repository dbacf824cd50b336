"""The numbers an evaluation ends with, and what each one means.

Risks, one per classifier task, each in [0, 1] (1: the worst label with certainty; 0: the
harmless label with certainty). They are convex mixes of label probabilities that sum to one:

- hate risk = P(hate) + 0.5 * P(offensive)            labels hate / offensive / neither
- mental-health risk = P(self_harm) + 0.5 * P(distress) labels self_harm / distress / none
- clickbait risk = P(clickbait)                        labels clickbait / not_clickbait

"Offensive" and "distress" count half: they are reasons to look, not reasons to remove.
Tasks, labels and weights come from ``moderation.classify.labels`` (the classifiers' own).

Safety Risk Score (SRS), in [0, 1]:
    SRS = MODERATION_SRS_HATE_WEIGHT (0.7) * hate risk + MODERATION_SRS_MENTAL_WEIGHT (0.3) * mental-health risk

Quality score, in [0, 100] (higher is better):
    quality = (1 - (MODERATION_QUALITY_SRS_WEIGHT (0.8) * SRS
                    + MODERATION_QUALITY_CLICKBAIT_WEIGHT (0.2) * clickbait risk)) * 100

Content is flagged when quality < MODERATION_FLAG_THRESHOLD (50); exactly 50 is not flagged.
Quality is rounded to 4 decimals before the comparison, so that sums which are 50 on paper are 50
in floating point too.
"""

from dataclasses import dataclass

from django.conf import settings

from moderation.classify.labels import LABELS, RISK_WEIGHTS, TASKS, risk_of  # noqa: F401 - LABELS re-exported

QUALITY_DECIMALS = 4


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def task_risk(*, task: str, probabilities: dict[str, float]) -> float:
    """The task's risk in [0, 1] from its label probabilities (see the module docstring)."""
    if task not in RISK_WEIGHTS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return risk_of(task, probabilities)


def safety_risk_score(*, hate_risk: float, mental_health_risk: float) -> float:
    hate_weight = settings.MODERATION_SRS_HATE_WEIGHT
    mental_weight = settings.MODERATION_SRS_MENTAL_WEIGHT
    return _clamp(hate_weight * _clamp(hate_risk) + mental_weight * _clamp(mental_health_risk))


def quality_score(*, safety_risk: float, clickbait_risk: float) -> float:
    penalty = settings.MODERATION_QUALITY_SRS_WEIGHT * _clamp(
        safety_risk
    ) + settings.MODERATION_QUALITY_CLICKBAIT_WEIGHT * _clamp(clickbait_risk)
    return round(_clamp(1.0 - penalty) * 100.0, QUALITY_DECIMALS)


def is_flagged(*, quality: float) -> bool:
    return quality < settings.MODERATION_FLAG_THRESHOLD


@dataclass(frozen=True)
class Scores:
    hate_risk: float
    mental_health_risk: float
    clickbait_risk: float
    safety_risk_score: float
    quality_score: float
    flagged: bool


def scores_compute(*, probabilities: dict[str, dict[str, float]]) -> Scores:
    """All scores from per-task label probabilities; a task without probabilities has risk 0."""
    risks = {task: task_risk(task=task, probabilities=probabilities.get(task) or {}) for task in TASKS}
    srs = safety_risk_score(hate_risk=risks["hate"], mental_health_risk=risks["mental_health"])
    quality = quality_score(safety_risk=srs, clickbait_risk=risks["clickbait"])
    return Scores(
        hate_risk=risks["hate"],
        mental_health_risk=risks["mental_health"],
        clickbait_risk=risks["clickbait"],
        safety_risk_score=srs,
        quality_score=quality,
        flagged=is_flagged(quality=quality),
    )


def scoring_config() -> dict[str, float]:
    """The settings that shaped a score, stored with each evaluation."""
    return {
        "srs_hate_weight": settings.MODERATION_SRS_HATE_WEIGHT,
        "srs_mental_weight": settings.MODERATION_SRS_MENTAL_WEIGHT,
        "quality_srs_weight": settings.MODERATION_QUALITY_SRS_WEIGHT,
        "quality_clickbait_weight": settings.MODERATION_QUALITY_CLICKBAIT_WEIGHT,
        "flag_threshold": settings.MODERATION_FLAG_THRESHOLD,
        "llm_threshold": settings.MODERATION_LLM_THRESHOLD,
    }
