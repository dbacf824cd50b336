"""The world container: columnar tables that the builders append to and the writer persists."""

from dataclasses import dataclass, field

import numpy as np

from .config import WorldConfig

EVENT_TYPES = ("view", "like", "comment", "share", "report", "follow")
VIEW, LIKE, COMMENT, SHARE, REPORT, FOLLOW = range(len(EVENT_TYPES))
NO_WATCH = -1  # watch_time_ms is NULL for everything but views


class Draws:
    """Scalar random numbers drawn from the world's PRNG in large batches.

    A numpy call per scalar costs microseconds of overhead; the builders need hundreds of thousands
    of scalars, so they take them from pre-drawn batches instead. Still fully deterministic.
    """

    BATCH = 1 << 16

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._floats: list[float] = []

    def random(self) -> float:
        if not self._floats:
            self._floats = self.rng.random(self.BATCH).tolist()
            self._floats.reverse()
        return self._floats.pop()

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def pick(self, items):
        return items[self.below(len(items))]

    def hex64(self) -> str:
        return f"{self.below(1 << 32):08x}{self.below(1 << 32):08x}"


@dataclass
class UserTable:
    public_id: list[str] = field(default_factory=list)
    email: list[str] = field(default_factory=list)
    first_name: list[str] = field(default_factory=list)
    last_name: list[str] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    joined_ms: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)  # viewer, creator, or the scenario that made it

    def __len__(self) -> int:
        return len(self.email)


@dataclass
class CreatorTable:
    user: list[int] = field(default_factory=list)
    handle: list[str] = field(default_factory=list)
    display_name: list[str] = field(default_factory=list)
    bio: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    created_ms: list[int] = field(default_factory=list)
    niche: list[str] = field(default_factory=list)
    popularity: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.handle)


@dataclass
class VideoTable:
    public_id: list[str] = field(default_factory=list)
    creator: list[int] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    hashtags: list[tuple[str, ...]] = field(default_factory=list)
    source_url: list[str] = field(default_factory=list)
    duration_ms: list[int] = field(default_factory=list)
    width: list[int] = field(default_factory=list)
    height: list[int] = field(default_factory=list)
    codec: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    created_ms: list[int] = field(default_factory=list)
    popularity: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.public_id)


@dataclass
class EventChunk:
    """Columnar events; every array has one entry per event."""

    video: np.ndarray
    user: np.ndarray
    event_type: np.ndarray
    ts_ms: np.ndarray
    device: np.ndarray
    session: np.ndarray  # int64 session numbers, written as 16 hex digits
    watch_ms: np.ndarray  # NO_WATCH where not a view
    ip: np.ndarray
    scenario: str | None = None
    # Filled by World.finalise on the one merged chunk:
    uuid_bytes: np.ndarray | None = None  # (n, 16) uint8
    scenario_code: np.ndarray | None = None  # index into World.scenario_names, -1 for organic

    def __len__(self) -> int:
        return len(self.video)


@dataclass
class Label:
    scenario: str
    entity_type: str
    entity_key: str
    role: str


