"""Compliance reads that other apps use (payouts, dashboards), one section per area."""

# --- KYC (payouts gate money on the level) ---------------------------------------------------------
from compliance.kyc.selectors import KycStatus, kyc_level_for_user, kyc_status_for_user

__all__ = ["KycStatus", "kyc_level_for_user", "kyc_levels_for_users", "kyc_status_for_user"]


def kyc_levels_for_users(*, user_ids, today=None) -> dict[int, int]:
    """``kyc_level_for_user`` for many users at once (payout runs over 100k creators): user id ->
    level, 0 for users with no current approval. Same rule: the best approved, unexpired level."""
    from django.db.models import Max, Q
    from django.utils import timezone

    from compliance.models import KycSubmission

    today = today or timezone.localdate()
    ids = sorted({int(i) for i in user_ids})
    levels = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), 10_000):
        rows = (
            KycSubmission.objects.filter(user_id__in=ids[start : start + 10_000], status=KycSubmission.Status.APPROVED)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gte=today))
            .values_list("user_id")
            .annotate(best=Max("level"))
            .order_by()
        )
        levels.update((int(user_id), int(best or 0)) for user_id, best in rows)
    return levels
