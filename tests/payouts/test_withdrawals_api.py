"""The payouts API, the creator pages and the Finance admin actions for withdrawals."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from creators.models import User
from creators.roles import FINANCE
from payouts.ledger import account_for, balance_of, entry_post
from payouts.models import AccountKind, Withdrawal
from payouts.withdrawals import withdrawal_request
from tests.factories import PASSWORD, CreatorProfileFactory, UserFactory
from tests.payouts.conftest import kyc_approved, wallet_funded

pytestmark = pytest.mark.django_db
BALANCE = "/api/v1/payouts/balance"
WITHDRAWALS = "/api/v1/payouts/withdrawals"
TOPUPS = "/api/v1/wallet/topups"


def earn(user, cents, kind=AccountKind.CREATOR_AVAILABLE):
    legs = [(account_for(kind="external"), -cents), (account_for(kind=kind, owner=user), cents)]
    entry_post(kind="revenue", legs=legs, idempotency_key=f"earn:{user.pk}:{kind}")


@pytest.fixture
def creator():
    user = CreatorProfileFactory().user
    kyc_approved(user)
    earn(user, 10_000)
    earn(user, 3_000, AccountKind.CREATOR_HELD)
    earn(user, 500, AccountKind.SAFETY_RESERVE)
    return user


@pytest.fixture
def api(creator):
    client = APIClient()
    client.force_authenticate(creator)
    return client


def post(api, body, key="k-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(WITHDRAWALS, body, format="json", **headers)


# --- API --------------------------------------------------------------------------------------------
def test_the_balance_shows_every_balance_of_the_caller(api, creator, ledger_checked):
    wallet_funded(creator, 800)
    response = api.get(BALANCE)
    assert response.status_code == 200
    assert response.json() == {
        "available_cents": 10_000, "held_cents": 3_000, "reserve_cents": 500, "in_transit_cents": 0,
        "wallet_cents": 800, "wallet_pending_cents": 0, "wallet_spendable_cents": 800, "currency": "USD",
    }  # fmt: skip
    assert api.get(BALANCE + "/").status_code == 200


def test_a_withdrawal_is_requested_and_replayed_by_its_key(api, creator, ledger_checked):
    body = {"amount_cents": 2_500, "payee_name": "Jane Smith"}
    first = post(api, body)
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "pending"
    assert first.json()["amount_cents"] == 2_500
    again = post(api, body)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    conflict = post(api, {**body, "amount_cents": 3_000})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert conflict.json()["detail"]
    assert api.get(BALANCE).json()["in_transit_cents"] == 2_500


def test_a_key_of_the_longest_allowed_length_is_accepted_and_replayed(api, ledger_checked):
    # The ledger key wraps the client's key; a 255-character key used to overflow it (a 500).
    body, key = {"amount_cents": 2_500, "payee_name": "Jane Smith"}, "k" * 255
    first = post(api, body, key=key)
    assert first.status_code == 201, first.json()
    again = post(api, body, key=key)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("body", "key", "status", "code"),
    [
        ({"amount_cents": 2_500, "payee_name": "Jane Smith"}, None, 400, "idempotency_key_missing"),
        ({"amount_cents": 2_500, "payee_name": "Jane Smith"}, "x" * 256, 400, "idempotency_key_invalid"),
        ({"amount_cents": "lots", "payee_name": "Jane Smith"}, "k", 400, "validation_error"),
        ({"payee_name": "Jane Smith"}, "k", 400, "validation_error"),
        ({"amount_cents": 999, "payee_name": "Jane Smith"}, "k", 400, "invalid_withdrawal"),
        ({"amount_cents": 2_500, "payee_name": "42"}, "k", 400, "invalid_withdrawal"),
        ({"amount_cents": 10_001, "payee_name": "Jane Smith"}, "k", 422, "insufficient_funds"),
    ],
)
def test_bad_requests_get_one_error_shape_and_store_nothing(api, body, key, status, code, ledger_checked):
    response = post(api, body, key=key)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Withdrawal.objects.exists()


def test_a_creator_without_kyc_is_refused_with_403(ledger_checked):
    user = CreatorProfileFactory().user
    earn(user, 5_000)
    client = APIClient()
    client.force_authenticate(user)
    response = post(client, {"amount_cents": 2_000, "payee_name": "Jane Smith"})
    assert response.status_code == 403
    assert response.json()["code"] == "kyc_required"


def test_the_list_shows_only_the_callers_withdrawals_paginated(api, creator, ledger_checked):
    for n in range(3):
        post(api, {"amount_cents": 1_000, "payee_name": "Jane Smith"}, key=f"k-{n}")
    other = UserFactory()
    kyc_approved(other)
    earn(other, 5_000)
    withdrawal_request(creator=other, amount_cents=1_000, payee_name="Someone Else", idempotency_key="k-0")
    response = api.get(WITHDRAWALS)
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert {row["payee_name"] for row in response.json()["results"]} == {"Jane Smith"}


def test_anonymous_callers_are_refused():
    assert APIClient().get(BALANCE).status_code == 401
    response = APIClient().post(WITHDRAWALS, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_signed_in_viewer_who_is_not_a_creator_cannot_request_a_withdrawal(ledger_checked):
    viewer = UserFactory()
    kyc_approved(viewer)
    earn(viewer, 5_000)
    client = APIClient()
    client.force_authenticate(viewer)
    response = post(client, {"amount_cents": 2_000, "payee_name": "Jane Smith"})
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "Only creators withdraw earnings."}
    assert not Withdrawal.objects.exists()


def test_top_ups_are_for_finance_staff_only(api, creator, ledger_checked):
    body = {"viewer": str(creator.public_id), "amount_cents": 1_000, "reference": "ch_1"}
    assert api.post(TOPUPS, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1").status_code == 403
    other_staff = APIClient()
    other_staff.force_authenticate(UserFactory(is_staff=True))
    assert other_staff.post(TOPUPS, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1").status_code == 403
    staff = APIClient()
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE))
    staff.force_authenticate(finance)
    first = staff.post(TOPUPS, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == 201
    assert first.json()["wallet_cents"] == 1_000
    assert staff.post(TOPUPS, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1").status_code == 200
    conflict = staff.post(TOPUPS, {**body, "amount_cents": 5}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert conflict.status_code == 409
    assert balance_of(account=account_for(kind="viewer_wallet", owner=creator)) == 1_000


def test_the_schema_documents_the_payouts_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "post" in paths["/api/v1/payouts/withdrawals/"]
    assert "get" in paths["/api/v1/payouts/withdrawals/"]
    assert "get" in paths["/api/v1/payouts/balance/"]
    params = [p["name"] for p in paths["/api/v1/payouts/withdrawals/"]["post"].get("parameters", [])]
    assert "Idempotency-Key" in params


# --- Creator pages ----------------------------------------------------------------------------------
def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.email, password=PASSWORD)
    return client


def csrf_post(client: Client, url: str, data: dict):
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def test_the_withdraw_page_shows_balances_and_requests_a_withdrawal(creator, ledger_checked):
    client = browser(creator)
    page = client.get("/payouts/withdraw/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "100.00 USD" in text
    assert "30.00 USD" in text
    assert "5.00 USD" in text
    key = page.context["form"].initial["idempotency_key"]
    token = page.cookies["csrftoken"].value
    data = {"amount": "25.00", "payee_name": "Jane Smith", "idempotency_key": str(key), "csrfmiddlewaretoken": token}
    response = client.post("/payouts/withdraw/", data, follow=True)
    assert response.status_code == 200
    assert "25.00 USD was requested" in response.content.decode()
    client.post("/payouts/withdraw/", data)  # a double submit of the same form
    assert Withdrawal.objects.filter(creator=creator).count() == 1
    history = client.get("/payouts/withdrawals/").content.decode()
    assert "Jane Smith" in history
    assert "Pending approval" in history


def test_the_withdraw_form_refuses_without_csrf_and_shows_errors(creator, ledger_checked):
    client = browser(creator)
    form = {"payee_name": "Jane Smith", "idempotency_key": "7d9c1f1e-8a52-4b8e-9a9a-0b3c9f6d2e11"}
    refused = client.post("/payouts/withdraw/", {**form, "amount": "25.00"})
    assert refused.status_code == 403
    too_small = csrf_post(client, "/payouts/withdraw/", {**form, "amount": "5.00"})
    assert too_small.status_code == 400
    assert "smallest withdrawal" in too_small.content.decode()
    too_big = csrf_post(client, "/payouts/withdraw/", {**form, "amount": "500.00"})
    assert too_big.status_code == 422
    assert "available balance" in too_big.content.decode()
    assert not Withdrawal.objects.exists()


def test_the_pages_need_a_signed_in_user():
    assert Client().get("/payouts/withdraw/").status_code == 302
    assert Client().get("/payouts/withdrawals/").status_code == 302


# --- Admin ------------------------------------------------------------------------------------------
@pytest.fixture
def finance_client():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    client = Client()
    client.force_login(user)
    return client, User.objects.get(pk=user.pk)


def test_finance_pays_a_withdrawal_from_admin(creator, finance_client, ledger_checked):
    client, finance = finance_client
    withdrawal = withdrawal_request(creator=creator, amount_cents=2_000, payee_name="Jane Smith", idempotency_key="a")
    url = "/admin/payouts/withdrawal/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "approve_selected", "_selected_action": [withdrawal.pk]}, follow=True)
    assert response.status_code == 200
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "paid"
    assert AuditEvent.objects.filter(action="payouts.withdrawal.paid", actor=finance).exists()


def test_finance_rejects_with_a_reason_from_admin(creator, finance_client, ledger_checked):
    client, _ = finance_client
    withdrawal = withdrawal_request(creator=creator, amount_cents=2_000, payee_name="Jane Smith", idempotency_key="a")
    url = "/admin/payouts/withdrawal/"
    form = client.post(url, {"action": "reject_selected", "_selected_action": [withdrawal.pk]})
    assert form.status_code == 200
    assert "give a reason" in form.content.decode()
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "pending"
    client.post(url, {"action": "reject_selected", "_selected_action": [withdrawal.pk], "apply": "1",
                      "reason": "The bank account is closed."})  # fmt: skip
    rejected = Withdrawal.objects.get(pk=withdrawal.pk)
    assert rejected.status == "rejected"
    assert rejected.rejection_reason == "The bank account is closed."
    assert balance_of(account=account_for(kind="creator_available", owner=creator)) == 10_000


def test_the_ledger_is_read_only_in_admin(creator, finance_client):
    client, _ = finance_client
    assert client.get("/admin/payouts/journalentry/").status_code == 200
    assert client.get("/admin/payouts/ledgeraccount/").status_code == 200
    assert client.get("/admin/payouts/journalentry/add/").status_code == 403
