"""The double-entry ledger: accounts, journal entries and their legs.

Every leg is a signed number of cents; an entry's legs sum to zero and an account's balance is the
sum of its legs (money arriving in an account is a positive leg). Entries and legs are append-only:
a mistake is corrected by a reversing entry. On PostgreSQL the database enforces both rules itself
(a deferred constraint trigger checks every entry's sum at commit, other triggers refuse UPDATE
and DELETE; see migration 0001); everywhere, ``payouts.ledger`` checks them before it writes.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = [
    "OWNED_ACCOUNT_KINDS",
    "PLATFORM_ACCOUNT_KINDS",
    "AccountKind",
    "EntryKind",
    "GiftBooking",
    "JournalEntry",
    "JournalLeg",
    "LedgerAccount",
]


class AccountKind(models.TextChoices):
    # The outside world (bank clearing, ad revenue sources, card top-ups, payouts leaving): the
    # only kind whose balance may be negative.
    EXTERNAL = "external", "External"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    PLATFORM_FEES = "platform_fees", "Platform fees"
    SAFETY_RESERVE = "safety_reserve", "Safety reserve"
    BONUS_POOL = "bonus_pool", "Bonus pool"
    CREATOR_AVAILABLE = "creator_available", "Creator available"
    CREATOR_HELD = "creator_held", "Creator held"
    VIEWER_WALLET = "viewer_wallet", "Viewer gift wallet"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"


# Kinds that belong to one user (owner required) and kinds that exist once for the platform (no
# owner). Payouts in transit is kept per creator, so that a creator's pending withdrawals are one
# balance and a withdrawal can never settle or return more than that creator put in transit.
OWNED_ACCOUNT_KINDS = frozenset(
    {
        AccountKind.SAFETY_RESERVE,
        AccountKind.CREATOR_AVAILABLE,
        AccountKind.CREATOR_HELD,
        AccountKind.VIEWER_WALLET,
        AccountKind.PAYOUTS_IN_TRANSIT,
    }
)
PLATFORM_ACCOUNT_KINDS = frozenset(set(AccountKind) - OWNED_ACCOUNT_KINDS)


class EntryKind(models.TextChoices):
    """What an entry records. Informational: the column accepts other short names too."""

    REVENUE = "revenue", "Revenue recognised"
    ALLOCATION = "allocation", "Revenue allocation"
    RESERVE_RELEASE = "reserve_release", "Reserve release"
    CLAWBACK = "clawback", "Clawback"
    BONUS = "bonus", "Bonus"
    GIFT = "gift", "Gift"
    WALLET_TOPUP = "wallet_topup", "Wallet top-up"
    WITHDRAWAL_REQUEST = "withdrawal_request", "Withdrawal requested"
    WITHDRAWAL_PAID = "withdrawal_paid", "Withdrawal paid"
    WITHDRAWAL_REJECTED = "withdrawal_rejected", "Withdrawal rejected"
    HELD_RELEASE = "held_release", "Held money released"
    REVERSAL = "reversal", "Reversal"


class LedgerAccount(models.Model):
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner"], name="ledger_account_once_per_kind_owner"),
            # NULL owners are distinct in a unique index: platform accounts need their own.
            models.UniqueConstraint(
                fields=["kind"], condition=Q(owner__isnull=True), name="ledger_platform_account_once"
            ),
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="ledger_account_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind__in=sorted(OWNED_ACCOUNT_KINDS)) & Q(owner__isnull=False))
                | (Q(kind__in=sorted(PLATFORM_ACCOUNT_KINDS)) & Q(owner__isnull=True)),
                name="ledger_account_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.owner_id}" if self.owner_id else self.kind

    @property
    def may_go_negative(self) -> bool:
        return self.kind == AccountKind.EXTERNAL


class JournalEntry(models.Model):
    """One balanced movement of money; never changed after it is written."""

    Kind = EntryKind

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    # Whoever asks for money to move names the request; the same key never moves money twice.
    idempotency_key = models.CharField(max_length=255, unique=True)
    memo = models.TextField(blank=True)
    reference = models.JSONField(default=dict, blank=True, help_text="What this entry is about (ids, run, gift).")
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"
        constraints = [
            # An entry is reversed at most once; a reversal cannot reverse itself.
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="ledger_entry_reversed_once"
            ),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="ledger_entry_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class JournalLeg(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="legs", db_index=False)
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_leg_not_zero")]
        # A balance is a sum over one account's legs, answered from this index alone on PostgreSQL.
        indexes = [models.Index(fields=["account"], name="ledger_leg_account", include=["amount_cents"])]

    def __str__(self) -> str:
        return f"{self.amount_cents:+d} -> {self.account}"


# --- Gifts booked through the ledger --------------------------------------------------------------
class GiftBooking(models.Model):
    """What the ledger did with one allowed or held gift (blocked gifts move nothing and get none).

    ``awaiting_review``: held by AML, nothing moved yet (the amount still counts against the
    sender's spendable wallet); ``booked``: viewer wallet -> creator held, by ``entry``;
    ``refused``: the AML case confirmed suspicion (or the wallet no longer covered it), nothing
    moved. A booked gift's money is released to the creator's available balance once, by
    ``release_entry``, after the hold period and with KYC.
    """

    class Status(models.TextChoices):
        AWAITING_REVIEW = "awaiting_review", "Awaiting AML review"
        BOOKED = "booked", "Booked"
        REFUSED = "refused", "Refused"

    gift = models.OneToOneField("compliance.GiftRequest", on_delete=models.PROTECT, related_name="booking")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    receiver_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    booked_at = models.DateTimeField(null=True, blank=True)
    refused_reason = models.CharField(max_length=255, blank=True)
    release_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    # The gift's own time (not this row's): the hold period counts from when the gift was made.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="gift_booking_amount_positive"),
            models.CheckConstraint(
                condition=(Q(status="booked") & Q(entry__isnull=False) & Q(booked_at__isnull=False))
                | (~Q(status="booked") & Q(entry__isnull=True) & Q(release_entry__isnull=True)),
                name="gift_booking_entry_iff_booked",
            ),
            models.CheckConstraint(
                condition=Q(release_entry__isnull=True, released_at__isnull=True)
                | Q(release_entry__isnull=False, released_at__isnull=False),
                name="gift_booking_release_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["sender", "status"], name="gift_booking_sender_status"),
            # The release task walks booked, unreleased gifts oldest first (created_at is the gift's time).
            models.Index(
                fields=["created_at"],
                condition=Q(status="booked", release_entry__isnull=True),
                name="gift_booking_unreleased",
            ),
        ]

    def __str__(self) -> str:
        return f"gift booking {self.gift_id} ({self.status})"
