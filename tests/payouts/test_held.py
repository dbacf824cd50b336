"""Held earnings move to available once the creator is verified, leaving unreleased gifts behind."""

import pytest

from payouts.bonuses import bonus_pay, bonus_pool_fund
from payouts.held import held_earnings_release
from payouts.ledger import account_for, balance_of
from payouts.models import AccountKind, JournalEntry
from tests.compliance.aml_support import NOW, account, creator
from tests.payouts.conftest import kyc_approved, wallet_funded
from tests.payouts.test_gifts import send

pytestmark = pytest.mark.django_db


def balance(user, kind) -> int:
    return balance_of(account=account_for(kind=kind, owner=user))


def test_held_earnings_wait_for_kyc_then_move_once_leaving_gifts_in_their_hold(ledger_checked, settings):
    settings.PAYOUTS_GIFT_HOLD_DAYS = 7
    earner = creator()
    bonus_pool_fund(amount_cents=10_000, idempotency_key="fund")
    bonus_pay(recipient=earner.user, amount_cents=2_500, idempotency_key="bonus-1", memo="milestone", reference={})
    send(wallet_funded(account(age_days=120), 5_000), earner, 800, at=NOW)
    assert balance(earner.user, AccountKind.CREATOR_HELD) == 3_300  # not verified: everything is held

    assert held_earnings_release() == 0  # no KYC yet: nothing moves
    assert balance(earner.user, AccountKind.CREATOR_AVAILABLE) == 0

    kyc_approved(earner.user, level=1)
    assert held_earnings_release() == 1
    assert balance(earner.user, AccountKind.CREATOR_AVAILABLE) == 2_500
    assert balance(earner.user, AccountKind.CREATOR_HELD) == 800  # the gift waits for its own release

    assert held_earnings_release() == 0  # a retried task moves nothing more
    assert JournalEntry.objects.filter(kind="held_release").count() == 1
