"""Gifts through the ledger: wallet top-ups, booking AML's decisions, and releasing held gift money.

- ``gift_send`` is what the gift API calls: it refuses a gift the sender's wallet cannot cover
  (nothing stored), asks AML (``compliance.aml.services.gift_decide``) and, in the same
  transaction, books an allowed gift (viewer wallet -> creator held) or records a held one as
  awaiting review. A blocked gift moves nothing.
- ``gift_bookings_settle_for_case`` runs inside ``case_resolve``'s transaction: a clearing
  resolution books the held gifts the case was about, a suspicious one refuses them.
- ``held_gifts_release`` moves each booked gift from the creator's held balance to available
  once it is older than ``PAYOUTS_GIFT_HOLD_DAYS`` and the creator has KYC; once per gift.

Ledger idempotency keys are derived from the gift (``gift:<public id>``, ``gift_release:<public
id>``), so no retry, replay or concurrent resolution can book or release a gift twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.aml.services import GiftError, gift_decide
from compliance.audit import audit
from compliance.models import AmlAlert, AmlCase, GiftRequest
from compliance.selectors import kyc_levels_for_users
from creators.models import CreatorProfile, User
from payouts.ledger import InsufficientFunds, LedgerError, account_for, accounts_lock, entry_post
from payouts.models import AccountKind, EntryKind, GiftBooking, JournalEntry, LedgerAccount
from payouts.selectors import gift_bookings_due_for_release, wallet_spendable_cents
from payouts.split.runs import accounts_for_owners

logger = logging.getLogger(__name__)

__all__ = [
    "GiftReleaseResult",
    "GiftSettleResult",
    "WalletBalanceTooLow",
    "gift_book",
    "gift_bookings_settle_for_case",
    "gift_send",
    "held_gifts_release",
    "wallet_topup",
]

SUSPICIOUS_RESOLUTIONS = frozenset({AmlCase.Resolution.REPORTED, AmlCase.Resolution.ACCOUNT_RESTRICTED})
MAX_TOPUP_CENTS = 10**9


class WalletBalanceTooLow(GiftError):
    """The sender's spendable wallet balance does not cover the gift; nothing was stored."""

    def __init__(self, *, amount_cents: int, spendable_cents: int):
        super().__init__(
            f"Your gift wallet holds {spendable_cents / 100:.2f} USD available to give; this gift is "
            f"{amount_cents / 100:.2f} USD. Top up your wallet or send a smaller gift."
        )
        self.amount_cents = amount_cents
        self.spendable_cents = spendable_cents


# --- Wallet ----------------------------------------------------------------------------------------
def wallet_topup(*, viewer: User, amount_cents: int, idempotency_key: str,
                 reference: dict | str | None = None) -> JournalEntry:  # fmt: skip
    """Money paid in from outside (a card top-up) into the viewer's gift wallet: external -> wallet.

    The same ``idempotency_key`` for the same viewer and amount returns the stored entry.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= MAX_TOPUP_CENTS:
        raise LedgerError(f"A top-up is a whole number of cents between 1 and {MAX_TOPUP_CENTS}.")
    if viewer is None or viewer.pk is None:
        raise LedgerError("A top-up needs a saved viewer.")
    if isinstance(reference, str):
        reference = {"reference": reference} if reference else {}
    wallet = account_for(kind=AccountKind.VIEWER_WALLET, owner=viewer)
    external = account_for(kind=AccountKind.EXTERNAL)
    entry = entry_post(
        kind=EntryKind.WALLET_TOPUP, legs=[(external, -amount_cents), (wallet, amount_cents)],
        idempotency_key=f"wallet_topup:{viewer.pk}:{idempotency_key}", memo="Gift wallet top-up",
        reference={"viewer": str(viewer.public_id), **(reference or {})},
    )  # fmt: skip
    logger.info("wallet_topped_up viewer=%s cents=%s replayed=%s", viewer.pk, amount_cents, entry.replayed)
    return entry


# --- Sending and booking ---------------------------------------------------------------------------
def gift_send(
    *,
    sender: User,
    receiver: CreatorProfile,
    amount_cents: int,
    currency: str,
    device_id: str,
    ip: str,
    idempotency_key: str,
    body_hash: str,
    country: str = "",
    now: datetime | None = None,
) -> GiftRequest:
    """Check the wallet, let AML decide, and book the outcome, all in one transaction.

    Raises ``WalletBalanceTooLow`` (a ``GiftError``: nothing stored) when the sender's wallet less
    the gifts still under review does not cover the amount, and whatever ``gift_decide`` raises.
    A replay of a stored request (same key and body) returns the stored decision without a new
    wallet check, like ``gift_decide`` itself.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise GiftError("The amount must be a positive whole number of cents.")
    with transaction.atomic():
        stored = GiftRequest.objects.filter(sender=sender, idempotency_key=idempotency_key).exists()
        wallet = None
        if not stored:
            wallet = account_for(kind=AccountKind.VIEWER_WALLET, owner=sender)
            # Held until commit: no other gift can spend the same money. Only the wallet: money only
            # arrives in the creator's held account, and locking it would queue every gift to a
            # popular creator behind the one before.
            accounts_lock([wallet.pk])
            spendable = wallet_spendable_cents(user=sender, wallet=wallet)
            if spendable < amount_cents:
                raise WalletBalanceTooLow(amount_cents=amount_cents, spendable_cents=max(spendable, 0))
        gift = gift_decide(
            sender=sender, receiver=receiver, amount_cents=amount_cents, currency=currency, device_id=device_id,
            ip=ip, idempotency_key=idempotency_key, body_hash=body_hash, country=country, now=now,
        )  # fmt: skip
        if not gift.replayed:
            gift_book(gift=gift, wallet=wallet)
    return gift


