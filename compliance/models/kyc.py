"""KYC submissions, identity documents, staff reviews and phone trust (issue 5).

A creator's personal data and documents form one ``KycSubmission``; the deterministic checks in
``compliance/kyc/checks.py`` and the sanctions screening run when it is created and their results
are stored on it (``flags``, ``screening_matches``), so that what a reviewer sees is exactly what
the rules saw. Status rules and levels are documented in ``compliance/kyc/services.py``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from creators.models import country_validator, private_storage

__all__ = ["IdentityDocument", "KycReview", "KycSubmission", "PhoneLookupAudit", "PhoneTrustAssessment"]


class KycSubmission(models.Model):
    """One application for verification: who the creator says they are, and what the checks found.

    ``level`` is the level the submission grants *now*: above 0 only while approved (a database
    constraint). ``eligible_level`` is what the documents support once approved (1 basic, 2 verified
    by a machine-readable zone), kept so that a reviewer's approval grants the right level.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        NEEDS_REVIEW = "needs_review", "Needs review"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    class Level(models.IntegerChoices):
        NONE = 0, "0 - none"
        BASIC = 1, "1 - basic"
        VERIFIED = 2, "2 - verified"
        ENHANCED = 3, "3 - enhanced"

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        UNSPECIFIED = "X", "Unspecified"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kyc_submissions")
    given_names = models.CharField(max_length=150)
    surname = models.CharField(max_length=150)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names the person is known by.")
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    nationality = models.CharField(max_length=2, validators=[country_validator])
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20, blank=True)
    address_country = models.CharField(max_length=2, validators=[country_validator])
    phone_number = PhoneNumberField()
    email = models.EmailField()

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.NONE)
    eligible_level = models.PositiveSmallIntegerField(
        choices=Level.choices, default=Level.NONE, help_text="The level an approval grants (basic or verified)."
    )
    score = models.PositiveSmallIntegerField(default=0, help_text="0 to 100; higher is more trustworthy.")
    flags = models.JSONField(default=list, blank=True, help_text="Every check: {check, result, reason, ...}.")
    screening_matches = models.JSONField(default=list, blank=True)
    enhanced_review = models.BooleanField(
        default=False, help_text="Escalated for enhanced due diligence: a second reviewer must approve."
    )
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateField(
        null=True, blank=True, help_text="The verification lapses after this day: the earliest document expiry."
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        permissions = [("review_kycsubmission", "Can decide KYC reviews (approve, reject, escalate)")]
        indexes = [
            models.Index(fields=["user", "-submitted_at"], name="kyc_user_recent"),
            models.Index(fields=["status", "submitted_at"], name="kyc_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "approved", "needs_review", "rejected", "expired"]),
                name="kyc_status_known",
            ),
            models.CheckConstraint(condition=Q(level__lte=3), name="kyc_level_range"),
            models.CheckConstraint(condition=Q(eligible_level__lte=2), name="kyc_eligible_level_range"),
            models.CheckConstraint(condition=Q(score__lte=100), name="kyc_score_range"),
            # A level is held only while approved; anything else holds none.
            models.CheckConstraint(
                condition=(Q(status="approved") & Q(level__gte=1)) | (~Q(status="approved") & Q(level=0)),
                name="kyc_level_only_when_approved",
            ),
            # One open application per person: a second waits until the first is decided.
            models.UniqueConstraint(
                fields=["user"], condition=Q(status__in=["submitted", "needs_review"]), name="kyc_one_open_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"KYC {self.public_id.hex[:8]} {self.legal_name} ({self.get_status_display()})"

    @property
    def legal_name(self) -> str:
        return f"{self.given_names} {self.surname}".strip()

    @property
    def audit_subject(self) -> str:
        from compliance.audit import subject_of

        return subject_of(self)


# The content types an identity document may have, by what its bytes say (see kyc/documents.py).
DOCUMENT_CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def private_document_path(instance: "IdentityDocument", filename: str) -> str:
    # Never the uploader's file name (untrusted); the extension follows the sniffed content type.
    return f"kyc/{instance.public_id.hex}.{DOCUMENT_CONTENT_TYPES.get(instance.content_type, 'bin')}"


class IdentityDocument(models.Model):
    class DocType(models.TextChoices):
        PASSPORT = "passport", "Passport"
        NATIONAL_ID = "national_id", "National identity card"
        DRIVING_LICENCE = "driving_licence", "Driving licence"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(KycSubmission, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(max_length=16, choices=DocType.choices)
    number = models.CharField(max_length=32)
    issuing_country = models.CharField(max_length=2, validators=[country_validator])
    holder_name = models.CharField(max_length=200, blank=True, help_text="The name as printed, when given.")
    issue_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    mrz = models.TextField(blank=True, help_text="The machine-readable zone as typed or read, lines separated.")
    file = models.FileField(upload_to=private_document_path, storage=private_storage, max_length=200)
    content_type = models.CharField(max_length=32, help_text="Sniffed from the file's bytes, not its name.")
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(doc_type__in=["passport", "national_id", "driving_licence"]), name="kyc_doc_type_known"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=list(DOCUMENT_CONTENT_TYPES)), name="kyc_doc_content_type_allowed"
            ),
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="kyc_doc_not_empty"),
            models.CheckConstraint(
                condition=Q(issue_date__isnull=True) | Q(expiry_date__isnull=True) | Q(expiry_date__gt=F("issue_date")),
                name="kyc_doc_expiry_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.issuing_country} …{self.number[-3:]}"


class KycReview(models.Model):
    """A staff decision on a submission; the matching AuditEvent carries before and after."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        ESCALATE = "escalate", "Escalate to enhanced due diligence"

    submission = models.ForeignKey(KycSubmission, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField(default=0)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["approve", "reject", "escalate"]), name="kyc_review_decision_known"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="kyc_review_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer_id} on {self.decided_at:%Y-%m-%d}"


class PhoneTrustAssessment(models.Model):
    """How far a phone number can be trusted as a person's own, 0 to 100, with the reasons."""

    class LineType(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        FIXED_LINE = "fixed_line", "Fixed line"
        FIXED_OR_MOBILE = "fixed_or_mobile", "Fixed line or mobile"
        VOIP = "voip", "VoIP"
        PREMIUM = "premium", "Premium rate"
        TOLL_FREE = "toll_free", "Toll free"
        OTHER = "other", "Other (pager, shared cost, personal)"
        UNKNOWN = "unknown", "Unknown"
        INVALID = "invalid", "Not a valid number"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_assessments")
    phone = models.CharField(max_length=32, blank=True)
    score = models.PositiveSmallIntegerField()
    line_type = models.CharField(max_length=16, choices=LineType.choices)
    country = models.CharField(max_length=2, blank=True)
    reasons = models.JSONField(default=list, help_text="Each signal: {signal, points, reason}.")
    provider = models.CharField(max_length=32, blank=True, help_text="External provider consulted, if any.")
    provider_result = models.JSONField(default=dict, blank=True)
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["user", "-assessed_at"], name="phone_trust_user_recent")]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="phone_trust_score_range")]

    def __str__(self) -> str:
        return f"{self.phone or '(none)'}: {self.score}"


class PhoneLookupAudit(models.Model):
    """One call (or refused call) to the external phone-validation provider. Never holds the key."""

    class Outcome(models.TextChoices):
        OK = "ok", "Answered"
        HTTP_ERROR = "http_error", "HTTP error"
        TIMEOUT = "timeout", "Timed out"
        NETWORK_ERROR = "network_error", "Network error"
        RATE_LIMITED = "rate_limited", "Rate limited by the provider (429)"
        THROTTLED = "throttled", "Not sent: local rate limit"
        BAD_RESPONSE = "bad_response", "Unreadable response"

    provider = models.CharField(max_length=32)
    url = models.CharField(max_length=500, help_text="The endpoint, without the query (so without the key).")
    phone = models.CharField(max_length=32)
    attempt = models.PositiveSmallIntegerField(default=1)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome} {self.status_code or ''} at {self.requested_at:%Y-%m-%d %H:%M:%S}"
