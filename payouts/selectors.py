"""Payouts reads: balances, wallets, withdrawals and gifts waiting for release."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum

from payouts.ledger import balances_for_owner
from payouts.models import AccountKind, GiftBooking, Withdrawal

__all__ = [
    "OwnerBalances",
    "gift_bookings_due_for_release",
    "held_gift_cents_unreleased",
    "owner_balances",
    "wallet_spendable_cents",
    "withdrawals_for_creator",
]


@dataclass(frozen=True)
class OwnerBalances:
    available_cents: int  # withdrawable
    held_cents: int  # earned, not yet withdrawable (KYC, gift hold period)
    reserve_cents: int  # safety reserve: never withdrawable
    in_transit_cents: int  # requested withdrawals not yet paid or rejected
    wallet_cents: int  # gift wallet (as a viewer)
    wallet_pending_cents: int  # gifts held by AML review, still counted against the wallet

    @property
    def wallet_spendable_cents(self) -> int:
        return max(self.wallet_cents - self.wallet_pending_cents, 0)


def _awaiting_review_cents(*, user) -> int:
    total = GiftBooking.objects.filter(sender=user, status=GiftBooking.Status.AWAITING_REVIEW).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return int(total or 0)


def owner_balances(*, user) -> OwnerBalances:
    """Every balance one user has: as a creator (available, held, reserve, in transit) and as a viewer."""
    balances = balances_for_owner(owner=user)
    return OwnerBalances(
        available_cents=balances[AccountKind.CREATOR_AVAILABLE],
        held_cents=balances[AccountKind.CREATOR_HELD],
        reserve_cents=balances[AccountKind.SAFETY_RESERVE],
        in_transit_cents=balances[AccountKind.PAYOUTS_IN_TRANSIT],
        wallet_cents=balances[AccountKind.VIEWER_WALLET],
        wallet_pending_cents=_awaiting_review_cents(user=user),
    )


def wallet_spendable_cents(*, user, wallet=None) -> int:
    """The viewer's gift wallet less the gifts AML is still reviewing (they may yet be booked).

    ``wallet``: the user's wallet account, where the caller already holds it (one lookup fewer).
    """
    from payouts.ledger import account_for, balance_of

    wallet = wallet or account_for(kind=AccountKind.VIEWER_WALLET, owner=user)
    return balance_of(account=wallet) - _awaiting_review_cents(user=user)


def held_gift_cents_unreleased(*, creator) -> int:
    """How much of the creator's held balance is booked gift money still inside its hold period.

    A release of held revenue (e.g. once the creator passes KYC) must leave this much behind: the
    gift release task moves it, gift by gift, when each gift's hold period is over.
    """
    return held_gift_cents_unreleased_by_creator(creator_ids=[creator.pk]).get(creator.pk, 0)


def held_gift_cents_unreleased_by_creator(*, creator_ids) -> dict[int, int]:
    """``held_gift_cents_unreleased`` for many creators in one query: user id -> cents (absent: 0)."""
    rows = (
        GiftBooking.objects.filter(
            receiver_user_id__in=creator_ids, status=GiftBooking.Status.BOOKED, release_entry__isnull=True
        )
        .values("receiver_user_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("receiver_user_id", "total")
    )
    return {user_id: int(total) for user_id, total in rows}


def gift_bookings_due_for_release(*, older_than: datetime) -> QuerySet[GiftBooking]:
    """Booked gifts made before ``older_than`` whose money is still held, oldest first."""
    return GiftBooking.objects.filter(
        status=GiftBooking.Status.BOOKED, release_entry__isnull=True, created_at__lte=older_than
    ).order_by("created_at", "id")


def withdrawals_for_creator(*, user) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(creator=user).order_by("-created_at", "-id")
