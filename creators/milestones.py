"""Follower milestones: a plaque and a bonus, once per creator and threshold.

A milestone is recorded (``MilestoneAward``, unique per creator and threshold) as soon as the
creator's follower count reaches it, with the bonus amount fixed then. Paying it is a separate step
that may wait: the bonus pool can be empty, and the award stays unpaid until the sweep finds money.
Every step is safe to repeat and to run concurrently: the unique award, a row lock on the award
while paying, and the ledger idempotency key ``milestone:<creator_id>:<threshold>``.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import CreatorProfile, MilestoneAward

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Milestone:
    threshold: int
    bonus_cents: int


def milestone_schedule() -> list[Milestone]:
    """The configured milestones, lowest first; a threshold without a bonus amount is a config error."""
    amounts = settings.PAYOUTS_MILESTONE_BONUS_CENTS
    schedule = []
    for threshold in sorted(set(settings.PAYOUTS_MILESTONES)):
        if not isinstance(threshold, int) or threshold <= 0:
            raise ImproperlyConfigured(f"PAYOUTS_MILESTONES: {threshold!r} is not a positive follower count.")
        if threshold not in amounts:
            raise ImproperlyConfigured(f"PAYOUTS_MILESTONE_BONUS_CENTS has no amount for the {threshold} milestone.")
        cents = amounts[threshold]
        if not isinstance(cents, int) or cents < 0:
            raise ImproperlyConfigured(f"PAYOUTS_MILESTONE_BONUS_CENTS[{threshold}] must be whole cents >= 0.")
        schedule.append(Milestone(threshold=threshold, bonus_cents=cents))
    return schedule


def milestone_idempotency_key(*, creator_id: int, threshold: int) -> str:
    return f"milestone:{creator_id}:{threshold}"


def milestones_for_creator(*, creator: CreatorProfile) -> QuerySet[MilestoneAward]:
    """The creator's plaques, lowest milestone first."""
    return MilestoneAward.objects.filter(creator=creator).order_by("threshold")


def milestone_award_pay(*, award_id: int) -> MilestoneAward:
    """Pay one award's bonus if it is still unpaid and the pool can cover it; otherwise leave it waiting.

    The award row is locked for the payment, so two callers never both post; the ledger key makes a
    retry after a crash between the entry and the award update harmless too.
    """
    # Imported here: payouts depends on creators, not the other way round at import time.
    from payouts import ledger
    from payouts.bonuses import bonus_pay

    with transaction.atomic():
        award = MilestoneAward.objects.select_for_update().select_related("creator__user").get(pk=award_id)
        if award.paid_at is not None:
            return award
        now = timezone.now()
        if award.bonus_cents == 0:
            award.paid_at = now
            award.save(update_fields=["paid_at"])
            return award
        try:
            entry = bonus_pay(
                recipient=award.creator.user,
                amount_cents=award.bonus_cents,
                idempotency_key=milestone_idempotency_key(creator_id=award.creator_id, threshold=award.threshold),
                memo=f"Milestone bonus: {award.threshold:,} followers",
                reference={"milestone_award": award.pk, "creator": award.creator_id, "threshold": award.threshold},
            )
        except ledger.InsufficientFunds:
            award.last_attempt_at = now
            award.last_error = "The bonus pool cannot cover this bonus yet; it is retried by the sweep."
            award.save(update_fields=["last_attempt_at", "last_error"])
            logger.warning(
                "milestone_bonus_waiting award=%s creator=%s threshold=%s amount_cents=%s",
                award.pk,
                award.creator_id,
                award.threshold,
                award.bonus_cents,
            )
            return award
        award.bonus_entry_id = entry.public_id
        award.paid_at = now
        award.last_attempt_at = now
        award.last_error = ""
        award.save(update_fields=["bonus_entry_id", "paid_at", "last_attempt_at", "last_error"])
    logger.info("milestone_bonus_paid award=%s creator=%s threshold=%s", award.pk, award.creator_id, award.threshold)
    return award


def milestones_check(*, creator: CreatorProfile) -> list[MilestoneAward]:
    """Record the milestones the creator's follower count has reached, then pay what is waiting.

    Returns the awards this call recorded (empty when nothing new was reached), as they stand after
    the payment attempt. Reaching two thresholds at once records and pays both. Call it after the
    follower count changed; the sweep calls it too.
    """
    count = CreatorProfile.objects.filter(pk=creator.pk).values_list("follower_count", flat=True).get()
    reached = [m for m in milestone_schedule() if m.threshold <= count]
    if not reached:
        # The common, cheap case on every follow. An award still waiting for a creator who has since
        # dropped below the first milestone is paid by the sweep.
        return []
    created_ids: list[int] = []
    have = set(MilestoneAward.objects.filter(creator_id=creator.pk).values_list("threshold", flat=True))
    for milestone in reached:
        if milestone.threshold in have:
            continue
        # get_or_create retries the read when a concurrent caller inserted the same award first.
        award, created = MilestoneAward.objects.get_or_create(
            creator_id=creator.pk,
            threshold=milestone.threshold,
            defaults={"follower_count": count, "bonus_cents": milestone.bonus_cents},
        )
        if created:
            created_ids.append(award.pk)
            logger.info(
                "milestone_reached creator=%s threshold=%s followers=%s", creator.pk, milestone.threshold, count
            )
    waiting = MilestoneAward.objects.filter(creator_id=creator.pk, paid_at__isnull=True).order_by("threshold")
    for award_id in waiting.values_list("pk", flat=True):
        milestone_award_pay(award_id=award_id)
    return list(MilestoneAward.objects.filter(pk__in=created_ids).order_by("threshold"))


def milestones_sweep(*, chunk_size: int = 1000) -> dict[str, int]:
    """Record every missing award from the follower counts, then try every unpaid award, oldest first.

    Set-based for the recording (one INSERT per chunk and threshold); the payments go one by one
    because each is its own ledger entry. Safe to run at any time and any number of times.
    """
    recorded = 0
    for milestone in milestone_schedule():
        missing = (
            CreatorProfile.objects.filter(follower_count__gte=milestone.threshold)
            .exclude(milestone_awards__threshold=milestone.threshold)
            .values_list("pk", "follower_count")
        )
        batch: list[MilestoneAward] = []
        for creator_id, count in missing.iterator(chunk_size=chunk_size):
            batch.append(
                MilestoneAward(
                    creator_id=creator_id,
                    threshold=milestone.threshold,
                    follower_count=count,
                    bonus_cents=milestone.bonus_cents,
                )
            )
            if len(batch) >= chunk_size:
                recorded += len(MilestoneAward.objects.bulk_create(batch, ignore_conflicts=True))
                batch = []
        if batch:
            recorded += len(MilestoneAward.objects.bulk_create(batch, ignore_conflicts=True))
    paid = waiting = 0
    unpaid = (
        MilestoneAward.objects.filter(paid_at__isnull=True).order_by("reached_at", "pk").values_list("pk", flat=True)
    )
    for award_id in unpaid.iterator(chunk_size=chunk_size):
        award = milestone_award_pay(award_id=award_id)
        if award.paid_at is None:
            waiting += 1
        else:
            paid += 1
    # "recorded" counts the rows offered: only a concurrent caller inserting the same award first makes
    # it larger than the rows actually written, since existing awards are excluded up front.
    logger.info("milestones_swept recorded=%s paid=%s waiting=%s", recorded, paid, waiting)
    return {"recorded": recorded, "paid": paid, "waiting": waiting}
