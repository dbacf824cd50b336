"""Compliance models, one module per area: shared audit trail, sanctions lists, KYC and phone trust, AML on gifts."""

from .aml import *  # noqa: F403
from .common import AuditEvent
from .kyc import *  # noqa: F403
from .sanctions import SanctionsEntry, SanctionsList, SanctionsName

__all__ = ["AuditEvent", "SanctionsEntry", "SanctionsList", "SanctionsName"]
