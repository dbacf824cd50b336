"""From measured signals to component scores, bands and reasons a creator can read."""

import math
from dataclasses import dataclass

from .config import ScoringConfig
from .measure import REASONS

REASON_PHRASES = {
    "hosting_network": "from data-centre or VPN networks",
    "bot_user_agent": "from automation clients",
    "impossible_rate": "at inhuman speed",
    "self_engagement": "by the creator or from the creator's own devices",
    "shared_device": "from devices shared by many accounts",
    "device_cluster": "from a cluster of accounts hopping between a few devices",
    "metronomic": "from accounts acting at machine-regular intervals",
    "lockstep": "from accounts engaging in lockstep with a group",
    "repeat_views": "as repeat views by the same accounts within an hour",
}
TYPE_WORDS = {"view": "views", "like": "likes", "comment": "comments", "share": "shares", "report": "reports",
              "follow": "follows"}  # fmt: skip


@dataclass(frozen=True)
class WindowScore:
    engagement_integrity_score: float | None
    band: str
    components: dict[str, dict]
    features: dict[str, float | int | None]


def _component(config: ScoringConfig, score: float | None, reason: str) -> dict:
    rounded = None if score is None else round(min(100.0, max(0.0, score)), 1)
    return {"score": rounded, "band": config.band(rounded), "reason": reason}


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n != 1 else word.rstrip('s')}"


def score_window(row: dict, config: ScoringConfig) -> WindowScore:
    """Score one video-window from its features row (a dict of the measuring pass's columns)."""
    n = {t: int(row[f"n_{t}"] or 0) for t in TYPE_WORDS}
    valid = {t: int(row[f"valid_{t}"] or 0) for t in TYPE_WORDS}
    invalid = {r: int(row[f"inv_{r}"] or 0) for r in REASONS}
    features = _features(row, n, valid, invalid)
    components = {
        "authentic_engagement": _authentic(config, row, n, valid, invalid),
        "like_integrity": _likes(config, row, n, valid),
        "comment_quality": _comments(config, row, n, valid),
        "report_cleanliness": _reports(config, row, n, valid),
        "audience_diversity": _diversity(config, row, n),
        "timing": _timing(config, row, n),
    }
    if components["authentic_engagement"]["score"] is None:
        return WindowScore(None, "insufficient", components, features)
    weights = config.component_weights
    scored = [(weights[name], c["score"]) for name, c in components.items() if c["score"] is not None]
    eis = round(sum(w * s for w, s in scored) / sum(w for w, _ in scored), 1)
    return WindowScore(eis, config.band(eis), components, features)


def _features(row: dict, n: dict, valid: dict, invalid: dict) -> dict:
    keep = ("viewers", "valid_viewers", "devices", "prefixes", "likers", "liker_devices", "commenters",
            "gaps", "top_watch_views", "profile_views")  # fmt: skip
    floats = ("avg_watch_ms", "completion", "credible_reports", "device_entropy", "prefix_entropy", "gap_mean",
              "gap_sq", "peak_hour_share", "hour_deviation")  # fmt: skip
    out: dict = {f"n_{t}": v for t, v in n.items()}
    out |= {f"valid_{t}": v for t, v in valid.items()}
    out |= {f"invalid_{r}": v for r, v in invalid.items() if v}
    out |= {k: int(row[k]) if row.get(k) is not None else None for k in keep}
    out |= {k: round(float(row[k]), 4) if row.get(k) is not None else None for k in floats}
    out["low_trust_reports"] = int(row.get("low_trust_reports") or 0)
    out["hostile_invalid_units"] = float(row.get("hostile_invalid_units") or 0.0)
    return out


def _authentic(config: ScoringConfig, row: dict, n: dict, valid: dict, invalid: dict) -> dict:
    if n["view"] < config.min_views:
        return _component(config, None, f"only {_plural(n['view'], 'views')} in this window: not enough to judge")
    w = config.unit_weights
    hostile = float(row.get("hostile_invalid_units") or 0.0)
    total = sum(w[t] * n[t] for t in w) - hostile
    counted = sum(w[t] * valid[t] for t in w)
    share = min(1.0, counted / total) if total > 0 else 1.0
    removed = sorted(((count, r) for r, count in invalid.items() if count), reverse=True)
    if not removed:
        reason = f"all {_plural(sum(n.values()), 'engagements')} counted as authentic"
    else:
        parts = ", ".join(f"{count} {REASON_PHRASES[r]}" for count, r in removed[:3])
        reason = f"{share:.0%} of engagement counted as authentic; set aside: {parts}"
    if hostile:
        accounts = int(row.get("hostile_accounts") or 0)
        reason += (f"; invalid traffic from {_plural(accounts, 'accounts')} that reported the video is an attack on "
                   "it, not held against it")  # fmt: skip
    return _component(config, 100 * share, reason)


