"""Balances, withdrawals and (staff-only) wallet top-ups over the API.

- ``GET  /api/v1/payouts/balance``: the caller's available, held, reserve and in-transit balances
  (as a creator) and gift wallet (as a viewer).
- ``POST /api/v1/payouts/withdrawals``: request a withdrawal; the ``Idempotency-Key`` header is
  required. The same key and body return the stored withdrawal (200, ``Idempotent-Replayed:
  true``); the same key with another body is refused with 409.
- ``GET  /api/v1/payouts/withdrawals``: the caller's own withdrawals, newest first, paginated.
- ``POST /api/v1/wallet/topups``: staff only (payments arrive from the card processor's webhook in
  production, which is not part of this product yet); used by demos and support.

Errors have the API's one shape (valuetok/api_errors.py): ``{"code", "detail", "errors"?}``.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creators.api.permissions import IsFinanceStaff, creator_only
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
from valuetok.api_errors import ApiError, ErrorResponseSerializer
from valuetok.idempotency import idempotency_key, idempotency_parameter, object_body, replayed_marked
from valuetok.pagination import IsoDateTimeFilter

ERROR = ErrorResponseSerializer
# Domain errors to HTTP, in one place.
ERROR_STATUS = {
    WithdrawalForbidden: status.HTTP_403_FORBIDDEN,
    WithdrawalInsufficientFunds: status.HTTP_422_UNPROCESSABLE_ENTITY,
    WithdrawalIdempotencyConflict: status.HTTP_409_CONFLICT,
}


KEY_PARAMETER = idempotency_parameter()


# --- Examples ----------------------------------------------------------------------------------------
BALANCE_EXAMPLE = {
    "available_cents": 12_500, "held_cents": 2_000, "reserve_cents": 1_400, "in_transit_cents": 2_500,
    "wallet_cents": 0, "wallet_pending_cents": 0, "wallet_spendable_cents": 0, "currency": "USD",
}  # fmt: skip
WITHDRAWAL_EXAMPLE = {
    "id": "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "amount_cents": 2_500, "currency": "USD",
    "payee_name": "Jane Q Creator", "status": "pending", "rejection_reason": "", "created_at": "2026-11-21T12:00:00Z",
    "decided_at": None,
}  # fmt: skip


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

    @extend_schema(
        summary="Your balances",
        description="As a creator: available, held, reserve and in transit. As a viewer: your gift wallet.",
        responses={200: BalanceSerializer},
        examples=[OpenApiExample("A creator", response_only=True, value=BALANCE_EXAMPLE)],
    )
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


class WithdrawalFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Withdrawal.Status.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    min_amount_cents = filters.NumberFilter(field_name="amount_cents", lookup_expr="gte")

    class Meta:
        model = Withdrawal
        fields = ["status", "created_after", "created_before", "min_amount_cents"]


# A viewer has no withdrawals to list and none to make: the whole endpoint is for creators.
CreatorsOnly = creator_only("Only creators withdraw earnings.")


class WithdrawalListCreateView(ListAPIView):
    """Your withdrawals (GET) and a new withdrawal request (POST, creators only)."""

    throttle_scope = "payouts"
    permission_classes = [permissions.IsAuthenticated, CreatorsOnly]
    serializer_class = WithdrawalSerializer
    filterset_class = WithdrawalFilter
    ordering_fields = ["created_at", "amount_cents"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Withdrawal.objects.none()
        return withdrawals_for_creator(user=self.request.user)

    @extend_schema(
        summary="Your withdrawals, newest first",
        description="Filter by status, request time and amount; order by created_at (default newest first) or "
        "amount_cents.",
        examples=[OpenApiExample("Pending", response_only=True, value=WITHDRAWAL_EXAMPLE)],
    )
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
                                 value={"amount_cents": 2500, "payee_name": "Jane Q Creator"}),
                  OpenApiExample("Requested", response_only=True, status_codes=["201", "200"],
                                 value=WITHDRAWAL_EXAMPLE)],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        key = idempotency_key(request)
        serializer = WithdrawalInputSerializer(data=object_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            withdrawal = withdrawal_request(
                creator=request.user, amount_cents=data["amount_cents"], payee_name=data["payee_name"],
                idempotency_key=key, currency=data["currency"],
            )  # fmt: skip
        except WithdrawalError as exc:
            raise ApiError(str(exc), code=exc.code,
                           status_code=ERROR_STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST)) from exc  # fmt: skip
        response = Response(
            WithdrawalSerializer(withdrawal).data,
            status=status.HTTP_200_OK if withdrawal.replayed else status.HTTP_201_CREATED,
        )
        return replayed_marked(response, replayed=withdrawal.replayed)


# --- Wallet top-ups (staff) --------------------------------------------------------------------------
class TopupInputSerializer(serializers.Serializer):
    viewer = serializers.UUIDField(help_text="The viewer account's public id.")
    amount_cents = serializers.IntegerField(min_value=1, max_value=10**9)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      help_text="The payment's reference at the processor.")  # fmt: skip


class TopupSerializer(serializers.Serializer):
    entry = serializers.UUIDField(help_text="The ledger entry that credited the wallet.")
    wallet_cents = serializers.IntegerField(help_text="The viewer's wallet now.")


TOPUP = TopupSerializer


class WalletTopupView(APIView):
    """Credit a viewer's gift wallet (Finance staff only: it moves money)."""

    throttle_scope = "payouts"
    permission_classes = [IsFinanceStaff]

    @extend_schema(
        summary="Top up a viewer's gift wallet (Finance staff only)",
        parameters=[KEY_PARAMETER],
        request=TopupInputSerializer,
        responses={201: TOPUP, 200: OpenApiResponse(TOPUP, description="A replay of a stored top-up."),
                   400: ERROR, 403: ERROR, 409: ERROR},
        examples=[OpenApiExample("Top up $10", request_only=True,
                                 value={"viewer": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "amount_cents": 1000,
                                        "reference": "ch_3PqX2b"}),
                  OpenApiExample("Credited", response_only=True, status_codes=["201", "200"],
                                 value={"entry": "6f5e4d3c-2b1a-4f0e-9d8c-7b6a5f4e3d2c", "wallet_cents": 1000})],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        key = idempotency_key(request)
        serializer = TopupInputSerializer(data=object_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        viewer = User.objects.filter(public_id=data["viewer"], is_active=True).first()
        if viewer is None:
            raise ValidationError({"viewer": ["No such viewer."]})
        try:
            entry = wallet_topup(viewer=viewer, amount_cents=data["amount_cents"], idempotency_key=key,
                                 reference={"reference": data.get("reference", ""), "by": request.user.pk})  # fmt: skip
        except IdempotencyConflict as exc:
            raise ApiError("This Idempotency-Key was already used for a different top-up.",
                           code="idempotency_key_reused", status_code=status.HTTP_409_CONFLICT) from exc  # fmt: skip
        except LedgerError as exc:
            raise ApiError(str(exc), code="invalid_topup") from exc
        balances = owner_balances(user=viewer)
        return Response({"entry": str(entry.public_id), "wallet_cents": balances.wallet_cents},
                        status=status.HTTP_200_OK if entry.replayed else status.HTTP_201_CREATED)  # fmt: skip
