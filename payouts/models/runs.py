"""Revenue split runs: one run allocates a pool of a period's net revenue to creators.

A run is a small state machine (draft -> computed -> committed, or failed). Computing writes the
breakdown (``PayoutVideoLine`` per video, ``PayoutAllocation`` per creator) and moves no money;
committing posts one journal entry per paid creator in one transaction. ``ReserveRelease`` and
``Clawback`` record what later happens to an allocation's safety reserve, with the entries that
moved the money, so that statements and dashboards can list them with their reasons.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

__all__ = ["Clawback", "PayoutAllocation", "PayoutRun", "PayoutVideoLine", "ReserveRelease"]


class PayoutRun(models.Model):
    class Granularity(models.TextChoices):
        DAILY = "daily", "Daily"
        MONTHLY = "monthly", "Monthly"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPUTED = "computed", "Computed (preview)"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField(help_text="First day of the period (UTC).")
    period_end = models.DateField(help_text="Day after the last day of the period (UTC): the period is [start, end).")
    pool_cents = models.BigIntegerField(help_text="Net revenue to allocate, taken from platform revenue.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    config = models.JSONField(
        default=dict, blank=True, help_text="The settings the run was computed with (weights, gamma, tiers, caps...)."
    )
    scoring_version = models.CharField(max_length=32, blank=True, help_text="EIS scoring version of the windows.")
    # Totals, set when computed. allocated = fees + reserve + creators' net; pool = allocated + carried forward.
    creators_paid = models.PositiveIntegerField(default=0)
    creators_excluded = models.PositiveIntegerField(default=0)
    value_units_total = models.FloatField(default=0)
    allocated_cents = models.BigIntegerField(default=0, help_text="Gross allocated to creators.")
    fees_cents = models.BigIntegerField(default=0, help_text="Platform fees from the tier table.")
    margin_adjustment_cents = models.BigIntegerField(default=0, help_text="Extra fees the margin guardrail took.")
    reserve_cents = models.BigIntegerField(default=0, help_text="Held back in creators' safety reserves.")
    net_available_cents = models.BigIntegerField(default=0, help_text="To creators' available balances.")
    net_held_cents = models.BigIntegerField(default=0, help_text="To creators' held balances (KYC level 0).")
    carried_forward_cents = models.BigIntegerField(
        default=0, help_text="What no creator could take (everyone at their KYC cap): stays in platform revenue."
    )
    created_at = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "-id"]
        permissions = [("commit_payoutrun", "Can compute and commit payout runs")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "computed", "committed", "failed"]), name="payout_run_status_known"
            ),
            models.CheckConstraint(condition=Q(granularity__in=["daily", "monthly"]), name="payout_run_granularity"),
            models.CheckConstraint(condition=Q(pool_cents__gt=0), name="payout_run_pool_positive"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="payout_run_period_order"),
            # One live run per period: a failed run may be followed by a new one.
            models.UniqueConstraint(
                fields=["granularity", "period_start"], condition=~Q(status="failed"), name="payout_run_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(
                    allocated_cents=F("fees_cents")
                    + F("margin_adjustment_cents")
                    + F("reserve_cents")
                    + F("net_available_cents")
                    + F("net_held_cents")
                ),
                name="payout_run_totals_add_up",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "failed"])
                | Q(pool_cents=F("allocated_cents") + F("carried_forward_cents")),
                name="payout_run_pool_accounted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_granularity_display()} run {self.period_start:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def entry_key_prefix(self) -> str:
        return f"payouts:allocation:{self.public_id}:"


class PayoutVideoLine(models.Model):
    """How one video's engagement became value units in a run."""

    # No index of its own: payout_video_line_once (run, video) starts with it.
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="video_lines", db_index=False)
    video = models.ForeignKey("creators.Video", on_delete=models.PROTECT, related_name="+", db_index=False)
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="+", db_index=False)
    engagement_units = models.FloatField(help_text="Weighted valid engagements from the EIS windows.")
    capped_units = models.FloatField(help_text="Engagement units after the per-viewer cap.")
    engagement_integrity_score = models.FloatField(help_text="EIS of the period, weighted by engagement units.")
    windows = models.PositiveIntegerField(help_text="Daily EIS windows counted.")
    eis_weighted_units = models.FloatField(help_text="Sum over windows of units x (EIS/100)^gamma.")
    velocity_multiplier = models.FloatField()
    trust_multiplier = models.FloatField()
    value_units = models.FloatField()

    class Meta:
        ordering = ["run", "-value_units"]
        constraints = [models.UniqueConstraint(fields=["run", "video"], name="payout_video_line_once")]

    def __str__(self) -> str:
        return f"video {self.video_id} in run {self.run_id}: {self.value_units:.1f} value units"


