"""Explaining an evaluation: which passages drove its scores, a summary a person can read, and the
transcript with those passages highlighted (HTML-escaped, with ``<mark>`` around them).

The summary is the LLM's when it gave one; otherwise it is composed here from the scores and the
transcript passages (classifier spans) with the highest risk.
"""

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from moderation.scores import Scores

# A passage "drives" a task's score when its own risk reaches this; at most this many per task.
DRIVING_SPAN_MIN_RISK = 0.5
DRIVING_SPANS_PER_TASK = 3
# How much of a passage a summary quotes.
QUOTE_CHARS = 120

TASK_NAMES = {"hate": "hate or offensive speech", "mental_health": "self-harm or distress", "clickbait": "clickbait"}


def spans_keep(*, spans: list[dict], text: str, limit: int = 5) -> list[dict]:
    """The highest-risk classifier spans worth storing, with offsets checked against ``text``."""
    kept = []
    for span in sorted(spans, key=lambda s: -float(s.get("risk", 0.0))):
        start, end = int(span.get("start", 0)), int(span.get("end", 0))
        if not 0 <= start < end <= len(text):
            continue
        kept.append(
            {
                "start": start,
                "end": end,
                "text": text[start:end],
                "risk": round(float(span.get("risk", 0.0)), 6),
                "probabilities": span.get("probabilities", {}),
            }
        )
        if len(kept) == limit:
            break
    return kept


def driving_spans(*, spans: dict[str, list[dict]]) -> list[dict]:
    """Passages that drove any task's score, highest risk first: ``[{task, start, end, text, risk}]``."""
    found = []
    for task, task_spans in spans.items():
        strong = [s for s in task_spans if float(s.get("risk", 0.0)) >= DRIVING_SPAN_MIN_RISK]
        strong.sort(key=lambda s: -float(s["risk"]))
        found.extend({"task": task, **s} for s in strong[:DRIVING_SPANS_PER_TASK])
    found.sort(key=lambda s: (-float(s["risk"]), s["start"]))
    return found


def transcript_highlight(*, text: str, spans: list[dict]) -> SafeString:
    """``text`` escaped, with ``<mark>`` around each span (overlapping spans merged)."""
    intervals = sorted(
        (int(s["start"]), int(s["end"])) for s in spans if 0 <= int(s["start"]) < int(s["end"]) <= len(text)
    )
    merged: list[list[int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, cursor = [], 0
    for start, end in merged:
        parts.append(escape(text[cursor:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(escape(text[cursor:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above went through escape()


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:QUOTE_CHARS]}…”" if len(text) > QUOTE_CHARS else f"“{text}”"


def summary_compose(*, scores: Scores, transcript: str, spans: dict[str, list[dict]], llm_summary: str = "") -> str:
    """An explanation of the scores that names what drove them."""
    verdict = "below" if scores.flagged else "at or above"
    head = (
        f"Quality {scores.quality_score:.0f}/100, {verdict} the review line of "
        f"{settings.MODERATION_FLAG_THRESHOLD:g}. Safety risk {scores.safety_risk_score:.2f} "
        f"(hate {scores.hate_risk:.2f}, self-harm/distress {scores.mental_health_risk:.2f}); "
        f"clickbait {scores.clickbait_risk:.2f}."
    )
    if llm_summary:
        return f"{llm_summary.strip()}\n\n{head}"
    if not transcript.strip():
        return f"{head} No speech was found in the audio, so nothing said in it raised a risk."
    drivers = driving_spans(spans=spans)
    if not drivers:
        return f"{head} No passage of the transcript scored high on any risk."
    by_task: dict[str, list[dict]] = {}
    for span in drivers:
        by_task.setdefault(span["task"], []).append(span)
    reasons = []
    for task, task_spans in sorted(by_task.items(), key=lambda item: -item[1][0]["risk"]):
        quotes = "; ".join(f"{_quote(s['text'])} ({s['risk']:.2f})" for s in task_spans)
        reasons.append(f"{TASK_NAMES.get(task, task)}: {quotes}")
    return f"{head} What drove it: " + " | ".join(reasons) + "."
