"""Creator withdrawals: request (available -> in transit), then Finance pays (in transit -> external)
or rejects (a reversing entry: in transit -> available).

Requests are gated on KYC (level and status), a minimum amount and the available balance (the
safety reserve is a separate account and never withdrawable); the payee name is screened against
the sanctions and PEP lists, and a possible hit (or a screening failure) sends the withdrawal to
``review``, from which it is never paid until Finance clears it. Every status change is a
compare-and-set under a row lock, audited, and its ledger entry has a key derived from the
withdrawal, so two approvals at once pay once.
"""

import hashlib
import logging

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit import audit
from compliance.selectors import kyc_status_for_user
from creators.models import User
from payouts.ledger import IdempotencyConflict, InsufficientFunds, account_for, entry_post, entry_reverse
from payouts.models import AccountKind, EntryKind, Withdrawal

logger = logging.getLogger(__name__)

__all__ = [
    "WithdrawalError",
    "WithdrawalForbidden",
    "WithdrawalIdempotencyConflict",
    "WithdrawalInsufficientFunds",
    "WithdrawalInvalid",
    "WithdrawalStateError",
    "withdrawal_approve",
    "withdrawal_reject",
    "withdrawal_request",
    "withdrawal_screening_clear",
]

KYC_STATUSES_ALLOWED = {"approved"}
MAX_WITHDRAWAL_CENTS = 10**11
MAX_KEY_LENGTH = 255
FINANCE_PERMISSION = "payouts.change_withdrawal"


class WithdrawalError(Exception):
    """A withdrawal request or decision was refused; nothing was written. ``code`` names why."""

    code = "withdrawal_refused"


class WithdrawalInvalid(WithdrawalError):
    code = "invalid_withdrawal"


class WithdrawalForbidden(WithdrawalError):
    code = "kyc_required"


class WithdrawalInsufficientFunds(WithdrawalError):
    code = "insufficient_funds"


class WithdrawalIdempotencyConflict(WithdrawalError):
    code = "idempotency_key_reused"

    def __init__(self, message: str, *, stored: Withdrawal | None = None):
        super().__init__(message)
        self.stored = stored


class WithdrawalStateError(WithdrawalError):
    code = "withdrawal_state"


def _payee_clean(payee_name: str) -> str:
    if not isinstance(payee_name, str):
        raise WithdrawalInvalid("The payee name must be text.")
    cleaned = " ".join(payee_name.split())
    if len(cleaned) < 2 or len(cleaned) > 200:
        raise WithdrawalInvalid("The payee name must be 2 to 200 characters.")
    if not cleaned.isprintable() or not any(ch.isalpha() for ch in cleaned):
        raise WithdrawalInvalid("The payee name must be a printable name with letters.")
    return cleaned


def _request_hash(*, amount_cents: int, currency: str, payee_name: str) -> str:
    body = {"amount_cents": amount_cents, "currency": currency, "payee_name": payee_name}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(stored: Withdrawal, request_hash: str) -> Withdrawal:
    if stored.request_hash != request_hash:
        raise WithdrawalIdempotencyConflict(
            "This Idempotency-Key was already used for a different withdrawal; use a new key.", stored=stored
        )
    stored.replayed = True
    return stored


def _payee_screen(payee_name: str) -> tuple[list[dict], bool]:
    """Matches of the payee name on the sanctions and PEP lists, and whether any is a possible hit.

    A failure to screen counts as a possible hit: a payee is never paid unscreened.
    """
    try:
        from compliance.screening import name_screen

        found = name_screen(name=payee_name, kinds=("sanctions", "pep"), limit=5)
    except Exception as exc:
        logger.exception("withdrawal_screening_failed error=%s", type(exc).__name__)
        return [{"error": "screening failed; screen by hand"}], True
    matches = [
        {"list_kind": m.list_kind, "ent_num": m.ent_num, "entry_name": m.entry_name, "matched_name": m.matched_name,
         "score": round(float(m.score), 4), "over_line": bool(m.over_line)}
        for m in found
    ]  # fmt: skip
    return matches, any(m["over_line"] for m in matches)


