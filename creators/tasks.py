import logging

from celery import shared_task

from .accounts.services import unverified_signups_prune
from .services import creator_follower_counts_refresh

logger = logging.getLogger(__name__)


@shared_task(name="creators.recount_followers", soft_time_limit=600, time_limit=660)
def recount_followers() -> int:
    """Periodic repair of the denormalised follower counts (idempotent)."""
    updated = creator_follower_counts_refresh()
    logger.info("follower counts refreshed profiles=%s", updated)
    return updated


@shared_task(name="creators.prune_unverified_signups", soft_time_limit=600, time_limit=660)
def prune_unverified_signups() -> int:
    """Daily: delete sign-ups never verified within ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS (idempotent)."""
    return unverified_signups_prune()
