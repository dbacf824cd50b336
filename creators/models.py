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
