"""Scoring the product's detectors against the generator's ground truth (never the other way round)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, FloatField, Max, Min, Sum
from django.db.models.functions import Cast

from creators.models import Video
from integrity.models import EngagementWindow

from .models import GroundTruthLabel

BOT_AND_RING = ("bot_farm", "like_ring")


@dataclass(frozen=True)
class IntegrityEvaluation:
    scoring_version: str
    videos_scored: int
    videos_fraud: int
    roc_auc: float | None
    invalid_by_scenario: dict[str, tuple[int, int]]  # scenario -> (judged invalid, events)
    organic_invalid: tuple[int, int]

    @property
    def bot_and_ring_invalid_share(self) -> float:
        invalid = sum(self.invalid_by_scenario.get(s, (0, 0))[0] for s in BOT_AND_RING)
        total = sum(self.invalid_by_scenario.get(s, (0, 0))[1] for s in BOT_AND_RING)
        return invalid / total if total else 0.0

    @property
    def organic_invalid_share(self) -> float:
        invalid, total = self.organic_invalid
        return invalid / total if total else 0.0


def roc_auc(positives: list[float], negatives: list[float]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += (i + j + 1) / 2 * sum(label for _, label in ranked[i:j])  # average 1-based rank of the ties
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _event_key(alias: str) -> str:
    """An event's UUID as the canonical text the labels hold."""
    if connection.vendor == "postgresql":
        return f"{alias}.event_uuid::text"
    h = f"{alias}.event_uuid"
    return (f"lower(substr({h},1,8)||'-'||substr({h},9,4)||'-'||substr({h},13,4)||'-'||substr({h},17,4)||'-'"
            f"||substr({h},21))")  # fmt: skip


def evaluate_integrity(scoring_version: str) -> IntegrityEvaluation:
    days = EngagementWindow.objects.filter(granularity="day", scoring_version=scoring_version)
    weighted = (
        days.filter(engagement_integrity_score__isnull=False)
        .values("video_id")
        .annotate(
            weight=Sum("events_total"),
            weighted=Sum(F("engagement_integrity_score") * Cast("events_total", FloatField())),
        )
    )
    scores = {r["video_id"]: r["weighted"] / r["weight"] for r in weighted if r["weight"]}
    boosted_keys = GroundTruthLabel.objects.filter(entity_type="video", role="beneficiary").values("entity_key")
    fraud_ids = set(Video.objects.filter(public_id__in=[k["entity_key"] for k in boosted_keys]).values_list(
        "pk", flat=True))  # fmt: skip
    # A fraud-boosted video should look suspicious: rank by 100 - EIS.
    positives = [100 - s for v, s in scores.items() if v in fraud_ids]
    negatives = [100 - s for v, s in scores.items() if v not in fraud_ids]

    span = days.aggregate(first=Min("window_start"), last=Max("window_end"))
    by_scenario = _invalid_by_scenario(scoring_version, span["first"], span["last"])
    organic = _organic_invalid(scoring_version, span["first"], span["last"])
    return IntegrityEvaluation(scoring_version, len(scores), len(positives), roc_auc(positives, negatives),
                               by_scenario, organic)  # fmt: skip


def _invalid_by_scenario(version: str, first: datetime | None, last: datetime | None) -> dict[str, tuple[int, int]]:
    if first is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT l.scenario, COUNT(ie.id), COUNT(*)
            FROM integrity_viewerevent e
            JOIN simulation_groundtruthlabel l ON l.entity_type = 'event' AND l.entity_key = {_event_key("e")}
            LEFT JOIN integrity_invalidengagement ie ON ie.event_id = e.id AND ie.scoring_version = %s
            WHERE e.occurred_at >= %s AND e.occurred_at < %s
            GROUP BY l.scenario ORDER BY l.scenario
            """,  # noqa: S608 - a fixed expression, values are parameters
            [version, first, last],
        )
        return {scenario: (invalid, total) for scenario, invalid, total in cursor.fetchall()}


def _organic_invalid(version: str, first: datetime | None, last: datetime | None) -> tuple[int, int]:
    if first is None:
        return (0, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(ie.id), COUNT(*)
            FROM integrity_viewerevent e
            LEFT JOIN integrity_invalidengagement ie ON ie.event_id = e.id AND ie.scoring_version = %s
            WHERE e.occurred_at >= %s AND e.occurred_at < %s
              AND NOT EXISTS (SELECT 1 FROM simulation_groundtruthlabel l
                              WHERE l.entity_type = 'event' AND l.entity_key = {_event_key("e")})
            """,  # noqa: S608
            [version, first, last],
        )
        invalid, total = cursor.fetchone()
        return (invalid, total)
