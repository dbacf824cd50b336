"""Django admin for compliance, one module per area."""

from . import aml, kyc, sanctions  # noqa: F401
