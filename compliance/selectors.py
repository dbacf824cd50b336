"""Compliance reads that other apps use (payouts, dashboards), one section per area."""

# --- KYC (payouts gate money on the level) ---------------------------------------------------------
from compliance.kyc.selectors import KycStatus, kyc_level_for_user, kyc_status_for_user

__all__ = ["KycStatus", "kyc_level_for_user", "kyc_status_for_user"]
