"""Organic engagement: power-law popularity, daily cycles, sessions of a view and its follow-ups."""

import numpy as np

from .config import DAY_MS, HOUR_MS
from .core import COMMENT, FOLLOW, LIKE, REPORT, SHARE, VIEW, World, event_chunk
from .population import LOCAL_HOUR_WEIGHTS, UTC_OFFSET_HOURS

# Probability that a view is followed, in the same session, by each kind of engagement.
FOLLOW_UP_RATES = {LIKE: 0.085, COMMENT: 0.014, SHARE: 0.009, FOLLOW: 0.005, REPORT: 0.0012}
MOBILE_SHARE = 0.35  # sessions on the mobile carrier's shared addresses rather than at home


def organic_viewers(world: World) -> np.ndarray:
    return np.array([u for u, kind in enumerate(world.users.kind) if kind == "viewer"], dtype=np.int64)


def session_times(world: World, videos: np.ndarray, viewer_offsets_h: np.ndarray) -> np.ndarray:
    """Session start: most views come in a video's first days, at the viewer's local evening."""
    rng, config = world.rng, world.config
    created = np.asarray(world.videos.created_ms, dtype=np.int64)[videos]
    result = np.zeros(len(videos), dtype=np.int64)
    pending = np.arange(len(videos))
    for _ in range(8):
        if not len(pending):
            break
        age = rng.exponential(2.5 * DAY_MS, size=len(pending)).astype(np.int64)
        raw = np.maximum(created[pending], config.start_ms) + age
        offset_ms = (viewer_offsets_h[pending] * HOUR_MS).astype(np.int64)
        local_day_start = (raw + offset_ms) // DAY_MS * DAY_MS - offset_ms
        hour = rng.choice(24, size=len(pending), p=LOCAL_HOUR_WEIGHTS)
        ts = local_day_start + hour * HOUR_MS + rng.integers(0, HOUR_MS, size=len(pending))
        ts = np.where(ts < created[pending], ts + DAY_MS, ts)
        ok = (ts >= created[pending]) & (ts >= config.start_ms) & (ts < config.end_ms)
        result[pending[ok]] = ts[ok]
        pending = pending[~ok]
    if len(pending):  # late uploads near the end of the window: any time they were online
        low = np.maximum(created[pending], config.start_ms)
        result[pending] = low + (rng.random(len(pending)) * (config.end_ms - low)).astype(np.int64)
    return result


def build_organic_events(world: World, target: int) -> None:
    """Exactly ``target`` organic events, session by session."""
    if target <= 0:
        return
    rng = world.rng
    viewers = organic_viewers(world)
    activity = rng.lognormal(0, 1.1, size=len(viewers))
    activity /= activity.sum()
    popularity = np.asarray(world.videos.popularity)
    published = np.array([s == "published" for s in world.videos.status])
    popularity = np.where(published, popularity, 0.0)
    popularity /= popularity.sum()

    per_session = 1 + sum(FOLLOW_UP_RATES.values())
    n_sessions = int(target / per_session * 1.04) + 16
    video = rng.choice(len(popularity), size=n_sessions, p=popularity)
    user = viewers[rng.choice(len(viewers), size=n_sessions, p=activity)]
    user_offset = np.array([UTC_OFFSET_HOURS[c] for c in world.users.country], dtype=np.float64)
    offsets = user_offset[user]
    start = session_times(world, video, offsets)

    # Device and network of each session, looked up column-wise per viewer.
    n_users = len(world.users)
    device_count = np.zeros(n_users, dtype=np.int64)
    device_first = np.zeros(n_users, dtype=np.int64)
    flat_devices: list[int] = []
    home = np.zeros(n_users, dtype=np.int64)
    pool_first = np.zeros(n_users, dtype=np.int64)
    pool_size = np.ones(n_users, dtype=np.int64)
    for u in viewers.tolist():
        device_first[u], device_count[u] = len(flat_devices), len(world.user_devices[u])
        flat_devices += world.user_devices[u]
        home[u] = world.user_home_ip[u]
        pool_first[u], pool_size[u] = world.user_carrier_pool[u]
    pick = (rng.random(n_sessions) * device_count[user]).astype(np.int64)
    device = np.asarray(flat_devices, dtype=np.int64)[device_first[user] + pick]
    on_mobile = rng.random(n_sessions) < MOBILE_SHARE
    carrier_ip = pool_first[user] + (rng.random(n_sessions) * pool_size[user]).astype(np.int64)
    ip = np.where(on_mobile, carrier_ip, home[user])

    duration = np.asarray(world.videos.duration_ms, dtype=np.int64)[video]
    fraction = rng.beta(2.0, 1.6, size=n_sessions)
    rewatch = rng.random(n_sessions) < 0.08
    fraction = np.where(rewatch, 1.0 + rng.random(n_sessions), fraction)
    watch = np.maximum((duration * fraction).astype(np.int64), 400)
    session = world.new_sessions(n_sessions)

    # Views, then each follow-up type for the sessions that have one; ordered session by session.
    columns = {k: [] for k in ("idx", "type", "ts", "watch")}
    columns["idx"].append(np.arange(n_sessions))
    columns["type"].append(np.full(n_sessions, VIEW))
    columns["ts"].append(start)
    columns["watch"].append(watch)
    video_appeal = rng.lognormal(0, 0.35, size=len(popularity))
    for kind, rate in FOLLOW_UP_RATES.items():
        chance = rate * (video_appeal[video] if kind in (LIKE, SHARE, COMMENT) else 1.0)
        has = np.flatnonzero(rng.random(n_sessions) < chance)
        columns["idx"].append(has)
        columns["type"].append(np.full(len(has), kind))
        columns["ts"].append(start[has] + np.minimum(watch[has], 90_000) + rng.integers(500, 25_000, size=len(has)))
        columns["watch"].append(np.full(len(has), -1))
    idx = np.concatenate(columns["idx"])
    kind = np.concatenate(columns["type"])
    order = np.lexsort((kind, idx))[:target]
    idx, kind = idx[order], kind[order]
    ts = np.concatenate(columns["ts"])[order]
    ts = np.minimum(ts, world.config.end_ms - 1)

    world.add_events(
        event_chunk(
            video=video[idx],
            user=user[idx],
            event_type=kind,
            ts_ms=ts,
            device=device[idx],
            session=session[idx],
            ip=ip[idx],
            watch_ms=np.concatenate(columns["watch"])[order],
        )
    )
    follows = np.flatnonzero(kind == FOLLOW)
    creators = np.asarray(world.videos.creator)[video[idx[follows]]]
    for u, c, t in zip(user[idx[follows]].tolist(), creators.tolist(), ts[follows].tolist(), strict=True):
        world.follows.setdefault((u, c), t)


def build_background_follows(world: World) -> None:
    """Follows from before the window: each viewer follows a few creators, the popular more often."""
    rng, config = world.rng, world.config
    viewers = organic_viewers(world)
    weights = np.asarray(world.creators.popularity)
    weights = weights / weights.sum()
    counts = np.minimum(rng.geometric(0.3, size=len(viewers)), len(weights))
    # Drawn with replacement in one go; a repeated pair is one follow, as in life.
    creators = rng.choice(len(weights), size=int(counts.sum()), p=weights).tolist()
    followers = np.repeat(viewers, counts).tolist()
    chance = rng.random(len(creators)).tolist()
    for viewer, creator, r in zip(followers, creators, chance, strict=True):
        joined = world.users.joined_ms[viewer]
        created = joined + int(r * max(config.start_ms - joined, DAY_MS))
        world.follows.setdefault((viewer, creator), max(min(created, config.start_ms), joined))
