import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from creators.models import CreatorProfile, Follow, User, Video
from tests.factories import CreatorProfileFactory, FollowFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_users_sign_in_by_email_which_is_stored_lower_case():
    user = User.objects.create_user("  Ann.Lee@Example.COM ", "pw-123456789")
    assert user.email == "ann.lee@example.com"
    assert User.USERNAME_FIELD == "email"
    assert User.objects.get_by_natural_key("ANN.LEE@example.com") == user


def test_an_email_is_unique_whatever_its_case():
    UserFactory(email="ann@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ANN@example.com", password="!")])


def test_superusers_are_staff():
    admin = User.objects.create_superuser("root@example.com", "pw-123456789")
    assert admin.is_staff
    assert admin.is_superuser
    with pytest.raises(ValueError, match="superuser"):
        User.objects.create_superuser("r2@example.com", "pw", is_staff=False)


def test_a_user_needs_an_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "pw")


def test_phone_numbers_are_validated_and_stored_as_e164():
    user = UserFactory(phone_number="+44 20 7946 0958")
    user.refresh_from_db()
    assert str(user.phone_number) == "+442079460958"
    user.phone_number = "+44 123"
    with pytest.raises(ValidationError, match="phone"):
        user.full_clean()


def test_handles_are_unique():
    CreatorProfileFactory(handle="ann")
    with pytest.raises(IntegrityError), transaction.atomic():
        CreatorProfileFactory(handle="ann")


@pytest.mark.parametrize("handle", ["Ann", "_ann", "ann_", "a b", "x" * 31, "ann!"])
def test_the_database_refuses_malformed_handles(handle):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        CreatorProfile.objects.create(user=UserFactory(), handle=handle, display_name="Ann", country="GB")


def test_form_validation_explains_a_malformed_handle():
    profile = CreatorProfile(user=UserFactory(), handle="Ann!", display_name="Ann", country="GB")
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert "handle" in error.value.message_dict


def test_a_video_comes_from_exactly_one_source():
    creator = CreatorProfileFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(creator=creator, title="Nowhere")
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(
            creator=creator, title="Both", source_url="https://x.example/a.mp4", media_file="videos/a.mp4"
        )
    assert Video.objects.create(creator=creator, title="Linked", source_url="https://x.example/a.mp4").pk


def test_video_dimensions_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(width=0)


def test_a_creator_with_videos_cannot_be_deleted():
    video = VideoFactory()
    with pytest.raises(Exception, match="protected"):
        video.creator.delete()


def test_a_follow_pair_is_unique():
    follow = FollowFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=follow.follower, creator=follow.creator)


def test_uploaded_videos_are_stored_privately_under_a_name_we_choose(settings, tmp_path):
    from django.core.files.base import ContentFile

    from creators.models import private_storage

    storage = private_storage()
    video = VideoFactory.build(source_url="", creator=CreatorProfileFactory())
    video.media_file.save("../../etc/passwd evil.MP4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=True)
    assert video.media_file.name == f"videos/{video.public_id.hex[:2]}/{video.public_id.hex}.mp4"
    assert str(settings.PRIVATE_MEDIA_ROOT) in storage.path(video.media_file.name)
    with pytest.raises(PermissionError, match="no public URL"):
        video.media_file.url  # noqa: B018
    storage.delete(video.media_file.name)
