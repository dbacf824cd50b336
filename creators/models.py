"""Accounts, creator profiles, videos, hashtags and follows."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from valuetok.storage import private_storage

from .managers import UserManager

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9_.]{1,28}[a-z0-9])?$"
handle_validator = RegexValidator(
    HANDLE_PATTERN,
    "A handle is 1 to 30 lower-case letters, digits, '_' or '.', starting and ending with a letter or digit.",
)
hashtag_validator = RegexValidator(
    r"^[a-z0-9_]{1,64}$", "A hashtag is 1 to 64 lower-case letters, digits or '_', without the '#'."
)
country_validator = RegexValidator(r"^[A-Z]{2}$", "A country is an ISO 3166-1 alpha-2 code such as 'GB'.")


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: viewers, creators (who also have a CreatorProfile) and staff."""

    # The id other systems see (API clients, event producers): never the sequential primary key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone_number = PhoneNumberField(blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[country_validator])
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Emails are unique regardless of case: "Ann@x.io" and "ann@x.io" are one person.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class CreatorProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="creator_profile")
    handle = models.CharField(max_length=30, unique=True, validators=[handle_validator])
    display_name = models.CharField(max_length=80)
    bio = models.TextField(blank=True, max_length=2000)
    country = models.CharField(max_length=2, validators=[country_validator])
    # Denormalised from Follow for listing and milestones; creators.recount_followers keeps it true.
    follower_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.CheckConstraint(condition=Q(handle__regex=HANDLE_PATTERN), name="creator_handle_format"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class Hashtag(models.Model):
    name = models.CharField(max_length=64, unique=True, validators=[hashtag_validator])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=r"^[a-z0-9_]{1,64}$"), name="hashtag_format"),
        ]

    def __str__(self) -> str:
        return f"#{self.name}"


def private_video_path(instance: "Video", filename: str) -> str:
    # The stored name never reuses the uploader's file name: it is not trusted input.
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"videos/{instance.public_id.hex[:2]}/{instance.public_id.hex}.{suffix}"


