"""Withdrawals: KYC, minimum, available balance only, payee screening, idempotency, Finance decisions."""

import pytest
from django.contrib.auth.models import Group

from compliance.models import AuditEvent, KycSubmission
from compliance.screening import screening_index_forget
from creators.models import User
from creators.roles import FINANCE, TRUST_AND_SAFETY
from payouts.ledger import account_for, balance_of, entry_post
from payouts.models import AccountKind, JournalEntry, Withdrawal
from payouts.withdrawals import (
    WithdrawalForbidden,
    WithdrawalIdempotencyConflict,
    WithdrawalInsufficientFunds,
    WithdrawalInvalid,
    WithdrawalStateError,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
    withdrawal_screening_clear,
)
from tests.compliance.kyc_support import sanctions_list_load
from tests.factories import UserFactory
from tests.payouts.conftest import kyc_approved

pytestmark = pytest.mark.django_db


def earn(user, cents: int, kind: str = AccountKind.CREATOR_AVAILABLE, key: str | None = None) -> None:
    legs = [(account_for(kind="external"), -cents), (account_for(kind=kind, owner=user), cents)]
    entry_post(kind="revenue", legs=legs, idempotency_key=key or f"earn:{user.pk}:{kind}:{cents}")


def bal(user, kind: str) -> int:
    return balance_of(account=account_for(kind=kind, owner=user))


@pytest.fixture
def creator():
    user = UserFactory()
    kyc_approved(user, level=1)
    earn(user, 10_000)
    return user


def finance_staff(email="finance@valuetok.test"):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def finance():
    return finance_staff()


@pytest.fixture
def sanctions_loaded():
    sanctions_list_load()
    yield
    screening_index_forget()


def ask(user, amount=2_500, key="w-1", payee="Jane Smith"):
    return withdrawal_request(creator=user, amount_cents=amount, payee_name=payee, idempotency_key=key)


# --- Requests ---------------------------------------------------------------------------------------
def test_a_request_moves_money_from_available_to_in_transit(creator, ledger_checked):
    withdrawal = ask(creator)
    assert withdrawal.status == "pending"
    assert withdrawal.replayed is False
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 7_500
    assert bal(creator, AccountKind.PAYOUTS_IN_TRANSIT) == 2_500
    assert withdrawal.request_entry.kind == "withdrawal_request"
    assert AuditEvent.objects.filter(action="payouts.withdrawal.requested",
                                     subject=f"payouts.withdrawal:{withdrawal.pk}").exists()  # fmt: skip


def test_the_same_key_and_body_return_the_same_withdrawal(creator, ledger_checked):
    first = ask(creator)
    again = ask(creator, payee="  Jane   Smith ")  # the same name, written differently
    assert again.pk == first.pk
    assert again.replayed is True
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 7_500
    with pytest.raises(WithdrawalIdempotencyConflict) as conflict:
        ask(creator, amount=3_000)
    assert conflict.value.stored.pk == first.pk
    assert Withdrawal.objects.count() == 1
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 7_500


def test_keys_are_per_creator(creator, ledger_checked):
    other = UserFactory()
    kyc_approved(other)
    earn(other, 5_000)
    assert ask(creator).pk != ask(other).pk


def test_a_withdrawal_below_the_minimum_is_refused(creator, settings, ledger_checked):
    settings.PAYOUTS_WITHDRAWAL_MIN_CENTS = 2_000
    with pytest.raises(WithdrawalInvalid, match=r"smallest withdrawal is 20\.00 USD"):
        ask(creator, amount=1_999)
    assert ask(creator, amount=2_000, key="w-2").status == "pending"


@pytest.mark.parametrize("amount", [0, -100, 12.5, True])
def test_a_bad_amount_is_refused(creator, amount, ledger_checked):
    with pytest.raises(WithdrawalInvalid):
        ask(creator, amount=amount)
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize("payee", ["", " ", "J", "1234", "Jane\x00Smith", "x" * 201])
def test_a_bad_payee_name_is_refused(creator, payee, ledger_checked):
    with pytest.raises(WithdrawalInvalid):
        ask(creator, payee=payee)


def test_more_than_available_is_refused_and_the_reserve_and_held_money_do_not_count(ledger_checked):
    user = UserFactory()
    kyc_approved(user)
    earn(user, 1_000)
    earn(user, 50_000, kind=AccountKind.SAFETY_RESERVE)
    earn(user, 50_000, kind=AccountKind.CREATOR_HELD)
    with pytest.raises(WithdrawalInsufficientFunds, match="available balance"):
        ask(user, amount=1_001)
    assert not Withdrawal.objects.exists()
    assert ask(user, amount=1_000, key="w-2").status == "pending"
    assert bal(user, AccountKind.SAFETY_RESERVE) == 50_000


def test_a_creator_without_kyc_cannot_withdraw(ledger_checked):
    user = UserFactory()
    earn(user, 10_000)
    with pytest.raises(WithdrawalForbidden, match="level 0"):
        ask(user)
    assert bal(user, AccountKind.CREATOR_AVAILABLE) == 10_000


