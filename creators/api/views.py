from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from creators import selectors
from creators.models import Video
from integrity.api.serializers import VideoIntegritySerializer
from integrity.selectors import video_integrity_current

from .serializers import CreatorProfileSerializer, VideoSerializer


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


class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    """Published videos."""

    serializer_class = VideoSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filterset_class = VideoFilter
    ordering_fields = ["created_at", "title"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.videos_published()

    @extend_schema(responses=VideoIntegritySerializer, summary="The video's EIS, its components, reasons and trend")
    @action(detail=True, methods=["get"], url_path="integrity")
    def integrity(self, request: Request, id: str | None = None) -> Response:
        return Response(VideoIntegritySerializer(video_integrity_current(video=self.get_object())).data)
