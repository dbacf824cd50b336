"""Request and response bodies of the moderation API."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from creators.models import Video
from moderation.models import Evaluation, Flag
from moderation.summary import driving_spans

MESSAGE_HIGH = "Quality score is high"
MESSAGE_LOW = "Quality score is low"


def _own_video(value, user) -> Video:
    video = Video.objects.filter(public_id=value, creator__user=user).first()
    if video is None:
        raise serializers.ValidationError("No such video of yours.")
    return video


class CheckContentRequestSerializer(serializers.Serializer):
    url = serializers.URLField(
        required=False, max_length=2000, help_text="An http(s) link to a video or audio file (one of url, video_id)."
    )
    video_id = serializers.UUIDField(required=False, help_text="The id of one of your own videos.")

    def validate_video_id(self, value) -> Video:
        return _own_video(value, self.context["request"].user)

    def validate(self, attrs: dict) -> dict:
        if ("url" in attrs) == ("video_id" in attrs):
            raise serializers.ValidationError("Give exactly one of url and video_id.")
        return attrs


class ScoresSerializer(serializers.Serializer):
    quality = serializers.FloatField(source="quality_score", help_text="0-100; below the flag line is low.")
    safety_risk = serializers.FloatField(
        source="safety_risk_score", help_text="0-1: 0.7 * hate risk + 0.3 * mental-health risk."
    )
    hate_risk = serializers.FloatField(help_text="0-1: P(hate) + 0.5 * P(offensive).")
    mental_health_risk = serializers.FloatField(help_text="0-1: P(self_harm) + 0.5 * P(distress).")
    clickbait_risk = serializers.FloatField(help_text="0-1: P(clickbait).")
    flag_threshold = serializers.SerializerMethodField()

    def get_flag_threshold(self, evaluation: Evaluation) -> float:
        return float(evaluation.scoring_config.get("flag_threshold", settings.MODERATION_FLAG_THRESHOLD))


class SpanSerializer(serializers.Serializer):
    task = serializers.CharField()
    start = serializers.IntegerField(help_text="Character offset in the transcript.")
    end = serializers.IntegerField()
    text = serializers.CharField()
    risk = serializers.FloatField()


class ModelVersionsSerializer(serializers.Serializer):
    asr = serializers.CharField(help_text="engine:model of the speech recognition, e.g. faster-whisper:tiny.en.")
    adapters = serializers.DictField(child=serializers.CharField(), help_text="{task: adapter version}")
    llm = serializers.CharField(help_text="The LLM that decided a task, or empty.")


class EvaluationResultSerializer(serializers.Serializer):
    """The checkContent answer, and the poll answer once an evaluation is done."""

    evaluation_id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=Evaluation.Status.choices)
    message = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField(help_text="The quality score, 0-100, one decimal.")
    summary = serializers.CharField()
    flagged = serializers.BooleanField()
    scores = ScoresSerializer(source="*")
    probabilities = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()), help_text="{task: {label: probability}}"
    )
    decided_by = serializers.CharField(help_text="local, or llm when the LLM decided at least one task.")
    deciders = serializers.DictField(child=serializers.CharField(), help_text="{task: local | llm}")
    needs_human_review = serializers.BooleanField()
    transcript = serializers.CharField()
    language = serializers.CharField()
    driving_spans = serializers.SerializerMethodField()
    model_versions = serializers.SerializerMethodField()
    timings_ms = serializers.DictField(child=serializers.IntegerField())

    def get_message(self, evaluation: Evaluation) -> str:
        return MESSAGE_LOW if evaluation.flagged else MESSAGE_HIGH

    def get_score(self, evaluation: Evaluation) -> float:
        return round(evaluation.quality_score or 0.0, 1)

    @extend_schema_field(SpanSerializer(many=True))
    def get_driving_spans(self, evaluation: Evaluation) -> list[dict]:
        return [
            {key: span[key] for key in ("task", "start", "end", "text", "risk")}
            for span in driving_spans(spans=evaluation.spans)
        ]

    @extend_schema_field(ModelVersionsSerializer)
    def get_model_versions(self, evaluation: Evaluation) -> dict[str, object]:
        return {
            "asr": f"{evaluation.asr_engine}:{evaluation.asr_model}".strip(":"),
            "adapters": evaluation.adapter_versions,
            "llm": evaluation.llm_model,
        }


class EvaluationErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Why it failed: no_audio, not_media, too_long, address_not_allowed, ...")
    message = serializers.CharField()


class EvaluationStatusSerializer(serializers.Serializer):
    """Where an evaluation stands (queued, fetching, transcribing, scoring, failed)."""

    evaluation_id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=Evaluation.Status.choices)
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    poll_url = serializers.SerializerMethodField()

    @extend_schema_field(EvaluationErrorSerializer(allow_null=True))
    def get_error(self, evaluation: Evaluation) -> dict | None:
        if evaluation.status != Evaluation.Status.FAILED:
            return None
        return {"code": evaluation.error_code, "message": evaluation.error_message}

    def get_poll_url(self, evaluation: Evaluation) -> str:
        path = reverse("moderation-api:evaluation-detail", kwargs={"public_id": evaluation.public_id})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FlagCreateSerializer(serializers.Serializer):
    video_id = serializers.UUIDField(required=False, help_text="The video reported (one of video_id, url).")
    url = serializers.URLField(required=False, max_length=2000, help_text="A link reported.")
    reason = serializers.CharField(max_length=2000, help_text="What is wrong with it.")
    evaluation_id = serializers.UUIDField(required=False, help_text="One of your evaluations of this content.")

    def validate_video_id(self, value) -> Video:
        video = Video.objects.filter(public_id=value).first()
        if video is None:
            raise serializers.ValidationError("No such video.")
        return video

    def validate_evaluation_id(self, value) -> Evaluation:
        evaluation = Evaluation.objects.filter(public_id=value, requested_by=self.context["request"].user).first()
        if evaluation is None:
            raise serializers.ValidationError("No such evaluation of yours.")
        return evaluation

    def validate(self, attrs: dict) -> dict:
        has_subject = ("video_id" in attrs) + ("url" in attrs)
        if has_subject > 1 or (has_subject == 0 and "evaluation_id" not in attrs):
            raise serializers.ValidationError("Give one of video_id and url (or an evaluation_id).")
        return attrs


class FlagSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    video_id = serializers.SerializerMethodField()
    evaluation_id = serializers.SerializerMethodField()

    class Meta:
        model = Flag
        fields = ["id", "origin", "status", "video_id", "source_url", "evaluation_id", "reason", "created_at"]

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_video_id(self, flag: Flag) -> str | None:
        return str(flag.video.public_id) if flag.video_id else None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_evaluation_id(self, flag: Flag) -> str | None:
        return str(flag.evaluation.public_id) if flag.evaluation_id else None
