from rest_framework import serializers

from creators.models import CreatorProfile, Video


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
