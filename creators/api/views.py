from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from creators import selectors
from creators.models import Video
from creators.trends import TrendError, trend_submit, trends_visible_to
from creators.uploads import NOT_MEDIA, VideoUploadError, video_upload, videos_of_creator
from integrity.api.serializers import VideoIntegritySerializer
from integrity.selectors import video_integrity_current

from .serializers import (
    CreatorProfileSerializer,
    TrendSerializer,
    TrendSubmitSerializer,
    VideoOwnSerializer,
    VideoSerializer,
    VideoUploadSerializer,
)


class CreatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Public creator profiles."""

    serializer_class = CreatorProfileSerializer
    lookup_field = "handle"
    filterset_fields = ["country"]
    ordering_fields = ["handle", "follower_count", "created_at"]
    ordering = ["handle"]

    def get_queryset(self):
        return selectors.creator_profiles_public()


class VideoFilter(filters.FilterSet):
    creator = filters.CharFilter(field_name="creator__handle")
    hashtag = filters.CharFilter(field_name="hashtags__name")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Video
        fields = ["creator", "hashtag", "created_after", "created_before"]


class IsCreatorUploader(permissions.BasePermission):
    message = "Only creators add videos."

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "creator_profile"))


# A creator's own-video actions: creator-only, and an anonymous caller gets 401 (not 403).
CREATOR_ACTIONS = ("create", "mine")

UPLOAD_EXAMPLE = {
    "id": "7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b",
    "creator": "ann_makes",
    "title": "Morning routine",
    "description": "How I start the day.",
    "hashtags": ["morning", "routine"],
    "duration_ms": 31_200,
    "width": 1080,
    "height": 1920,
    "codec": "h264",
    "status": "processing",
    "created_at": "2026-11-21T12:00:00Z",
    "source_url": "",
    "has_file": True,
    "evaluation_id": "1b0c1a52-8f0e-4d53-9a53-3b0a4e0f6c11",
    "evaluation_status": "queued",
    "evaluation_error_code": None,
    "poll_url": "https://valuetok.example/api/v1/evaluations/1b0c1a52-8f0e-4d53-9a53-3b0a4e0f6c11",
}


@extend_schema_view(
    list=extend_schema(summary="Published videos"),
    retrieve=extend_schema(summary="One published video"),
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

    def get_authenticate_header(self, request: Request) -> str | None:
        if getattr(self, "action", None) in CREATOR_ACTIONS:
            return TokenAuthentication().authenticate_header(request)
        return super().get_authenticate_header(request)

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
                description="Field name -> list of messages (title, description, hashtags, file, source_url, "
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
                    "hashtags": "morning, routine",
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
                value={"file": [NOT_MEDIA]},
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
        responses=VideoOwnSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="mine")
    def mine(self, request: Request) -> Response:
        videos = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(videos)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=VideoIntegritySerializer, summary="The video's EIS, its components, reasons and trend")
    @action(detail=True, methods=["get"], url_path="integrity")
    def integrity(self, request: Request, id: str | None = None) -> Response:
        return Response(VideoIntegritySerializer(video_integrity_current(video=self.get_object())).data)


class IsCreatorForWrites(permissions.BasePermission):
    message = "Only creators submit trend ideas."

    def has_permission(self, request: Request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return hasattr(request.user, "creator_profile")


@extend_schema_view(
    list=extend_schema(summary="Trend ideas: the caller's own (any status) and every approved trend"),
    retrieve=extend_schema(summary="One trend idea the caller may see"),
    create=extend_schema(
        summary="Submit a trend idea for review",
        request=TrendSubmitSerializer,
        responses={201: TrendSerializer},
        description="The hashtag may be given with or without '#'; it is stored lower-case. One hashtag is "
        "one open trend at a time (400 if another idea under review or approved uses it).",
    ),
)
class TrendViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Trend ideas: creators submit them, Trust & Safety review them in admin, adoption earns a bonus."""

    serializer_class = TrendSerializer
    permission_classes = [permissions.IsAuthenticated, IsCreatorForWrites]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filterset_fields = ["status"]
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
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(self.get_serializer(trend).data, status=status.HTTP_201_CREATED)