def withdrawal_request(*, creator: User, amount_cents: int, payee_name: str, idempotency_key: str,
                       currency: str = "USD") -> Withdrawal:  # fmt: skip
    """Ask to withdraw ``amount_cents`` of the available balance to ``payee_name``.

    The same ``idempotency_key`` with the same body returns the stored withdrawal (``replayed``
    True); with another body raises WithdrawalIdempotencyConflict. Raises WithdrawalInvalid (bad
    input, below ``PAYOUTS_WITHDRAWAL_MIN_CENTS``), WithdrawalForbidden (KYC) or
    WithdrawalInsufficientFunds (more than available); nothing is written then.
    """
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise WithdrawalInvalid("An Idempotency-Key is required (a UUID per withdrawal).")
    if len(idempotency_key) > MAX_KEY_LENGTH or not idempotency_key.isprintable():
        raise WithdrawalInvalid(f"The Idempotency-Key must be printable and at most {MAX_KEY_LENGTH} characters.")
    if currency != "USD":
        raise WithdrawalInvalid("Withdrawals are in USD.")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise WithdrawalInvalid("The amount must be a whole number of cents.")
    payee_name = _payee_clean(payee_name)
    request_hash = _request_hash(amount_cents=amount_cents, currency=currency, payee_name=payee_name)
    stored = Withdrawal.objects.filter(creator=creator, idempotency_key=idempotency_key).first()
    if stored is not None:
        return _replay(stored, request_hash)
    minimum = settings.PAYOUTS_WITHDRAWAL_MIN_CENTS
    if amount_cents < minimum:
        raise WithdrawalInvalid(f"The smallest withdrawal is {minimum / 100:.2f} USD.")
    if amount_cents > MAX_WITHDRAWAL_CENTS:
        raise WithdrawalInvalid("The amount is too large.")
    kyc = kyc_status_for_user(user=creator)  # its level is kyc_level_for_user's
    if kyc.level < settings.PAYOUTS_MIN_KYC_LEVEL or kyc.status not in KYC_STATUSES_ALLOWED:
        raise WithdrawalForbidden(
            f"Withdrawals need identity verification (KYC level {settings.PAYOUTS_MIN_KYC_LEVEL} or higher, "
            f"approved); yours is level {kyc.level}, {kyc.status}."
        )
    # Screening reads the lists outside the transaction: it can take a moment the first time.
    matches, possible_hit = _payee_screen(payee_name)
    available = account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator)
    in_transit = account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT, owner=creator)
    try:
        with transaction.atomic():
            entry = entry_post(
                kind=EntryKind.WITHDRAWAL_REQUEST, legs=[(available, -amount_cents), (in_transit, amount_cents)],
                # The client's key may itself be 255 characters: its digest keeps the ledger key in bounds.
                idempotency_key=f"withdrawal_request:{creator.pk}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}",
                memo=f"Withdrawal to {payee_name}", reference={"creator": str(creator.public_id)},
                created_by=creator,
            )  # fmt: skip
            now = timezone.now()
            withdrawal = Withdrawal.objects.create(
                creator=creator, idempotency_key=idempotency_key, request_hash=request_hash,
                amount_cents=amount_cents, currency=currency, payee_name=payee_name,
                status=Withdrawal.Status.REVIEW if possible_hit else Withdrawal.Status.PENDING,
                screening_matches=matches, screened_at=now, request_entry=entry, created_at=now, updated_at=now,
            )  # fmt: skip
            audit(actor=creator, action="payouts.withdrawal.requested", instance=withdrawal,
                  after={"amount_cents": amount_cents, "status": withdrawal.status, "entry": str(entry.public_id),
                         "screening_hit": possible_hit})  # fmt: skip
    except InsufficientFunds as exc:
        raise WithdrawalInsufficientFunds(
            "The amount is more than your available balance (held money and the safety reserve cannot be withdrawn)."
        ) from exc
    except (IdempotencyConflict, IntegrityError):
        # A concurrent request with the same key won: answer as its replay (or refuse its other body).
        stored = Withdrawal.objects.filter(creator=creator, idempotency_key=idempotency_key).first()
        if stored is None:
            raise
        return _replay(stored, request_hash)
    withdrawal.replayed = False
    logger.info("withdrawal_requested withdrawal=%s cents=%s status=%s", withdrawal.public_id, amount_cents,
                withdrawal.status)  # fmt: skip
    return withdrawal


def _finance_check(actor: User) -> None:
    if actor is None or not actor.is_active or not actor.is_staff or not actor.has_perm(FINANCE_PERMISSION):
        raise WithdrawalForbidden("Only Finance staff may decide withdrawals.")


