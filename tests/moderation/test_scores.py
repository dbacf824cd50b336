"""Score formulas on hand-made numbers, the review line, and the explanation of a score."""

import pytest

from moderation.scores import (
    LABELS,
    RISK_WEIGHTS,
    is_flagged,
    quality_score,
    safety_risk_score,
    scores_compute,
    task_risk,
)
from moderation.summary import driving_spans, summary_compose, transcript_highlight


def test_task_risks_weigh_the_milder_label_half():
    assert task_risk(task="hate", probabilities={"hate": 0.2, "offensive": 0.6, "neither": 0.2}) == pytest.approx(0.5)
    assert task_risk(
        task="mental_health", probabilities={"self_harm": 0.1, "distress": 0.4, "none": 0.5}
    ) == pytest.approx(0.3)
    assert task_risk(task="clickbait", probabilities={"clickbait": 0.35, "not_clickbait": 0.65}) == pytest.approx(0.35)


def test_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        task_risk(task="spam", probabilities={})


def test_risk_weights_and_labels_match_the_classifiers():
    from moderation.classify import labels

    assert RISK_WEIGHTS == labels.RISK_WEIGHTS
    assert LABELS == labels.LABELS


def test_safety_risk_score_is_seventy_thirty():
    assert safety_risk_score(hate_risk=0.5, mental_health_risk=0.2) == pytest.approx(0.7 * 0.5 + 0.3 * 0.2)
    assert safety_risk_score(hate_risk=1.0, mental_health_risk=1.0) == pytest.approx(1.0)
    assert safety_risk_score(hate_risk=0.0, mental_health_risk=0.0) == 0.0


def test_quality_is_one_minus_the_weighted_penalty_in_percent():
    # SRS 0.41, clickbait 0.3: (1 - (0.328 + 0.06)) * 100 = 61.2
    assert quality_score(safety_risk=0.41, clickbait_risk=0.3) == pytest.approx(61.2)
    assert quality_score(safety_risk=0.0, clickbait_risk=0.0) == 100.0
    assert quality_score(safety_risk=1.0, clickbait_risk=1.0) == 0.0


def test_exactly_fifty_is_not_flagged_and_just_below_is():
    # hate 0.5, mental 0.5 -> SRS 0.5; clickbait 0.5 -> quality (1 - 0.5) * 100 = 50 on paper.
    at_line = scores_compute(
        probabilities={
            "hate": {"hate": 0.5, "offensive": 0.0, "neither": 0.5},
            "mental_health": {"self_harm": 0.5, "distress": 0.0, "none": 0.5},
            "clickbait": {"clickbait": 0.5, "not_clickbait": 0.5},
        }
    )
    assert at_line.quality_score == 50.0
    assert at_line.flagged is False
    assert is_flagged(quality=49.9999) is True
    assert is_flagged(quality=50.0) is False
    below = scores_compute(
        probabilities={
            "hate": {"hate": 0.51, "offensive": 0.0, "neither": 0.49},
            "mental_health": {"self_harm": 0.5, "distress": 0.0, "none": 0.5},
            "clickbait": {"clickbait": 0.5, "not_clickbait": 0.5},
        }
    )
    assert below.quality_score < 50
    assert below.flagged is True


def test_weights_and_threshold_come_from_settings(settings):
    settings.MODERATION_SRS_HATE_WEIGHT = 1.0
    settings.MODERATION_SRS_MENTAL_WEIGHT = 0.0
    settings.MODERATION_QUALITY_SRS_WEIGHT = 1.0
    settings.MODERATION_QUALITY_CLICKBAIT_WEIGHT = 0.0
    settings.MODERATION_FLAG_THRESHOLD = 80
    scores = scores_compute(
        probabilities={
            "hate": {"hate": 0.1, "offensive": 0.2, "neither": 0.7},
            "mental_health": {"self_harm": 0.9, "distress": 0.1, "none": 0.0},
            "clickbait": {"clickbait": 1.0, "not_clickbait": 0.0},
        }
    )
    assert scores.safety_risk_score == pytest.approx(0.2)
    assert scores.quality_score == pytest.approx(80.0)
    assert scores.flagged is False
    settings.MODERATION_FLAG_THRESHOLD = 80.5
    assert is_flagged(quality=scores.quality_score) is True


def test_a_task_without_probabilities_counts_as_no_risk():
    scores = scores_compute(probabilities={})
    assert scores.quality_score == 100.0
    assert scores.flagged is False


def test_highlighting_escapes_the_text_and_marks_merged_spans():
    text = "hello <b>you</b> & them, goodbye"
    spans = [{"start": 6, "end": 16, "risk": 0.9}, {"start": 12, "end": 22, "risk": 0.7}, {"start": 40, "end": 50}]
    html = transcript_highlight(text=text, spans=spans)
    assert html == "hello <mark>&lt;b&gt;you&lt;/b&gt; &amp; the</mark>m, goodbye"


def test_the_composed_summary_names_the_passages_that_drove_the_score():
    text = "nice weather today. I will hurt those people. buy now"
    spans = {
        "hate": [{"start": 20, "end": 45, "text": "I will hurt those people.", "risk": 0.91}],
        "mental_health": [{"start": 0, "end": 19, "text": "nice weather today.", "risk": 0.1}],
        "clickbait": [],
    }
    scores = scores_compute(
        probabilities={
            "hate": {"hate": 0.91, "offensive": 0.0, "neither": 0.09},
            "mental_health": {"self_harm": 0.0, "distress": 0.2, "none": 0.8},
            "clickbait": {"clickbait": 0.2, "not_clickbait": 0.8},
        }
    )
    summary = summary_compose(scores=scores, transcript=text, spans=spans)
    assert summary.startswith(f"Quality {scores.quality_score:.0f}/100, below the review line of 50.")
    assert "hate or offensive speech: “I will hurt those people.” (0.91)" in summary
    assert "nice weather" not in summary  # a low-risk passage drove nothing
    assert [s["task"] for s in driving_spans(spans=spans)] == ["hate"]


def test_an_llm_summary_leads_and_the_scores_follow():
    scores = scores_compute(probabilities={})
    summary = summary_compose(scores=scores, transcript="x", spans={}, llm_summary="A calm greeting.")
    assert summary.startswith("A calm greeting.\n\nQuality 100/100, at or above the review line")


def test_silence_is_explained_as_such():
    summary = summary_compose(scores=scores_compute(probabilities={}), transcript="", spans={})
    assert "No speech was found" in summary
