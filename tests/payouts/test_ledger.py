"""The ledger service on any database: balanced entries, no overdraft, idempotency, reversals, bulk posts."""

import pytest

from payouts.ledger import (
    EntrySpec,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    UnbalancedEntry,
    account_for,
    balance_of,
    balances_for_owner,
    entries_post,
    entry_post,
    entry_reverse,
)
from payouts.models import AccountKind, JournalEntry, JournalLeg, LedgerAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    creator, viewer = UserFactory(), UserFactory()
    return {
        "external": account_for(kind=AccountKind.EXTERNAL),
        "revenue": account_for(kind=AccountKind.PLATFORM_REVENUE),
        "fees": account_for(kind=AccountKind.PLATFORM_FEES),
        "available": account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator),
        "wallet": account_for(kind=AccountKind.VIEWER_WALLET, owner=viewer),
        "creator": creator,
        "viewer": viewer,
    }


def fund(account, cents, key="fund"):
    return entry_post(kind="revenue", legs=[(account_for(kind="external"), -cents), (account, cents)],
                      idempotency_key=key)  # fmt: skip


def test_an_entry_moves_money_and_the_balances_follow(accounts, ledger_checked):
    fund(accounts["revenue"], 10_000)
    entry = entry_post(
        kind="allocation", legs=[(accounts["revenue"], -10_000), (accounts["available"], 8_000),
                                 (accounts["fees"], 2_000)],
        idempotency_key="alloc-1", memo="period 1", reference={"run": 1},
    )  # fmt: skip
    assert entry.replayed is False
    assert entry.legs.count() == 3
    assert balance_of(account=accounts["revenue"]) == 0
    assert balance_of(account=accounts["available"]) == 8_000
    assert balance_of(account=accounts["fees"]) == 2_000
    assert balance_of(account=accounts["external"]) == -10_000  # the outside world may be negative


@pytest.mark.parametrize(
    "amounts",
    [[100], [100, -99], [100, 0, -100], [100.0, -100.0], [True, -1]],
    ids=["one leg", "sum not zero", "zero leg", "float cents", "bool cents"],
)
def test_malformed_legs_are_refused_and_nothing_is_written(accounts, amounts, ledger_checked):
    pool = [accounts["external"], accounts["revenue"], accounts["fees"]]
    with pytest.raises(UnbalancedEntry):
        entry_post(kind="revenue", legs=list(zip(pool, amounts, strict=False)), idempotency_key="bad")
    assert not JournalEntry.objects.exists()


def test_a_holding_account_cannot_go_below_zero(accounts, ledger_checked):
    fund(accounts["available"], 500)
    with pytest.raises(InsufficientFunds) as refused:
        entry_post(kind="withdrawal_request", legs=[(accounts["available"], -501), (accounts["external"], 501)],
                   idempotency_key="too-much")  # fmt: skip
    assert refused.value.account_ids == (accounts["available"].pk,)
    assert balance_of(account=accounts["available"]) == 500
    assert not JournalEntry.objects.filter(idempotency_key="too-much").exists()


def test_the_same_key_never_moves_money_twice(accounts, ledger_checked):
    first = fund(accounts["wallet"], 700, key="topup-1")
    again = fund(accounts["wallet"], 700, key="topup-1")
    assert again.pk == first.pk
    assert again.replayed is True
    assert balance_of(account=accounts["wallet"]) == 700
    with pytest.raises(IdempotencyConflict):
        fund(accounts["wallet"], 800, key="topup-1")
    with pytest.raises(IdempotencyConflict):  # same legs, another kind of movement
        entry_post(kind="bonus", legs=[(accounts["external"], -700), (accounts["wallet"], 700)],
                   idempotency_key="topup-1")  # fmt: skip
    assert balance_of(account=accounts["wallet"]) == 700


def test_accounts_are_one_per_kind_and_owner(accounts):
    assert account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=accounts["creator"]) == accounts["available"]
    assert account_for(kind=AccountKind.EXTERNAL) == accounts["external"]
    with pytest.raises(LedgerError, match="owner is required"):
        account_for(kind=AccountKind.CREATOR_HELD)
    with pytest.raises(LedgerError, match="no owner"):
        account_for(kind=AccountKind.BONUS_POOL, owner=accounts["creator"])
    with pytest.raises(LedgerError, match="Unknown account kind"):
        account_for(kind="petty_cash")
    assert LedgerAccount.objects.filter(kind=AccountKind.EXTERNAL).count() == 1


