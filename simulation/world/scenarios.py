"""Planted fraud, each scenario labelled with its ground truth.

A scenario is a function registered with ``@scenario(name, weight)``. It receives the world and an
event budget, adds the accounts, devices, networks and events it needs, and labels every entity it
involves (``world.label``). Events it adds carry its name, so each is labelled too. To add one
(the compliance work adds gift circles and smurfing), write a function and register it.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import DAY_MS, HOUR_MS
from .core import COMMENT, LIKE, REPORT, SHARE, VIEW, World, event_chunk
from .population import COUNTRY_CODES, PeopleFactory, add_person, random_public_ipv4

ScenarioFn = Callable[[World, PeopleFactory, int], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float  # share of the fraud budget
    build: ScenarioFn
    description: str


REGISTRY: dict[str, Scenario] = {}


def scenario(name: str, *, weight: float) -> Callable[[ScenarioFn], ScenarioFn]:
    def register(fn: ScenarioFn) -> ScenarioFn:
        REGISTRY[name] = Scenario(name, weight, fn, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return register


# --- helpers ----------------------------------------------------------------------------------
def new_accounts(
    world: World,
    people: PeopleFactory,
    n: int,
    *,
    kind: str,
    max_age_days: float,
    min_age_days: float = 0.0,
    with_phone: bool = False,
) -> list[int]:
    rng, end = world.rng, world.config.end_ms
    countries = rng.choice(len(COUNTRY_CODES), size=n)
    return [
        add_person(
            world,
            people,
            country=COUNTRY_CODES[c],
            kind=kind,
            with_phone=with_phone,
            joined_ms=end - int(rng.uniform(min_age_days, max_age_days) * DAY_MS) - HOUR_MS,
        )
        for c in countries.tolist()
    ]


def hosting_ips(world: World, n: int, prefixes: list[str], country: str = "US") -> list[int]:
    """Addresses inside data-centre /24s of the bundled hosting list."""
    return [world.add_ip(f"{prefixes[i % len(prefixes)]}.{10 + i // len(prefixes)}", country) for i in range(n)]


def claim_creators(world: World, n: int, *, popular: bool) -> list[int]:
    """Creators not yet used by another scenario; never the demo creator (index 0)."""
    free = [c for c in range(1, len(world.creators)) if c not in world.claimed_creators]
    free.sort(key=lambda c: world.creators.popularity[c], reverse=popular)
    middle = free[len(free) // 4 :] if popular else free
    chosen = middle[:n] if len(middle) >= n else free[:n]
    if len(chosen) < n:
        raise ValueError(
            f"not enough creators left for the fraud scenarios: raise --creators above {len(world.creators)}"
        )
    world.claimed_creators.update(chosen)
    return chosen


def window_time(world: World, *, after_ms: int, margin_ms: int = 6 * HOUR_MS) -> int:
    low = max(after_ms, world.config.start_ms) + HOUR_MS
    high = max(low + 1, world.config.end_ms - margin_ms)
    return int(world.rng.integers(low, high))


def label_users(world: World, name: str, users: list[int], role: str = "actor") -> None:
    world.label(name, "user", [world.users.email[u] for u in users], role)


def touched_videos(world: World, name: str) -> list[int]:
    """The videos this scenario's events actually reached (a creator's other videos stay organic)."""
    return sorted({v for chunk in world.events if chunk.scenario == name for v in chunk.video.tolist()})


def label_videos(world: World, name: str, videos: list[int], role: str) -> None:
    world.label(name, "video", [world.videos.public_id[v] for v in videos], role)
    creators = sorted({world.videos.creator[v] for v in videos})
    world.label(name, "creator", [world.creators.handle[c] for c in creators], role)


# --- scenarios --------------------------------------------------------------------------------
@scenario("bot_farm", weight=0.35)
def bot_farm(world: World, people: PeopleFactory, budget: int) -> None:
    """Hundreds of new accounts on a few devices and data-centre IPs, viewing on a metronome."""
    rng, name = world.rng, "bot_farm"
    accounts = new_accounts(world, people, int(np.clip(budget // 12, 100, 800)), kind=name, max_age_days=4)
    devices = [world.add_device("ValueTok/38.2.0 (Linux; Android 11; sdk_gphone_x86) okhttp/4.12.0") for _ in range(6)]
    ips = hosting_ips(world, 12, ["159.65.21", "88.99.140"])
    customer = claim_creators(world, 2, popular=False)
    targets = [v for c in customer for v in world.videos_of(c)][:3]
    n_views = max(1, int(budget / 1.5))
    # One view every `period` ms, give or take 40 ms: the metronome of a scheduler, not people.
    period = int(np.clip(24 * HOUR_MS // n_views, 2_000, 60_000))
    earliest = max(max(world.videos.created_ms[v] for v in targets), world.config.start_ms) + HOUR_MS
    latest = world.config.end_ms - HOUR_MS - n_views * period
    if latest <= earliest:  # a big budget: as many ticks as fit between upload and the window's end
        n_views = max(1, (world.config.end_ms - HOUR_MS - earliest) // period)
        latest = earliest + 1
    start = int(rng.integers(earliest, latest))
    k = np.arange(n_views)
    ts = start + k * period + rng.integers(-40, 40, size=n_views)
    view = event_chunk(
        video=np.asarray(targets)[k % len(targets)],
        user=np.asarray(accounts)[k % len(accounts)],
        event_type=VIEW,
        ts_ms=ts,
        device=np.asarray(devices)[k % len(devices)],
        session=world.new_sessions(n_views),
        ip=np.asarray(ips)[k % len(ips)],
        watch_ms=15_000,
        scenario=name,
    )
    world.add_events(view)
    liked = k[k % 2 == 0]
    world.add_events(
        event_chunk(
            video=view.video[liked],
            user=view.user[liked],
            event_type=LIKE,
            ts_ms=view.ts_ms[liked] + 1_500,
            device=view.device[liked],
            session=view.session[liked],
            ip=view.ip[liked],
            scenario=name,
        )
    )
    label_users(world, name, accounts)
    label_videos(world, name, targets, "beneficiary")
    world.label(name, "device", [world.device_ids[d] for d in devices], "actor")
    world.label(name, "network", [world.ips[i] for i in ips], "actor")


@scenario("like_ring", weight=0.2)
def like_ring(world: World, people: PeopleFactory, budget: int) -> None:
    """A group of established accounts that view and like the same videos within seconds."""
    rng, name = world.rng, "like_ring"
    members = new_accounts(
        world, people, int(np.clip(budget // 60, 12, 40)), kind=name, min_age_days=90, max_age_days=700, with_phone=True
    )
    devices = [world.add_device("ValueTok/38.2.0 (Linux; Android 13; Pixel 7) okhttp/4.12.0") for _ in members]
    homes = [world.add_ip(random_public_ipv4(world.draws), world.users.country[m]) for m in members]
    beneficiaries = claim_creators(world, 3, popular=False)
    targets = [v for c in beneficiaries for v in world.videos_of(c)]
    rounds = max(1, budget // (2 * len(members)))
    m = len(members)
    for r in range(rounds):
        video = targets[r % len(targets)]
        start = window_time(world, after_ms=world.videos.created_ms[video])
        view_ts = start + rng.integers(0, 20_000, size=m)
        session = world.new_sessions(m)
        common = {"video": video, "user": members, "device": devices, "session": session, "ip": homes, "scenario": name}
        world.add_events(
            event_chunk(event_type=VIEW, ts_ms=view_ts, watch_ms=rng.integers(4_000, 9_000, size=m), **common)
        )
        world.add_events(event_chunk(event_type=LIKE, ts_ms=view_ts + rng.integers(3_000, 8_000, size=m), **common))
    label_users(world, name, members)
    label_videos(world, name, touched_videos(world, name), "beneficiary")


@scenario("report_brigade", weight=0.06)
def report_brigade(world: World, people: PeopleFactory, budget: int) -> None:
    """New, low-trust accounts mass-reporting one creator's videos within two hours."""
    rng, name = world.rng, "report_brigade"
    accounts = new_accounts(world, people, int(np.clip(budget // 4, 40, 250)), kind=name, max_age_days=10)
    devices = [
        world.add_device(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36"
        )
        for _ in range(8)
    ]
    ips = hosting_ips(world, 4, ["37.120.200"], country="NL") + [
        world.add_ip(f"{random_public_ipv4(world.draws).rsplit('.', 1)[0]}.{h}", "US") for h in (7, 8)
    ]
    (victim,) = claim_creators(world, 1, popular=True)
    targets = world.videos_of(victim)
    start = window_time(world, after_ms=max(world.videos.created_ms[v] for v in targets))
    for a, account in enumerate(accounts):
        chosen = rng.choice(targets, size=min(len(targets), int(rng.integers(1, 4))), replace=False)
        for video in chosen.tolist():
            ts = start + int(rng.integers(0, 2 * HOUR_MS))
            session = world.new_sessions(1)
            common = {
                "video": video,
                "user": account,
                "device": devices[a % len(devices)],
                "session": session,
                "ip": ips[a % len(ips)],
                "scenario": name,
            }
            world.add_events(event_chunk(event_type=VIEW, ts_ms=ts, watch_ms=int(rng.integers(1_000, 4_000)), **common))
            world.add_events(event_chunk(event_type=REPORT, ts_ms=ts + int(rng.integers(2_000, 9_000)), **common))
    label_users(world, name, accounts)
    label_videos(world, name, touched_videos(world, name), "target")


@scenario("self_engagement", weight=0.1)
def self_engagement(world: World, people: PeopleFactory, budget: int) -> None:
    """Creators engaging with their own videos from their own and alternate accounts and devices."""
    rng, name = world.rng, "self_engagement"
    creators = claim_creators(world, 3, popular=False)
    per_creator = max(1, budget // len(creators))
    boosted: list[int] = []
    actors: list[int] = []
    for creator in creators:
        owner = world.creators.user[creator]
        alts = new_accounts(world, people, 2, kind=name, max_age_days=60)
        accounts = [owner, *alts]
        devices = world.user_devices[owner]
        home = world.user_home_ip[owner]
        videos = world.videos_of(creator)
        boosted += videos
        actors += accounts
        n = max(1, per_creator // 2)
        who = rng.integers(0, len(accounts), size=n)
        video = np.asarray(videos)[rng.integers(0, len(videos), size=n)]
        created = np.asarray(world.videos.created_ms, dtype=np.int64)[video]
        low = np.maximum(created, world.config.start_ms)
        ts = low + (rng.random(n) * (world.config.end_ms - HOUR_MS - low)).astype(np.int64)
        session = world.new_sessions(n)
        device = np.asarray(devices)[rng.integers(0, len(devices), size=n)]
        user = np.asarray(accounts)[who]
        duration = np.asarray(world.videos.duration_ms, dtype=np.int64)[video]
        world.add_events(
            event_chunk(
                video=video,
                user=user,
                event_type=VIEW,
                ts_ms=ts,
                device=device,
                session=session,
                ip=home,
                watch_ms=duration,
                scenario=name,
            )
        )
        follow_up = rng.choice([LIKE, COMMENT, SHARE], size=n, p=[0.6, 0.25, 0.15])
        world.add_events(
            event_chunk(
                video=video,
                user=user,
                event_type=follow_up,
                ts_ms=ts + duration + rng.integers(1_000, 10_000, size=n),
                device=device,
                session=session,
                ip=home,
                scenario=name,
            )
        )
    label_users(world, name, actors)
    label_videos(world, name, touched_videos(world, name), "beneficiary")


@scenario("view_spike", weight=0.29)
def view_spike(world: World, people: PeopleFactory, budget: int) -> None:
    """A burst of short views on one video inside an hour, through residential proxy addresses."""
    rng, name = world.rng, "view_spike"
    accounts = new_accounts(world, people, int(np.clip(budget // 15, 60, 400)), kind=name, max_age_days=30)
    devices = [
        world.add_device("ValueTok/38.1.0 (Linux; Android 10; generic) okhttp/4.9.0")
        for _ in range(max(10, len(accounts) // 2))
    ]
    prefixes = [random_public_ipv4(world.draws).rsplit(".", 1)[0] for _ in range(5)]
    ips = [world.add_ip(f"{prefixes[i % 5]}.{2 + i // 5}", "US") for i in range(200)]
    (creator,) = claim_creators(world, 1, popular=False)
    video = world.videos_of(creator)[0]
    start = window_time(world, after_ms=world.videos.created_ms[video])
    n = max(1, budget)
    world.add_events(
        event_chunk(
            video=video,
            user=np.asarray(accounts)[rng.integers(0, len(accounts), size=n)],
            event_type=VIEW,
            ts_ms=start + rng.integers(0, HOUR_MS, size=n),
            device=np.asarray(devices)[rng.integers(0, len(devices), size=n)],
            session=world.new_sessions(n),
            ip=np.asarray(ips)[rng.integers(0, len(ips), size=n)],
            watch_ms=rng.integers(800, 3_000, size=n),
            scenario=name,
        )
    )
    label_users(world, name, accounts)
    label_videos(world, name, [video], "beneficiary")


def run_scenarios(world: World, people: PeopleFactory, names: tuple[str, ...], budget: int) -> None:
    chosen = [REGISTRY[n] for n in (names or tuple(REGISTRY))]
    total_weight = sum(s.weight for s in chosen)
    for item in chosen:
        item.build(world, people, int(budget * item.weight / total_weight))
