"""Moderation over the API: check a piece of content's quality, poll an evaluation, report content.

``POST checkContent`` evaluates short media at once (up to ``MODERATION_SYNC_MAX_SECONDS`` of
media: 200 with the scores) and queues longer media (202 with the evaluation id to poll at
``GET evaluations/<id>``). A URL the fetcher refuses (private address, bad scheme, too large,
not media...) is 400 with the refusal's code and detail; media that cannot be evaluated (no
audio, broken, too long) is 422. Either way the evaluation is stored, failed, with its error, and
the error body (the API's one shape) carries its ``evaluation_id``.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.serializers import (
    MESSAGE_HIGH,
    CheckContentRequestSerializer,
    EvaluationResultSerializer,
    EvaluationStatusSerializer,
    FlagCreateSerializer,
    FlagSerializer,
)
from moderation.models import Evaluation
from moderation.selectors import evaluation_visible_to
from moderation.services import EvaluationInvalid, FlagActionRefused, content_check, flag_report
from valuetok.api_errors import ApiError
from valuetok.schema import ERROR_COMPONENT

# A refused check: the one error body plus the stored (failed) evaluation's id.
REFUSAL_SCHEMA = {
    "allOf": [
        {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"},
        {
            "type": "object",
            "properties": {
                "evaluation_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The stored, failed evaluation (absent for input that fails validation).",
                }
            },
        },
    ]
}

EXAMPLE_RESULT = {
    "evaluation_id": "1b0c1a52-8f0e-4d53-9a53-3b0a4e0f6c11",
    "status": "done",
    "message": MESSAGE_HIGH,
    "score": 93.4,
    "summary": "Quality 93/100, at or above the review line of 50. Safety risk 0.05 (hate 0.04, self-harm/distress "
    "0.07); clickbait 0.12. No passage of the transcript scored high on any risk.",
    "flagged": False,
    "scores": {
        "quality": 93.4,
        "safety_risk": 0.05,
        "hate_risk": 0.04,
        "mental_health_risk": 0.07,
        "clickbait_risk": 0.12,
        "flag_threshold": 50.0,
    },
    "probabilities": {
        "hate": {"hate": 0.01, "offensive": 0.06, "neither": 0.93},
        "mental_health": {"self_harm": 0.02, "distress": 0.1, "none": 0.88},
        "clickbait": {"clickbait": 0.12, "not_clickbait": 0.88},
    },
    "decided_by": "local",
    "deciders": {"hate": "local", "mental_health": "local", "clickbait": "local"},
    "needs_human_review": False,
    "transcript": "Hello and welcome to my channel.",
    "language": "en",
    "driving_spans": [],
    "model_versions": {"asr": "faster-whisper:tiny.en", "adapters": {"hate": "hate@3f2a9c0d1e2b"}, "llm": ""},
    "timings_ms": {"fetch": 40, "decode": 25, "transcribe": 900, "classify": 60, "total": 1030},
}


class ModerationAPIView(APIView):
    # The default authentication (API token first): an anonymous caller gets 401 with WWW-Authenticate.
    permission_classes = [IsAuthenticated]
    throttle_scope = "moderation"


class CheckContentView(ModerationAPIView):
    @extend_schema(
        operation_id="check_content",
        summary="Score a video's quality (hate, self-harm, clickbait) from its audio",
        request=CheckContentRequestSerializer,
        responses={
            200: OpenApiResponse(EvaluationResultSerializer, description="Short media, evaluated at once."),
            202: OpenApiResponse(EvaluationStatusSerializer, description="Long media: queued; poll poll_url."),
            400: OpenApiResponse(
                REFUSAL_SCHEMA,
                description="Invalid input (validation_error), or the URL was "
                "refused (code says why: address_not_allowed, not_media, too_large, ...).",
            ),
            422: OpenApiResponse(REFUSAL_SCHEMA, description="The media cannot be evaluated (no_audio, ...)."),
        },
        examples=[
            OpenApiExample("A link", value={"url": "https://cdn.example.com/v/clip.mp4"}, request_only=True),
            OpenApiExample(
                "One of your videos", value={"video_id": EXAMPLE_RESULT["evaluation_id"]}, request_only=True
            ),
            OpenApiExample("Evaluated", value=EXAMPLE_RESULT, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Queued",
                value={
                    "evaluation_id": EXAMPLE_RESULT["evaluation_id"],
                    "status": "queued",
                    "error": None,
                    "created_at": "2026-11-21T12:00:00Z",
                    "poll_url": f"https://valuetok.example/api/v1/evaluations/{EXAMPLE_RESULT['evaluation_id']}",
                },
                response_only=True,
                status_codes=["202"],
            ),
            OpenApiExample(
                "Refused",
                value={
                    "code": "address_not_allowed",
                    "detail": "The host resolves to a private address.",
                    "evaluation_id": EXAMPLE_RESULT["evaluation_id"],
                },
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "No audio",
                value={
                    "code": "no_audio",
                    "detail": "The media has no audio track.",
                    "evaluation_id": EXAMPLE_RESULT["evaluation_id"],
                },
                response_only=True,
                status_codes=["422"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = CheckContentRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            check = content_check(
                requested_by=request.user,
                url=serializer.validated_data.get("url"),
                video=serializer.validated_data.get("video_id"),
            )
        except EvaluationInvalid as exc:
            # The service's own input rules (the link's scheme and length, a video without media).
            field = "url" if serializer.validated_data.get("url") else "video_id"
            raise ValidationError({field: [str(exc)]}) from exc
        evaluation = check.evaluation
        if check.deferred:
            body = EvaluationStatusSerializer(evaluation, context={"request": request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        if evaluation.status == Evaluation.Status.FAILED:
            # The caller's URL was refused: their input is at fault (400). The media itself cannot be
            # evaluated (no audio, broken, too long): 422.
            raise ApiError(
                evaluation.error_message or "The content could not be evaluated.",
                code=evaluation.error_code or "evaluation_failed",
                status_code=status.HTTP_400_BAD_REQUEST if check.refused else status.HTTP_422_UNPROCESSABLE_ENTITY,
                extra={"evaluation_id": str(evaluation.public_id)},
            )
        return Response(EvaluationResultSerializer(evaluation, context={"request": request}).data)


class EvaluationDetailView(ModerationAPIView):
    # Polled every second or two by the upload page while Whisper runs: its own, roomier budget, so a
    # long evaluation does not run the creator out of checkContent calls (or the other way round).
    throttle_scope = "evaluation_poll"

    @extend_schema(
        operation_id="evaluation_retrieve",
        summary="Poll an evaluation: its status, and the scores once it is done",
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="EvaluationPoll",
                    serializers=[EvaluationResultSerializer, EvaluationStatusSerializer],
                    resource_type_field_name=None,
                ),
                description="Done: the checkContent body. Otherwise status, error (when failed) and poll_url.",
            ),
            404: OpenApiResponse(description="No such evaluation of yours."),
        },
        examples=[
            OpenApiExample("Done", value=EXAMPLE_RESULT, response_only=True),
            OpenApiExample(
                "Running",
                value={
                    "evaluation_id": EXAMPLE_RESULT["evaluation_id"],
                    "status": "transcribing",
                    "error": None,
                    "created_at": "2026-11-21T12:00:00Z",
                    "poll_url": f"https://valuetok.example/api/v1/evaluations/{EXAMPLE_RESULT['evaluation_id']}",
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request, public_id) -> Response:
        evaluation = get_object_or_404(evaluation_visible_to(user=request.user), public_id=public_id)
        if evaluation.status == Evaluation.Status.DONE:
            return Response(EvaluationResultSerializer(evaluation, context={"request": request}).data)
        return Response(EvaluationStatusSerializer(evaluation, context={"request": request}).data)


class FlaggedView(ModerationAPIView):
    @extend_schema(
        operation_id="flagged_create",
        summary="Report content for Trust & Safety review",
        request=FlagCreateSerializer,
        description="Report a published video (video_id) or a link (url), optionally with one of your evaluations "
        "of it; Trust & Safety review it in admin.",
        responses={201: FlagSerializer, 400: OpenApiResponse(description="Invalid input (validation_error).")},
        examples=[
            OpenApiExample(
                "Report a link",
                value={"url": "https://cdn.example.com/v/clip.mp4", "reason": "Slurs at 0:12 against a religion."},
                request_only=True,
            ),
            OpenApiExample(
                "Reported",
                value={
                    "id": "0e1d2c3b-4a59-4867-9f8e-7d6c5b4a3928",
                    "origin": "reported",
                    "status": "open",
                    "video_id": None,
                    "source_url": "https://cdn.example.com/v/clip.mp4",
                    "evaluation_id": None,
                    "reason": "Slurs at 0:12 against a religion.",
                    "created_at": "2026-11-21T12:00:00Z",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = FlagCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            flag = flag_report(
                reported_by=request.user,
                reason=data["reason"],
                video=data.get("video_id"),
                url=data.get("url"),
                evaluation=data.get("evaluation_id"),
            )
        except (FlagActionRefused, EvaluationInvalid) as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)
