"""Viewer events: the raw material of the Engagement Integrity Score."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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


class ViewerTrust(models.Model):
    """How much a viewer's engagement can be trusted, 0 to 100, with each part explained."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="viewer_trust"
    )
    score = models.FloatField()
    parts = models.JSONField(help_text="Each part: points, the most it can give, and why.")
    scoring_version = models.CharField(max_length=32)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="viewer_trust_range"),
        ]

    def __str__(self) -> str:
        return f"trust {self.score:.0f} for user {self.user_id}"


class EngagementWindow(models.Model):
    """The integrity of one video's engagement in one time window, as computed by one scoring version."""

    class Granularity(models.TextChoices):
        HOUR = "hour", "Hourly"
        DAY = "day", "Daily"

    class Band(models.TextChoices):
        HIGH = "high", "High integrity"
        MEDIUM = "medium", "Some doubtful engagement"
        LOW = "low", "Mostly doubtful engagement"
        INSUFFICIENT = "insufficient", "Not enough data"

    # No index of its own: the unique constraint below starts with the video and serves its lookups.
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="engagement_windows", db_index=False)
    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    scoring_version = models.CharField(max_length=32)
    engagement_integrity_score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=12, choices=Band.choices)
    components = models.JSONField(help_text="Per component: score (or null), band and reason.")
    features = models.JSONField(help_text="The measured signals the components were computed from.")
    events_total = models.PositiveIntegerField()
    events_invalid = models.PositiveIntegerField()
    valid_views = models.PositiveIntegerField()
    valid_likes = models.PositiveIntegerField()
    valid_comments = models.PositiveIntegerField()
    valid_shares = models.PositiveIntegerField()
    content_hash = models.CharField(
        max_length=64, help_text="Of everything above: an unchanged recompute writes nothing."
    )
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["video", "granularity", "window_start", "scoring_version"], name="engagement_window_unique"
            ),
            models.CheckConstraint(
                condition=Q(engagement_integrity_score__isnull=True)
                | (Q(engagement_integrity_score__gte=0) & Q(engagement_integrity_score__lte=100)),
                name="engagement_window_eis_range",
            ),
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="engagement_window_order"),
        ]
        indexes = [
            models.Index(fields=["granularity", "window_start"], name="window_time"),
            models.Index(fields=["granularity", "engagement_integrity_score"], name="window_eis"),
        ]

    def __str__(self) -> str:
        return f"{self.granularity} window of video {self.video_id} from {self.window_start:%Y-%m-%dT%H:%MZ}"


class InvalidEngagement(models.Model):
    """An engagement the daily pass judged invalid, and why. Payouts count only what is not here."""

    class Reason(models.TextChoices):
        HOSTING_NETWORK = "hosting_network", "From a data-centre or VPN network"
        BOT_USER_AGENT = "bot_user_agent", "From a known bot or automation client"
        IMPOSSIBLE_RATE = "impossible_rate", "Faster than a person can act"
        SELF_ENGAGEMENT = "self_engagement", "By the creator or from the creator's own devices"
        SHARED_DEVICE = "shared_device", "From a device shared by many accounts"
        DEVICE_CLUSTER = "device_cluster", "From a cluster of accounts hopping between a few devices"
        METRONOMIC = "metronomic", "From an account acting at machine-regular intervals"
        LOCKSTEP = "lockstep", "From an account engaging in lockstep with a group"
        REPEAT_VIEWS = "repeat_views", "One of many repeat views by one account within an hour"

    event = models.ForeignKey(ViewerEvent, on_delete=models.CASCADE, related_name="invalid_judgements", db_index=False)
    scoring_version = models.CharField(max_length=32)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    window_start = models.DateTimeField(help_text="Start of the daily window that judged it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "scoring_version"], name="invalid_engagement_unique"),
        ]
        indexes = [models.Index(fields=["scoring_version", "window_start"], name="invalid_window")]

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.reason}"


class VideoIntegrity(models.Model):
    """The video's current EIS: recent daily windows, weighted by their engagement."""

    video = models.OneToOneField(Video, on_delete=models.CASCADE, primary_key=True, related_name="integrity")
    engagement_integrity_score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=12, choices=EngagementWindow.Band.choices)
    scoring_version = models.CharField(max_length=32)
    windows = models.PositiveIntegerField(help_text="Daily windows the score is drawn from.")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "video integrity"

    def __str__(self) -> str:
        return f"video {self.video_id}: {self.engagement_integrity_score}"


class CreatorTrust(models.Model):
    """A creator's trust from the EIS of their recent windows; payouts turn it into a multiplier."""

    creator = models.OneToOneField(
        "creators.CreatorProfile", on_delete=models.CASCADE, primary_key=True, related_name="trust"
    )
    score = models.FloatField(null=True, blank=True)
    windows = models.PositiveIntegerField()
    scoring_version = models.CharField(max_length=32)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"creator {self.creator_id}: {self.score}"
