"""Reads about creators and videos that are more than a one-line query."""

from django.db.models import QuerySet

from .models import CreatorProfile, User, Video


def platform_totals() -> dict[str, int]:
    return {
        "creators": CreatorProfile.objects.count(),
        "videos": Video.objects.filter(status=Video.Status.PUBLISHED).count(),
        "accounts": User.objects.count(),
    }


def creator_profiles_public() -> QuerySet[CreatorProfile]:
    return CreatorProfile.objects.filter(user__is_active=True)


def videos_published() -> QuerySet[Video]:
    return Video.objects.filter(status=Video.Status.PUBLISHED).select_related("creator").prefetch_related("hashtags")
