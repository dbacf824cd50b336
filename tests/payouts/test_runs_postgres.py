"""Commits under real concurrency and a worker killed mid-commit (PostgreSQL, committed data)."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from payouts.models import JournalEntry, JournalLeg, PayoutAllocation, PayoutRun
from payouts.split import payout_run_commit
from tests.payouts.conftest import assert_ledger_invariant
from tests.payouts.test_runs import DAY, _split_settings, computed_run, creator_earning, revenue  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _world(creators: int = 3) -> PayoutRun:
    for i in range(creators):
        creator_earning(valid_views=10 * (i + 1))
    revenue(30_000)
    return computed_run(30_000)


def test_two_threads_committing_the_same_run_write_one_set_of_entries():
    run = _world()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def commit() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(payout_run_commit(run_id=run.id).status)
        except Exception as exc:  # handed to the assertions below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["committed", "committed"]
    assert JournalEntry.objects.filter(kind="allocation").count() == 3
    assert PayoutAllocation.objects.filter(run=run, entry__isnull=False).count() == 3
    assert_ledger_invariant()


def _dsn() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _waiting_on_legs(locker) -> int | None:
    row = locker.execute(
        "SELECT l.pid FROM pg_locks l WHERE l.relation = 'payouts_journalleg'::regclass AND NOT l.granted"
    ).fetchone()
    return row[0] if row else None


def test_a_worker_killed_mid_commit_leaves_no_entries_and_a_retry_commits_once():
    run = _world()
    env = {**os.environ, "DATABASE_URL": _dsn().replace("postgresql://", "postgres://")}
    # Hold the legs table so that the worker's commit stops half way: its journal entries are
    # inserted (inside its transaction), its legs wait.
    with psycopg.connect(_dsn(), autocommit=False) as locker:
        locker.execute("LOCK TABLE payouts_journalleg IN ACCESS EXCLUSIVE MODE")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "payouts_run", "--period", DAY.isoformat(), "--pool-cents", "30000",
             "--commit"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        backend = None
        while backend is None and time.monotonic() < deadline and worker.poll() is None:
            backend = _waiting_on_legs(locker)
            time.sleep(0.1)
        assert backend is not None, worker.communicate()[0].decode()[-2000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        locker.rollback()  # releases the lock: the orphaned backend finds its client gone and aborts
        gone = time.monotonic() + 30
        while time.monotonic() < gone:
            alive = locker.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone()
            locker.rollback()
            if not alive:
                break
            time.sleep(0.1)
    assert worker.returncode == -signal.SIGKILL
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert not JournalEntry.objects.filter(kind="allocation").exists()
    assert not JournalLeg.objects.filter(entry__kind="allocation").exists()
    assert not PayoutAllocation.objects.filter(run=run, entry__isnull=False).exists()

    retried = subprocess.run(
        [sys.executable, "manage.py", "payouts_run", "--period", DAY.isoformat(), "--pool-cents", "30000", "--commit"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "status committed" in retried.stdout
    payout_run_commit(run_id=run.id)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMMITTED
    assert JournalEntry.objects.filter(kind="allocation").count() == 3
    assert run.committed_at - run.computed_at < timedelta(hours=1)
    assert_ledger_invariant()