def test_a_creator_whose_latest_kyc_is_not_approved_cannot_withdraw(creator, ledger_checked):
    KycSubmission.objects.filter(user=creator).update(submitted_at="2020-01-01T00:00:00Z")
    KycSubmission.objects.create(
        user=creator, given_names="Jane", surname="Smith", date_of_birth="1990-01-15", nationality="GB",
        address_line1="1 Test Street", city="London", address_country="GB", phone_number="+447400123456",
        email=creator.email, status=KycSubmission.Status.REJECTED,
    )  # fmt: skip
    with pytest.raises(WithdrawalForbidden, match="rejected"):
        ask(creator)


def test_a_payee_who_may_be_a_listed_party_goes_to_review_and_is_never_paid_automatically(
    creator, finance, sanctions_loaded, ledger_checked
):
    withdrawal = ask(creator, payee="Dmitri Sergeyevich Volkov")
    assert withdrawal.status == "review"
    assert any(m["over_line"] and m["ent_num"] == 9001 for m in withdrawal.screening_matches)
    assert bal(creator, AccountKind.PAYOUTS_IN_TRANSIT) == 2_500  # reserved while reviewed
    with pytest.raises(WithdrawalStateError, match="cleared first"):
        withdrawal_approve(withdrawal=withdrawal, actor=finance)
    cleared = withdrawal_screening_clear(withdrawal=withdrawal, actor=finance, reason="Different date of birth.")
    assert cleared.status == "pending"
    assert withdrawal_approve(withdrawal=cleared, actor=finance).status == "paid"


def test_an_ordinary_payee_name_is_screened_clear(creator, sanctions_loaded, ledger_checked):
    withdrawal = ask(creator, payee="Jane Smith")
    assert withdrawal.status == "pending"
    assert not any(m["over_line"] for m in withdrawal.screening_matches)
    assert withdrawal.screened_at is not None


# --- Finance decisions ------------------------------------------------------------------------------
def test_approval_pays_out_of_in_transit_once(creator, finance, ledger_checked):
    withdrawal = ask(creator)
    paid = withdrawal_approve(withdrawal=withdrawal, actor=finance)
    assert paid.status == "paid"
    assert paid.decided_by == finance
    assert paid.settle_entry.kind == "withdrawal_paid"
    assert bal(creator, AccountKind.PAYOUTS_IN_TRANSIT) == 0
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 7_500
    with pytest.raises(WithdrawalStateError, match="already paid"):
        withdrawal_approve(withdrawal=withdrawal, actor=finance)
    assert JournalEntry.objects.filter(kind="withdrawal_paid").count() == 1
    assert AuditEvent.objects.filter(action="payouts.withdrawal.paid", actor=finance).count() == 1


def test_rejection_returns_the_money_with_a_reversing_entry(creator, finance, ledger_checked):
    withdrawal = ask(creator)
    with pytest.raises(WithdrawalInvalid, match="reason"):
        withdrawal_reject(withdrawal=withdrawal, actor=finance, reason="  ")
    rejected = withdrawal_reject(withdrawal=withdrawal, actor=finance, reason="Bank account closed.")
    assert rejected.status == "rejected"
    assert rejected.rejection_reason == "Bank account closed."
    assert rejected.settle_entry.reverses == withdrawal.request_entry
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 10_000
    assert bal(creator, AccountKind.PAYOUTS_IN_TRANSIT) == 0
    with pytest.raises(WithdrawalStateError):
        withdrawal_approve(withdrawal=rejected, actor=finance)
    with pytest.raises(WithdrawalStateError):
        withdrawal_reject(withdrawal=rejected, actor=finance, reason="Again.")
    event = AuditEvent.objects.get(action="payouts.withdrawal.rejected")
    assert event.reason == "Bank account closed."
    assert event.before == {"status": "pending"}


def test_only_finance_staff_decide(creator, ledger_checked):
    withdrawal = ask(creator)
    trust_and_safety = UserFactory(is_staff=True)
    trust_and_safety.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    for actor in (creator, User.objects.get(pk=trust_and_safety.pk)):
        with pytest.raises(WithdrawalForbidden):
            withdrawal_approve(withdrawal=withdrawal, actor=actor)
        with pytest.raises(WithdrawalForbidden):
            withdrawal_reject(withdrawal=withdrawal, actor=actor, reason="No.")
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "pending"


def test_a_stale_copy_cannot_decide_twice(creator, finance, ledger_checked):
    withdrawal = ask(creator)
    stale = Withdrawal.objects.get(pk=withdrawal.pk)
    withdrawal_reject(withdrawal=withdrawal, actor=finance, reason="Closed account.")
    with pytest.raises(WithdrawalStateError):
        withdrawal_approve(withdrawal=stale, actor=finance)
    assert bal(creator, AccountKind.CREATOR_AVAILABLE) == 10_000
    assert not JournalEntry.objects.filter(kind="withdrawal_paid").exists()
