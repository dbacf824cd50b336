"""Balances, withdrawals and (staff-only) wallet top-ups over the API.

- ``GET  /api/v1/payouts/balance``: the caller's available, held, reserve and in-transit balances
  (as a creator) and gift wallet (as a viewer).
- ``POST /api/v1/payouts/withdrawals``: request a withdrawal; the ``Idempotency-Key`` header is
  required. The same key and body return the stored withdrawal (200, ``Idempotent-Replayed:
  true``); the same key with another body is refused with 409.
- ``GET  /api/v1/payouts/withdrawals``: the caller's own withdrawals, newest first, paginated.
- ``POST /api/v1/wallet/topups``: staff only (payments arrive from the card processor's webhook in
  production, which is not part of this product yet); used by demos and support.

Every error has one shape: ``{"detail": "...", "code": "..."}``, plus ``"fields"`` for input errors.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creators.models import User
from payouts.gifts import wallet_topup
from payouts.ledger import IdempotencyConflict, LedgerError
from payouts.models import Withdrawal
from payouts.selectors import owner_balances, withdrawals_for_creator
from payouts.withdrawals import (
    WithdrawalError,
    WithdrawalForbidden,
    WithdrawalIdempotencyConflict,
    WithdrawalInsufficientFunds,
    withdrawal_request,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

ERROR = inline_serializer(
    "PayoutsError",
    {"detail": serializers.CharField(), "code": serializers.CharField(),
     "fields": serializers.DictField(required=False, help_text="Per-field messages, for input errors.")},
)  # fmt: skip
# Domain errors to HTTP, in one place.
ERROR_STATUS = {
    WithdrawalForbidden: status.HTTP_403_FORBIDDEN,
    WithdrawalInsufficientFunds: status.HTTP_422_UNPROCESSABLE_ENTITY,
    WithdrawalIdempotencyConflict: status.HTTP_409_CONFLICT,
}


def _error(detail: str, code: str, http_status: int, fields: dict | None = None) -> Response:
    body = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return Response(body, status=http_status)


def _invalid(serializer: serializers.Serializer) -> Response:
    return _error("The request is not valid; see fields.", "invalid", status.HTTP_400_BAD_REQUEST, serializer.errors)


def _idempotency_key(request: Request) -> tuple[str, Response | None]:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return key, _error(f"The {IDEMPOTENCY_HEADER} header is required (a UUID per request).",
                           "idempotency_key_missing", status.HTTP_400_BAD_REQUEST)  # fmt: skip
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return key, _error(f"The {IDEMPOTENCY_HEADER} header must be printable and at most {MAX_KEY_LENGTH} "
                           "characters.", "idempotency_key_invalid", status.HTTP_400_BAD_REQUEST)  # fmt: skip
    return key, None


KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="A unique key per request (a UUID is best), at most 255 characters.",
)  # fmt: skip


# --- Balance -----------------------------------------------------------------------------------------
class BalanceSerializer(serializers.Serializer):
    available_cents = serializers.IntegerField(help_text="Withdrawable now.")
    held_cents = serializers.IntegerField(help_text="Earned but not yet withdrawable (KYC, gift hold period).")
    reserve_cents = serializers.IntegerField(help_text="Safety reserve: held back, never withdrawable.")
    in_transit_cents = serializers.IntegerField(help_text="Requested withdrawals not yet paid or rejected.")
    wallet_cents = serializers.IntegerField(help_text="Your gift wallet, as a viewer.")
    wallet_pending_cents = serializers.IntegerField(help_text="Gifts you sent that are held for review.")
    wallet_spendable_cents = serializers.IntegerField(help_text="What you can give now.")
    currency = serializers.CharField(default="USD")


class BalanceView(APIView):
    throttle_scope = "payouts"

    @extend_schema(summary="Your balances", responses={200: BalanceSerializer}, tags=["payouts"])
    def get(self, request: Request) -> Response:
        balances = owner_balances(user=request.user)
        data = {
            "available_cents": balances.available_cents, "held_cents": balances.held_cents,
            "reserve_cents": balances.reserve_cents, "in_transit_cents": balances.in_transit_cents,
            "wallet_cents": balances.wallet_cents, "wallet_pending_cents": balances.wallet_pending_cents,
            "wallet_spendable_cents": balances.wallet_spendable_cents, "currency": "USD",
        }  # fmt: skip
        return Response(BalanceSerializer(data).data)


# --- Withdrawals -------------------------------------------------------------------------------------
class WithdrawalInputSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1, max_value=10**11, help_text="Whole US cents.")
    payee_name = serializers.CharField(max_length=200, help_text="The name on the receiving bank account.")
    currency = serializers.ChoiceField(choices=["USD"], default="USD")


class WithdrawalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Withdrawal
        fields = ["id", "amount_cents", "currency", "payee_name", "status", "rejection_reason", "created_at",
                  "decided_at"]  # fmt: skip
        read_only_fields = fields


class WithdrawalListCreateView(ListAPIView):
    """Your withdrawals (GET) and a new withdrawal request (POST)."""

    throttle_scope = "payouts"
    serializer_class = WithdrawalSerializer
    filter_backends: list = []

    def get_queryset(self):
        return withdrawals_for_creator(user=self.request.user)

    @extend_schema(summary="Your withdrawals, newest first", tags=["payouts"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Request a withdrawal",
        description=(
            "Moves the amount from your available balance to in transit until Finance pays or rejects it. Needs "
            "KYC (level 1 or higher, approved) and at least the minimum amount. The payee name is screened; a "
            "possible match goes to a person for review. Requires an Idempotency-Key header: the same key and body "
            "return the stored withdrawal with `Idempotent-Replayed: true`; the same key with another body is 409."
        ),
        parameters=[KEY_PARAMETER],
        request=WithdrawalInputSerializer,
        responses={
            201: WithdrawalSerializer,
            200: OpenApiResponse(WithdrawalSerializer, description="A replay of a stored request."),
            400: ERROR, 403: ERROR, 409: ERROR, 422: ERROR,
        },
        examples=[OpenApiExample("Withdraw $25", request_only=True,
                                 value={"amount_cents": 2500, "payee_name": "Jane Q Creator"})],
        tags=["payouts"],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        key, refused = _idempotency_key(request)
        if refused is not None:
            return refused
        if not isinstance(request.data, dict):
            return _error("The body must be a JSON object.", "invalid_body", status.HTTP_400_BAD_REQUEST)
        serializer = WithdrawalInputSerializer(data=request.data)
        if not serializer.is_valid():
            return _invalid(serializer)
        data = serializer.validated_data
        try:
            withdrawal = withdrawal_request(
                creator=request.user, amount_cents=data["amount_cents"], payee_name=data["payee_name"],
                idempotency_key=key, currency=data["currency"],
            )  # fmt: skip
        except WithdrawalError as exc:
            return _error(str(exc), exc.code, ERROR_STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST))
        response = Response(
            WithdrawalSerializer(withdrawal).data,
            status=status.HTTP_200_OK if withdrawal.replayed else status.HTTP_201_CREATED,
        )
        if withdrawal.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


# --- Wallet top-ups (staff) --------------------------------------------------------------------------
class TopupInputSerializer(serializers.Serializer):
    viewer = serializers.UUIDField(help_text="The viewer account's public id.")
    amount_cents = serializers.IntegerField(min_value=1, max_value=10**9)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      help_text="The payment's reference at the processor.")  # fmt: skip


class WalletTopupView(APIView):
    """Credit a viewer's gift wallet (staff only)."""

    throttle_scope = "payouts"
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Top up a viewer's gift wallet (staff only)",
        parameters=[KEY_PARAMETER],
        request=TopupInputSerializer,
        responses={201: inline_serializer("Topup", {"entry": serializers.UUIDField(),
                                                    "wallet_cents": serializers.IntegerField()}),
                   400: ERROR, 403: ERROR, 409: ERROR},
        tags=["payouts"],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        key, refused = _idempotency_key(request)
        if refused is not None:
            return refused
        serializer = TopupInputSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not serializer.is_valid():
            return _invalid(serializer)
        data = serializer.validated_data
        viewer = User.objects.filter(public_id=data["viewer"], is_active=True).first()
        if viewer is None:
            return _error("No such viewer.", "not_found", status.HTTP_400_BAD_REQUEST)
        try:
            entry = wallet_topup(viewer=viewer, amount_cents=data["amount_cents"], idempotency_key=key,
                                 reference={"reference": data.get("reference", ""), "by": request.user.pk})  # fmt: skip
        except IdempotencyConflict:
            return _error("This Idempotency-Key was already used for a different top-up.", "idempotency_key_reused",
                          status.HTTP_409_CONFLICT)  # fmt: skip
        except LedgerError as exc:
            return _error(str(exc), "invalid_topup", status.HTTP_400_BAD_REQUEST)
        balances = owner_balances(user=viewer)
        return Response({"entry": str(entry.public_id), "wallet_cents": balances.wallet_cents},
                        status=status.HTTP_200_OK if entry.replayed else status.HTTP_201_CREATED)  # fmt: skip
