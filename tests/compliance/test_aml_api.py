"""POST /api/v1/gifts/: authentication, validation, Stripe-style idempotency keys, what the sender is told."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import GiftRequest
from payouts.gifts import wallet_topup
from tests.compliance.aml_support import account, creator, past_gift

pytestmark = pytest.mark.django_db
URL = "/api/v1/gifts/"


def funded(user, cents: int = 200_000_000):
    """Gifts are paid from the sender's gift wallet: top it up well past any amount asked below."""
    wallet_topup(viewer=user, amount_cents=cents, idempotency_key=f"test-{user.pk}", reference="test")
    return user


@pytest.fixture
def sender():
    return funded(account(age_days=120))


@pytest.fixture
def client(sender):
    api = APIClient(REMOTE_ADDR="81.2.69.160")
    api.force_authenticate(sender)
    return api


@pytest.fixture
def receiver():
    return creator()


def _post(client, body: dict, key: str | None = "k-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, body, format="json", **headers)


def _body(creator_profile, **overrides) -> dict:
    body = {"receiver": creator_profile.handle, "amount_cents": 500, "currency": "USD", "device_id": "dev-1"}
    return {**body, **overrides}


def test_an_allowed_gift_is_created_with_its_decision(client, receiver, sender):
    response = _post(client, _body(receiver))

    assert response.status_code == 201
    assert response.json()["decision"] == "allow"
    assert response.json()["receiver"] == receiver.handle
    assert response.json()["config_version"] == "aml-2026.11-1"
    stored = GiftRequest.objects.get(public_id=response.json()["id"])
    assert (stored.sender, stored.receiver, stored.amount_cents) == (sender, receiver, 500)
    assert stored.ip_hash
    assert "81.2.69.160" not in str(stored.__dict__)


def test_the_receiver_can_be_named_by_the_creator_accounts_public_id(client, receiver):
    response = _post(client, _body(receiver, receiver=str(receiver.user.public_id)))

    assert response.status_code == 201
    assert response.json()["receiver"] == receiver.handle


def test_the_same_key_and_body_return_the_stored_answer(client, receiver):
    first = _post(client, _body(receiver))
    again = _post(client, _body(receiver))

    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert GiftRequest.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(client, receiver):
    _post(client, _body(receiver))

    response = _post(client, _body(receiver, amount_cents=900))

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert GiftRequest.objects.count() == 1


def test_key_order_and_naming_the_receiver_another_way_are_the_same_body(client, receiver):
    first = _post(client, _body(receiver))
    again = _post(client, {"device_id": "dev-1", "amount_cents": 500, "receiver": str(receiver.user.public_id)})

    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_a_blocked_decision_is_replayed_too(client, receiver, sender):
    first = _post(client, _body(receiver, amount_cents=999_999_99), key="big")

    again = _post(client, _body(receiver, amount_cents=999_999_99), key="big")

    assert first.json()["decision"] == "block"
    assert again.status_code == 201
    assert again.json() == first.json()


def test_the_idempotency_key_header_is_required(client, receiver):
    response = _post(client, _body(receiver), key=None)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert not GiftRequest.objects.exists()


def test_an_overlong_idempotency_key_is_refused(client, receiver):
    response = _post(client, _body(receiver), key="x" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


def test_two_senders_may_use_the_same_key(client, receiver):
    other = APIClient(REMOTE_ADDR="81.2.69.161")
    other.force_authenticate(funded(account(age_days=120)))

    assert _post(client, _body(receiver)).status_code == 201
    assert _post(other, _body(receiver)).status_code == 201
    assert GiftRequest.objects.count() == 2


def test_a_failed_validation_stores_nothing_and_leaves_the_key_free(client, receiver):
    assert _post(client, _body(receiver, amount_cents=0)).status_code == 400

    assert _post(client, _body(receiver)).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -5}, "amount_cents"),
        ({"amount_cents": "ten"}, "amount_cents"),
        ({"currency": "EUR"}, "currency"),
        ({"receiver": "nobody_here"}, "receiver"),
        ({"receiver": str(uuid.uuid4())}, "receiver"),
        ({"device_id": ""}, "device_id"),
        ({"device_id": "d" * 65}, "device_id"),
    ],
)
def test_invalid_fields_are_named(client, receiver, overrides, field):
    response = _post(client, _body(receiver, **overrides))

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_a_body_that_is_not_an_object_is_refused(client):
    response = client.post(URL, [1, 2], format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_body", "detail": "The body must be a JSON object."}


def test_anonymous_requests_are_refused(receiver):
    response = APIClient().post(URL, _body(receiver), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code in {401, 403}
    assert not GiftRequest.objects.exists()


def test_a_held_gift_does_not_tell_the_sender_which_rules_fired(client, sender):
    own, other = creator(user=sender), creator()
    past_gift(other.user, own, 20_000, at=timezone.now() - timedelta(hours=1))

    response = _post(client, _body(other, amount_cents=10_000))

    assert response.json()["decision"] == "hold"
    assert response.json()["message"].startswith("The gift is held for review")
    assert "cycle" not in str(response.json())
    assert "graph.cycle" in {h["rule"] for h in GiftRequest.objects.get(public_id=response.json()["id"]).rule_hits}


def test_the_sender_is_told_about_limits_they_can_act_on(client, sender):
    response = _post(client, _body(creator(user=sender)))

    assert response.json()["decision"] == "block"
    assert response.json()["message"] == "You cannot send a gift to yourself."


def test_the_country_header_is_read_only_where_settings_name_one(client, receiver, settings):
    settings.AML_COUNTRY_HEADER = "HTTP_CF_IPCOUNTRY"

    response = client.post(URL, _body(receiver), format="json", HTTP_IDEMPOTENCY_KEY="c", HTTP_CF_IPCOUNTRY="gb")

    assert GiftRequest.objects.get(public_id=response.json()["id"]).country == "GB"


def test_the_schema_documents_the_endpoint_and_its_header(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/gifts/"]["post"]

    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert {"201", "400", "422"} <= set(operation["responses"])


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(receiver, sender, settings):
    settings.AML_TRUSTED_PROXIES = ["10.0.0.5"]
    via_proxy = APIClient(REMOTE_ADDR="10.0.0.5")
    via_proxy.force_authenticate(sender)
    direct = APIClient(REMOTE_ADDR="81.2.69.160")
    direct.force_authenticate(sender)

    # The client claims 1.1.1.1; our proxy appended the data-centre address it really saw.
    first = via_proxy.post(URL, _body(receiver), format="json", HTTP_IDEMPOTENCY_KEY="p1",
                           HTTP_X_FORWARDED_FOR="1.1.1.1, 159.65.21.10")  # fmt: skip
    second = direct.post(URL, _body(receiver), format="json", HTTP_IDEMPOTENCY_KEY="p2",
                         HTTP_X_FORWARDED_FOR="159.65.21.10")  # fmt: skip

    assert GiftRequest.objects.get(public_id=first.json()["id"]).is_hosting_network
    assert not GiftRequest.objects.get(public_id=second.json()["id"]).is_hosting_network
