"""Writes to accounts, creator profiles, videos and follows."""

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import CreatorProfile, Follow, User


def creator_follower_counts_refresh(*, creator_ids: list[int] | None = None) -> int:
    """Recompute the denormalised follower counts from Follow, in one set-based UPDATE.

    Returns the number of profiles updated. Safe to run any number of times.
    """
    follows = (
        Follow.objects.filter(creator=OuterRef("pk")).order_by().values("creator").annotate(n=Count("*")).values("n")
    )
    profiles = CreatorProfile.objects.all()
    if creator_ids is not None:
        profiles = profiles.filter(pk__in=creator_ids)
    return profiles.update(follower_count=Coalesce(Subquery(follows, output_field=IntegerField()), Value(0)))


@transaction.atomic
def follow_create(*, follower: User, creator: CreatorProfile) -> tuple[Follow, bool]:
    """Follow a creator; following twice changes nothing. Creators cannot follow themselves."""
    if creator.user_id == follower.pk:
        raise ValueError("A creator cannot follow themselves.")
    follow, created = Follow.objects.get_or_create(follower=follower, creator=creator)
    if created:
        creator_follower_counts_refresh(creator_ids=[creator.pk])
    return follow, created
