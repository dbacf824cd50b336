"""KYC's periodic work. Registered through compliance/tasks.py (what Celery's autodiscovery imports)."""

from celery import shared_task

from .services import kyc_submissions_expire


@shared_task(name="compliance.expire_kyc", ignore_result=True, soft_time_limit=300, time_limit=360, acks_late=True)
def expire_kyc() -> int:
    """Mark verifications whose document has expired. Safe to run twice: the second finds nothing."""
    return kyc_submissions_expire()