def gift_book(*, gift: GiftRequest, wallet: LedgerAccount | None = None) -> GiftBooking | None:
    """Record what the ledger does with a decided gift: book it (allow), wait (hold) or nothing (block).

    Idempotent: a gift that already has a booking row returns it unchanged. ``wallet``: the sender's
    wallet account when the caller has it already (gift_send looked it up to lock it).
    """
    existing = GiftBooking.objects.filter(gift=gift).first()
    if existing is not None or gift.decision == GiftRequest.Decision.BLOCK:
        return existing
    with transaction.atomic():
        booking = GiftBooking.objects.create(
            gift=gift, sender_id=gift.sender_id, receiver_user_id=gift.receiver_user_id,
            amount_cents=gift.amount_cents, status=GiftBooking.Status.AWAITING_REVIEW, created_at=gift.created_at,
        )  # fmt: skip
        if gift.decision == GiftRequest.Decision.ALLOW:
            _booking_post(booking=booking, gift=gift, wallet=wallet)
    return booking


def _booking_post(*, booking: GiftBooking, gift: GiftRequest, wallet: LedgerAccount | None = None) -> JournalEntry:
    """Move the gift's money (wallet -> creator held) and mark the booking booked. Raises InsufficientFunds."""
    wallet = wallet or account_for(kind=AccountKind.VIEWER_WALLET, owner=gift.sender)
    held = account_for(kind=AccountKind.CREATOR_HELD, owner=gift.receiver_user)
    entry = entry_post(
        kind=EntryKind.GIFT, legs=[(wallet, -gift.amount_cents), (held, gift.amount_cents)],
        idempotency_key=f"gift:{gift.public_id}", memo=f"Gift {gift.public_id}",
        reference={"gift": str(gift.public_id), "decision": gift.decision},
    )  # fmt: skip
    now = timezone.now()
    moved = GiftBooking.objects.filter(pk=booking.pk, status=GiftBooking.Status.AWAITING_REVIEW).update(
        status=GiftBooking.Status.BOOKED, entry=entry, booked_at=now, updated_at=now
    )
    if moved != 1:  # a concurrent settle got there first; the ledger key kept the money from moving twice
        raise LedgerError(f"gift {gift.public_id} was settled concurrently")
    logger.info("gift_booked gift=%s cents=%s", gift.public_id, gift.amount_cents)
    return entry


@dataclass(frozen=True)
class GiftSettleResult:
    booked: int
    refused: int
    waiting: int  # another unresolved case still holds the gift


def _gift_verdict(*, gift_id: int, clearing: set[str]) -> str:
    """ "book", "refuse" or "wait", from every case an alert on this gift belongs to."""
    cases = AmlCase.objects.filter(alerts__gift_id=gift_id).values_list("status", "resolution").distinct()
    verdict = "book"
    for status, resolution in cases:
        if status != AmlCase.Status.RESOLVED:
            verdict = "wait"
        elif resolution in SUSPICIOUS_RESOLUTIONS or resolution not in clearing:
            return "refuse"
    return verdict


