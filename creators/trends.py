"""Trend ideas: submission, staff review, adoption tracking, and the originator's bonus and boost.

Rules:
- A creator submits a name, a hashtag and a description; one hashtag is one open trend at a time.
- Trust & Safety approve or reject it with a reason (compare-and-set on the status, audited).
- Adoption: a PUBLISHED video of ANOTHER creator carrying the trend's hashtag and created AFTER the
  approval is recorded once (``TrendAdoption``, unique per trend and video). ``adoption_count`` is
  the number of distinct adopting creators, so one account posting many videos cannot push a trend
  over the threshold on its own.
- When ``adoption_count`` reaches ``TRENDS_ADOPTION_THRESHOLD`` the threshold is marked once
  (compare-and-set), which fixes the bonus and sets ``boost_until = now + TRENDS_BOOST_DAYS`` once;
  the bonus is paid from the bonus pool under the ledger key ``trend:<trend_id>``, and waits for the
  sweep if the pool cannot cover it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from compliance.audit import audit

from .models import CreatorProfile, Hashtag, Trend, TrendAdoption, User, Video, hashtag_validator

logger = logging.getLogger(__name__)

# Ideas one creator may have waiting for review at once: keeps the review queue from being flooded.
MAX_SUBMITTED_PER_CREATOR = 5
REASON_MIN_LENGTH = 5


class TrendError(ValueError):
    """A trend request that cannot be done; the message is safe to show to the person asking."""


def hashtag_normalize(raw: str) -> str:
    """``"#Dance_Off "`` -> ``"dance_off"``; raises TrendError when it is not a valid hashtag."""
    name = (raw or "").strip().lstrip("#").lower()
    try:
        hashtag_validator(name)
    except ValidationError as exc:
        raise TrendError(exc.messages[0]) from exc
    return name


def trend_idempotency_key(*, trend_id: int) -> str:
    return f"trend:{trend_id}"


def trend_submit(*, originator: CreatorProfile, name: str, hashtag: str, description: str) -> Trend:
    """Submit a trend idea for review."""
    name = (name or "").strip()
    description = (description or "").strip()
    if not 1 <= len(name) <= 80:
        raise TrendError("A trend name is 1 to 80 characters.")
    if not 1 <= len(description) <= 2000:
        raise TrendError("A trend description is 1 to 2000 characters.")
    tag_name = hashtag_normalize(hashtag)
    if Trend.objects.filter(originator=originator, status=Trend.Status.SUBMITTED).count() >= MAX_SUBMITTED_PER_CREATOR:
        raise TrendError(f"You already have {MAX_SUBMITTED_PER_CREATOR} trend ideas waiting for review.")
    try:
        with transaction.atomic():
            tag, _ = Hashtag.objects.get_or_create(name=tag_name)
            trend = Trend.objects.create(originator=originator, name=name, hashtag=tag, description=description)
    except IntegrityError as exc:
        # The partial unique constraint: another open trend already uses the hashtag.
        raise TrendError(f"#{tag_name} is already a trend idea under review or approved.") from exc
    logger.info("trend_submitted trend=%s creator=%s hashtag=%s", trend.pk, originator.pk, tag_name)
    return trend


def _trend_decide(*, trend: Trend, reviewer: User, reason: str, status: str) -> Trend:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise TrendError(f"A reason of at least {REASON_MIN_LENGTH} characters is required.")
    if not reviewer.has_perm("creators.review_trend"):
        raise TrendError("Reviewing trends needs the creators.review_trend permission.")
    if trend.originator.user_id == reviewer.pk:
        raise TrendError("Nobody reviews their own trend idea.")
    now = timezone.now()
    with transaction.atomic():
        changed = Trend.objects.filter(pk=trend.pk, status=Trend.Status.SUBMITTED).update(
            status=status, reviewed_by=reviewer, reviewed_at=now, review_reason=reason
        )
        if changed != 1:
            current = Trend.objects.filter(pk=trend.pk).values_list("status", flat=True).first()
            raise TrendError(f"This trend is no longer awaiting review (it is {current or 'gone'}).")
        audit(
            actor=reviewer,
            action=f"trends.{'approve' if status == Trend.Status.APPROVED else 'reject'}",
            instance=trend,
            before={"status": Trend.Status.SUBMITTED},
            after={"status": status, "hashtag": trend.hashtag.name},
            reason=reason,
        )
    trend.refresh_from_db()
    logger.info("trend_reviewed trend=%s status=%s reviewer=%s", trend.pk, status, reviewer.pk)
    return trend


def trend_approve(*, trend: Trend, reviewer: User, reason: str) -> Trend:
    """Approve a submitted trend: adoption counts from now on."""
    return _trend_decide(trend=trend, reviewer=reviewer, reason=reason, status=Trend.Status.APPROVED)


def trend_reject(*, trend: Trend, reviewer: User, reason: str) -> Trend:
    """Reject a submitted trend; its hashtag becomes free for another idea."""
    return _trend_decide(trend=trend, reviewer=reviewer, reason=reason, status=Trend.Status.REJECTED)


def _adoption_candidates(*, trend: Trend) -> QuerySet[Video]:
    """Videos that count for ``trend`` and are not recorded yet."""
    return (
        Video.objects.filter(status=Video.Status.PUBLISHED, hashtags=trend.hashtag_id, created_at__gt=trend.reviewed_at)
        .exclude(creator_id=trend.originator_id)
        .exclude(trend_adoptions__trend=trend)
    )


def trend_adoption_refresh(*, trend_id: int) -> Trend:
    """Recount adopters; at the threshold mark it once (bonus amount, boost) and try the payment."""
    adopters = TrendAdoption.objects.filter(trend_id=trend_id).aggregate(n=Count("creator_id", distinct=True))["n"]
    Trend.objects.filter(pk=trend_id).update(adoption_count=adopters)
    now = timezone.now()
    if adopters >= settings.TRENDS_ADOPTION_THRESHOLD:
        marked = Trend.objects.filter(
            pk=trend_id, status=Trend.Status.APPROVED, threshold_reached_at__isnull=True
        ).update(
            threshold_reached_at=now,
            bonus_cents=settings.TRENDS_BONUS_CENTS,
            boost_until=now + timedelta(days=settings.TRENDS_BOOST_DAYS),
        )
        if marked:
            logger.info("trend_threshold_reached trend=%s adopters=%s", trend_id, adopters)
    trend = Trend.objects.get(pk=trend_id)
    if trend.threshold_reached_at is not None and trend.bonus_paid_at is None:
        trend = trend_bonus_pay(trend_id=trend_id)
    return trend


def trend_bonus_pay(*, trend_id: int) -> Trend:
    """Pay the originator's bonus once, if the threshold was reached and the pool can cover it."""
    from payouts import ledger
    from payouts.bonuses import bonus_pay

    with transaction.atomic():
        trend = Trend.objects.select_for_update().select_related("originator__user", "hashtag").get(pk=trend_id)
        if trend.bonus_paid_at is not None or trend.threshold_reached_at is None:
            return trend
        if trend.status != Trend.Status.APPROVED:
            return trend
        now = timezone.now()
        if trend.bonus_cents == 0:
            trend.bonus_paid_at = now
            trend.save(update_fields=["bonus_paid_at"])
            return trend
        try:
            entry = bonus_pay(
                recipient=trend.originator.user,
                amount_cents=trend.bonus_cents,
                idempotency_key=trend_idempotency_key(trend_id=trend.pk),
                memo=f"Trend bonus: #{trend.hashtag.name} adopted by {trend.adoption_count} creators",
                reference={
                    "trend": str(trend.public_id),
                    "creator": trend.originator_id,
                    "hashtag": trend.hashtag.name,
                },
            )
        except ledger.InsufficientFunds:
            logger.warning("trend_bonus_waiting trend=%s amount_cents=%s", trend.pk, trend.bonus_cents)
            return trend
        trend.bonus_entry_id = entry.public_id
        trend.bonus_paid_at = now
        trend.save(update_fields=["bonus_entry_id", "bonus_paid_at"])
    logger.info("trend_bonus_paid trend=%s creator=%s", trend.pk, trend.originator_id)
    return trend


