"""Viewer events: the raw material of the Engagement Integrity Score."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from creators.models import Video, country_validator


class ViewerEvent(models.Model):
    """One engagement by one account on one video.

    The network origin is stored privacy-preserving: keyed hashes of the IP and of its network
    prefix (/24 for IPv4, /48 for IPv6), never the address itself, plus its country and whether it
    belongs to a known data-centre or VPN range.
    """

    class Type(models.TextChoices):
        VIEW = "view", "View"
        LIKE = "like", "Like"
        COMMENT = "comment", "Comment"
        SHARE = "share", "Share"
        REPORT = "report", "Report"
        FOLLOW = "follow", "Follow"

    # Supplied by the client so that a resent batch is recognised and ingest stays idempotent.
    event_uuid = models.UUIDField(unique=True)
    # No single-column FK indexes: the (video, time) and (user, time) indexes below serve those lookups.
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="viewer_events", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewer_events", db_index=False
    )
    event_type = models.CharField(max_length=8, choices=Type.choices)
    occurred_at = models.DateTimeField()
    device_id = models.CharField(max_length=64)
    session_id = models.CharField(max_length=64)
    watch_time_ms = models.PositiveIntegerField(null=True, blank=True)
    ip_hash = models.CharField(max_length=32, help_text="HMAC-SHA256 of the IP, first 128 bits in hex.")
    ip_prefix_hash = models.CharField(
        max_length=32, help_text="HMAC-SHA256 of the /24 (IPv4) or /48 (IPv6) prefix, first 128 bits in hex."
    )
    country = models.CharField(max_length=2, blank=True, validators=[country_validator])
    is_hosting_network = models.BooleanField(default=False, help_text="The IP is in a known data-centre or VPN range.")
    user_agent = models.CharField(max_length=256, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # Per-video time-window scans, the EIS's main access path.
            models.Index(fields=["video", "occurred_at"], name="event_video_time"),
            # Per-viewer history (trust, velocity).
            models.Index(fields=["user", "occurred_at"], name="event_user_time"),
            # On PostgreSQL a BRIN index on occurred_at is added by migration 0002. Every index here
            # is paid for on each ingested event: add one only for a query that needs it.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(watch_time_ms__isnull=True) | Q(event_type="view"),
                name="event_watch_time_only_on_views",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=["view", "like", "comment", "share", "report", "follow"]),
                name="event_type_known",
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.occurred_at:%Y-%m-%dT%H:%M:%SZ}"
        return f"{self.event_type} of video {self.video_id} by user {self.user_id} at {when}"