def test_a_reversal_restores_balances_once(accounts, ledger_checked):
    fund(accounts["revenue"], 1_000)
    entry = entry_post(kind="allocation", legs=[(accounts["revenue"], -1_000), (accounts["available"], 1_000)],
                       idempotency_key="alloc")  # fmt: skip
    reversal = entry_reverse(entry=entry, idempotency_key="alloc-undo", memo="wrong period")
    assert reversal.reverses == entry
    assert reversal.kind == "reversal"
    assert balance_of(account=accounts["available"]) == 0
    assert balance_of(account=accounts["revenue"]) == 1_000
    assert entry_reverse(entry=entry, idempotency_key="alloc-undo", memo="wrong period").pk == reversal.pk
    with pytest.raises(IdempotencyConflict, match="already reversed"):
        entry_reverse(entry=entry, idempotency_key="alloc-undo-2", memo="again")


def test_a_reversal_that_would_overdraw_is_refused(accounts, ledger_checked):
    fund(accounts["revenue"], 1_000)
    entry = entry_post(kind="allocation", legs=[(accounts["revenue"], -1_000), (accounts["available"], 1_000)],
                       idempotency_key="alloc")  # fmt: skip
    entry_post(kind="withdrawal_request", legs=[(accounts["available"], -600), (accounts["external"], 600)],
               idempotency_key="spent")  # fmt: skip
    with pytest.raises(InsufficientFunds):
        entry_reverse(entry=entry, idempotency_key="undo", memo="too late")
    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_balances_for_owner_lists_every_kind_of_that_user(accounts, ledger_checked):
    fund(accounts["available"], 300)
    balances = balances_for_owner(owner=accounts["creator"])
    assert balances[AccountKind.CREATOR_AVAILABLE] == 300
    assert balances[AccountKind.CREATOR_HELD] == 0
    assert set(balances) == {"safety_reserve", "creator_available", "creator_held", "viewer_wallet",
                             "payouts_in_transit"}  # fmt: skip


def _allocation_specs(accounts, creators, cents=100, prefix="run1"):
    return [
        EntrySpec(kind="allocation", idempotency_key=f"{prefix}:{user.pk}",
                  legs=[(accounts["revenue"], -cents), (account_for(kind="creator_available", owner=user), cents)])
        for user in creators
    ]  # fmt: skip


def test_entries_post_writes_many_entries_at_once_and_only_once(accounts, ledger_checked):
    creators = UserFactory.create_batch(30)
    fund(accounts["revenue"], 3_000)
    specs = _allocation_specs(accounts, creators)
    assert entries_post(entries=specs) == 30
    assert entries_post(entries=specs) == 0  # the same keys again move nothing
    assert balance_of(account=accounts["revenue"]) == 0
    assert JournalLeg.objects.filter(entry__kind="allocation").count() == 60
    assert all(balance_of(account=account_for(kind="creator_available", owner=u)) == 100 for u in creators)


def test_entries_post_rolls_everything_back_when_one_account_would_go_negative(accounts, ledger_checked):
    creators = UserFactory.create_batch(5)
    fund(accounts["revenue"], 499)  # one cent short of five allocations of 100
    with pytest.raises(InsufficientFunds):
        entries_post(entries=_allocation_specs(accounts, creators))
    assert not JournalEntry.objects.filter(kind="allocation").exists()
    assert balance_of(account=accounts["revenue"]) == 499


def test_entries_post_refuses_a_known_key_with_other_legs(accounts, ledger_checked):
    creators = UserFactory.create_batch(3)
    fund(accounts["revenue"], 1_000)
    entries_post(entries=_allocation_specs(accounts, creators[:1]))
    with pytest.raises(IdempotencyConflict):
        entries_post(entries=_allocation_specs(accounts, creators[:1], cents=150))
    specs = _allocation_specs(accounts, creators[1:2]) + _allocation_specs(accounts, creators[1:2], cents=5)
    with pytest.raises(IdempotencyConflict, match="appears twice"):
        entries_post(entries=specs)
    assert JournalEntry.objects.filter(kind="allocation").count() == 1


def test_entries_post_validates_every_entry_first(accounts, ledger_checked):
    specs = [EntrySpec(kind="allocation", idempotency_key="x", legs=[(accounts["revenue"], -5),
                                                                     (accounts["fees"], 4)])]  # fmt: skip
    with pytest.raises(UnbalancedEntry):
        entries_post(entries=specs)
    assert entries_post(entries=[]) == 0