def gift_bookings_settle_for_case(*, case: AmlCase, actor: User | None = None) -> GiftSettleResult:
    """Book or refuse the held gifts ``case`` was about, now that it is resolved (in the caller's transaction).

    A gift is booked when every case about it is resolved with a clearing resolution
    (``PAYOUTS_GIFT_CLEARING_RESOLUTIONS``); refused as soon as one is resolved as suspicious
    (reported, account restricted); left waiting while another case about it is unresolved.
    A held gift the wallet no longer covers is refused. Each outcome is audited.
    """
    if case.status != AmlCase.Status.RESOLVED:
        return GiftSettleResult(0, 0, 0)
    clearing = set(settings.PAYOUTS_GIFT_CLEARING_RESOLUTIONS) - SUSPICIOUS_RESOLUTIONS
    gift_ids = AmlAlert.objects.filter(case=case, gift__isnull=False).values_list("gift_id", flat=True).distinct()
    booked = refused = waiting = 0
    pending = GiftBooking.objects.filter(gift_id__in=list(gift_ids), status=GiftBooking.Status.AWAITING_REVIEW)
    for booking in pending.select_related("gift", "gift__sender", "gift__receiver_user").order_by("id"):
        verdict = _gift_verdict(gift_id=booking.gift_id, clearing=clearing)
        if verdict == "wait":
            waiting += 1
            continue
        reason = f"AML case {case.pk} resolved as {case.resolution}"
        if verdict == "book":
            try:
                with transaction.atomic():
                    entry = _booking_post(booking=booking, gift=booking.gift)
            except InsufficientFunds:
                verdict, reason = "refuse", "the sender's wallet no longer covers the gift"
            else:
                booked += 1
                audit(actor=actor, action="payouts.gift.booked", instance=booking,
                      after={"gift": str(booking.gift.public_id), "entry": str(entry.public_id),
                             "amount_cents": booking.amount_cents}, reason=reason)  # fmt: skip
        if verdict == "refuse":
            now = timezone.now()
            moved = GiftBooking.objects.filter(pk=booking.pk, status=GiftBooking.Status.AWAITING_REVIEW).update(
                status=GiftBooking.Status.REFUSED, refused_reason=reason[:255], updated_at=now
            )
            if moved:
                refused += 1
                audit(actor=actor, action="payouts.gift.refused", instance=booking,
                      after={"gift": str(booking.gift.public_id), "amount_cents": booking.amount_cents},
                      reason=reason)  # fmt: skip
    logger.info("gift_bookings_settled case=%s booked=%d refused=%d waiting=%d", case.pk, booked, refused, waiting)
    return GiftSettleResult(booked, refused, waiting)


# --- Releasing held gift money ---------------------------------------------------------------------
@dataclass(frozen=True)
class GiftReleaseResult:
    released: int
    released_cents: int
    waiting_for_kyc: int  # due, but the creator's KYC level is too low


def held_gifts_release(*, now: datetime | None = None, limit: int | None = None) -> GiftReleaseResult:
    """Move every due gift (older than the hold period, creator with KYC) from held to available.

    Each gift in its own short transaction, under a lock on its booking row and with a ledger key
    per gift, so running twice (or two workers at once) releases each gift once.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PAYOUTS_GIFT_HOLD_DAYS)
    limit = limit or settings.PAYOUTS_GIFT_RELEASE_BATCH
    min_level = settings.PAYOUTS_MIN_KYC_LEVEL
    released = released_cents = waiting = 0
    due = list(gift_bookings_due_for_release(older_than=cutoff).values_list("id", "receiver_user_id")[:limit])
    # The creators' KYC levels and ledger accounts in a few set-based queries, not a few per gift.
    levels = kyc_levels_for_users(user_ids={creator_id for _, creator_id in due})
    verified = {creator_id for creator_id, level in levels.items() if level >= min_level}
    held = accounts_for_owners(kind=AccountKind.CREATOR_HELD, owner_ids=verified)
    available = accounts_for_owners(kind=AccountKind.CREATOR_AVAILABLE, owner_ids=verified)
    for booking_id, creator_id in due:
        if creator_id not in verified:
            waiting += 1
            continue
        try:
            booking = _gift_release_one(
                booking_id=booking_id, now=now, held=held[creator_id], available=available[creator_id]
            )
        except InsufficientFunds:
            # The held balance no longer covers the gift: someone moved held money without leaving
            # the unreleased gifts behind (see selectors.held_gift_cents_unreleased). Left for staff.
            logger.warning("held_gift_release_short booking=%s creator=%s", booking_id, creator_id)
            continue
        if booking is not None:
            released += 1
            released_cents += booking.amount_cents
    logger.info("held_gifts_released released=%d cents=%d waiting_for_kyc=%d", released, released_cents, waiting)
    return GiftReleaseResult(released, released_cents, waiting)


def _gift_release_one(
    *, booking_id: int, now: datetime, held: LedgerAccount, available: LedgerAccount
) -> GiftBooking | None:
    with transaction.atomic():
        booking = (
            GiftBooking.objects.select_for_update(of=("self",))
            .select_related("gift")
            .filter(pk=booking_id, status=GiftBooking.Status.BOOKED, release_entry__isnull=True)
            .first()
        )
        if booking is None:  # released by a concurrent run
            return None
        entry = entry_post(
            kind=EntryKind.HELD_RELEASE, legs=[(held, -booking.amount_cents), (available, booking.amount_cents)],
            idempotency_key=f"gift_release:{booking.gift.public_id}",
            memo=f"Gift {booking.gift.public_id} released after {settings.PAYOUTS_GIFT_HOLD_DAYS} days",
            reference={"gift": str(booking.gift.public_id)},
        )  # fmt: skip
        GiftBooking.objects.filter(pk=booking.pk, release_entry__isnull=True).update(
            release_entry=entry, released_at=now, updated_at=now
        )
    return booking
