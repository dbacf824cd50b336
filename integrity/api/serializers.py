from rest_framework import serializers


class ComponentSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="0 to 100, or null when there is not enough data.")
    band = serializers.ChoiceField(choices=["high", "medium", "low", "insufficient"])
    reason = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    engagement_integrity_score = serializers.FloatField(allow_null=True)
    band = serializers.CharField()
    events_total = serializers.IntegerField()
    events_invalid = serializers.IntegerField()


class VideoIntegritySerializer(serializers.Serializer):
    video = serializers.UUIDField(source="video.public_id")
    scoring_version = serializers.CharField()
    engagement_integrity_score = serializers.FloatField(
        allow_null=True, help_text="Current EIS: recent daily windows weighted by their engagement."
    )
    band = serializers.CharField()
    components = serializers.SerializerMethodField()
    latest_window = serializers.SerializerMethodField()
    trend = WindowSerializer(many=True)

    def get_components(self, obj) -> dict[str, dict]:
        latest = obj["latest_window"]
        return latest.components if latest else {}

    def get_latest_window(self, obj) -> dict | None:
        latest = obj["latest_window"]
        return WindowSerializer(latest).data if latest else None
