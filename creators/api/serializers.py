from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from creators.models import CreatorProfile, Trend, Video


class CreatorProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreatorProfile
        fields = ["handle", "display_name", "bio", "country", "follower_count", "created_at"]


class VideoSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    creator = serializers.SlugRelatedField(slug_field="handle", read_only=True)
    hashtags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Video
        fields = [
            "id",
            "creator",
            "title",
            "description",
            "hashtags",
            "duration_ms",
            "width",
            "height",
            "codec",
            "status",
            "created_at",
        ]


class TrendSerializer(serializers.ModelSerializer):
    """A trend idea as its originator and other creators see it (review notes and bonus: originator only)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    originator = serializers.SlugRelatedField(slug_field="handle", read_only=True)
    hashtag = serializers.SlugRelatedField(slug_field="name", read_only=True)
    is_boosted = serializers.BooleanField(read_only=True)
    bonus_cents = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The bonus owed or paid; null unless you are the originator."
    )

    class Meta:
        model = Trend
        fields = [
            "id",
            "name",
            "hashtag",
            "description",
            "originator",
            "status",
            "submitted_at",
            "reviewed_at",
            "review_reason",
            "adoption_count",
            "bonus_cents",
            "bonus_paid_at",
            "boost_until",
            "is_boosted",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Trend) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        profile = getattr(getattr(request, "user", None), "creator_profile", None)
        if profile is None or instance.originator_id != profile.pk:
            # Staff notes and the money are the originator's business only.
            data.update(review_reason="", bonus_cents=None, bonus_paid_at=None)
        return data


class TrendSubmitSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    hashtag = serializers.CharField(max_length=65, help_text="With or without '#': letters, digits and '_'.")
    description = serializers.CharField(max_length=2000)


# --- Uploads: a creator's own videos -----------------------------------------------------------------


class HashtagsField(serializers.ListField):
    """Hashtags as a list (a repeated form field, or a JSON array) or one comma-separated string."""

    child = serializers.CharField(allow_blank=True, max_length=200)

    def to_internal_value(self, data) -> list[str]:
        from creators.uploads import hashtags_split

        if isinstance(data, str):
            data = [data]
        return hashtags_split(super().to_internal_value(data))


@extend_schema_field(OpenApiTypes.BINARY)
class VideoFileField(serializers.FileField):
    """The uploaded bytes (documented as binary: the file part of a multipart form)."""


class VideoUploadSerializer(serializers.Serializer):
    """What a creator sends to add a video. Only the shapes are checked here: the rules (lengths, the
    file's content, the link) are ``creators.uploads.video_upload``'s, which reports every field at once."""

    title = serializers.CharField(required=False, allow_blank=True, default="", help_text="1 to 150 characters.")
    description = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="At most 5000 characters."
    )
    hashtags = HashtagsField(
        required=False,
        default=list,
        help_text="Up to 30 tags, with or without '#': repeat the field, or send one comma-separated string.",
    )
    file = VideoFileField(
        required=False,
        allow_empty_file=True,
        help_text="A video or audio file (MP4, MOV, WebM, MKV, MP3, WAV, ...), at most VIDEO_MAX_UPLOAD_BYTES "
        "(200 MiB by default). One of file and source_url.",
    )
    source_url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="An http(s) link to the video, at most 2000 characters; the moderation pipeline fetches it "
        "later. One of file and source_url.",
    )


class VideoOwnSerializer(VideoSerializer):
    """One of the caller's own videos, any status, with where its latest moderation evaluation stands."""

    source_url = serializers.CharField(read_only=True)
    has_file = serializers.SerializerMethodField(help_text="The video was uploaded as a file (else linked).")
    evaluation_id = serializers.UUIDField(source="latest_evaluation_id", read_only=True, allow_null=True)
    evaluation_status = serializers.CharField(source="latest_evaluation_status", read_only=True, allow_null=True)
    evaluation_error_code = serializers.SerializerMethodField(help_text="Why the evaluation failed, when it did.")
    poll_url = serializers.SerializerMethodField(help_text="Where to poll the latest evaluation.")

    class Meta(VideoSerializer.Meta):
        fields = [
            *VideoSerializer.Meta.fields,
            "source_url",
            "has_file",
            "evaluation_id",
            "evaluation_status",
            "evaluation_error_code",
            "poll_url",
        ]

    def get_has_file(self, video: Video) -> bool:
        return bool(video.media_file)

    def get_evaluation_error_code(self, video: Video) -> str | None:
        return getattr(video, "latest_evaluation_error_code", None) or None

    def get_poll_url(self, video: Video) -> str | None:
        evaluation_id = getattr(video, "latest_evaluation_id", None)
        if evaluation_id is None:
            return None
        path = reverse("moderation-api:evaluation-detail", kwargs={"public_id": evaluation_id})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
