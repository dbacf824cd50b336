"""Viewer-event ingest: validate every row, store the valid ones once, say what happened to each.

Used by the batch API (``POST /api/v1/events/``) and by ``manage.py import_events``. A row is
identified by its client-supplied UUID: sending it again stores nothing and reports a duplicate.
The raw IP address is turned into keyed hashes here and never stored.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from creators.models import User, Video
from valuetok.bulk import copy_rows

from .models import ViewerEvent
from .network import network_origin

MAX_BATCH = 10_000
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=400)
MAX_WATCH_MS = 24 * 3_600_000
EVENT_TYPES = set(ViewerEvent.Type.values)
FIELDS = ("event_uuid", "video", "user", "event_type", "occurred_at", "device_id", "session_id", "watch_time_ms",
          "ip", "country", "user_agent")  # fmt: skip
REQUIRED = ("event_uuid", "video", "user", "event_type", "occurred_at", "device_id", "session_id", "ip")
STORED = ["event_uuid", "video_id", "user_id", "event_type", "occurred_at", "device_id", "session_id",
          "watch_time_ms", "ip_hash", "ip_prefix_hash", "country", "is_hosting_network", "user_agent",
          "received_at"]  # fmt: skip


@dataclass
class RowError:
    index: int
    event_uuid: str | None
    errors: dict[str, str]

    def as_dict(self) -> dict:
        return {"index": self.index, "event_uuid": self.event_uuid, "errors": self.errors}


@dataclass
class IngestResult:
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)

    def merge(self, other: "IngestResult", offset: int) -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.rejected += [RowError(e.index + offset, e.event_uuid, e.errors) for e in other.rejected]


def _text(value, name: str, errors: dict, *, required: bool, max_length: int) -> str:
    if value is None or value == "":
        if required:
            errors[name] = "This field is required."
        return ""
    if not isinstance(value, str):
        errors[name] = "Must be a string."
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors[name] = f"At most {max_length} characters."
    return value


def _uuid(value, name: str, errors: dict) -> uuid.UUID | None:
    if value in (None, ""):
        errors[name] = "This field is required."
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        errors[name] = "Must be a UUID."
        return None


def validate_row(raw: object, now: datetime) -> tuple[dict | None, dict[str, str]]:
    """One row, checked field by field; returns the cleaned row or the errors, never raises."""
    if not isinstance(raw, dict):
        return None, {"non_field_errors": "Each event must be an object."}
    if "__invalid_json__" in raw:
        return None, {"non_field_errors": f"Not valid JSON ({raw['__invalid_json__']})."}
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(FIELDS) - {"__invalid_json__"})
    if unknown:
        errors["non_field_errors"] = f"Unknown field(s): {', '.join(unknown)}."
    row: dict = {
        "event_uuid": _uuid(raw.get("event_uuid"), "event_uuid", errors),
        "video": _uuid(raw.get("video"), "video", errors),
        "user": _uuid(raw.get("user"), "user", errors),
    }
    event_type = raw.get("event_type")
    if event_type not in EVENT_TYPES:
        errors["event_type"] = f"Must be one of {', '.join(sorted(EVENT_TYPES))}."
    row["event_type"] = event_type
    occurred = raw.get("occurred_at")
    try:
        moment = parse_datetime(occurred) if isinstance(occurred, str) else None
    except ValueError:  # well formed but impossible, e.g. minute 60
        moment = None
    if moment is None:
        errors["occurred_at"] = "Must be an ISO 8601 date-time, e.g. 2026-11-02T18:04:05.123Z."
    elif timezone.is_naive(moment):
        errors["occurred_at"] = "Must carry a time zone (Z or an offset)."
    elif moment > now + MAX_FUTURE:
        errors["occurred_at"] = "Is in the future."
    elif moment < now - MAX_AGE:
        errors["occurred_at"] = f"Is older than {MAX_AGE.days} days."
    row["occurred_at"] = moment
    row["device_id"] = _text(raw.get("device_id"), "device_id", errors, required=True, max_length=64)
    row["session_id"] = _text(raw.get("session_id"), "session_id", errors, required=True, max_length=64)
    row["user_agent"] = _text(raw.get("user_agent"), "user_agent", errors, required=False, max_length=256)
    country = _text(raw.get("country"), "country", errors, required=False, max_length=2)
    if country and not (len(country) == 2 and country.isalpha() and country.isupper()):
        errors["country"] = "Must be an ISO 3166-1 alpha-2 code such as 'GB'."
    row["country"] = country
    watch = raw.get("watch_time_ms")
    if watch is not None:
        if isinstance(watch, bool) or not isinstance(watch, int) or not 0 <= watch <= MAX_WATCH_MS:
            errors["watch_time_ms"] = f"Must be a whole number of milliseconds from 0 to {MAX_WATCH_MS}."
        elif event_type != "view":
            errors["watch_time_ms"] = "Only views have a watch time."
    row["watch_time_ms"] = watch
    ip = raw.get("ip")
    if not isinstance(ip, str) or not ip.strip():
        errors["ip"] = "This field is required."
    else:
        try:
            row["origin"] = network_origin(ip)
        except ValueError as exc:
            errors["ip"] = str(exc)
    return (None, errors) if errors else (row, {})


def events_ingest(*, rows: list, now: datetime | None = None) -> IngestResult:
    """Validate and store one batch (at most MAX_BATCH rows). Valid rows are stored even if others fail."""
    if len(rows) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} events, not {len(rows)}")
    now = now or timezone.now()
    result = IngestResult()
    cleaned: list[tuple[int, dict]] = []
    seen: set[uuid.UUID] = set()
    for index, raw in enumerate(rows):
        row, errors = validate_row(raw, now)
        key = raw.get("event_uuid") if isinstance(raw, dict) else None
        if row is not None and row["event_uuid"] in seen:
            errors = {"event_uuid": "Appears twice in this batch."}
        if errors:
            result.rejected.append(RowError(index, None if key is None else str(key), errors))
            continue
        seen.add(row["event_uuid"])
        cleaned.append((index, row))

    videos = dict(Video.objects.filter(public_id__in={r["video"] for _, r in cleaned}).values_list("public_id", "id"))
    users = dict(User.objects.filter(public_id__in={r["user"] for _, r in cleaned}).values_list("public_id", "id"))
    storable: list[dict] = []
    for index, row in cleaned:
        errors = {}
        if row["video"] not in videos:
            errors["video"] = "No such video."
        if row["user"] not in users:
            errors["user"] = "No such user."
        if errors:
            result.rejected.append(RowError(index, str(row["event_uuid"]), errors))
        else:
            storable.append(row)
    result.rejected.sort(key=lambda e: e.index)
    created = _store(storable, videos, users, now)
    for row in storable:
        (result.created if row["event_uuid"] in created else result.duplicates).append(str(row["event_uuid"]))
    return result


def _store(rows: list[dict], videos: dict, users: dict, now: datetime) -> set[uuid.UUID]:
    """Insert through a staging table; returns the UUIDs that were new."""
    if not rows:
        return set()
    columns = ", ".join(STORED)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS stage_ingest")
        cursor.execute(f"CREATE TEMP TABLE stage_ingest AS SELECT {columns} FROM integrity_viewerevent WHERE 1 = 0")  # noqa: S608
        copy_rows(cursor, "stage_ingest", STORED, (
            (r["event_uuid"], videos[r["video"]], users[r["user"]], r["event_type"], r["occurred_at"],
             r["device_id"], r["session_id"], r["watch_time_ms"], r["origin"].ip_hash, r["origin"].ip_prefix_hash,
             r["country"], r["origin"].is_hosting_network, r["user_agent"], now)
            for r in rows
        ))  # fmt: skip
        cursor.execute(
            f"INSERT INTO integrity_viewerevent ({columns}) SELECT {columns} FROM stage_ingest WHERE 1 = 1 "  # noqa: S608
            "ON CONFLICT (event_uuid) DO NOTHING RETURNING event_uuid"
        )
        inserted = {uuid.UUID(str(value)) for (value,) in cursor.fetchall()}
        cursor.execute("DROP TABLE stage_ingest")
    return inserted


def events_ingest_stream(rows: Iterable, *, batch: int = MAX_BATCH, progress=None) -> IngestResult:
    """Ingest any number of rows, batch by batch (what the import command uses)."""
    total, chunk, offset = IngestResult(), [], 0
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            total.merge(events_ingest(rows=chunk), offset)
            offset += len(chunk)
            if progress:
                progress(len(chunk))
            chunk = []
    if chunk:
        total.merge(events_ingest(rows=chunk), offset)
        if progress:
            progress(len(chunk))
    return total
