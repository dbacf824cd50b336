"""The caller's monthly statement as JSON: GET /api/v1/payouts/statements/<YYYY-MM>.

The same numbers as the HTML page and the CSV (payouts.statements), amounts in integer cents.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creators.models import CreatorProfile
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


class StatementView(APIView):
    """The caller's statement for one calendar month (UTC)."""

    @extend_schema(
        summary="The caller's monthly statement",
        description="Opening and closing balance per account, every movement with its category, allocations with "
        "the per-video EIS and multipliers, fees, reserve held and released, bonuses, gifts, clawbacks with "
        "reasons and withdrawals. 404 for a malformed or future month, one before the caller's first activity, "
        "or a caller who is not a creator.",
        responses={200: StatementSerializer, 404: OpenApiResponse(description="No such statement.")},
    )
    def get(self, request: Request, month: str) -> Response:
        creator = CreatorProfile.objects.filter(user_id=request.user.pk).first()
        if creator is None:
            raise NotFound("Only creators have statements.")
        try:
            statement = statement_for(creator=creator, month=month_parse(month))
        except StatementNotFound as exc:
            raise NotFound(str(exc)) from exc
        return Response(StatementSerializer(statement).data)
