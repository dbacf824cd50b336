"""Creator withdrawals: a request moves money from available to in transit; Finance pays or rejects.

Status moves only forward, by compare-and-set in ``payouts.withdrawals``:
``pending`` (screening clear, Finance may approve) or ``review`` (the payee name may be a listed
party: a person must look first, never paid automatically) -> ``paid`` or ``rejected``;
``review`` -> ``pending`` when Finance clears the screening hit.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = ["Withdrawal"]


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        REVIEW = "review", "Screening review"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    # The client's Idempotency-Key, unique per creator; request_hash is SHA-256 over the canonical
    # body, so a retry with the same key but another body is told apart and refused.
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    payee_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    screening_matches = models.JSONField(
        default=list, blank=True, help_text="Sanctions/PEP matches of the payee name at request time."
    )
    screened_at = models.DateTimeField(null=True, blank=True)
    request_entry = models.ForeignKey(
        "payouts.JournalEntry", on_delete=models.PROTECT, related_name="+", help_text="available -> in transit"
    )
    settle_entry = models.ForeignKey(
        "payouts.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="in transit -> external (paid) or back to available (rejected)",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "idempotency_key"], name="withdrawal_key_per_creator"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=["pending", "review", "paid", "rejected"]),
                                   name="withdrawal_status_valid"),
            # Decided withdrawals say who, when and how the money moved; open ones have none of it.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["paid", "rejected"]) & Q(decided_at__isnull=False) & Q(settle_entry__isnull=False)
                ) | (Q(status__in=["pending", "review"]) & Q(decided_at__isnull=True) & Q(settle_entry__isnull=True)),
                name="withdrawal_decided_consistently",
            ),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                                   name="withdrawal_rejected_with_reason"),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["creator", "created_at"], name="withdrawal_creator_time"),
            models.Index(fields=["status", "created_at"], name="withdrawal_status_time"),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.amount_cents / 100:.2f} {self.currency} by {self.creator_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.REVIEW)
