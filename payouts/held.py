"""Held earnings become available once the creator is verified.

A creator below ``PAYOUTS_MIN_KYC_LEVEL`` earns run allocations, released reserves and bonuses into
``creator_held``. Once their KYC reaches the level, that money moves to ``creator_available``,
except booked gifts still inside their hold period: those stay until the gift release task moves
them gift by gift (``payouts.gifts.held_gifts_release``).

The ledger key of a release names the held account and the last leg posted to it, so a second run
on an unchanged balance replays instead of moving money again, and two workers at once move it once.
"""

import logging

from django.conf import settings
from django.db.models import Max, Sum

from compliance.selectors import kyc_levels_for_users
from payouts.ledger import entry_post
from payouts.models import AccountKind, EntryKind, JournalLeg, LedgerAccount
from payouts.selectors import held_gift_cents_unreleased_by_creator
from payouts.split.runs import accounts_for_owners

logger = logging.getLogger(__name__)


def held_earnings_release(*, limit: int = 10_000) -> int:
    """Move verified creators' held earnings (less unreleased gifts) to available; returns how many moved.

    The balances, KYC levels, unreleased gifts and accounts are read set-based; each move is its
    own ledger entry (its own lock and idempotency key).
    """
    rows = list(
        JournalLeg.objects.filter(account__kind=AccountKind.CREATOR_HELD)
        .values("account_id", "account__owner_id")
        .annotate(balance=Sum("amount_cents"), last_leg=Max("id"))
        .filter(balance__gt=0)
        .order_by("account_id")[:limit]
    )
    levels = kyc_levels_for_users(user_ids=[row["account__owner_id"] for row in rows])
    verified = [row for row in rows if levels.get(row["account__owner_id"], 0) >= settings.PAYOUTS_MIN_KYC_LEVEL]
    owners = [row["account__owner_id"] for row in verified]
    # Booked gift money still inside its hold period stays held: the gift release task moves it.
    unreleased = held_gift_cents_unreleased_by_creator(creator_ids=owners)
    held_accounts = LedgerAccount.objects.in_bulk([row["account_id"] for row in verified])
    available = accounts_for_owners(kind=AccountKind.CREATOR_AVAILABLE, owner_ids=owners)
    moved = 0
    for row in verified:
        owner_id = row["account__owner_id"]
        amount = row["balance"] - unreleased.get(owner_id, 0)
        if amount <= 0:
            continue
        entry = entry_post(
            kind=EntryKind.HELD_RELEASE,
            legs=[(held_accounts[row["account_id"]], -amount), (available[owner_id], amount)],
            idempotency_key=f"held_earnings_release:{row['account_id']}:{row['last_leg']}",
            memo="Held earnings released: identity verified",
            reference={"reason": "kyc_verified"},
        )
        if not getattr(entry, "replayed", False):
            moved += 1
            logger.info("held_earnings_released creator=%s cents=%d", owner_id, amount)
    return moved
