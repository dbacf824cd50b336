"""Releasing safety reserves once their holding period is over.

Each committed allocation's reserve is released once, ``reserve_release_days`` (from the run's
snapshot) after the run was committed, less whatever clawbacks already took from it, to the
creator's available balance (KYC level >= 1 at release time) or held balance (level 0).
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from compliance.selectors import kyc_levels_for_users
from payouts import ledger
from payouts.models import AccountKind, EntryKind, JournalEntry, PayoutAllocation, PayoutRun, ReserveRelease

from .runs import AVAILABLE_FROM_KYC_LEVEL, accounts_for_owners

logger = logging.getLogger(__name__)

Destination = PayoutAllocation.Destination
CHUNK = 5_000


def _release_run(run: PayoutRun, now: datetime) -> int:
    released = 0
    with transaction.atomic():
        # One releaser per run at a time; the next one finds the releases already recorded.
        PayoutRun.objects.select_for_update().get(id=run.id)
        pending = list(
            PayoutAllocation.objects.filter(run=run, reserve_cents__gt=0, reserve_release__isnull=True)
            .annotate(clawed=Coalesce(Sum("clawbacks__from_reserve_cents"), 0))
            .values_list("id", "creator_id", "creator__user_id", "reserve_cents", "clawed")
            .order_by("id")[: CHUNK * 20]
        )
        if not pending:
            return 0
        users = [p[2] for p in pending]
        levels = kyc_levels_for_users(user_ids=users, today=now.date())
        reserve = accounts_for_owners(kind=AccountKind.SAFETY_RESERVE, owner_ids=users)
        to_available = [u for u in users if levels.get(u, 0) >= AVAILABLE_FROM_KYC_LEVEL]
        available = accounts_for_owners(kind=AccountKind.CREATOR_AVAILABLE, owner_ids=to_available)
        held = accounts_for_owners(kind=AccountKind.CREATOR_HELD, owner_ids=set(users) - set(to_available))
        specs, records = [], []
        for allocation_id, creator_id, user_id, reserve_cents, clawed in pending:
            amount = int(reserve_cents) - int(clawed)
            destination = Destination.AVAILABLE if user_id in available else Destination.HELD
            key = f"payouts:reserve_release:{allocation_id}"
            if amount > 0:
                target = (available if destination == Destination.AVAILABLE else held)[user_id]
                specs.append(
                    ledger.EntrySpec(
                        kind=EntryKind.RESERVE_RELEASE,
                        legs=[(reserve[user_id], -amount), (target, amount)],
                        idempotency_key=key,
                        memo=f"Safety reserve of the run from {run.period_start} released",
                        reference={"run": str(run.public_id), "allocation": allocation_id, "creator": creator_id},
                    )
                )
            records.append(
                ReserveRelease(
                    allocation_id=allocation_id,
                    creator_id=creator_id,
                    amount_cents=max(amount, 0),
                    destination=destination if amount > 0 else Destination.NONE,
                    released_at=now,
                )
            )
        ledger.entries_post(entries=specs)
        entry_ids = dict(
            JournalEntry.objects.filter(idempotency_key__in=[s.idempotency_key for s in specs]).values_list(
                "idempotency_key", "id"
            )
        )
        for record in records:
            record.entry_id = entry_ids.get(f"payouts:reserve_release:{record.allocation_id}")
        ReserveRelease.objects.bulk_create(records, batch_size=2_000)
        released = len(records)
    logger.info("payout_reserves_released run=%s allocations=%s", run.public_id, released)
    return released


def reserve_release_due(*, now: datetime | None = None) -> int:
    """Release every reserve whose holding period is over; returns how many allocations were
    released. Safe to run twice or concurrently: each allocation is released once."""
    now = now or timezone.now()
    total = 0
    for run in PayoutRun.objects.filter(status=PayoutRun.Status.COMMITTED, reserve_cents__gt=0).order_by("id"):
        days = int(run.config.get("reserve_release_days", 0))
        if run.committed_at is None or run.committed_at + timedelta(days=days) > now:
            continue
        while count := _release_run(run, now):
            total += count
    return total
