"""Hard limits on gifts: rolling 24-hour windows per sender and per receiver, also under concurrency."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection

from compliance.aml import selectors
from compliance.aml.services import request_hash_of
from compliance.models import GiftRequest
from tests.compliance.aml_support import NOW, account, ask, creator, past_gift, rules_of

pytestmark = pytest.mark.django_db


def test_a_new_account_may_send_500_dollars_a_day():
    sender, receiver = account(age_days=2), creator()
    assert ask(sender, receiver, 30_000).decision == "allow"
    assert ask(sender, receiver, 20_000, at=NOW + timedelta(minutes=5)).decision == "allow"

    refused = ask(sender, receiver, 100, at=NOW + timedelta(minutes=10))

    assert refused.decision == "block"
    assert "limit.sender_daily" in rules_of(refused)
    hit = next(h for h in refused.rule_hits if h["rule"] == "limit.sender_daily")
    assert "$500.00 limit for a new account" in hit["reason"]
    assert refused.config_version == "aml-2026.11-1"


def test_the_limit_is_a_rolling_24_hour_window_not_a_calendar_day():
    sender, receiver = account(age_days=2), creator()
    past_gift(sender, receiver, 49_000, at=NOW - timedelta(hours=23))

    assert ask(sender, receiver, 2_000).decision == "block"
    assert ask(sender, receiver, 2_000, at=NOW + timedelta(hours=1, minutes=1)).decision == "allow"


def test_blocked_gifts_do_not_use_up_the_limit():
    sender, receiver = account(age_days=2), creator()
    past_gift(sender, receiver, 45_000, at=NOW - timedelta(hours=1), decision="block")

    assert ask(sender, receiver, 45_000).decision == "allow"


def test_held_gifts_count_against_the_limit():
    sender, receiver = account(age_days=2), creator()
    past_gift(sender, receiver, 45_000, at=NOW - timedelta(hours=1), decision="hold")

    assert ask(sender, receiver, 10_000).decision == "block"


def test_an_older_account_gets_a_higher_limit():
    sender, receiver = account(age_days=45), creator()

    gift = ask(sender, receiver, 80_000)

    assert "limit.sender_daily" not in rules_of(gift)


def test_a_verified_identity_raises_the_limit(monkeypatch):
    sender, receiver = account(age_days=2), creator()
    verified = {sender.pk: 2, receiver.user_id: 2}
    monkeypatch.setattr(selectors, "kyc_level_of", lambda *, user, today=None: verified.get(user.pk, 0))

    assert "limit.sender_daily" not in rules_of(ask(sender, receiver, 300_000))
    assert "limit.sender_daily" in rules_of(ask(sender, receiver, 300_000, at=NOW + timedelta(minutes=1)))


def test_an_unverified_creator_may_receive_at_most_the_daily_cap():
    receiver = creator()
    for n in range(4):
        past_gift(account(age_days=60), receiver, 45_000, at=NOW - timedelta(hours=n + 1))

    refused = ask(account(age_days=60), receiver, 30_000)

    assert refused.decision == "block"
    assert "limit.receiver_daily" in rules_of(refused)
    assert next(h for h in refused.rule_hits if h["rule"] == "limit.receiver_daily")["party"] == "receiver"


def test_a_verified_creator_has_no_daily_cap(monkeypatch):
    receiver = creator()
    monkeypatch.setattr(selectors, "kyc_level_of", lambda *, user, today=None: 2 if user.pk == receiver.user_id else 0)
    for n in range(4):
        past_gift(account(age_days=60), receiver, 45_000, at=NOW - timedelta(hours=n + 1))

    assert "limit.receiver_daily" not in rules_of(ask(account(age_days=60), receiver, 30_000))


def test_a_creator_cannot_gift_their_own_profile():
    own = creator()

    gift = ask(own.user, own, 500)

    assert gift.decision == "block"
    assert "limit.self_gift" in rules_of(gift)


def _in_threads(n: int, work) -> list:
    """Run work(i) in n threads started together; each thread has its own database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_gifts_cannot_both_slip_under_the_sender_limit():
    sender, receiver = account(age_days=2), creator()

    results = _in_threads(8, lambda i: ask(sender, receiver, 10_000).decision)

    assert not [r for r in results if isinstance(r, Exception)], results
    counted = GiftRequest.objects.filter(sender=sender, decision__in=["allow", "hold"])
    assert sum(g.amount_cents for g in counted) <= 50_000
    assert counted.count() == 5
    assert GiftRequest.objects.filter(sender=sender, decision="block").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_gifts_from_many_senders_cannot_exceed_the_receiver_cap():
    receiver = creator()
    senders = [account(age_days=60) for _ in range(8)]

    results = _in_threads(8, lambda i: ask(senders[i], receiver, 45_000, device=f"d{i}",
                                           ip=f"81.2.{i}.1").decision)  # fmt: skip

    assert not [r for r in results if isinstance(r, Exception)], results
    counted = GiftRequest.objects.filter(receiver=receiver, decision__in=["allow", "hold"])
    assert sum(g.amount_cents for g in counted) <= 200_000
    assert counted.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_key_sent_twice_at_the_same_moment_gets_one_decision():
    sender, receiver = account(age_days=2), creator()
    key = str(uuid.uuid4())

    results = _in_threads(6, lambda i: ask(sender, receiver, 700, key=key, body="same").public_id)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert GiftRequest.objects.filter(sender=sender).count() == 1


def test_the_hash_of_a_body_is_its_sha256():
    assert request_hash_of(b"x") == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
