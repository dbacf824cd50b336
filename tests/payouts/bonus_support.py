"""Helpers for the bonus, trend and statement tests: KYC approval, follower counts, funding."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta

from compliance.models import KycSubmission
from creators.models import CreatorProfile
from creators.services import creator_follower_counts_refresh
from payouts.bonuses import bonus_pool_fund
from tests.factories import FollowFactory


def kyc_approve(user, level: int = 1) -> KycSubmission:
    """An approved, current KYC submission at ``level`` (what kyc_level_for_user reads)."""
    return KycSubmission.objects.create(
        user=user,
        given_names="Jane",
        surname="Smith",
        date_of_birth=date(1990, 1, 15),
        nationality="GB",
        address_line1="1 Test Street",
        city="London",
        address_country="GB",
        phone_number="+447400123456",
        email=user.email,
        status=KycSubmission.Status.APPROVED,
        level=level,
        expires_at=date.today() + timedelta(days=365),
    )


def followers_set(creator: CreatorProfile, count: int) -> None:
    """Give the creator ``count`` followers quickly: a few real follows, the rest as the denormalised count."""
    FollowFactory.create_batch(2, creator=creator)
    creator_follower_counts_refresh(creator_ids=[creator.pk])
    CreatorProfile.objects.filter(pk=creator.pk).update(follower_count=count)


def pool_fund(amount_cents: int, key: str = "seed"):
    return bonus_pool_fund(amount_cents=amount_cents, idempotency_key=key)


@contextmanager
def entries_dated(moment: datetime):
    """Journal entries posted inside the block carry ``created_at = moment`` (the ledger is append-only,
    so a past month's activity can only be made by posting it "then")."""
    from payouts.models import JournalEntry

    field = JournalEntry._meta.get_field("created_at")
    saved = field.__dict__.get("_get_default")
    field._get_default = lambda: moment
    try:
        yield
    finally:
        if saved is None:
            del field._get_default
        else:
            field._get_default = saved