@dataclass
class World:
    config: WorldConfig
    rng: np.random.Generator
    users: UserTable = field(default_factory=UserTable)
    creators: CreatorTable = field(default_factory=CreatorTable)
    videos: VideoTable = field(default_factory=VideoTable)
    device_ids: list[str] = field(default_factory=list)
    device_user_agents: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    ip_countries: list[str] = field(default_factory=list)
    events: list[EventChunk] = field(default_factory=list)
    follows: dict[tuple[int, int], int] = field(default_factory=dict)  # (user, creator) -> created_ms
    labels: list[Label] = field(default_factory=list)
    # Per organic user: their devices and networks (filled by the population builder).
    user_devices: dict[int, list[int]] = field(default_factory=dict)
    user_home_ip: dict[int, int] = field(default_factory=dict)
    user_carrier_pool: dict[int, tuple[int, int]] = field(default_factory=dict)  # (first ip, count)
    creator_of_user: dict[int, int] = field(default_factory=dict)
    # Creators already used by a fraud scenario, so scenarios do not overlap.
    claimed_creators: set[int] = field(default_factory=set)
    scenario_names: list[str] = field(default_factory=list)
    draws: Draws = field(init=False)

    def __post_init__(self) -> None:
        self.draws = Draws(self.rng)

    # --- building blocks the builders share -------------------------------------------------
    def add_device(self, user_agent: str) -> int:
        self.device_ids.append(self.draws.hex64())
        self.device_user_agents.append(user_agent)
        return len(self.device_ids) - 1

    def add_ip(self, address: str, country: str) -> int:
        self.ips.append(address)
        self.ip_countries.append(country)
        return len(self.ips) - 1

    def add_events(self, chunk: EventChunk) -> EventChunk:
        if len(chunk):
            self.events.append(chunk)
        return chunk

    def label(self, scenario: str, entity_type: str, keys, role: str) -> None:
        self.labels.extend(Label(scenario, entity_type, key, role) for key in keys)

    def new_sessions(self, n: int) -> np.ndarray:
        return self.rng.integers(1, 2**63 - 1, size=n, dtype=np.int64)

    @property
    def event_count(self) -> int:
        return sum(len(chunk) for chunk in self.events)

    def videos_of(self, creator: int) -> list[int]:
        return [i for i, owner in enumerate(self.videos.creator) if owner == creator]

    def finalise(self) -> None:
        """Merge all events into one chunk in time order and give each its UUID.

        UUIDs follow the version 7 layout (RFC 9562): 48 bits of Unix milliseconds, then random
        bits. Time-ordered keys keep the unique index append-mostly, which bulk loads reward.
        """
        self.scenario_names = sorted({c.scenario for c in self.events if c.scenario is not None})
        code = {name: i for i, name in enumerate(self.scenario_names)}
        merged = EventChunk(
            **{
                name: np.concatenate([getattr(c, name) for c in self.events])
                for name in ("video", "user", "event_type", "ts_ms", "device", "session", "watch_ms", "ip")
            },
            scenario_code=np.concatenate(
                [np.full(len(c), code.get(c.scenario, -1), dtype=np.int16) for c in self.events]
            ),
        )
        outside = (merged.ts_ms < self.config.start_ms) | (merged.ts_ms >= self.config.end_ms)
        if outside.any():  # a builder bug, never data to keep
            raise RuntimeError(f"{int(outside.sum())} generated events fall outside the window")
        order = np.argsort(merged.ts_ms, kind="stable")
        for name in ("video", "user", "event_type", "ts_ms", "device", "session", "watch_ms", "ip", "scenario_code"):
            setattr(merged, name, getattr(merged, name)[order])
        raw = self.rng.integers(0, 256, size=(len(merged), 16), dtype=np.uint8)
        millis = merged.ts_ms.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 2:]
        raw[:, :6] = millis
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x70
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        merged.uuid_bytes = raw
        self.events = [merged]

    @property
    def merged_events(self) -> EventChunk:
        if len(self.events) != 1 or self.events[0].uuid_bytes is None:
            raise RuntimeError("World.finalise() has not run")
        return self.events[0]


def event_chunk(
    *,
    video,
    user,
    event_type,
    ts_ms,
    device,
    session,
    ip,
    watch_ms=None,
    scenario: str | None = None,
) -> EventChunk:
    """Build a chunk from scalars or arrays, broadcasting scalars to the chunk's length."""
    columns = {
        "video": video,
        "user": user,
        "event_type": event_type,
        "ts_ms": ts_ms,
        "device": device,
        "session": session,
        "ip": ip,
        "watch_ms": NO_WATCH if watch_ms is None else watch_ms,
    }
    n = max(np.size(value) for value in columns.values())
    dtypes = {"ts_ms": np.int64, "session": np.int64, "event_type": np.int8}
    arrays = {
        name: np.broadcast_to(np.asarray(value, dtype=dtypes.get(name, np.int64)), (n,)).copy()
        for name, value in columns.items()
    }
    return EventChunk(**arrays, scenario=scenario)
