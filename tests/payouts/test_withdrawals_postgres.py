"""Withdrawals under real concurrency on PostgreSQL: two approvals pay once; one key makes one withdrawal."""

import pytest
from django.contrib.auth.models import Group, Permission

from creators.models import User
from creators.roles import FINANCE
from payouts.ledger import account_for, balance_of, entry_post
from payouts.models import AccountKind, JournalEntry, Withdrawal
from payouts.withdrawals import (
    WithdrawalInsufficientFunds,
    WithdrawalStateError,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
)
from tests.factories import UserFactory
from tests.payouts.conftest import assert_ledger_invariant, kyc_approved
from tests.payouts.test_ledger_postgres import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def creator():
    user = UserFactory()
    kyc_approved(user)
    entry_post(kind="revenue", legs=[(account_for(kind="external"), -10_000),
                                     (account_for(kind="creator_available", owner=user), 10_000)],
               idempotency_key="earn")  # fmt: skip
    return user


def finance(n: int) -> User:
    # transaction=True tests empty the tables between tests, data migrations' groups included.
    group, _ = Group.objects.get_or_create(name=FINANCE)
    group.permissions.add(Permission.objects.get(content_type__app_label="payouts", codename="change_withdrawal"))
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


def test_two_approvals_at_once_pay_once(creator):
    withdrawal = withdrawal_request(creator=creator, amount_cents=4_000, payee_name="Jane Smith", idempotency_key="w")
    staff = [finance(n) for n in range(6)]
    results = race(lambda i: withdrawal_approve(withdrawal=withdrawal, actor=staff[i]), 6)
    assert sum(isinstance(r, Withdrawal) for r in results) == 1, results
    assert sum(isinstance(r, WithdrawalStateError) for r in results) == 5
    assert JournalEntry.objects.filter(kind="withdrawal_paid").count() == 1
    assert balance_of(account=account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT, owner=creator)) == 0
    assert_ledger_invariant()


def test_an_approval_racing_a_rejection_settles_once(creator):
    withdrawal = withdrawal_request(creator=creator, amount_cents=4_000, payee_name="Jane Smith", idempotency_key="w")
    a, b = finance(0), finance(1)
    results = race(lambda i: withdrawal_approve(withdrawal=withdrawal, actor=a) if i == 0
                   else withdrawal_reject(withdrawal=withdrawal, actor=b, reason="Duplicate."), 2)  # fmt: skip
    assert sum(isinstance(r, Withdrawal) for r in results) == 1, results
    settled = Withdrawal.objects.get(pk=withdrawal.pk)
    available = balance_of(account=account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator))
    assert available == (6_000 if settled.status == "paid" else 10_000)
    assert balance_of(account=account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT, owner=creator)) == 0
    assert_ledger_invariant()


def test_concurrent_requests_with_one_key_make_one_withdrawal(creator):
    results = race(lambda i: withdrawal_request(creator=creator, amount_cents=3_000, payee_name="Jane Smith",
                                                idempotency_key="same"), 6)  # fmt: skip
    assert all(isinstance(r, Withdrawal) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Withdrawal.objects.count() == 1
    assert balance_of(account=account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator)) == 7_000
    assert_ledger_invariant()


def test_concurrent_requests_cannot_withdraw_more_than_available(creator):
    results = race(lambda i: withdrawal_request(creator=creator, amount_cents=3_000, payee_name="Jane Smith",
                                                idempotency_key=f"k{i}"), 6)  # fmt: skip
    assert sum(isinstance(r, Withdrawal) for r in results) == 3
    assert sum(isinstance(r, WithdrawalInsufficientFunds) for r in results) == 3, results
    assert balance_of(account=account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator)) == 1_000
    assert_ledger_invariant()
