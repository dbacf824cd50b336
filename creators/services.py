"""Writes to accounts, creator profiles, videos and follows."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import CreatorProfile, Follow, Hashtag, User, Video

MAX_HASHTAGS_PER_VIDEO = 30


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
        # After commit, and robust: a milestone bonus that fails never undoes the follow (the sweep retries).
        transaction.on_commit(lambda: _milestones_check(creator_id=creator.pk), robust=True)
    return follow, created


def _milestones_check(*, creator_id: int) -> None:
    from .milestones import milestones_check

    milestones_check(creator=CreatorProfile(pk=creator_id))


@transaction.atomic
def video_hashtags_set(*, video: Video, names: list[str]) -> list[Hashtag]:
    """Replace a video's hashtags with ``names`` ("#Dance", "dance" and " dance " are one tag).

    Raises ValidationError naming the first invalid tag. Adoption of approved trends is tracked after
    commit (a video that is not published yet is picked up by the trends sweep once it is).
    """
    from .trends import TrendError, hashtag_normalize

    cleaned: list[str] = []
    for raw in names:
        try:
            name = hashtag_normalize(raw)
        except TrendError as exc:
            raise ValidationError(f"{raw!r}: {exc}") from exc
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_HASHTAGS_PER_VIDEO:
        raise ValidationError(f"A video has at most {MAX_HASHTAGS_PER_VIDEO} hashtags.")
    tags = [Hashtag.objects.get_or_create(name=name)[0] for name in cleaned]
    video.hashtags.set(tags)
    transaction.on_commit(lambda: _trend_adoptions_track(video_id=video.pk), robust=True)
    return tags


def _trend_adoptions_track(*, video_id: int) -> None:
    from .trends import trend_adoptions_track

    trend_adoptions_track(video=Video(pk=video_id))
