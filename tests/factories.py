import uuid
from datetime import UTC, datetime

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