def _adoptions_record(*, trend: Trend, videos: QuerySet[Video], chunk_size: int = 1000) -> int:
    rows: list[TrendAdoption] = []
    offered = 0
    for video_id, creator_id in videos.values_list("pk", "creator_id").iterator(chunk_size=chunk_size):
        rows.append(TrendAdoption(trend=trend, video_id=video_id, creator_id=creator_id))
        if len(rows) >= chunk_size:
            offered += len(TrendAdoption.objects.bulk_create(rows, ignore_conflicts=True))
            rows = []
    if rows:
        offered += len(TrendAdoption.objects.bulk_create(rows, ignore_conflicts=True))
    return offered


def trend_adoptions_track(*, video: Video) -> list[Trend]:
    """Record ``video`` as an adoption of every approved trend it counts for; returns those trends.

    Called when a video's hashtags are set and by the sweep; repeating it changes nothing.
    """
    video = Video.objects.filter(pk=video.pk).only("pk", "creator_id", "status", "created_at").first()
    if video is None or video.status != Video.Status.PUBLISHED:
        return []
    trends = (
        Trend.objects.filter(
            status=Trend.Status.APPROVED,
            hashtag__videos=video,
            reviewed_at__lt=video.created_at,
        )
        .exclude(originator_id=video.creator_id)
        .exclude(adoptions__video=video)
    )
    touched: list[Trend] = []
    for trend in trends:
        _adoptions_record(trend=trend, videos=Video.objects.filter(pk=video.pk))
        touched.append(trend_adoption_refresh(trend_id=trend.pk))
    return touched


def trends_sweep(*, chunk_size: int = 1000) -> dict[str, int]:
    """Record missed adoptions for every approved trend, recount, and pay bonuses still waiting."""
    recorded = refreshed = 0
    approved = Trend.objects.filter(status=Trend.Status.APPROVED).order_by("pk")
    for trend in approved.iterator(chunk_size=100):
        offered = _adoptions_record(trend=trend, videos=_adoption_candidates(trend=trend), chunk_size=chunk_size)
        recorded += offered
        waiting = trend.threshold_reached_at is not None and trend.bonus_paid_at is None
        if offered or waiting or trend.threshold_reached_at is None:
            trend_adoption_refresh(trend_id=trend.pk)
            refreshed += 1
    logger.info("trends_swept recorded=%s refreshed=%s", recorded, refreshed)
    return {"recorded": recorded, "refreshed": refreshed}


def trends_for_creator(*, creator: CreatorProfile) -> QuerySet[Trend]:
    """The creator's own trend ideas, newest first."""
    return Trend.objects.filter(originator=creator).select_related("hashtag").order_by("-submitted_at", "-pk")


def trends_visible_to(*, creator: CreatorProfile | None) -> QuerySet[Trend]:
    """What a creator may list: their own ideas (any status) and every approved trend."""
    visible = Q(status=Trend.Status.APPROVED)
    if creator is not None:
        visible |= Q(originator=creator)
    return Trend.objects.filter(visible).select_related("hashtag", "originator").order_by("-submitted_at", "-pk")
