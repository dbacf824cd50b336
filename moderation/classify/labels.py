"""The classifier tasks, their labels, and how a task's probabilities become one risk in [0, 1].

Risk formulas (what ``risk_of`` computes):

- ``hate``: P(hate) + 0.5 * P(offensive)
- ``mental_health``: P(self_harm) + 0.5 * P(distress)
- ``clickbait``: P(clickbait)

Each is a convex mix of probabilities that sum to one, so it lies in [0, 1]: 1 means the worst
label with certainty, 0 the negative label with certainty.
"""

TASKS: tuple[str, ...] = ("hate", "mental_health", "clickbait")

LABELS: dict[str, tuple[str, ...]] = {
    "hate": ("hate", "offensive", "neither"),
    "mental_health": ("self_harm", "distress", "none"),
    "clickbait": ("clickbait", "not_clickbait"),
}

# The label that means "nothing to see": what an empty text gets with probability 1.
NEGATIVE_LABEL: dict[str, str] = {"hate": "neither", "mental_health": "none", "clickbait": "not_clickbait"}

# Weight of each label in the task's risk; labels not named weigh 0.
RISK_WEIGHTS: dict[str, dict[str, float]] = {
    "hate": {"hate": 1.0, "offensive": 0.5},
    "mental_health": {"self_harm": 1.0, "distress": 0.5},
    "clickbait": {"clickbait": 1.0},
}

# How the chunks of a long text are combined: the worst chunk for harms, the mean for clickbait
# (a headline-style hook in one sentence does not make a whole transcript clickbait).
COMBINE: dict[str, str] = {"hate": "max_risk", "mental_health": "max_risk", "clickbait": "mean"}


def check_task(task: str) -> str:
    if task not in LABELS:
        raise ValueError(f"unknown classifier task {task!r}; expected one of {', '.join(TASKS)}")
    return task


def risk_of(task: str, probabilities: dict[str, float]) -> float:
    """The task's risk in [0, 1] from its label probabilities (see the module docstring)."""
    weights = RISK_WEIGHTS[check_task(task)]
    risk = sum(weight * float(probabilities.get(label, 0.0)) for label, weight in weights.items())
    return min(1.0, max(0.0, risk))
