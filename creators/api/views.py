from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from creators import selectors
from creators.api.permissions import creator_only, creator_only_for_writes
from creators.models import CreatorProfile, Trend, Video
from creators.trends import TrendError, trend_submit, trends_visible_to
from creators.uploads import NOT_MEDIA, VideoUploadError, video_upload, videos_of_creator
from integrity.api.serializers import VideoIntegritySerializer
from integrity.selectors import video_integrity_current
from valuetok.pagination import IsoDateTimeFilter

from .serializers import (
    CreatorProfileSerializer,
    TrendSerializer,
    TrendSubmitSerializer,
    VideoOwnSerializer,
    VideoSerializer,
    VideoUploadSerializer,
)

CREATOR_EXAMPLE = {
    "handle": "ann_makes",
    "display_name": "Ann Makes Things",
    "bio": "Woodwork and tools, one minute at a time.",
    "country": "GB",
    "follower_count": 12_400,
    "created_at": "2026-03-02T09:15:00Z",
}

VIDEO_EXAMPLE = {
    "id": "7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b",
    "creator": "ann_makes",
    "title": "Morning routine",
    "description": "How I start the day.",
    "hashtags": ["morning", "routine"],
    "duration_ms": 31_200,
    "width": 1080,
    "height": 1920,
    "codec": "h264",
    "status": "published",
    "created_at": "2026-11-21T12:00:00Z",
}

INTEGRITY_EXAMPLE = {
    "video": VIDEO_EXAMPLE["id"],
    "scoring_version": "eis-2026.11-1",
    "engagement_integrity_score": 87.5,
    "band": "high",
    "components": {
        "authentic_engagement": {"score": 92.0, "band": "high", "reason": "3 of 412 views came from data centres"},
        "like_integrity": {"score": 81.3, "band": "high", "reason": "likes came from 40 accounts on 38 devices"},
    },
    "latest_window": {
        "window_start": "2026-11-20T00:00:00Z",
        "window_end": "2026-11-21T00:00:00Z",
        "engagement_integrity_score": 87.5,
        "band": "high",
        "events_total": 520,
        "events_invalid": 3,
    },
    "trend": [
        {
            "window_start": "2026-11-20T00:00:00Z",
            "window_end": "2026-11-21T00:00:00Z",
            "engagement_integrity_score": 87.5,
            "band": "high",
            "events_total": 520,
            "events_invalid": 3,
        }
    ],
}

TREND_EXAMPLE = {
    "id": "5e0d3b1c-2a4f-4c6e-8b7a-9d0e1f2a3b4c",
    "name": "Tiny desk tour",
    "hashtag": "tinydesk",
    "description": "Show your desk in ten seconds.",
    "originator": "ann_makes",
    "status": "approved",
    "submitted_at": "2026-11-01T10:00:00Z",
    "reviewed_at": "2026-11-02T08:30:00Z",
    "review_reason": "",
    "adoption_count": 31,
    "bonus_cents": 10_000,
    "bonus_paid_at": "2026-11-10T00:00:00Z",
    "boost_until": "2026-11-17T00:00:00Z",
    "is_boosted": False,
}


class CreatorFilter(filters.FilterSet):
    handle = filters.CharFilter(field_name="handle", lookup_expr="icontains", help_text="Part of the handle.")
    country = filters.CharFilter(field_name="country", help_text="ISO 3166-1 alpha-2, e.g. GB.")
    min_followers = filters.NumberFilter(field_name="follower_count", lookup_expr="gte")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = CreatorProfile
        fields = ["handle", "country", "min_followers", "created_after", "created_before"]


