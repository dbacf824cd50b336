"""The per-video way of computing EIS windows, kept only as the benchmark's point of comparison.

This is how the original prototype worked: for each video, read its events of the window, read
what is needed to judge the accounts and devices behind them (the viewers' recent events, the
accounts seen on its devices, the creator's own devices and audience profile, the viewers'
accounts), loop over all of it in Python, then score and serialise the window. It computes the
same features as the set-based pass except the two graph-wide signals (lockstep groups and
device clusters), which a per-video program cannot see without walking the whole graph; leaving
them out makes this loop faster, so the measured speed-up is a lower bound.
"""

import itertools
import math
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import orjson

from integrity.eis.config import ScoringConfig
from integrity.eis.scoring import score_window

COLUMNS = ("user_id", "event_type", "occurred_at", "device_id", "ip_prefix_hash", "watch_time_ms", "is_hosting_network",
           "user_agent")  # fmt: skip
TYPES = ("view", "like", "comment", "share", "report", "follow")


def _account_flags(history: list, config: ScoringConfig) -> tuple[set, set]:
    """Accounts acting at inhuman speed, and accounts viewing at machine-regular intervals."""
    by_user = defaultdict(list)
    for user, kind, when in history:
        by_user[user].append((when.timestamp(), kind))
    fast, metronomic = set(), set()
    for user, rows in by_user.items():
        rows.sort()
        times = [t for t, _ in rows]
        low = 0
        for high, t in enumerate(times):
            while times[low] < t - 60:
                low += 1
            if high - low + 1 > config.max_events_per_minute:
                fast.add(user)
                break
        views = [t for t, kind in rows if kind == "view"]
        gaps = [b - a for a, b in itertools.pairwise(views)]
        if len(gaps) >= config.metronomic_min_views - 1:
            mean = sum(gaps) / len(gaps)
            variance = sum(g * g for g in gaps) / len(gaps) - mean * mean
            if mean > 0 and variance < config.metronomic_max_cv**2 * mean * mean:
                metronomic.add(user)
    return fast, metronomic


def _entropy(counts: Counter) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    return math.log(total) - sum(n * math.log(n) for n in counts.values()) / total


