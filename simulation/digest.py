"""A fingerprint of the generated data, independent of database ids.

Rows are read in the order of their natural keys and hashed with their foreign keys spelled as
natural keys too, so two databases holding the same world give the same digest.
"""

import hashlib

from creators.models import CreatorProfile, Follow, User, Video
from integrity.models import ViewerEvent

from .models import GroundTruthLabel

CHUNK = 20_000


def _feed(hasher, queryset, fields: list[str], order: list[str]) -> int:
    count = 0
    for row in queryset.order_by(*order).values_list(*fields).iterator(chunk_size=CHUNK):
        hasher.update(repr(row).encode())
        hasher.update(b"\n")
        count += 1
    hasher.update(f"--{count}--".encode())
    return count


def world_digest() -> str:
    hasher = hashlib.sha256()
    # Staff accounts are made by the service with the time of the run, not by the world.
    _feed(
        hasher,
        User.objects.filter(is_staff=False),
        ["public_id", "email", "first_name", "last_name", "phone_number", "country", "date_joined", "is_staff"],
        ["email"],
    )
    _feed(
        hasher,
        CreatorProfile.objects.all(),
        ["handle", "user__email", "display_name", "bio", "country", "follower_count", "created_at"],
        ["handle"],
    )
    _feed(
        hasher,
        Video.objects.all(),
        [
            "public_id",
            "creator__handle",
            "title",
            "description",
            "source_url",
            "duration_ms",
            "width",
            "height",
            "codec",
            "status",
            "created_at",
        ],
        ["public_id"],
    )
    _feed(
        hasher,
        Video.hashtags.through.objects.all(),
        ["video__public_id", "hashtag__name"],
        ["video__public_id", "hashtag__name"],
    )
    _feed(
        hasher,
        Follow.objects.all(),
        ["follower__email", "creator__handle", "created_at"],
        ["follower__email", "creator__handle"],
    )
    _feed(
        hasher,
        ViewerEvent.objects.all(),
        [
            "event_uuid",
            "video__public_id",
            "user__email",
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
        ],
        ["event_uuid"],
    )
    _feed(
        hasher,
        GroundTruthLabel.objects.all(),
        ["run__params_digest", "scenario", "entity_type", "entity_key", "role"],
        ["run__params_digest", "scenario", "entity_type", "entity_key", "role"],
    )
    return hasher.hexdigest()