@extend_schema_view(
    list=extend_schema(
        summary="Creator profiles",
        description="Filter by part of the handle, country, follower count and when they joined; order by handle "
        "(default), follower_count or created_at (prefix '-' for descending).",
        examples=[OpenApiExample("A creator", value=CREATOR_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One creator profile, by handle",
        examples=[OpenApiExample("A creator", value=CREATOR_EXAMPLE, response_only=True)],
    ),
)
class CreatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Public creator profiles."""

    serializer_class = CreatorProfileSerializer
    lookup_field = "handle"
    filterset_class = CreatorFilter
    ordering_fields = ["handle", "follower_count", "created_at"]
    ordering = ["handle"]

    def get_queryset(self):
        return selectors.creator_profiles_public()


class VideoFilter(filters.FilterSet):
    creator = filters.CharFilter(field_name="creator__handle", help_text="The creator's handle.")
    hashtag = filters.CharFilter(field_name="hashtags__name", help_text="A hashtag, without '#'.")
    status = filters.ChoiceFilter(choices=Video.Status.choices, help_text="Useful on `mine`; published elsewhere.")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Video
        fields = ["creator", "hashtag", "status", "created_after", "created_before"]


IsCreatorUploader = creator_only("Only creators add videos.")


# A creator's own-video actions: creator-only (an anonymous caller gets 401 like everywhere).
CREATOR_ACTIONS = ("create", "mine")

UPLOAD_EXAMPLE = {
    **VIDEO_EXAMPLE,
    "status": "processing",
    "source_url": "",
    "has_file": True,
    "evaluation_id": "1b0c1a52-8f0e-4d53-9a53-3b0a4e0f6c11",
    "evaluation_status": "queued",
    "evaluation_error_code": None,
    "poll_url": "https://valuetok.example/api/v1/evaluations/1b0c1a52-8f0e-4d53-9a53-3b0a4e0f6c11",
}


@extend_schema_view(
    list=extend_schema(
        summary="Published videos",
        description="Filter by creator handle, hashtag and upload time; order by created_at (default newest first) "
        "or title.",
        examples=[OpenApiExample("A video", value=VIDEO_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One published video",
        examples=[OpenApiExample("A video", value=VIDEO_EXAMPLE, response_only=True)],
    ),
)
class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    """Published videos; creators add their own (``POST``) and list them in any status (``mine``)."""

    serializer_class = VideoSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filterset_class = VideoFilter
    ordering_fields = ["created_at", "title"]
    ordering = ["-created_at"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @property
    def throttle_scope(self) -> str | None:
        return "uploads" if getattr(self, "action", None) == "create" else None

    def get_permissions(self):
        if getattr(self, "action", None) in CREATOR_ACTIONS:
            return [IsCreatorUploader()]
        return super().get_permissions()

    def get_serializer_class(self):
        return VideoOwnSerializer if self.action in CREATOR_ACTIONS else VideoSerializer

    def get_queryset(self):
        if self.action == "mine":
            profile = getattr(self.request.user, "creator_profile", None)
            return videos_of_creator(creator=profile) if profile is not None else Video.objects.none()
        return selectors.videos_published()

    @extend_schema(
        summary="Add a video: upload a file or give a link; its moderation evaluation starts",
        description="Multipart form (or JSON for a link). Exactly one of `file` and `source_url`. The file's "
        "content must be a video or audio container (checked from its bytes, not its name), at most "
        "VIDEO_MAX_UPLOAD_BYTES. The video is created in status `processing`; poll `poll_url` "
        "(`GET /api/v1/evaluations/<id>`) for the evaluation, or list `GET /api/v1/videos/mine/`. "
        "Throttled per creator (scope `uploads`).",
        request={"multipart/form-data": VideoUploadSerializer, "application/json": VideoUploadSerializer},
        responses={
            201: VideoOwnSerializer,
            400: OpenApiResponse(
                description="validation_error; errors per field (title, description, hashtags, file, source_url, "
                "non_field_errors)."
            ),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Signed in, but not a creator."),
            429: OpenApiResponse(description="Too many uploads; retry after the Retry-After header's seconds."),
        },
        examples=[
            OpenApiExample(
                "Upload a file",
                value={
                    "title": "Morning routine",
                    "description": "How I start the day.",
                    "hashtags": ["morning", "routine"],
                    "file": "(binary: clip.mp4)",
                },
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample(
                "Link a video",
                value={
                    "title": "Morning routine",
                    "hashtags": ["morning", "routine"],
                    "source_url": "https://cdn.example.com/v/clip.mp4",
                },
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample("Created", value=UPLOAD_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Not media",
                value={"code": "validation_error", "detail": f"file: {NOT_MEDIA}", "errors": {"file": [NOT_MEDIA]}},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        form = VideoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        profile = request.user.creator_profile
        try:
            video = video_upload(
                creator=profile,
                title=data["title"],
                description=data.get("description", ""),
                hashtags=data.get("hashtags", []),
                media_file=data.get("file"),
                source_url=data.get("source_url") or None,
            )
        except VideoUploadError as exc:
            raise ValidationError(exc.errors) from exc
        shown = videos_of_creator(creator=profile).get(pk=video.pk)
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Your own videos, any status, newest first, with their latest evaluation",
        description="The same filters and ordering as the published list, plus `status`.",
        responses=VideoOwnSerializer(many=True),
        examples=[OpenApiExample("One of yours", value=UPLOAD_EXAMPLE, response_only=True)],
    )
    @action(detail=False, methods=["get"], url_path="mine")
    def mine(self, request: Request) -> Response:
        videos = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(videos)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses=VideoIntegritySerializer,
        summary="The video's EIS, its components, reasons and trend",
        description="The Engagement Integrity Score of a published video: the current score and band, each "
        "component of the latest scored daily window with its reason in plain words, and the daily trend.",
        examples=[OpenApiExample("Scored", value=INTEGRITY_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["get"], url_path="integrity")
    def integrity(self, request: Request, id: str | None = None) -> Response:
        return Response(VideoIntegritySerializer(video_integrity_current(video=self.get_object())).data)


IsCreatorForWrites = creator_only_for_writes("Only creators submit trend ideas.")


class TrendFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Trend.Status.choices)
    hashtag = filters.CharFilter(field_name="hashtag__name", help_text="A hashtag, without '#'.")
    mine = filters.BooleanFilter(method="filter_mine", help_text="true: only your own ideas; false: only others'.")
    submitted_after = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = Trend
        fields = ["status", "hashtag", "mine", "submitted_after", "submitted_before"]

    def filter_mine(self, queryset, name: str, value: bool):
        profile = getattr(self.request.user, "creator_profile", None)
        if value is None:
            return queryset
        if profile is None:
            return queryset.none() if value else queryset
        return queryset.filter(originator=profile) if value else queryset.exclude(originator=profile)


@extend_schema_view(
    list=extend_schema(
        summary="Trend ideas: the caller's own (any status) and every approved trend",
        description="Filter by status, hashtag, your own (`mine`) and submission time; order by submitted_at "
        "(default newest first) or adoption_count. Review notes and the bonus are shown to the originator only.",
        examples=[OpenApiExample("An approved trend of yours", value=TREND_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One trend idea the caller may see",
        examples=[OpenApiExample("An approved trend of yours", value=TREND_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Submit a trend idea for review",
        request=TrendSubmitSerializer,
        responses={201: TrendSerializer},
        description="The hashtag may be given with or without '#'; it is stored lower-case. One hashtag is "
        "one open trend at a time (400 if another idea under review or approved uses it). Creators only.",
        examples=[
            OpenApiExample(
                "An idea",
                value={
                    "name": "Tiny desk tour",
                    "hashtag": "#TinyDesk",
                    "description": "Show your desk in ten seconds.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Submitted",
                value={
                    **TREND_EXAMPLE,
                    "status": "submitted",
                    "reviewed_at": None,
                    "adoption_count": 0,
                    "bonus_cents": 0,
                    "bonus_paid_at": None,
                    "boost_until": None,
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    ),
)
class TrendViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Trend ideas: creators submit them, Trust & Safety review them in admin, adoption earns a bonus."""

    serializer_class = TrendSerializer
    permission_classes = [permissions.IsAuthenticated, IsCreatorForWrites]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filterset_class = TrendFilter
    ordering_fields = ["submitted_at", "adoption_count"]
    ordering = ["-submitted_at"]

    def get_queryset(self):
        return trends_visible_to(creator=getattr(self.request.user, "creator_profile", None))

    def create(self, request: Request, *args, **kwargs) -> Response:
        form = TrendSubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            trend = trend_submit(originator=request.user.creator_profile, **form.validated_data)
        except TrendError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(self.get_serializer(trend).data, status=status.HTTP_201_CREATED)