class Video(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending evaluation"
        PROCESSING = "processing", "Being evaluated"
        PUBLISHED = "published", "Published"
        FLAGGED = "flagged", "Flagged for review"
        REMOVED = "removed", "Removed"
        FAILED = "failed", "Evaluation failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="videos")
    title = models.CharField(max_length=150)
    description = models.TextField(blank=True, max_length=5000)
    hashtags = models.ManyToManyField(Hashtag, related_name="videos", blank=True)
    media_file = models.FileField(upload_to=private_video_path, storage=private_storage, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    codec = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["creator", "-created_at"], name="video_creator_recent")]
        constraints = [
            # A video comes from exactly one place: an upload or a link.
            models.CheckConstraint(
                condition=(Q(media_file="") & ~Q(source_url="")) | (~Q(media_file="") & Q(source_url="")),
                name="video_exactly_one_source",
            ),
            models.CheckConstraint(condition=Q(width__isnull=True) | Q(width__gt=0), name="video_width_positive"),
            models.CheckConstraint(condition=Q(height__isnull=True) | Q(height__gt=0), name="video_height_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "creator"], name="follow_unique_pair"),
        ]
        indexes = [models.Index(fields=["creator", "created_at"], name="follow_creator_time")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.creator_id}"


class MilestoneAward(models.Model):
    """A creator reached a follower milestone: recorded once per creator and threshold, paid once.

    The bonus amount is fixed when the milestone is reached, so a later change of the settings never
    changes a waiting award. ``bonus_entry_id`` is the public id of the ledger entry that paid it
    (payouts.JournalEntry.public_id); it stays empty while the bonus pool cannot cover it, and the
    sweep pays it later. The plaque on the dashboard shows from ``reached_at`` on, paid or not.
    """

    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="milestone_awards")
    threshold = models.PositiveIntegerField(help_text="Followers reached, e.g. 10000.")
    follower_count = models.PositiveIntegerField(help_text="The creator's follower count when it was reached.")
    reached_at = models.DateTimeField(default=timezone.now)
    bonus_cents = models.BigIntegerField(help_text="Bonus owed, fixed when the milestone was reached.")
    bonus_entry_id = models.UUIDField(null=True, blank=True, editable=False, help_text="Ledger entry that paid it.")
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["creator", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "threshold"], name="milestone_award_once"),
            models.CheckConstraint(condition=Q(threshold__gt=0), name="milestone_threshold_positive"),
            models.CheckConstraint(condition=Q(bonus_cents__gte=0), name="milestone_bonus_not_negative"),
            # Paid means a ledger entry, except for a zero bonus (a plaque-only milestone).
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True, bonus_entry_id__isnull=True)
                | Q(paid_at__isnull=False, bonus_entry_id__isnull=False)
                | Q(paid_at__isnull=False, bonus_entry_id__isnull=True, bonus_cents=0),
                name="milestone_paid_with_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["reached_at"], condition=Q(paid_at__isnull=True), name="milestone_unpaid"),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} reached {self.threshold} followers"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class Trend(models.Model):
    """A trend idea a creator submits: a named hashtag that staff approve before adoption counts.

    Adoption counts the distinct OTHER creators who published a video with the hashtag after the
    approval (see creators.trends). When it reaches TRENDS_ADOPTION_THRESHOLD the originator gets the
    bonus once (``bonus_entry_id``) and a promotional boost until ``boost_until``, set once.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted, awaiting review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    originator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="trends")
    name = models.CharField(max_length=80)
    hashtag = models.ForeignKey(Hashtag, on_delete=models.PROTECT, related_name="trends")
    description = models.TextField(max_length=2000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="trends_reviewed"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True, max_length=2000)
    adoption_count = models.PositiveIntegerField(default=0, help_text="Distinct other creators who adopted it.")
    threshold_reached_at = models.DateTimeField(null=True, blank=True)
    bonus_cents = models.BigIntegerField(default=0, help_text="Bonus owed, fixed when the threshold was reached.")
    bonus_entry_id = models.UUIDField(null=True, blank=True, editable=False, help_text="Ledger entry that paid it.")
    bonus_paid_at = models.DateTimeField(null=True, blank=True)
    boost_until = models.DateTimeField(null=True, blank=True, help_text="Promoted in feeds until then.")

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [("review_trend", "Can approve or reject trend ideas")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "approved", "rejected"]), name="trend_status_valid"
            ),
            # A hashtag is one trend at a time: a second open idea for it would double-count adoption.
            models.UniqueConstraint(
                fields=["hashtag"], condition=Q(status__in=["submitted", "approved"]), name="trend_open_hashtag_once"
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", reviewed_at__isnull=True)
                | (~Q(status="submitted") & Q(reviewed_at__isnull=False)),
                name="trend_reviewed_when_decided",
            ),
            models.CheckConstraint(
                condition=Q(bonus_paid_at__isnull=True, bonus_entry_id__isnull=True)
                | Q(bonus_paid_at__isnull=False, bonus_entry_id__isnull=False, status="approved")
                | Q(bonus_paid_at__isnull=False, bonus_entry_id__isnull=True, bonus_cents=0, status="approved"),
                name="trend_bonus_paid_with_entry",
            ),
            models.CheckConstraint(
                condition=Q(boost_until__isnull=True) | Q(threshold_reached_at__isnull=False),
                name="trend_boost_after_threshold",
            ),
            models.CheckConstraint(condition=Q(bonus_cents__gte=0), name="trend_bonus_not_negative"),
        ]
        indexes = [models.Index(fields=["originator", "-submitted_at"], name="trend_originator_recent")]

    def __str__(self) -> str:
        return f"{self.name} (#{self.hashtag_id})"

    @property
    def is_boosted(self) -> bool:
        return self.boost_until is not None and self.boost_until > timezone.now()


class TrendAdoption(models.Model):
    """One video of another creator that used an approved trend's hashtag after the approval."""

    trend = models.ForeignKey(Trend, on_delete=models.PROTECT, related_name="adoptions")
    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="trend_adoptions")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="trend_adoptions")
    adopted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["trend", "adopted_at"]
        constraints = [models.UniqueConstraint(fields=["trend", "video"], name="trend_adoption_once_per_video")]
        indexes = [models.Index(fields=["trend", "creator"], name="trend_adoption_creator")]

    def __str__(self) -> str:
        return f"video {self.video_id} adopted trend {self.trend_id}"


class ApiToken(models.Model):
    """A named key an external client sends as ``Authorization: Bearer <key>``.

    The key itself is shown once, when it is made, and never stored: only its SHA-256 (keys are 256
    random bits, so a plain hash is enough) and a short visible prefix that lets people tell their
    keys apart. Tokens are revoked, never deleted, so the record of who held which key stays.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'upload script'.")
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's first characters, to tell keys apart")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="api_tokens_created", editable=False
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the token does not expire.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="api_tokens_revoked", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_recent")]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_named"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="api_token_revoked_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"


class EmailVerification(models.Model):
    """An account made by sign-up, and whether its owner has proved the email address is theirs.

    An account with a row whose ``verified_at`` is empty cannot sign in
    (creators.accounts.backends.VerifiedEmailBackend). Accounts made any other way (staff,
    createsuperuser, the demo seed) have no row and are not affected.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="email_verification")
    # The address the link was sent to: a link never verifies an address the account no longer has.
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=Q(verified_at__isnull=True), name="email_verification_open"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({'verified' if self.verified_at else 'unverified'})"
