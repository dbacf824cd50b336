"""Money for bonuses: funding the bonus pool, and paying milestone and trend bonuses out of it.

Bonuses are paid from the platform's ``bonus_pool`` account, which finance funds from outside
(``bonus_pool_fund``). A bonus never overdraws the pool: the ledger refuses the entry with
``InsufficientFunds`` and the caller (creators.milestones, creators.trends) leaves the award waiting
for the sweep. A creator whose KYC level is below 1 is paid into ``creator_held`` (earned, not yet
withdrawable) rather than ``creator_available``.
"""

import logging

from compliance.selectors import kyc_level_for_user
from payouts import ledger
from payouts.models import AccountKind, EntryKind, JournalEntry
from payouts.split.runs import AVAILABLE_FROM_KYC_LEVEL  # bonuses land in available from the allocations' level

logger = logging.getLogger(__name__)

FUNDING_ENTRY_KIND = "bonus_pool_funding"


class BonusError(ValueError):
    """A bonus request that cannot be valid (bad amount, empty key)."""


def _check_request(*, amount_cents: int, idempotency_key: str) -> str:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise BonusError(f"amount_cents must be a positive integer number of cents, got {amount_cents!r}.")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 255:
        raise BonusError("idempotency_key must be 1 to 255 characters.")
    return key


def bonus_pool_balance() -> int:
    """Cents in the bonus pool now."""
    return ledger.balance_of(account=ledger.account_for(kind=AccountKind.BONUS_POOL))


def bonus_pool_fund(*, amount_cents: int, idempotency_key: str, memo: str = "", created_by=None) -> JournalEntry:
    """Move money from outside into the bonus pool (finance tops it up). Retrying the key is harmless."""
    key = _check_request(amount_cents=amount_cents, idempotency_key=idempotency_key)
    entry = ledger.entry_post(
        kind=FUNDING_ENTRY_KIND,
        legs=[
            (ledger.account_for(kind=AccountKind.EXTERNAL), -amount_cents),
            (ledger.account_for(kind=AccountKind.BONUS_POOL), amount_cents),
        ],
        idempotency_key=f"bonus_pool_fund:{key}",
        memo=memo or "Bonus pool funding",
        reference={"purpose": "bonus_pool_funding"},
        created_by=created_by,
    )
    logger.info("bonus_pool_funded entry=%s amount_cents=%s", entry.public_id, amount_cents)
    return entry


def bonus_pay(*, recipient, amount_cents: int, idempotency_key: str, memo: str, reference: dict) -> JournalEntry:
    """Pay ``amount_cents`` from the bonus pool to ``recipient`` (a creator's user), once per key.

    Raises ``payouts.ledger.InsufficientFunds`` when the pool cannot cover it, and moves nothing.
    A key already paid returns its entry, even if the creator's KYC level changed in between (which
    would otherwise send the retry to another account and conflict).
    """
    key = _check_request(amount_cents=amount_cents, idempotency_key=idempotency_key)
    existing = JournalEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    held = kyc_level_for_user(user=recipient) < AVAILABLE_FROM_KYC_LEVEL
    destination = AccountKind.CREATOR_HELD if held else AccountKind.CREATOR_AVAILABLE
    try:
        entry = ledger.entry_post(
            kind=EntryKind.BONUS,
            legs=[
                (ledger.account_for(kind=AccountKind.BONUS_POOL), -amount_cents),
                (ledger.account_for(kind=destination, owner=recipient), amount_cents),
            ],
            idempotency_key=key,
            memo=memo,
            reference={**reference, "held": held},
        )
    except ledger.IdempotencyConflict:
        # A concurrent caller paid the same key to the other account (KYC changed in between).
        return JournalEntry.objects.get(idempotency_key=key)
    logger.info(
        "bonus_paid entry=%s user=%s amount_cents=%s held=%s key=%s",
        entry.public_id,
        recipient.pk,
        amount_cents,
        held,
        key,
    )
    return entry
