"""Compliance's Celery tasks, one module per area; Celery's autodiscovery imports this module.

Task names start with "compliance." so they are routed to the compliance queue.
"""

from compliance.aml.tasks import scan_gift_graph  # AML
from compliance.kyc.tasks import expire_kyc  # KYC

__all__ = ["expire_kyc", "scan_gift_graph"]
