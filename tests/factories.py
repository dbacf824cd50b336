import uuid
from datetime import UTC, datetime, timedelta

import factory

from creators.models import CreatorProfile, Follow, Hashtag, User, Video
from integrity.models import ViewerEvent
from integrity.network import network_origin

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    country = "GB"
    password = factory.django.Password(PASSWORD)


class CreatorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreatorProfile

    user = factory.SubFactory(UserFactory)
    handle = factory.Sequence(lambda n: f"creator_{n}")
    display_name = factory.Faker("name")
    country = "GB"


class HashtagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hashtag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    creator = factory.SubFactory(CreatorProfileFactory)
    title = factory.Faker("sentence", nb_words=4)
    source_url = factory.Sequence(lambda n: f"https://media.example.com/v/{n}.mp4")
    duration_ms = 30_000
    width = 1080
    height = 1920
    codec = "h264"
    status = Video.Status.PUBLISHED


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    creator = factory.SubFactory(CreatorProfileFactory)


class ViewerEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ViewerEvent
        exclude = ("ip",)

    ip = "81.2.69.160"
    event_uuid = factory.LazyFunction(uuid.uuid4)
    video = factory.SubFactory(VideoFactory)
    user = factory.SubFactory(UserFactory)
    event_type = ViewerEvent.Type.VIEW
    occurred_at = factory.LazyFunction(lambda: datetime(2026, 11, 1, 12, tzinfo=UTC))
    device_id = "device-1"
    session_id = factory.Sequence(lambda n: f"session-{n}")
    watch_time_ms = 12_000
    ip_hash = factory.LazyAttribute(lambda o: network_origin(o.ip).ip_hash)
    ip_prefix_hash = factory.LazyAttribute(lambda o: network_origin(o.ip).ip_prefix_hash)
    country = "GB"
    is_hosting_network = factory.LazyAttribute(lambda o: network_origin(o.ip).is_hosting_network)


class EvaluationFactory(factory.django.DjangoModelFactory):
    """A done evaluation of a video with hand-made scores (override the numbers per test)."""

    class Meta:
        model = "moderation.Evaluation"

    video = factory.SubFactory(VideoFactory)
    status = "done"
    transcript = "Hello and welcome to my channel."
    probabilities = factory.LazyFunction(
        lambda: {
            "hate": {"hate": 0.01, "offensive": 0.04, "neither": 0.95},
            "mental_health": {"self_harm": 0.01, "distress": 0.04, "none": 0.95},
            "clickbait": {"clickbait": 0.1, "not_clickbait": 0.9},
        }
    )
    deciders = factory.LazyFunction(lambda: {"hate": "local", "mental_health": "local", "clickbait": "local"})
    decided_by = "local"
    hate_risk = 0.03
    mental_health_risk = 0.03
    clickbait_risk = 0.1
    safety_risk_score = 0.03
    quality_score = 95.6
    summary = "Quality 96/100, at or above the review line of 50."


class FlagFactory(factory.django.DjangoModelFactory):
    """An open automatic flag on a video, raised by a (low-scoring) evaluation."""

    class Meta:
        model = "moderation.Flag"

    evaluation = factory.SubFactory(
        EvaluationFactory,
        transcript="you people are vermin <script>x</script> and I hate you all",
        hate_risk=0.9,
        safety_risk_score=0.64,
        quality_score=38.8,
        flagged=True,
        spans={"hate": [{"start": 0, "end": 21, "text": "you people are vermin", "risk": 0.9}]},
    )
    video = factory.SelfAttribute("evaluation.video")
    creator = factory.SelfAttribute("video.creator")
    origin = "automatic"
    status = "open"
    reason = "Quality score 38.8 is below 50."


# --- Payouts: revenue split runs ------------------------------------------------------------------
def _eis_version() -> str:
    from integrity.eis.config import CURRENT

    return CURRENT.version


class EngagementWindowFactory(factory.django.DjangoModelFactory):
    """A stored daily EIS window with judged-valid counts, as the integrity pass writes it."""

    class Meta:
        model = "integrity.EngagementWindow"

    video = factory.SubFactory(VideoFactory)
    granularity = "day"
    window_start = factory.LazyFunction(lambda: datetime(2026, 11, 10, tzinfo=UTC))
    window_end = factory.LazyAttribute(lambda o: o.window_start + timedelta(days=1))
    scoring_version = factory.LazyFunction(_eis_version)
    engagement_integrity_score = 100.0
    band = "high"
    components = factory.LazyFunction(dict)
    features = factory.LazyFunction(dict)
    valid_views = 0
    valid_likes = 0
    valid_comments = 0
    valid_shares = 0
    events_total = factory.LazyAttribute(lambda o: o.valid_views + o.valid_likes + o.valid_comments + o.valid_shares)
    events_invalid = 0
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    computed_at = factory.LazyFunction(lambda: datetime(2026, 11, 11, 0, 20, tzinfo=UTC))
