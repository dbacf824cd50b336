"""What PostgreSQL itself guarantees about the ledger, and the service under real concurrency.

Each thread below has its own database connection (Django gives every thread one), so these are
separate transactions racing on the real server, not calls taking turns in one transaction.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from payouts.ledger import InsufficientFunds, account_for, balance_of, entry_post
from payouts.models import AccountKind, JournalEntry, JournalLeg
from tests.factories import UserFactory
from tests.payouts.conftest import assert_ledger_invariant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(worker: Callable[[int], object], n: int) -> list:
    """Run ``worker(i)`` in n threads released together; return each result or the exception raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = worker(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def funded():
    creator = UserFactory()
    available = account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=creator)
    external = account_for(kind=AccountKind.EXTERNAL)
    entry_post(kind="revenue", legs=[(external, -1_000), (available, 1_000)], idempotency_key="fund")
    return available, external


def test_the_deferred_trigger_rejects_an_unbalanced_entry_written_by_raw_sql(funded):
    available, external = funded

    def write_unbalanced() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payouts_journalentry (public_id, kind, idempotency_key, memo, reference, created_at) "
                "VALUES (gen_random_uuid(), 'revenue', 'raw-sql', '', '{}', now()) RETURNING id"
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO payouts_journalleg (entry_id, account_id, amount_cents) VALUES (%s, %s, 500), "
                "(%s, %s, -400)",
                [entry_id, available.pk, entry_id, external.pk],
            )
            # Inside the transaction the legs are written: the check runs at commit, as a deferred one must.
            assert JournalLeg.objects.filter(entry_id=entry_id).count() == 2

    with pytest.raises(IntegrityError, match="does not balance"):
        write_unbalanced()
    assert not JournalEntry.objects.filter(idempotency_key="raw-sql").exists()
    assert_ledger_invariant()


def test_the_deferred_trigger_rejects_an_entry_without_legs_and_a_leg_added_later(funded):
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        JournalEntry.objects.create(kind="revenue", idempotency_key="empty")
    stored = JournalEntry.objects.get(idempotency_key="fund")
    available, _ = funded
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        JournalLeg.objects.create(entry=stored, account=available, amount_cents=1)
    assert balance_of(account=available) == 1_000


def test_a_balanced_entry_written_by_raw_sql_commits(funded):
    available, external = funded
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_journalentry (public_id, kind, idempotency_key, memo, reference, created_at) "
            "VALUES (gen_random_uuid(), 'revenue', 'raw-ok', '', '{}', now()) RETURNING id"
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO payouts_journalleg (entry_id, account_id, amount_cents) VALUES (%s, %s, 5), (%s, %s, -5)",
            [entry_id, available.pk, entry_id, external.pk],
        )
    assert balance_of(account=available) == 1_005


def test_an_unbalanced_leg_rolled_back_with_its_savepoint_does_not_block_the_commit(funded):
    available, external = funded
    stored = JournalEntry.objects.get(idempotency_key="fund")
    with transaction.atomic():
        try:
            with transaction.atomic():
                JournalLeg.objects.create(entry=stored, account=available, amount_cents=7)
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        entry_post(kind="revenue", legs=[(external, -3), (available, 3)], idempotency_key="after")
    assert balance_of(account=available) == 1_003
    with connection.cursor() as cursor:  # the commit-time check cleans up after itself
        cursor.execute("SELECT (SELECT count(*) FROM payouts_ledger_pending_entry), "
                       "(SELECT count(*) FROM payouts_ledger_txn_check)")  # fmt: skip
        assert cursor.fetchone() == (0, 0)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payouts_journalleg SET amount_cents = amount_cents * 2",
        "DELETE FROM payouts_journalleg",
        "UPDATE payouts_journalentry SET memo = 'edited'",
        "DELETE FROM payouts_journalentry",
    ],
)
def test_legs_and_entries_cannot_be_updated_or_deleted(funded, sql):
    with pytest.raises(IntegrityError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(sql)
    available, _ = funded
    assert balance_of(account=available) == 1_000
    assert JournalEntry.objects.get(idempotency_key="fund").memo == ""


def test_concurrent_posts_with_one_key_move_money_once(funded):
    _, external = funded
    wallet = account_for(kind=AccountKind.VIEWER_WALLET, owner=UserFactory())

    def topup(_: int):
        return entry_post(kind="wallet_topup", legs=[(external, -250), (wallet, 250)], idempotency_key="same-key")

    results = race(topup, 8)
    assert all(isinstance(r, JournalEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    assert balance_of(account=wallet) == 250
    assert_ledger_invariant()


def test_concurrent_debits_never_overdraw(funded):
    available, external = funded  # 1,000 cents; ten racers want 300 each: exactly three can have it

    def withdraw(i: int):
        return entry_post(kind="withdrawal_request", legs=[(available, -300), (external, 300)],
                          idempotency_key=f"w-{i}")  # fmt: skip

    results = race(withdraw, 10)
    assert sum(isinstance(r, JournalEntry) for r in results) == 3
    assert sum(isinstance(r, InsufficientFunds) for r in results) == 7, results
    assert balance_of(account=available) == 100
    assert_ledger_invariant()


def test_a_leg_naming_a_missing_account_is_refused_by_the_set_based_foreign_key_check(funded):
    available, external = funded

    def write_with_a_missing_account() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payouts_journalentry (public_id, kind, idempotency_key, memo, reference, created_at) "
                "VALUES (gen_random_uuid(), 'revenue', 'raw-fk', '', '{}', now()) RETURNING id"
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO payouts_journalleg (entry_id, account_id, amount_cents) VALUES (%s, %s, 5), (%s, %s, -5)",
                [entry_id, available.pk, entry_id, external.pk + 10_000_000],
            )

    with pytest.raises(IntegrityError, match="foreign key"):
        write_with_a_missing_account()
    assert not JournalEntry.objects.filter(idempotency_key="raw-fk").exists()


def test_an_account_that_legs_refer_to_cannot_be_deleted(funded):
    available, _ = funded

    def delete_the_account() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM payouts_ledgeraccount WHERE id = %s", [available.pk])

    with pytest.raises(IntegrityError):
        delete_the_account()
    assert balance_of(account=available) == 1_000
