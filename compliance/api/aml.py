"""``POST /api/v1/gifts/``: a viewer asks to send a creator a gift and gets a decision at once.

Idempotency follows Stripe: the ``Idempotency-Key`` header is required; the same key with the same
body returns the stored answer (same status, same body, plus ``Idempotent-Replayed: true``); the
same key with a different body is refused with 422. Requests that fail validation store nothing,
so the key can be used again with a corrected body.

The response says allow, hold or block, never which AML rules fired: telling a suspect why a
payment was held would tip them off. Staff see every rule and reason in admin. Limits the sender
can act on (their daily gifting limit) are named, since they are product rules, not suspicions.
"""

import contextlib
import uuid

import orjson
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.aml.services import GiftError, IdempotencyKeyReused, request_hash_of
from compliance.models import GiftRequest
from creators.models import CreatorProfile
from payouts.gifts import WalletBalanceTooLow, gift_send
from valuetok.api_errors import ApiError, ErrorResponseSerializer
from valuetok.client import client_country, client_ip
from valuetok.idempotency import idempotency_key, idempotency_parameter, object_body, replayed_marked

# Limits a sender may be told about; everything else that blocks or holds stays unexplained.
SENDER_VISIBLE_RULES = {
    "limit.sender_daily": "You have reached your daily gifting limit; try a smaller amount or later.",
    "limit.max_gift": "This gift is larger than a single gift may be.",
    "limit.self_gift": "You cannot send a gift to yourself.",
}
MESSAGES = {
    GiftRequest.Decision.ALLOW: "The gift was accepted.",
    GiftRequest.Decision.HOLD: "The gift is held for review; the creator will receive it if it is approved.",
    GiftRequest.Decision.BLOCK: "The gift could not be sent.",
}


class GiftRequestSerializer(serializers.Serializer):
    receiver = serializers.CharField(max_length=64, help_text="The creator's handle, or their account's public id.")
    amount_cents = serializers.IntegerField(min_value=1, max_value=10**12, help_text="Whole US cents.")
    currency = serializers.CharField(max_length=3, default="USD")
    device_id = serializers.CharField(max_length=64)

    def validate_receiver(self, value: str) -> CreatorProfile:
        value = value.strip()
        # One indexed lookup or the other; an OR across the two tables could not use either index.
        lookup = Q(handle=value.lower())
        with contextlib.suppress(ValueError):
            lookup = Q(user__public_id=uuid.UUID(value))
        profile = CreatorProfile.objects.select_related("user").filter(lookup, user__is_active=True).first()
        if profile is None:
            raise serializers.ValidationError("No such creator.")
        return profile

    def validate_currency(self, value: str) -> str:
        if value != "USD":
            raise serializers.ValidationError("Gifts are in USD.")
        return value


class GiftDecisionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    receiver = serializers.CharField(source="receiver.handle")
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()
    decision = serializers.ChoiceField(choices=GiftRequest.Decision.choices)
    message = serializers.SerializerMethodField()
    config_version = serializers.CharField(help_text="Version of the AML rules that decided.")
    created_at = serializers.DateTimeField()

    def get_message(self, gift: GiftRequest) -> str:
        visible = [SENDER_VISIBLE_RULES[h["rule"]] for h in gift.rule_hits if h.get("rule") in SENDER_VISIBLE_RULES]
        return visible[0] if visible and gift.decision == GiftRequest.Decision.BLOCK else MESSAGES[gift.decision]


class GiftView(APIView):
    """Ask for a gift to a creator; answered with allow, hold or block."""

    @extend_schema(
        summary="Send a gift to a creator",
        description=(
            "Decides in real time whether the gift is allowed, held for review or blocked, and stores the decision "
            "with every rule that fired (visible to staff). Requires an Idempotency-Key header: repeating a request "
            "with the same key and body returns the stored answer with `Idempotent-Replayed: true`; the same key "
            "with a different body is refused with 422. A gift larger than the sender's gift wallet (less gifts "
            "still held for review) is refused with 400 `insufficient_wallet_balance` and nothing is stored; an "
            "allowed gift moves the money to the creator at once, a held one when its review clears it."
        ),
        parameters=[idempotency_parameter(per="gift")],
        request=GiftRequestSerializer,
        responses={
            201: GiftDecisionSerializer,
            400: OpenApiResponse(
                ErrorResponseSerializer,
                description="Invalid input (validation_error), a missing "
                "or bad Idempotency-Key, or insufficient_wallet_balance; nothing is stored.",
            ),
            422: OpenApiResponse(
                ErrorResponseSerializer, description="idempotency_key_reused: the key was used with another body."
            ),
        },
        examples=[
            OpenApiExample(
                "Allowed",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": "2c9d8e7f-6a5b-4c3d-9e8f-7a6b5c4d3e2f",
                    "receiver": "demo_creator",
                    "amount_cents": 500,
                    "currency": "USD",
                    "decision": "allow",
                    "message": MESSAGES[GiftRequest.Decision.ALLOW],
                    "config_version": "aml-2026.11-1",
                    "created_at": "2026-11-21T12:00:00Z",
                },
            ),
            OpenApiExample(
                "A $5 gift",
                request_only=True,
                value={
                    "receiver": "demo_creator",
                    "amount_cents": 500,
                    "currency": "USD",
                    "device_id": "5583929b96ada5f6",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key(request, per="gift")
        serializer = GiftRequestSerializer(data=object_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The body's meaning, not its bytes: key order and whitespace do not make a different request.
        canonical = {"receiver": data["receiver"].pk, "amount_cents": data["amount_cents"],
                     "currency": data["currency"], "device_id": data["device_id"]}  # fmt: skip
        try:
            # gift_send checks the sender's wallet, asks gift_decide and books the outcome in the ledger.
            gift = gift_send(
                sender=request.user, receiver=data["receiver"], amount_cents=data["amount_cents"],
                currency=data["currency"], device_id=data["device_id"], ip=client_ip(request),
                idempotency_key=key, body_hash=request_hash_of(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)),
                country=client_country(request),
            )  # fmt: skip
        except IdempotencyKeyReused as exc:
            raise ApiError(f"{exc} Use a new key for a new gift.", code="idempotency_key_reused",
                           status_code=status.HTTP_422_UNPROCESSABLE_ENTITY) from exc  # fmt: skip
        except WalletBalanceTooLow as exc:
            raise ApiError(str(exc), code="insufficient_wallet_balance") from exc
        except GiftError as exc:
            raise ApiError(str(exc), code="invalid_gift") from exc
        response = Response(GiftDecisionSerializer(gift).data, status=status.HTTP_201_CREATED)
        return replayed_marked(response, replayed=gift.replayed)
