"""Persist a built world: FK-safe, idempotent, in bulk.

Every table is written with ``INSERT ... ON CONFLICT DO NOTHING`` keyed on a natural key (email,
handle, video public id, event UUID, follow pair), and foreign keys are resolved by looking the
natural keys up afterwards, so writing the same world twice adds nothing and rows that already
exist are reused rather than duplicated. On PostgreSQL rows travel by ``COPY`` into a temporary
table first; elsewhere (SQLite, the embedded default) by batched ``executemany``.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
import psycopg
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, transaction

from creators.models import CreatorProfile, Follow, Hashtag, User, Video
from integrity.models import ViewerEvent
from integrity.network import keyed_hash, network_origin, network_prefix
from simulation.models import GroundTruthLabel, SimulationRun
from valuetok.bulk import columns_of, insert_ignoring_conflicts, table_of

from .core import EVENT_TYPES, NO_WATCH, World

BATCH = 5_000  # natural keys looked up per query
EVENT_BLOCK = 100_000
Progress = Callable[[str, int], None]


def _noop(stage: str, n: int) -> None:
    return None


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def id_map(model, key_field: str, keys: Sequence) -> dict:
    """Natural key -> primary key, looked up in batches."""
    found: dict = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        found.update(model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, "id"))
    return found


def write_world(world: World, *, run: SimulationRun, progress: Progress = _noop) -> dict[str, int]:
    """Write every table of the world; call inside a transaction."""
    bulk = connection.vendor == "postgresql" and world.event_count >= BULK_FOREIGN_KEY_THRESHOLD
    with (
        connection.cursor() as cursor,
        foreign_keys_lifted(cursor, [ViewerEvent, Follow, Video.hashtags.through, GroundTruthLabel], enabled=bulk),
    ):
        return _write_tables(world, run, progress)


def _write_tables(world: World, run: SimulationRun, progress: Progress) -> dict[str, int]:
    users, creators, videos = world.users, world.creators, world.videos

    # Accounts. Passwords are unusable: demo sign-in is set up separately, by the service.
    insert_ignoring_conflicts(
        User,
        [
            "public_id",
            "email",
            "password",
            "first_name",
            "last_name",
            "phone_number",
            "country",
            "date_joined",
            "is_staff",
            "is_superuser",
            "is_active",
        ],
        (
            (
                _uuid_value(users.public_id[i]),
                users.email[i],
                f"{UNUSABLE_PASSWORD_PREFIX}{i:x}",
                users.first_name[i],
                users.last_name[i],
                users.phone[i],
                users.country[i],
                _datetime(users.joined_ms[i]),
                False,
                False,
                True,
            )
            for i in range(len(users))
        ),
    )
    user_ids = id_map(User, "email", users.email)
    user_pk = np.array([user_ids[e] for e in users.email], dtype=np.int64)
    progress("users", len(users))

    insert_ignoring_conflicts(
        CreatorProfile,
        ["user", "handle", "display_name", "bio", "country", "follower_count", "created_at"],
        (
            (
                int(user_pk[creators.user[c]]),
                creators.handle[c],
                creators.display_name[c],
                creators.bio[c],
                creators.country[c],
                0,
                _datetime(creators.created_ms[c]),
            )
            for c in range(len(creators))
        ),
    )
    creator_ids = id_map(CreatorProfile, "handle", creators.handle)
    creator_pk = np.array([creator_ids[h] for h in creators.handle], dtype=np.int64)
    progress("creators", len(creators))

    tags = sorted({t for video_tags in videos.hashtags for t in video_tags})
    insert_ignoring_conflicts(Hashtag, ["name"], ((t,) for t in tags))
    tag_ids = id_map(Hashtag, "name", tags)
    insert_ignoring_conflicts(
        Video,
        [
            "public_id",
            "creator",
            "title",
            "description",
            "media_file",
            "source_url",
            "duration_ms",
            "width",
            "height",
            "codec",
            "status",
            "created_at",
        ],
        (
            (
                _uuid_value(videos.public_id[v]),
                int(creator_pk[videos.creator[v]]),
                videos.title[v],
                videos.description[v],
                "",
                videos.source_url[v],
                videos.duration_ms[v],
                videos.width[v],
                videos.height[v],
                videos.codec[v],
                videos.status[v],
                _datetime(videos.created_ms[v]),
            )
            for v in range(len(videos))
        ),
    )
    video_ids = id_map(Video, "public_id", [_uuid_value(p) for p in videos.public_id])
    video_pk = np.array([video_ids[_uuid_value(p)] for p in videos.public_id], dtype=np.int64)
    through = Video.hashtags.through
    insert_ignoring_conflicts(
        through,
        ["video", "hashtag"],
        ((int(video_pk[v]), tag_ids[t]) for v in range(len(videos)) for t in videos.hashtags[v]),
    )
    progress("videos", len(videos))

    insert_ignoring_conflicts(
        Follow,
        ["follower", "creator", "created_at"],
        ((int(user_pk[u]), int(creator_pk[c]), _datetime(t)) for (u, c), t in world.follows.items()),
    )
    progress("follows", len(world.follows))

    written = _write_events(world, user_pk, video_pk, progress)
    labels = _write_labels(world, run)
    progress("labels", labels)
    return {
        "users": len(users),
        "creators": len(creators),
        "videos": len(videos),
        "hashtags": len(tags),
        "follows": len(world.follows),
        "events": written,
        "labels": labels,
    }


def _uuid_value(hex32: str) -> uuid.UUID:
    return uuid.UUID(hex=hex32)


def _origins(world: World) -> list[tuple[str, str, str, bool]]:
    """Per distinct address, computed once: its hashes, country and hosting flag."""
    result = []
    for address, country in zip(world.ips, world.ip_countries, strict=True):
        origin = network_origin(address)
        result.append((origin.ip_hash, origin.ip_prefix_hash, country, origin.is_hosting_network))
    return result


EVENT_FIELDS = [
    "event_uuid",
    "video",
    "user",
    "event_type",
    "occurred_at",
    "device_id",
    "session_id",
    "watch_time_ms",
    "ip_hash",
    "ip_prefix_hash",
    "country",
    "is_hosting_network",
    "user_agent",
    "received_at",
]
# Above this many events, PostgreSQL loads follow its own bulk-load advice: foreign keys are
# dropped for the load and re-added after it, checked by one set-based validation instead of one
# lookup per row (PostgreSQL manual, "Populating a Database"). All inside the seeding transaction.
BULK_FOREIGN_KEY_THRESHOLD = 200_000


def _write_events(world: World, user_pk: np.ndarray, video_pk: np.ndarray, progress: Progress) -> int:
    events = world.merged_events
    origins = _origins(world)
    received = datetime.fromtimestamp(world.config.end_ms / 1000, tz=UTC)
    if connection.vendor != "postgresql":
        for start in range(0, len(events), EVENT_BLOCK):
            part = np.arange(start, min(start + EVENT_BLOCK, len(events)))
            insert_ignoring_conflicts(
                ViewerEvent, EVENT_FIELDS, _event_rows(events, part, world, origins, user_pk, video_pk, received)
            )
            progress("events", len(part))
        return len(events)

    def blocks() -> Iterator[tuple[str, int]]:
        for start in range(0, len(events), EVENT_BLOCK):
            stop = min(start + EVENT_BLOCK, len(events))
            yield _copy_text(events, start, stop, world, origins, user_pk, video_pk, received), stop - start

    with connection.cursor() as cursor:
        copy_merging(cursor, ViewerEvent, EVENT_FIELDS, "event_uuid", blocks, progress)
    return len(events)


def copy_merging(
    cursor,
    model,
    fields: list[str],
    key: str,
    blocks: Callable[[], Iterable[tuple[str, int]]],
    progress: Progress = _noop,
) -> None:
    """Stream COPY text blocks straight into a table; if any row is already there, merge instead.

    The direct path is the common one (new data): one COPY for all blocks, so PostgreSQL parses
    one block while the next is being formatted, and no row is written twice. A unique violation
    rolls back to the savepoint; the blocks are then made again and merged through a staging
    table with INSERT ... ON CONFLICT DO NOTHING.
    """
    table = table_of(model)
    columns = ", ".join(columns_of(model, fields))
    try:
        with transaction.atomic(), cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for text, rows in blocks():
                copy.write(text)
                progress("events", rows)
        return
    except (IntegrityError, psycopg.IntegrityError):
        pass  # some rows already exist: merge below
    cursor.execute(f"CREATE TEMP TABLE stage_merge AS SELECT {columns} FROM {table} WITH NO DATA")  # noqa: S608
    with cursor.cursor.copy(f"COPY stage_merge ({columns}) FROM STDIN") as copy:
        for text, rows in blocks():
            copy.write(text)
            progress("merge", rows)
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stage_merge ON CONFLICT ({key}) DO NOTHING"  # noqa: S608
    )
    cursor.execute("DROP TABLE stage_merge")


class foreign_keys_lifted:
    """Drop tables' foreign keys for a bulk load; re-add and validate them on the way out.

    Call before anything is written in the transaction: PostgreSQL will not alter a table that
    has foreign-key checks pending. On an exception the surrounding transaction rolls back, and
    the drops with it.
    """

    def __init__(self, cursor, models: list, *, enabled: bool):
        self.cursor, self.enabled = cursor, enabled
        self.tables = [table_of(m) for m in models]
        self.definitions: list[tuple[str, str, str]] = []

    def __enter__(self):
        if not self.enabled:
            return self
        for table in self.tables:
            self.cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            self.definitions += [(table, name, definition) for name, definition in self.cursor.fetchall()]
        for table, name, _ in self.definitions:
            self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return
        for table, name, definition in self.definitions:
            self.cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
            self.cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')


def _event_rows(events, part, world, origins, user_pk, video_pk, received):
    uuids = events.uuid_bytes[part].tobytes().hex()
    for n, i in enumerate(part.tolist()):
        ip_hash, prefix_hash, country, hosting = origins[events.ip[i]]
        device = events.device[i]
        watch = int(events.watch_ms[i])
        yield (
            uuids[32 * n : 32 * n + 32],
            int(video_pk[events.video[i]]),
            int(user_pk[events.user[i]]),
            EVENT_TYPES[events.event_type[i]],
            _datetime(int(events.ts_ms[i])),
            world.device_ids[device],
            f"{int(events.session[i]):016x}",
            None if watch == NO_WATCH else watch,
            ip_hash,
            prefix_hash,
            country,
            hosting,
            world.device_user_agents[device],
            received,
        )


def _copy_text(events, start, stop, world, origins, user_pk, video_pk, received) -> str:
    """Rows [start, stop) as COPY text, formatted column-wise where numpy can do it."""
    sl = slice(start, stop)
    uuids = events.uuid_bytes[sl].tobytes().hex()
    origin_text = [f"{h}\t{p}\t{c}\t{'t' if hosting else 'f'}" for h, p, c, hosting in origins]
    agents = [a.replace("\\", "\\\\").replace("\t", " ") for a in world.device_user_agents]
    device_ids = world.device_ids
    times = np.datetime_as_string(events.ts_ms[sl].astype("datetime64[ms]"), unit="ms").tolist()
    watch = events.watch_ms[sl]
    watch_text = np.where(watch == NO_WATCH, "\\N", watch.astype(str)).tolist()
    videos = video_pk[events.video[sl]].tolist()
    users = user_pk[events.user[sl]].tolist()
    types = [EVENT_TYPES[t] for t in events.event_type[sl].tolist()]
    devices = events.device[sl].tolist()
    sessions = events.session[sl].tolist()
    ips = events.ip[sl].tolist()
    tail = f"\t{received.isoformat()}\n"
    return "".join(
        [
            f"{uuids[32 * n : 32 * n + 32]}\t{videos[n]}\t{users[n]}\t{types[n]}\t{times[n]}Z\t"
            f"{device_ids[devices[n]]}\t{sessions[n]:016x}\t{watch_text[n]}\t"
            f"{origin_text[ips[n]]}\t{agents[devices[n]]}{tail}"
            for n in range(stop - start)
        ]
    )


def _write_labels(world: World, run: SimulationRun) -> int:
    rows = set()
    for label in world.labels:
        key = label.entity_key
        if label.entity_type == "network":  # ground truth never holds a raw address either
            key = keyed_hash(network_prefix(key))
        elif label.entity_type == "video":
            key = str(_uuid_value(key))
        rows.add((run.id, label.scenario, label.entity_type, key, label.role))
    events = world.merged_events
    fraudulent = np.flatnonzero(events.scenario_code >= 0)
    hexes = events.uuid_bytes[fraudulent].tobytes().hex()
    for n, i in enumerate(fraudulent.tolist()):
        scenario = world.scenario_names[events.scenario_code[i]]
        rows.add((run.id, scenario, "event", str(_uuid_value(hexes[32 * n : 32 * n + 32])), "actor"))
    insert_ignoring_conflicts(GroundTruthLabel, ["run", "scenario", "entity_type", "entity_key", "role"], sorted(rows))
    return len(rows)