def _locked(withdrawal: Withdrawal) -> Withdrawal:
    return Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)


def _decide(*, current: Withdrawal, old_status: str, new_status: str, actor: User, settle_entry, reason: str = ""):
    now = timezone.now()
    changed = Withdrawal.objects.filter(pk=current.pk, status=old_status).update(
        status=new_status, settle_entry=settle_entry, decided_by=actor, decided_at=now, rejection_reason=reason,
        updated_at=now,
    )  # fmt: skip
    if changed != 1:
        raise WithdrawalStateError("The withdrawal changed while you were working on it; reload and try again.")
    current.refresh_from_db()
    return current


def withdrawal_approve(*, withdrawal: Withdrawal, actor: User) -> Withdrawal:
    """Finance pays a pending withdrawal: in transit -> external, status paid. Pays at most once."""
    _finance_check(actor)
    with transaction.atomic():
        current = _locked(withdrawal)
        if current.status != Withdrawal.Status.PENDING:
            raise WithdrawalStateError(
                "Only a pending withdrawal can be paid; one in screening review must be cleared first."
                if current.status == Withdrawal.Status.REVIEW
                else f"The withdrawal is already {current.get_status_display().lower()}."
            )
        in_transit = account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT, owner=current.creator)
        external = account_for(kind=AccountKind.EXTERNAL)
        entry = entry_post(
            kind=EntryKind.WITHDRAWAL_PAID,
            legs=[(in_transit, -current.amount_cents), (external, current.amount_cents)],
            idempotency_key=f"withdrawal_paid:{current.public_id}", memo=f"Paid to {current.payee_name}",
            reference={"withdrawal": str(current.public_id)}, created_by=actor,
        )  # fmt: skip
        current = _decide(current=current, old_status=Withdrawal.Status.PENDING, new_status=Withdrawal.Status.PAID,
                          actor=actor, settle_entry=entry)  # fmt: skip
        audit(actor=actor, action="payouts.withdrawal.paid", instance=current, before={"status": "pending"},
              after={"status": current.status, "entry": str(entry.public_id)})  # fmt: skip
    logger.info("withdrawal_paid withdrawal=%s cents=%s actor=%s", current.public_id, current.amount_cents, actor.pk)
    return current


def withdrawal_reject(*, withdrawal: Withdrawal, actor: User, reason: str) -> Withdrawal:
    """Finance refuses an open withdrawal: a reversing entry returns the money to available."""
    _finance_check(actor)
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawalInvalid("Rejecting a withdrawal needs a reason.")
    with transaction.atomic():
        current = _locked(withdrawal)
        if not current.is_open:
            raise WithdrawalStateError(f"The withdrawal is already {current.get_status_display().lower()}.")
        old_status = current.status
        entry = entry_reverse(entry=current.request_entry, idempotency_key=f"withdrawal_rejected:{current.public_id}",
                              memo=f"Withdrawal rejected: {reason}"[:1000], created_by=actor)  # fmt: skip
        current = _decide(current=current, old_status=old_status, new_status=Withdrawal.Status.REJECTED, actor=actor,
                          settle_entry=entry, reason=reason)  # fmt: skip
        audit(actor=actor, action="payouts.withdrawal.rejected", instance=current, before={"status": old_status},
              after={"status": current.status, "entry": str(entry.public_id)}, reason=reason)  # fmt: skip
    logger.info("withdrawal_rejected withdrawal=%s actor=%s", current.public_id, actor.pk)
    return current


def withdrawal_screening_clear(*, withdrawal: Withdrawal, actor: User, reason: str) -> Withdrawal:
    """Finance looked at the payee's screening matches and found them to be someone else: review -> pending."""
    _finance_check(actor)
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawalInvalid("Clearing a screening hit needs a reason.")
    with transaction.atomic():
        current = _locked(withdrawal)
        now = timezone.now()
        changed = Withdrawal.objects.filter(pk=current.pk, status=Withdrawal.Status.REVIEW).update(
            status=Withdrawal.Status.PENDING, updated_at=now
        )
        if changed != 1:
            raise WithdrawalStateError("Only a withdrawal in screening review can be cleared.")
        current.refresh_from_db()
        audit(actor=actor, action="payouts.withdrawal.screening_cleared", instance=current,
              before={"status": "review"}, after={"status": current.status}, reason=reason)  # fmt: skip
    return current
