from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrity.models import ViewerEvent

BANDS = ["high", "medium", "low", "insufficient"]


class ComponentSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="0 to 100, or null when there is not enough data.")
    band = serializers.ChoiceField(choices=BANDS)
    reason = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    engagement_integrity_score = serializers.FloatField(allow_null=True)
    band = serializers.ChoiceField(choices=BANDS)
    events_total = serializers.IntegerField()
    events_invalid = serializers.IntegerField()


class VideoIntegritySerializer(serializers.Serializer):
    video = serializers.UUIDField(source="video.public_id")
    scoring_version = serializers.CharField()
    engagement_integrity_score = serializers.FloatField(
        allow_null=True, help_text="Current EIS: recent daily windows weighted by their engagement."
    )
    band = serializers.ChoiceField(choices=BANDS)
    components = serializers.SerializerMethodField(
        help_text="The latest scored window's components by name (authentic_engagement, like_integrity, "
        "comment_quality, report_cleanliness, audience_diversity, timing)."
    )
    latest_window = serializers.SerializerMethodField()
    trend = WindowSerializer(many=True, help_text="Daily windows, oldest first.")

    @extend_schema_field(serializers.DictField(child=ComponentSerializer()))
    def get_components(self, obj) -> dict[str, dict]:
        latest = obj["latest_window"]
        return latest.components if latest else {}

    @extend_schema_field(WindowSerializer(allow_null=True))
    def get_latest_window(self, obj) -> dict | None:
        latest = obj["latest_window"]
        return WindowSerializer(latest).data if latest else None


# --- Ingest: the documented shape of a batch (rows are validated one by one by integrity.ingest) -------


class ViewerEventInputSerializer(serializers.Serializer):
    event_uuid = serializers.UUIDField(help_text="The client's id of the event: a repeat is a duplicate, not a copy.")
    video = serializers.UUIDField(help_text="The video's public id.")
    user = serializers.UUIDField(help_text="The viewer account's public id.")
    event_type = serializers.ChoiceField(choices=ViewerEvent.Type.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; not in the future.")
    device_id = serializers.CharField(max_length=64)
    session_id = serializers.CharField(max_length=64)
    watch_time_ms = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="Views only: how long the video was watched."
    )
    ip = serializers.IPAddressField(help_text="The viewer's address: hashed on arrival, never stored.")
    country = serializers.CharField(required=False, allow_blank=True, max_length=2, help_text="ISO 3166-1 alpha-2.")
    user_agent = serializers.CharField(required=False, allow_blank=True, max_length=256)


class EventBatchSerializer(serializers.Serializer):
    events = ViewerEventInputSerializer(many=True, help_text="At most 10,000 events.")


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The event's position in the batch, from 0.")
    event_uuid = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.CharField(), help_text="Field name -> message.")


class EventBatchResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.UUIDField())
    duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="Already stored (same event_uuid).")
    rejected = RejectedEventSerializer(many=True)
