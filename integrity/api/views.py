from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrity.api.serializers import EventBatchResultSerializer, EventBatchSerializer
from integrity.ingest import MAX_BATCH, events_ingest
from valuetok.api_errors import ApiError


class CanIngestEvents(BasePermission):
    message = "This account may not send viewer events (it needs the 'Event producers' group)."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("integrity.add_viewerevent"))


EVENT_EXAMPLE = {
    "event_uuid": "0192f7a0-5b1c-7d3e-8f00-1234567890ab",
    "video": "79977c1c-0a0e-4d5d-8db8-fe79ad25588c",
    "user": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "event_type": "view",
    "occurred_at": "2026-11-15T18:04:05.123Z",
    "device_id": "5583929b96ada5f6",
    "session_id": "9c1f0e2a77d4b3c1",
    "watch_time_ms": 12400,
    "ip": "81.2.69.160",
    "country": "GB",
    "user_agent": "ValueTok/38.2.1 (iPhone15,2; iOS 18.1; Scale/3.00)",
}


class EventBatchView(APIView):
    """Ingest a batch of viewer events; idempotent by each event's UUID."""

    permission_classes = [CanIngestEvents]
    throttle_scope = "ingest"

    @extend_schema(
        summary="Send up to 10,000 viewer events",
        description=(
            "Each event is validated on its own: valid events are stored even when others are rejected, and the "
            "response lists which were created, which were already stored (same event_uuid) and which were "
            "rejected, with the errors per field. The IP is hashed on arrival and never stored. Needs the "
            "'Event producers' group."
        ),
        request=EventBatchSerializer,
        responses={
            200: EventBatchResultSerializer,
            400: OpenApiResponse(
                description="invalid_batch: the body is not an object with an events list; batch_too_large."
            ),
        },
        examples=[
            OpenApiExample("One view", value={"events": [EVENT_EXAMPLE]}, request_only=True),
            OpenApiExample(
                "One stored, one rejected",
                value={
                    "created": [EVENT_EXAMPLE["event_uuid"]],
                    "duplicates": [],
                    "rejected": [
                        {
                            "index": 1,
                            "event_uuid": "0192f7a0-5b1c-7d3e-8f00-1234567890ac",
                            "errors": {"occurred_at": "Is in the future."},
                        }
                    ],
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = request.data
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise ApiError("The body must be an object with an 'events' list.", code="invalid_batch")
        if len(events) > MAX_BATCH:
            raise ApiError(
                f"A batch holds at most {MAX_BATCH} events; this one has {len(events)}.", code="batch_too_large"
            )
        result = events_ingest(rows=events)
        return Response({
            "created": result.created,
            "duplicates": result.duplicates,
            "rejected": [error.as_dict() for error in result.rejected],
        })  # fmt: skip
