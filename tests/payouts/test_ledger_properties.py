"""Property: any sequence of transfers keeps the ledger balanced and never overdraws a holding account.

Each example runs inside a savepoint that is rolled back, so examples do not see each other. A
plain Python model of the balances predicts which transfers must succeed and which must be
refused; the ledger has to agree with it after every step.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payouts.ledger import EntrySpec, InsufficientFunds, account_for, balance_of, entries_post, entry_post
from payouts.models import AccountKind
from tests.factories import UserFactory
from tests.payouts.conftest import assert_ledger_invariant

pytestmark = pytest.mark.django_db

ACCOUNTS = 5  # index 0 is external; 1..4 are holding accounts

transfer = st.tuples(
    st.integers(min_value=0, max_value=ACCOUNTS - 1),
    st.integers(min_value=0, max_value=ACCOUNTS - 1),
    st.integers(min_value=1, max_value=5_000),
).filter(lambda t: t[0] != t[1])


class Rollback(Exception):
    pass


@pytest.fixture
def ledger_accounts():
    creator, viewer = UserFactory(), UserFactory()
    return [
        account_for(kind=AccountKind.EXTERNAL),
        account_for(kind=AccountKind.BONUS_POOL),
        account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator),
        account_for(kind=AccountKind.CREATOR_HELD, owner=creator),
        account_for(kind=AccountKind.VIEWER_WALLET, owner=viewer),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(transfer, min_size=1, max_size=25), bulk=st.booleans())
def test_random_transfers_keep_the_invariant(ledger_accounts, steps, bulk):
    model = [0] * ACCOUNTS
    try:
        with transaction.atomic():
            for n, (source, target, cents) in enumerate(steps):
                legs = [(ledger_accounts[source], -cents), (ledger_accounts[target], cents)]
                allowed = source == 0 or model[source] >= cents
                try:
                    if bulk:
                        entries_post(entries=[EntrySpec(kind="transfer", legs=legs, idempotency_key=f"t{n}")])
                    else:
                        entry_post(kind="transfer", legs=legs, idempotency_key=f"t{n}")
                except InsufficientFunds:
                    assert not allowed, f"step {n} was refused though {source} held {model[source]}"
                else:
                    assert allowed, f"step {n} overdrew account {source}"
                    model[source] -= cents
                    model[target] += cents
                assert [balance_of(account=a) for a in ledger_accounts] == model
            assert sum(model) == 0
            assert all(b >= 0 for b in model[1:])
            assert_ledger_invariant()
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(transfer, min_size=1, max_size=12))
def test_reposting_what_was_posted_moves_nothing_more(ledger_accounts, steps):
    try:
        with transaction.atomic():
            posted = []
            for n, (source, target, cents) in enumerate(steps):
                legs = [(ledger_accounts[source], -cents), (ledger_accounts[target], cents)]
                try:
                    entry_post(kind="transfer", legs=legs, idempotency_key=f"t{n}")
                    posted.append((n, legs))
                except InsufficientFunds:
                    pass
            before = [balance_of(account=a) for a in ledger_accounts]
            for n, legs in posted:
                assert entry_post(kind="transfer", legs=legs, idempotency_key=f"t{n}").replayed is True
            assert [balance_of(account=a) for a in ledger_accounts] == before
            assert_ledger_invariant()
            raise Rollback
    except Rollback:
        pass
