"""Gifts through the ledger: the wallet pays, AML decides, the ledger books (or not), held money is released."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from compliance.aml.services import GiftError, case_reopen, case_resolve, request_hash_of
from compliance.models import AmlAlert, AmlCase, AuditEvent, GiftRequest
from creators.roles import TRUST_AND_SAFETY
from payouts.gifts import WalletBalanceTooLow, gift_send, held_gifts_release, wallet_topup
from payouts.ledger import LedgerError, account_for, balance_of, entry_post
from payouts.models import AccountKind, GiftBooking, JournalEntry
from payouts.selectors import held_gift_cents_unreleased, owner_balances, wallet_spendable_cents
from tests.compliance.aml_support import NOW, account, creator, past_gift
from tests.factories import UserFactory
from tests.payouts.conftest import kyc_approved, wallet_funded

pytestmark = pytest.mark.django_db


def send(sender, receiver, amount_cents=500, *, key=None, at=NOW, device="device-1"):
    return gift_send(
        sender=sender, receiver=receiver, amount_cents=amount_cents, currency="USD", device_id=device,
        ip="81.2.69.160", idempotency_key=key or uuid.uuid4().hex,
        body_hash=request_hash_of(f"{receiver.pk}:{amount_cents}:{device}".encode()), now=at,
    )  # fmt: skip


def wallet(user) -> int:
    return balance_of(account=account_for(kind=AccountKind.VIEWER_WALLET, owner=user))


def held(user) -> int:
    return balance_of(account=account_for(kind=AccountKind.CREATOR_HELD, owner=user))


def available(user) -> int:
    return balance_of(account=account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=user))


def held_cycle(funds=50_000):
    """B sends A back most of what A just sent B: the gift is held (graph.cycle), with a case about B."""
    a, b = creator(age_days=200), creator(age_days=200)
    wallet_funded(b.user, funds)
    past_gift(a.user, b, 20_000, at=NOW - timedelta(hours=2))
    gift = send(b.user, a, 10_000)
    assert gift.decision == "hold"
    return a, b, gift


def staff():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    return user


# --- Wallet -----------------------------------------------------------------------------------------
def test_a_top_up_fills_the_wallet_once_per_key(ledger_checked):
    viewer = UserFactory()
    first = wallet_topup(viewer=viewer, amount_cents=2_500, idempotency_key="card-1", reference="ch_1")
    again = wallet_topup(viewer=viewer, amount_cents=2_500, idempotency_key="card-1", reference="ch_1")
    assert again.pk == first.pk
    assert again.replayed
    assert wallet(viewer) == 2_500
    assert first.reference["reference"] == "ch_1"
    # Keys are per viewer: another viewer's "card-1" is another top-up.
    wallet_topup(viewer=UserFactory(), amount_cents=100, idempotency_key="card-1")
    assert wallet(viewer) == 2_500


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, 10**10])
def test_a_top_up_of_a_bad_amount_is_refused(amount, ledger_checked):
    with pytest.raises(LedgerError):
        wallet_topup(viewer=UserFactory(), amount_cents=amount, idempotency_key="k")
    assert not JournalEntry.objects.exists()


# --- Sending ----------------------------------------------------------------------------------------
def test_an_allowed_gift_moves_money_from_the_wallet_to_the_creators_held_balance(ledger_checked):
    sender, receiver = wallet_funded(account(age_days=120), 1_000), creator()
    gift = send(sender, receiver, 600)
    assert gift.decision == "allow"
    assert (wallet(sender), held(receiver.user), available(receiver.user)) == (400, 600, 0)
    booking = GiftBooking.objects.get(gift=gift)
    assert booking.status == "booked"
    assert booking.entry.idempotency_key == f"gift:{gift.public_id}"
    assert booking.entry.legs.count() == 2


def test_replaying_an_allowed_gift_books_it_once(ledger_checked):
    sender, receiver = wallet_funded(account(age_days=120), 1_000), creator()
    first = send(sender, receiver, 600, key="same")
    again = send(sender, receiver, 600, key="same")
    assert again.replayed
    assert again.pk == first.pk
    assert wallet(sender) == 400
    assert JournalEntry.objects.filter(kind="gift").count() == 1


def test_a_gift_larger_than_the_wallet_is_refused_and_nothing_is_stored(ledger_checked):
    sender, receiver = wallet_funded(account(age_days=120), 499), creator()
    with pytest.raises(WalletBalanceTooLow, match=r"4\.99 USD"):
        send(sender, receiver, 500)
    assert not GiftRequest.objects.exists()
    assert not GiftBooking.objects.exists()
    assert wallet(sender) == 499


def test_a_gift_with_an_empty_wallet_is_refused(ledger_checked):
    with pytest.raises(WalletBalanceTooLow):
        send(account(age_days=120), creator(), 1)
    with pytest.raises(GiftError):
        send(account(age_days=120), creator(), 0)
    assert not GiftRequest.objects.exists()


def test_the_api_refuses_a_gift_larger_than_the_wallet_with_a_clear_error(ledger_checked):
    sender, receiver = wallet_funded(account(age_days=120), 300), creator()
    client = APIClient(REMOTE_ADDR="81.2.69.160")
    client.force_authenticate(sender)
    body = {"receiver": receiver.handle, "amount_cents": 500, "currency": "USD", "device_id": "dev-1"}
    response = client.post("/api/v1/gifts/", body, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_wallet_balance"
    assert "3.00 USD" in response.json()["detail"]
    assert not GiftRequest.objects.exists()
    # The key stays free: after a top-up the same key sends the gift.
    wallet_funded(sender, 1_000, key="more")
    response = client.post("/api/v1/gifts/", body, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    assert response.status_code == 201
    assert response.json()["decision"] == "allow"
    assert held(receiver.user) == 500


def test_a_blocked_gift_moves_nothing(ledger_checked):
    sender, receiver = wallet_funded(account(age_days=2), 100_000), creator()
    past_gift(sender, receiver, 49_000, at=NOW - timedelta(hours=23))
    gift = send(sender, receiver, 2_000)
    assert gift.decision == "block"
    assert wallet(sender) == 100_000
    assert held(receiver.user) == 0
    assert not GiftBooking.objects.filter(gift=gift).exists()


def test_a_held_gift_moves_nothing_but_counts_against_the_wallet(ledger_checked):
    a, b, gift = held_cycle(funds=15_000)
    booking = GiftBooking.objects.get(gift=gift)
    assert booking.status == "awaiting_review"
    assert booking.entry is None
    assert wallet(b.user) == 15_000
    assert held(a.user) == 0
    assert wallet_spendable_cents(user=b.user) == 5_000
    assert owner_balances(user=b.user).wallet_pending_cents == 10_000
    with pytest.raises(WalletBalanceTooLow):
        send(b.user, creator(), 5_001, at=NOW + timedelta(minutes=1))


# --- Case resolution --------------------------------------------------------------------------------
def test_clearing_the_case_books_the_held_gift_in_the_same_transaction(ledger_checked):
    a, b, gift = held_cycle()
    case = AmlAlert.objects.get(gift=gift).case
    case_resolve(case=case, resolution="false_positive", reason="Siblings settling a dinner bill.", actor=staff())
    booking = GiftBooking.objects.get(gift=gift)
    assert booking.status == "booked"
    assert (wallet(b.user), held(a.user)) == (40_000, 10_000)
    assert AuditEvent.objects.filter(action="payouts.gift.booked", subject=f"payouts.giftbooking:{booking.pk}").exists()


def test_confirming_suspicion_refuses_the_held_gift_and_moves_nothing(ledger_checked):
    a, b, gift = held_cycle()
    case = AmlAlert.objects.get(gift=gift).case
    case_resolve(case=case, resolution="reported", reason="Round-tripping; SAR filed.", actor=staff())
    booking = GiftBooking.objects.get(gift=gift)
    assert booking.status == "refused"
    assert "reported" in booking.refused_reason
    assert (wallet(b.user), held(a.user)) == (50_000, 0)
    assert wallet_spendable_cents(user=b.user) == 50_000  # no longer reserved
    assert AuditEvent.objects.filter(action="payouts.gift.refused").count() == 1
    # Reopening and clearing the case later does not revive a refused gift.
    reopened = case_reopen(case=AmlCase.objects.get(pk=case.pk), reason="New evidence.", actor=staff())
    case_resolve(case=reopened, resolution="false_positive", reason="Mistake.", actor=staff())
    assert GiftBooking.objects.get(gift=gift).status == "refused"
    assert held(a.user) == 0


def test_a_held_gift_waits_for_every_case_about_it(ledger_checked):
    a, _, gift = held_cycle()
    first_case = AmlAlert.objects.get(gift=gift).case
    # A second alert about the same gift in another account's case (as when both parties are suspect).
    other_case = AmlCase.objects.create(subject=a.user)
    AmlAlert.objects.create(case=other_case, subject=a.user, gift=gift, decision="hold", rules=[], config_version="t")
    case_resolve(case=first_case, resolution="false_positive", reason="Fine.", actor=staff())
    assert GiftBooking.objects.get(gift=gift).status == "awaiting_review"
    assert held(a.user) == 0
    case_resolve(case=other_case, resolution="false_positive", reason="Fine too.", actor=staff())
    assert GiftBooking.objects.get(gift=gift).status == "booked"
    assert held(a.user) == 10_000


def test_a_held_gift_the_wallet_no_longer_covers_is_refused_at_resolution(ledger_checked):
    a, b, gift = held_cycle(funds=10_000)
    # The wallet is refunded to the card in the meantime (money leaving to the outside world).
    entry_post(kind="reversal", legs=[(account_for(kind="viewer_wallet", owner=b.user), -10_000),
                                      (account_for(kind="external"), 10_000)], idempotency_key="refund")  # fmt: skip
    case = AmlAlert.objects.get(gift=gift).case
    case_resolve(case=case, resolution="false_positive", reason="Fine.", actor=staff())
    booking = GiftBooking.objects.get(gift=gift)
    assert booking.status == "refused"
    assert "no longer covers" in booking.refused_reason
    assert AmlCase.objects.get(pk=case.pk).status == "resolved"
    assert held(a.user) == 0


# --- Releasing held gift money ----------------------------------------------------------------------
def test_gift_money_is_released_after_the_hold_period_to_creators_with_kyc(ledger_checked, settings):
    settings.PAYOUTS_GIFT_HOLD_DAYS = 7
    sender = wallet_funded(account(age_days=120), 10_000)
    verified, unverified = creator(), creator()
    kyc_approved(verified.user, level=1)
    send(sender, verified, 1_000, at=NOW)
    send(sender, verified, 700, at=NOW + timedelta(days=3))
    send(sender, unverified, 500, at=NOW)

    early = held_gifts_release(now=NOW + timedelta(days=6, hours=23))
    assert early.released == 0
    result = held_gifts_release(now=NOW + timedelta(days=7, hours=1))
    assert (result.released, result.released_cents, result.waiting_for_kyc) == (1, 1_000, 1)
    assert (held(verified.user), available(verified.user)) == (700, 1_000)
    assert held_gift_cents_unreleased(creator=verified.user) == 700
    assert (held(unverified.user), available(unverified.user)) == (500, 0)

    again = held_gifts_release(now=NOW + timedelta(days=7, hours=2))  # a retried task
    assert again.released == 0
    assert available(verified.user) == 1_000
    assert JournalEntry.objects.filter(kind="held_release").count() == 1


def test_the_release_task_is_safe_to_run_twice(ledger_checked, settings):
    from payouts.tasks import release_held_gifts

    settings.PAYOUTS_GIFT_HOLD_DAYS = 0
    sender, receiver = wallet_funded(account(age_days=120), 5_000), creator()
    kyc_approved(receiver.user, level=2)
    send(sender, receiver, 1_200)
    assert release_held_gifts.delay().get()["released"] == 1
    assert release_held_gifts.delay().get()["released"] == 0
    assert available(receiver.user) == 1_200
    assert held(receiver.user) == 0