def window_for_video(video, start: datetime, end: datetime, config: ScoringConfig) -> tuple[int, str]:
    """One video's window, the per-video way; returns its event count and serialised result."""
    from creators.models import User
    from integrity.models import ViewerEvent

    lookback = start - timedelta(seconds=config.actor_lookback_seconds)
    bot = re.compile(config.bot_user_agent_pattern, re.IGNORECASE)
    events = list(
        ViewerEvent.objects.filter(video_id=video.id, occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at")
        .values_list(*COLUMNS)
    )
    viewers = {e[0] for e in events}
    devices = {e[3] for e in events}
    history = list(
        ViewerEvent.objects.filter(user_id__in=viewers, occurred_at__gte=lookback, occurred_at__lt=end).values_list(
            "user_id", "event_type", "occurred_at"
        )
    )
    fast, metronomic = _account_flags(history, config)
    device_accounts = defaultdict(set)
    for device, user in ViewerEvent.objects.filter(
        device_id__in=devices, occurred_at__gte=lookback, occurred_at__lt=end
    ).values_list("device_id", "user_id"):
        device_accounts[device].add(user)
    shared = {d for d, users in device_accounts.items() if len(users) >= config.shared_device_accounts}
    creator_user = video.creator.user_id
    own_devices = set(
        ViewerEvent.objects.filter(user_id=creator_user, occurred_at__gte=lookback, occurred_at__lt=end).values_list(
            "device_id", flat=True
        )
    )
    profile = Counter(
        when.hour
        for when in ViewerEvent.objects.filter(
            video__creator_id=video.creator_id, event_type="view", occurred_at__gte=lookback, occurred_at__lt=end
        ).values_list("occurred_at", flat=True)
    )
    accounts = {u: (joined, phone) for u, joined, phone in
                User.objects.filter(id__in=viewers).values_list("id", "date_joined", "phone_number")}  # fmt: skip
    hosting_share = defaultdict(lambda: [0, 0])
    for user, hosting in ((e[0], e[6]) for e in events):
        hosting_share[user][0] += int(hosting)
        hosting_share[user][1] += 1

    def trust(user: int) -> float:
        joined, phone = accounts[user]
        age = min(30.0, 30.0 * (end - joined).total_seconds() / 86_400 / 180)
        share = hosting_share[user][0] / hosting_share[user][1]
        device_points = 0.0 if device_accounts_of_user[user] & shared else 20.0
        return age + (15.0 if phone else 0.0) + device_points + 20.0 * (1 - share) + 15.0

    device_accounts_of_user = defaultdict(set)
    hourly_views = Counter()
    for user, kind, when, device, *_ in events:
        device_accounts_of_user[user].add(device)
        if kind == "view":
            hourly_views[(user, when.replace(minute=0, second=0, microsecond=0))] += 1

    n, valid, invalid = Counter(), Counter(), Counter()
    users, likers, commenters, valid_users, reporters = set(), set(), set(), set(), set()
    device_counts, prefix_counts, liker_devices, watch_counts, hours = Counter(), Counter(), set(), Counter(), Counter()
    watch_total, watch_views, completion_total, completion_views = 0, 0, 0.0, 0
    credible, low_trust, view_times = 0.0, 0, []
    judged = []
    for user, kind, when, device, prefix, watched, hosting, agent in events:
        if hosting:
            reason = "hosting_network"
        elif bot.search(agent or ""):
            reason = "bot_user_agent"
        elif user in fast:
            reason = "impossible_rate"
        elif user == creator_user or device in own_devices:
            reason = "self_engagement"
        elif device in shared:
            reason = "shared_device"
        elif user in metronomic:
            reason = "metronomic"
        elif kind == "view" and hourly_views[(user, when.replace(minute=0, second=0, microsecond=0))] > (
            config.repeat_views_per_hour
        ):
            reason = "repeat_views"
        else:
            reason = None
        judged.append((user, kind, reason))
        n[kind] += 1
        users.add(user)
        device_counts[device] += 1
        prefix_counts[prefix] += 1
        if kind == "like":
            likers.add(user)
            liker_devices.add(device)
        elif kind == "comment":
            commenters.add(user)
        elif kind == "report":
            reporters.add(user)
        if reason:
            invalid[reason] += 1
            continue
        valid[kind] += 1
        valid_users.add(user)
        if kind == "view":
            watch_total += watched or 0
            watch_views += 1
            if video.duration_ms:
                completion_total += min(1.0, (watched or 0) / video.duration_ms)
                completion_views += 1
        elif kind == "report":
            points = trust(user)
            credible += points / 100
            low_trust += points < 40
    weights = config.unit_weights
    hostile_units = sum(weights.get(kind, 0.0) for user, kind, reason in judged if reason and user in reporters)
    for _user, kind, when, _device, _prefix, watched, *_ in events:
        if kind == "view":
            view_times.append(when.timestamp())
            watch_counts[watched] += 1
            hours[when.hour] += 1
    gaps = [b - a for a, b in itertools.pairwise(view_times)]
    profile_total = sum(profile.values())
    total_views = sum(hours.values())
    row = {f"n_{t}": n[t] for t in TYPES} | {f"valid_{t}": valid[t] for t in TYPES}
    row |= {f"inv_{r}": invalid[r] for r in ("hosting_network", "bot_user_agent", "impossible_rate",
                                             "self_engagement", "shared_device", "device_cluster", "metronomic",
                                             "lockstep", "repeat_views")}  # fmt: skip
    row |= {
        "n_events": len(events),
        "avg_watch_ms": watch_total / watch_views if watch_views else None,
        "completion": completion_total / completion_views if completion_views else None,
        "credible_reports": credible,
        "low_trust_reports": low_trust,
        "hostile_invalid_units": hostile_units,
        "hostile_accounts": len({u for u, _, r in judged if r and u in reporters}),
        "viewers": len(users),
        "valid_viewers": len(valid_users),
        "likers": len(likers),
        "commenters": len(commenters),
        "devices": len(device_counts),
        "liker_devices": len(liker_devices),
        "prefixes": len(prefix_counts),
        "device_entropy": _entropy(device_counts),
        "prefix_entropy": _entropy(prefix_counts),
        "gaps": len(gaps),
        "gap_mean": sum(gaps) / len(gaps) if gaps else None,
        "gap_sq": sum(g * g for g in gaps) / len(gaps) if gaps else None,
        "top_watch_views": max(watch_counts.values()) if watch_counts else None,
        "peak_hour_share": max(hours.values()) / total_views if total_views else None,
        "profile_views": profile_total,
        "hour_deviation": (
            0.5 * sum(abs(hours[h] / total_views - profile[h] / profile_total) for h in hours)
            + 0.5 * (1 - sum(profile[h] / profile_total for h in hours))
            if total_views and profile_total
            else None
        ),
    }
    scored = score_window(row, config)
    return len(events), orjson.dumps([scored.engagement_integrity_score, scored.components, scored.features]).decode()
