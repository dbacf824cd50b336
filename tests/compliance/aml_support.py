"""Helpers for the AML tests: accounts of a given age, stored gifts of the past, and asking for a gift."""

import uuid
from datetime import UTC, datetime, timedelta

from compliance.aml.services import gift_decide, request_hash_of
from compliance.models import GiftRequest
from integrity.network import network_origin
from tests.factories import CreatorProfileFactory, UserFactory

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOME_IP = "81.2.69.160"


def account(*, age_days: float = 1, **kwargs):
    return UserFactory(date_joined=NOW - timedelta(days=age_days), **kwargs)


def creator(*, age_days: float = 400, user=None):
    user = user or account(age_days=age_days)
    return CreatorProfileFactory(user=user)


def ask(sender, receiver, amount_cents: int = 500, *, key: str | None = None, at: datetime | None = None,
        device: str = "device-1", ip: str = HOME_IP, country: str = "", config=None,
        body: str | None = None):  # fmt: skip
    """Ask the engine for a gift, as the API would."""
    body = body or f"{receiver.pk}:{amount_cents}:{device}"
    return gift_decide(
        sender=sender, receiver=receiver, amount_cents=amount_cents, currency="USD", device_id=device, ip=ip,
        idempotency_key=key or uuid.uuid4().hex, body_hash=request_hash_of(body.encode()), country=country,
        now=at or NOW, config=config,
    )  # fmt: skip


def past_gift(sender, receiver, amount_cents: int, *, at: datetime, decision: str = "allow",
              device: str = "device-past", ip: str = "82.10.20.30", country: str = "") -> GiftRequest:  # fmt: skip
    """A gift decided earlier, stored directly: the history a rule looks back on."""
    origin = network_origin(ip)
    return GiftRequest.objects.create(
        idempotency_key=uuid.uuid4().hex, request_hash="0" * 64, sender=sender, sender_joined_at=sender.date_joined,
        receiver=receiver,
        receiver_user_id=receiver.user_id, amount_cents=amount_cents, device_id=device, ip_hash=origin.ip_hash,
        ip_prefix_hash=origin.ip_prefix_hash, country=country, is_hosting_network=origin.is_hosting_network,
        created_at=at, decision=decision, config_version="test",
    )  # fmt: skip


def rules_of(gift: GiftRequest) -> set[str]:
    return {hit["rule"] for hit in gift.rule_hits}