def _likes(config: ScoringConfig, row: dict, n: dict, valid: dict) -> dict:
    if n["like"] < config.min_likes:
        return _component(config, None, f"{_plural(n['like'], 'likes')}: not enough to judge")
    score = 100.0 * valid["like"] / n["like"]
    rate = valid["like"] / max(valid["view"], 1)
    reason = (
        f"likes came from {_plural(int(row['likers'] or 0), 'accounts')} on "
        f"{_plural(int(row['liker_devices'] or 0), 'devices')}; {valid['like']} of {n['like']} counted"
    )
    if rate > config.max_like_rate:
        score *= config.max_like_rate / rate
        reason += f"; {rate:.0%} of valid views liked, more than people do"
    return _component(config, score, reason)


def _comments(config: ScoringConfig, row: dict, n: dict, valid: dict) -> dict:
    if n["comment"] < config.min_comments:
        return _component(config, None, f"{_plural(n['comment'], 'comments')}: not enough to judge")
    commenters = int(row["commenters"] or 0)
    spread = min(1.0, commenters / n["comment"] / 0.5)
    score = 100.0 * valid["comment"] / n["comment"] * spread
    reason = f"{_plural(n['comment'], 'comments')} from {_plural(commenters, 'accounts')}, {valid['comment']} counted"
    return _component(config, score, reason)


def _reports(config: ScoringConfig, row: dict, n: dict, valid: dict) -> dict:
    if n["view"] < config.min_views:
        return _component(config, None, "not enough views to weigh reports against")
    if n["report"] == 0:
        return _component(config, 100.0, "no reports")
    credible = float(row["credible_reports"] or 0.0)
    # At least REPORT_PRIOR_VIEWS views in the denominator: one report on a tiny window is not a verdict.
    rate = credible / max(valid["view"], config.report_prior_views)
    score = 100.0 * max(0.0, 1.0 - rate / config.credible_report_rate_floor)
    low_trust = int(row.get("low_trust_reports") or 0)
    ignored = n["report"] - valid["report"]
    reason = f"{_plural(n['report'], 'reports')} weigh as {credible:.1f} credible"
    if ignored:
        reason += f" ({ignored} set aside as invalid traffic)"
    if low_trust:
        reason += f"; {low_trust} from low-trust accounts count little"
    return _component(config, score, reason)


def _diversity(config: ScoringConfig, row: dict, n: dict) -> dict:
    events = sum(n.values())
    if n["view"] < config.min_views or events < 2:
        return _component(config, None, "not enough engagement to judge diversity")
    most = math.log(events)
    device_norm = float(row["device_entropy"] or 0.0) / most
    prefix_norm = float(row["prefix_entropy"] or 0.0) / most
    score = 100.0 * min(1.0, (0.5 * device_norm + 0.5 * prefix_norm) / 0.75)
    reason = (
        f"engagement from {_plural(int(row['viewers'] or 0), 'accounts')} on "
        f"{_plural(int(row['devices'] or 0), 'devices')} across {_plural(int(row['prefixes'] or 0), 'networks')}"
    )
    return _component(config, score, reason)


def _timing(config: ScoringConfig, row: dict, n: dict) -> dict:
    if n["view"] < config.min_timing_views or not row.get("gaps"):
        return _component(config, None, "too few views to judge their timing")
    mean = float(row["gap_mean"] or 0.0)
    variance = max(0.0, float(row["gap_sq"] or 0.0) - mean * mean)
    cv = math.sqrt(variance) / mean if mean > 0 else 0.0
    low, high = config.natural_cv_range
    factor, notes = 1.0, []
    if cv < low:
        factor *= cv / low
        notes.append(f"views arrive at machine-regular intervals (variation {cv:.2f})")
    elif cv > high:
        factor *= high / cv
        notes.append(f"views arrive in bursts (variation {cv:.1f})")
    same_watch = int(row["top_watch_views"] or 0) / n["view"]
    if same_watch > 0.3 and n["view"] >= 10:
        factor *= 1.0 - (same_watch - 0.3) / 0.7
        notes.append(f"{same_watch:.0%} of views have the exact same watch time")
    peak = row.get("peak_hour_share")
    if peak is not None and n["view"] >= 24 and float(peak) > 0.5:
        factor *= 1.0 - (float(peak) - 0.5)
        notes.append(f"{float(peak):.0%} of the views came within one hour")
    deviation = row.get("hour_deviation")
    if deviation is not None and n["view"] >= 20 and int(row.get("profile_views") or 0) >= 50 and deviation > 0.7:
        factor *= 1.0 - 0.5 * (float(deviation) - 0.7)
        notes.append("views came at hours unlike this creator's usual audience")
    return _component(config, 100.0 * factor, "; ".join(notes) or "views arrive at natural intervals")
