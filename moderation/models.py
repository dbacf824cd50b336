"""Evaluations of a video's (or a link's) audio, the flags they raise, staff reviews and creators' appeals.

An ``Evaluation`` is one run of the pipeline (fetch, audio, transcript, classifiers, LLM fallback,
scores, summary) and keeps everything it found, so a decision can be explained later. A ``Flag`` is
a piece of content waiting for Trust & Safety: raised by an evaluation whose quality score is below
the line, or reported through the API. Staff act on a flag (``FlagReview``, append-only); the
creator may appeal a flag once (``Appeal``), and staff resolve the appeal.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from creators.models import CreatorProfile, Video


class EvaluationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    FETCHING = "fetching", "Fetching the media"
    TRANSCRIBING = "transcribing", "Transcribing the audio"
    SCORING = "scoring", "Scoring"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Decider(models.TextChoices):
    NONE = "", "Not decided yet"
    LOCAL = "local", "Local classifiers"
    LLM = "llm", "LLM fallback"


class FlagOrigin(models.TextChoices):
    AUTOMATIC = "automatic", "Quality score below the line"
    REPORTED = "reported", "Reported"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"
    OVERTURNED = "overturned", "Overturned on appeal"


class FlagAction(models.TextChoices):
    CONFIRM = "confirm", "Confirm"
    DISMISS = "dismiss", "Dismiss"
    ESCALATE = "escalate", "Escalate"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    UPHELD = "upheld", "Upheld: the flag stands"
    OVERTURNED = "overturned", "Overturned: the flag was lifted"


class Evaluation(models.Model):
    Status = EvaluationStatus
    Decider = Decider

    ACTIVE_STATUSES = (Status.QUEUED, Status.FETCHING, Status.TRANSCRIBING, Status.SCORING)
    FINAL_STATUSES = (Status.DONE, Status.FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    video = models.ForeignKey(Video, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations")
    source_url = models.URLField(max_length=2000, blank=True, help_text="The link evaluated, when not an upload.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    # Each run of the pipeline takes the next attempt number; a run only writes while its number is
    # the current one, so a redelivered task and a stale run cannot overwrite each other.
    attempts = models.PositiveSmallIntegerField(default=0)

    # What was fetched and decoded.
    media = models.JSONField(default=dict, blank=True, help_text="Probe of the media and fetch details.")
    # What was said.
    transcript = models.TextField(blank=True)
    segments = models.JSONField(default=list, blank=True, help_text="[{start, end, text}] in seconds.")
    language = models.CharField(max_length=16, blank=True)
    asr_engine = models.CharField(max_length=64, blank=True)
    asr_model = models.CharField(max_length=200, blank=True)

    # Classifier output per task: {task: {label: probability}} as decided, and the local one kept aside.
    probabilities = models.JSONField(default=dict, blank=True)
    local_probabilities = models.JSONField(default=dict, blank=True)
    # The transcript passages that drove each task: {task: [{start, end, text, risk}]} (char offsets).
    spans = models.JSONField(default=dict, blank=True)
    # Who decided each task: {task: "local" | "llm"}; ``decided_by`` is "llm" when the LLM decided any.
    deciders = models.JSONField(default=dict, blank=True)
    decided_by = models.CharField(max_length=8, choices=Decider.choices, blank=True, default=Decider.NONE)
    adapter_versions = models.JSONField(default=dict, blank=True)
    llm_model = models.CharField(max_length=100, blank=True)
    llm_rationale = models.TextField(blank=True)
    llm_error = models.CharField(max_length=200, blank=True)
    needs_human_review = models.BooleanField(
        default=False, help_text="A classifier was unsure and no LLM verdict replaced it."
    )

    # Scores (see moderation/scores.py for the definitions).
    hate_risk = models.FloatField(null=True, blank=True)
    mental_health_risk = models.FloatField(null=True, blank=True)
    clickbait_risk = models.FloatField(null=True, blank=True)
    safety_risk_score = models.FloatField(null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    summary = models.TextField(blank=True)
    # Scoring settings in force when this evaluation was scored, so an old score stays explainable.
    scoring_config = models.JSONField(default=dict, blank=True)

    timings_ms = models.JSONField(default=dict, blank=True, help_text="Milliseconds per stage.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["video", "-created_at"], name="evaluation_video_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EvaluationStatus.values), name="evaluation_status_known"),
            models.CheckConstraint(condition=Q(decided_by__in=Decider.values), name="evaluation_decider_known"),
            models.CheckConstraint(condition=Q(video__isnull=False) | ~Q(source_url=""), name="evaluation_has_source"),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True) | Q(quality_score__gte=0, quality_score__lte=100),
                name="evaluation_quality_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error_code=""), name="evaluation_failure_has_code"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(quality_score__isnull=False), name="evaluation_done_is_scored"
            ),
        ]

    def __str__(self) -> str:
        return f"evaluation {self.public_id.hex[:8]} ({self.status})"

    @property
    def source_label(self) -> str:
        return f"video {self.video_id}" if self.video_id else self.source_url


class Flag(models.Model):
    Origin = FlagOrigin
    Status = FlagStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="flags")
    video = models.ForeignKey(Video, on_delete=models.PROTECT, null=True, blank=True, related_name="moderation_flags")
    source_url = models.URLField(max_length=2000, blank=True)
    # The creator whose content this is (who may appeal); empty for a link nobody on the platform owns.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="moderation_flags"
    )
    reason = models.TextField(help_text="Why it was flagged: the scores, or the reporter's words.")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_flag", "Can act on flagged content (confirm, dismiss, escalate)")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=FlagStatus.values), name="flag_status_known"),
            models.CheckConstraint(condition=Q(origin__in=FlagOrigin.values), name="flag_origin_known"),
            models.CheckConstraint(condition=Q(video__isnull=False) | ~Q(source_url=""), name="flag_has_subject"),
            models.CheckConstraint(condition=~Q(reason=""), name="flag_has_reason"),
            # One automatic flag per evaluation: the pipeline's flag step may run twice.
            models.UniqueConstraint(
                fields=["evaluation"], condition=Q(origin="automatic"), name="flag_one_automatic_per_evaluation"
            ),
        ]

    def __str__(self) -> str:
        return f"flag {self.public_id.hex[:8]} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ESCALATED)


class FlagReview(models.Model):
    """One staff action on a flag; append-only (also written to the compliance audit trail)."""

    Action = FlagAction

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=FlagStatus.choices)
    to_status = models.CharField(max_length=16, choices=FlagStatus.choices)
    reason = models.TextField()
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=FlagAction.values), name="flag_review_action_known"),
            models.CheckConstraint(condition=~Q(reason=""), name="flag_review_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.flag_id} by {self.reviewer_id}"


class Appeal(models.Model):
    Status = AppealStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One appeal per flag, enforced here (OneToOne is a unique constraint) as well as in the service.
    flag = models.OneToOneField(Flag, on_delete=models.PROTECT, related_name="appeal")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(max_length=4000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    resolution_reason = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("resolve_appeal", "Can resolve appeals against flags (uphold, overturn)")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AppealStatus.values), name="appeal_status_known"),
            models.CheckConstraint(condition=~Q(statement=""), name="appeal_has_statement"),
            models.CheckConstraint(
                condition=Q(status="pending") | (~Q(resolution_reason="") & Q(resolved_at__isnull=False)),
                name="appeal_resolution_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.public_id.hex[:8]} ({self.status})"
