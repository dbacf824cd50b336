"""The caller's monthly statement as JSON: GET /api/v1/payouts/statements/<YYYY-MM>.

The same numbers as the HTML page and the CSV (payouts.statements), amounts in integer cents.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creators.api.permissions import creator_only
from payouts.statements import StatementNotFound, month_parse, statement_for


class AccountLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    opening_cents = serializers.IntegerField()
    movements_cents = serializers.IntegerField()
    closing_cents = serializers.IntegerField()


class EntryLineSerializer(serializers.Serializer):
    entry_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    amounts = serializers.DictField(child=serializers.IntegerField(), help_text="Account kind -> signed cents.")
    total_cents = serializers.IntegerField()


class VideoLineSerializer(serializers.Serializer):
    video_id = serializers.UUIDField()
    title = serializers.CharField()
    engagement_units = serializers.FloatField()
    engagement_integrity_score = serializers.FloatField()
    velocity_multiplier = serializers.FloatField()
    trust_multiplier = serializers.FloatField()
    value_units = serializers.FloatField()
    gross_cents = serializers.IntegerField(help_text="The video's part of the allocation's gross (largest remainder).")


class AllocationLineSerializer(serializers.Serializer):
    entry_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    run_id = serializers.UUIDField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    gross_cents = serializers.IntegerField()
    fee_cents = serializers.IntegerField()
    margin_adjustment_cents = serializers.IntegerField()
    reserve_cents = serializers.IntegerField()
    net_cents = serializers.IntegerField()
    destination = serializers.CharField()
    videos = VideoLineSerializer(many=True)


class ClawbackLineSerializer(serializers.Serializer):
    entry_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    reason = serializers.CharField()
    run_period_start = serializers.DateField()
    gross_cents = serializers.IntegerField()
    fee_refund_cents = serializers.IntegerField()
    from_reserve_cents = serializers.IntegerField()
    from_held_cents = serializers.IntegerField()
    from_available_cents = serializers.IntegerField()
    unrecovered_cents = serializers.IntegerField()
    recovered_cents = serializers.IntegerField()


class StatementSerializer(serializers.Serializer):
    month = serializers.CharField(source="slug")
    creator = serializers.CharField(source="creator_handle")
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    opening_cents = serializers.IntegerField()
    movements_cents = serializers.IntegerField()
    closing_cents = serializers.IntegerField()
    accounts = AccountLineSerializer(many=True)
    category_totals = serializers.DictField(child=serializers.IntegerField())
    gross_cents = serializers.IntegerField()
    fees_cents = serializers.IntegerField()
    reserve_held_cents = serializers.IntegerField()
    reserve_released_cents = serializers.IntegerField()
    withdrawals_requested_cents = serializers.IntegerField()
    withdrawals_paid_cents = serializers.IntegerField()
    allocations = AllocationLineSerializer(many=True)
    clawbacks = ClawbackLineSerializer(many=True)
    entries = EntryLineSerializer(many=True)


ENTRY_ID = "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"
STATEMENT_EXAMPLE = {
    "month": "2026-10",
    "creator": "ann_makes",
    "period_start": "2026-10-01T00:00:00Z",
    "period_end": "2026-11-01T00:00:00Z",
    "opening_cents": 1_000,
    "movements_cents": 6_300,
    "closing_cents": 7_300,
    "accounts": [
        {"kind": "creator_available", "label": "Available", "opening_cents": 1_000, "movements_cents": 6_300,
         "closing_cents": 7_300},
    ],
    "category_totals": {"allocation": 6_300},
    "gross_cents": 10_000,
    "fees_cents": 3_000,
    "reserve_held_cents": 700,
    "reserve_released_cents": 0,
    "withdrawals_requested_cents": 0,
    "withdrawals_paid_cents": 0,
    "allocations": [
        {
            "entry_id": ENTRY_ID, "created_at": "2026-10-08T02:00:00Z",
            "run_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "period_start": "2026-10-01",
            "period_end": "2026-10-07", "gross_cents": 10_000, "fee_cents": 3_000, "margin_adjustment_cents": 0,
            "reserve_cents": 700, "net_cents": 6_300, "destination": "available",
            "videos": [
                {"video_id": "7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b", "title": "Morning routine",
                 "engagement_units": 5_120.0, "engagement_integrity_score": 87.5, "velocity_multiplier": 1.0,
                 "trust_multiplier": 1.05, "value_units": 4_115.2, "gross_cents": 10_000},
            ],
        }
    ],
    "clawbacks": [],
    "entries": [
        {"entry_id": ENTRY_ID, "created_at": "2026-10-08T02:00:00Z", "kind": "allocation",
         "category": "allocation", "description": "Payout run 2026-10-01 to 2026-10-07",
         "amounts": {"creator_available": 6_300}, "total_cents": 6_300},
    ],
}  # fmt: skip


class StatementView(APIView):
    """The caller's statement for one calendar month (UTC)."""

    permission_classes = [creator_only("Only creators have statements.")]

    @extend_schema(
        summary="The caller's monthly statement",
        description="Opening and closing balance per account, every movement with its category, allocations with "
        "the per-video EIS and multipliers, fees, reserve held and released, bonuses, gifts, clawbacks with "
        "reasons and withdrawals. 404 for a malformed or future month or one before the caller's first "
        "activity; 403 for a caller who is not a creator.",
        responses={200: StatementSerializer, 404: OpenApiResponse(description="No such statement.")},
        examples=[OpenApiExample("October", value=STATEMENT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, month: str) -> Response:
        creator = request.user.creator_profile
        try:
            statement = statement_for(creator=creator, month=month_parse(month))
        except StatementNotFound as exc:
            raise NotFound(str(exc)) from exc
        return Response(StatementSerializer(statement).data)
