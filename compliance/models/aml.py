"""AML on viewer-to-creator gifts: requests, decisions, alerts and cases (issue 5).

A ``GiftRequest`` is written once, with its decision, and never changed: it is the record of what
the engine decided, under which configuration version, and why. Alerts are raised for held and
blocked gifts (and by graph scans); each belongs to the one open case of its subject account.
Cases are what staff work on; every change to a case goes through ``compliance.aml.services`` and
leaves an ``AuditEvent``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from valuetok.storage import private_storage

__all__ = ["AmlAlert", "AmlCase", "CaseAttachment", "CaseComment", "GiftDecision", "GiftRequest"]


class GiftDecision(models.TextChoices):
    ALLOW = "allow", "Allow"
    HOLD = "hold", "Hold for review"
    BLOCK = "block", "Block"


class GiftRequest(models.Model):
    """One gift a sender asked to make, and the engine's decision on it (append-only)."""

    Decision = GiftDecision

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The client's Idempotency-Key, unique per sender; request_hash is SHA-256 over the canonical
    # body, so a retry with the same key but another body can be told apart and refused.
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent")
    # When the sender's account was opened, copied here so that "how many new accounts gifted this
    # creator today" is answered from one index without joining the accounts table.
    sender_joined_at = models.DateTimeField(null=True, blank=True)
    receiver = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="gifts_received")
    # The receiving creator's account, denormalised so that the gift graph is account to account
    # (a creator can send gifts too) and its edges can be walked with one index each way.
    receiver_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    device_id = models.CharField(max_length=64)
    ip_hash = models.CharField(max_length=32)
    ip_prefix_hash = models.CharField(max_length=32)
    country = models.CharField(max_length=2, blank=True, help_text="Where the request came from, if known.")
    is_hosting_network = models.BooleanField(default=False, help_text="From a data-centre or VPN range.")
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=8, choices=GiftDecision.choices)
    rule_hits = models.JSONField(default=list, blank=True, help_text="Every rule that fired: rule, score, reason.")
    risk_score = models.PositiveIntegerField(default=0)
    config_version = models.CharField(max_length=32)
    decision_ms = models.FloatField(default=0.0, help_text="How long the decision took.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "idempotency_key"], name="gift_idempotency_key_per_sender"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="gift_amount_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="gift_currency_iso"),
            models.CheckConstraint(condition=Q(decision__in=GiftDecision.values), name="gift_decision_valid"),
        ]
        # Each party's recent gifts are read through its own (party, time) index; the included
        # columns let PostgreSQL answer the window counts and sums from the index alone.
        indexes = [
            models.Index(fields=["sender", "created_at"], name="gift_sender_time",
                         include=["amount_cents", "decision", "receiver", "country"]),
            models.Index(fields=["receiver", "created_at"], name="gift_receiver_time",
                         include=["amount_cents", "decision", "sender", "sender_joined_at"]),
            models.Index(fields=["receiver_user", "created_at"], name="gift_receiver_user_time",
                         include=["amount_cents", "decision", "sender"]),
            models.Index(fields=["device_id", "created_at"], name="gift_device_time", include=["sender"]),
            models.Index(fields=["ip_prefix_hash", "created_at"], name="gift_prefix_time", include=["sender"]),
            models.Index(fields=["created_at"], name="gift_time"),
        ]  # fmt: skip

    def __str__(self) -> str:
        amount = f"{self.amount_cents / 100:.2f} {self.currency}"
        return f"gift {amount} {self.sender_id}->{self.receiver_id} ({self.decision})"


# A resolved case has an outcome, a written reason and a time; an unresolved one has none of them.
RESOLVED_WITH_REASON = (
    Q(status="resolved") & ~Q(resolution="") & ~Q(resolution_reason="") & Q(resolved_at__isnull=False)
) | (~Q(status="resolved") & Q(resolution="") & Q(resolved_at__isnull=True))


class AmlCase(models.Model):
    """A piece of investigation work about one account; alerts about that account gather here."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        FALSE_POSITIVE = "false_positive", "False positive: no laundering"
        REPORTED = "reported", "Suspicious activity reported"
        ACCOUNT_RESTRICTED = "account_restricted", "Account restricted"
        OTHER = "other", "Other (see reason)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="aml_cases")
    # Every account the alerts involve (the subject, counterparties, cycle members).
    subjects = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="aml_cases_involved", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="aml_cases_assigned"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True)
    resolution_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "AML case"
        constraints = [
            # New alerts about an account join its one unresolved case.
            models.UniqueConstraint(
                fields=["subject"], condition=~Q(status="resolved"), name="aml_one_unresolved_case_per_subject"
            ),
            models.CheckConstraint(condition=RESOLVED_WITH_REASON, name="aml_case_resolved_with_reason"),
        ]
        indexes = [models.Index(fields=["status", "opened_at"], name="aml_case_status_opened")]

    def __str__(self) -> str:
        return f"AML case {self.pk} ({self.get_status_display()})"


class AmlAlert(models.Model):
    """Rules that fired about one account: on a gift (real time) or in a graph scan."""

    class Source(models.TextChoices):
        GIFT = "gift", "Gift decision"
        SCAN = "scan", "Graph scan"

    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="alerts")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="aml_alerts")
    gift = models.ForeignKey(GiftRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.GIFT)
    decision = models.CharField(max_length=8, choices=GiftDecision.choices, blank=True)
    rules = models.JSONField(default=list, help_text="The rules that fired about this account: rule, score, reason.")
    risk_score = models.PositiveIntegerField(default=0)
    config_version = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    scan_key = models.CharField(
        max_length=64, blank=True, help_text="For graph-scan alerts: the pattern found (e.g. the cycle's accounts)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AML alert"
        constraints = [
            # A gift raises at most one alert per account it is about: retries add nothing.
            models.UniqueConstraint(fields=["gift", "subject"], name="aml_alert_once_per_gift_subject"),
            # A scan reports each pattern once per account, however often it runs.
            models.UniqueConstraint(
                fields=["subject", "scan_key"], condition=~Q(scan_key=""), name="aml_scan_alert_once_per_pattern"
            ),
        ]

    def __str__(self) -> str:
        names = ", ".join(sorted({hit.get("rule", "?") for hit in self.rules}))
        return f"alert {self.pk}: {names}"


def case_attachment_path(instance: "CaseAttachment", filename: str) -> str:
    # Never the uploader's file name: it is not trusted input (and may itself be personal data).
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"aml-cases/{instance.public_id.hex[:2]}/{instance.public_id.hex}.{suffix}"


class CaseComment(models.Model):
    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="aml_comment_not_empty")]

    def __str__(self) -> str:
        return f"comment {self.pk} on case {self.case_id}"


class CaseAttachment(models.Model):
    """Evidence a member of staff attached to a case; kept in private storage, never at a public URL."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=case_attachment_path, storage=private_storage)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.size_bytes} bytes)"
