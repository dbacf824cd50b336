import pytest
from django.core.management import call_command

from creators.models import CreatorProfile
from creators.services import creator_follower_counts_refresh, follow_create
from creators.tasks import recount_followers
from tests.factories import CreatorProfileFactory, FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_follower_counts_are_recomputed_from_follows():
    popular, quiet = CreatorProfileFactory(), CreatorProfileFactory()
    FollowFactory.create_batch(3, creator=popular)
    CreatorProfile.objects.filter(pk=quiet.pk).update(follower_count=99)  # drifted
    assert creator_follower_counts_refresh() == 2
    popular.refresh_from_db()
    quiet.refresh_from_db()
    assert (popular.follower_count, quiet.follower_count) == (3, 0)


def test_the_periodic_recount_is_safe_to_run_twice():
    creator = CreatorProfileFactory()
    FollowFactory.create_batch(2, creator=creator)
    recount_followers.delay()
    recount_followers.delay()
    creator.refresh_from_db()
    assert creator.follower_count == 2


def test_following_twice_counts_once():
    creator, fan = CreatorProfileFactory(), UserFactory()
    _, created = follow_create(follower=fan, creator=creator)
    _, again = follow_create(follower=fan, creator=creator)
    creator.refresh_from_db()
    assert (created, again, creator.follower_count) == (True, False, 1)


def test_creators_cannot_follow_themselves():
    creator = CreatorProfileFactory()
    with pytest.raises(ValueError, match="themselves"):
        follow_create(follower=creator.user, creator=creator)


def test_staff_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    safety = set(Group.objects.get(name="Trust & Safety").permissions.values_list("codename", flat=True))
    finance = set(Group.objects.get(name="Finance").permissions.values_list("codename", flat=True))
    assert {"change_video", "view_viewerevent", "view_creatorprofile"} <= safety
    assert "view_video" in finance
    assert "change_video" not in finance


def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
