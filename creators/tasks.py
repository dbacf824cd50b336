import logging

from celery import shared_task

from .services import creator_follower_counts_refresh

logger = logging.getLogger(__name__)


@shared_task(name="creators.recount_followers", soft_time_limit=600, time_limit=660)
def recount_followers() -> int:
    """Periodic repair of the denormalised follower counts (idempotent)."""
    updated = creator_follower_counts_refresh()
    logger.info("follower counts refreshed profiles=%s", updated)
    return updated