class PayoutAllocation(models.Model):
    """One creator's line in a run: value, share, cap, fee, reserve and what they receive."""

    class Destination(models.TextChoices):
        AVAILABLE = "available", "Available balance"
        HELD = "held", "Held balance (KYC level 0)"
        NONE = "none", "Nothing paid"

    class Excluded(models.TextChoices):
        LIKELY_BOT = "likely_bot", "Creator trust below the likely-bot line"
        FEW_VIEWERS = "few_viewers", "Fewer unique valid viewers than the floor"
        INACTIVE = "inactive", "Account deactivated"

    # No indexes of their own: payout_allocation_once (run, creator) and payout_allocation_creator
    # (creator, run) start with them.
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    creator = models.ForeignKey(
        "creators.CreatorProfile", on_delete=models.PROTECT, related_name="payout_allocations", db_index=False
    )
    videos = models.PositiveIntegerField(default=0)
    engagement_units = models.FloatField(default=0)
    unique_viewers = models.PositiveIntegerField(default=0)
    trust_multiplier = models.FloatField(default=1)
    value_units = models.FloatField(default=0)
    share = models.FloatField(default=0, help_text="Of the eligible value units of the run.")
    eligible = models.BooleanField(default=True)
    excluded_reason = models.CharField(max_length=16, choices=Excluded.choices, blank=True)
    kyc_level = models.PositiveSmallIntegerField(default=0)
    cap_cents = models.BigIntegerField(null=True, blank=True, help_text="KYC cap of this run; empty: uncapped.")
    capped = models.BooleanField(default=False, help_text="Held at the cap by water-filling.")
    gross_cents = models.BigIntegerField(default=0)
    fee_cents = models.BigIntegerField(default=0)
    fee_tier = models.PositiveSmallIntegerField(default=0, help_text="Highest fee tier the gross reached (0-based).")
    margin_adjustment_cents = models.BigIntegerField(default=0)
    reserve_cents = models.BigIntegerField(default=0)
    net_cents = models.BigIntegerField(default=0)
    destination = models.CharField(max_length=16, choices=Destination.choices, default=Destination.NONE)
    entry = models.ForeignKey(
        "payouts.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["run", "-gross_cents", "creator_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "creator"], name="payout_allocation_once"),
            models.CheckConstraint(
                condition=Q(
                    gross_cents=F("fee_cents") + F("margin_adjustment_cents") + F("reserve_cents") + F("net_cents")
                ),
                name="payout_allocation_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(gross_cents__gte=0)
                & Q(fee_cents__gte=0)
                & Q(margin_adjustment_cents__gte=0)
                & Q(reserve_cents__gte=0)
                & Q(net_cents__gte=0),
                name="payout_allocation_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(cap_cents__isnull=True) | Q(gross_cents__lte=F("cap_cents")),
                name="payout_allocation_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(eligible=True, excluded_reason="")
                | Q(eligible=False, gross_cents=0) & ~Q(excluded_reason=""),
                name="payout_allocation_exclusion_explained",
            ),
        ]
        indexes = [models.Index(fields=["creator", "run"], name="payout_allocation_creator")]

    def __str__(self) -> str:
        return f"{self.creator_id} in run {self.run_id}: {self.gross_cents} cents"


class ReserveRelease(models.Model):
    """An allocation's safety reserve, less what clawbacks took from it, released to the creator."""

    allocation = models.OneToOneField(PayoutAllocation, on_delete=models.PROTECT, related_name="reserve_release")
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    destination = models.CharField(max_length=16, choices=PayoutAllocation.Destination.choices)
    entry = models.ForeignKey("payouts.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-released_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gte=0), name="reserve_release_not_negative")]

    def __str__(self) -> str:
        return f"reserve release of {self.amount_cents} cents for allocation {self.allocation_id}"


class Clawback(models.Model):
    """Money recovered from a creator after a past window's EIS was revised down (fraud found late).

    The recovered gross goes back to platform revenue: the platform returns the fee it took on
    it, and the creator's share is taken from this allocation's reserve first, then the held
    balance, then the available balance; what could not be recovered is recorded, not invented.
    """

    allocation = models.ForeignKey(PayoutAllocation, on_delete=models.PROTECT, related_name="clawbacks")
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="clawbacks")
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="payout_clawbacks")
    sequence = models.PositiveSmallIntegerField(help_text="1 for the allocation's first clawback, 2 for the next...")
    reason = models.TextField()
    details = models.JSONField(default=dict, help_text="Per video: value units and EIS before and after.")
    value_units_before = models.FloatField()
    value_units_after = models.FloatField()
    gross_cents = models.BigIntegerField(help_text="Gross allocation reversed.")
    fee_refund_cents = models.BigIntegerField(default=0)
    from_reserve_cents = models.BigIntegerField(default=0)
    from_held_cents = models.BigIntegerField(default=0)
    from_available_cents = models.BigIntegerField(default=0)
    unrecovered_cents = models.BigIntegerField(default=0, help_text="Already withdrawn: owed, not recovered.")
    entry = models.ForeignKey("payouts.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "sequence"], name="clawback_sequence_once"),
            models.CheckConstraint(
                condition=Q(
                    gross_cents=F("fee_refund_cents")
                    + F("from_reserve_cents")
                    + F("from_held_cents")
                    + F("from_available_cents")
                    + F("unrecovered_cents")
                ),
                name="clawback_adds_up",
            ),
            models.CheckConstraint(condition=Q(gross_cents__gt=0), name="clawback_positive"),
        ]
        indexes = [models.Index(fields=["creator", "-created_at"], name="clawback_creator_recent")]

    def __str__(self) -> str:
        return f"clawback of {self.gross_cents} cents from creator {self.creator_id} (run {self.run_id})"
