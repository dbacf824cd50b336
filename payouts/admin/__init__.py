"""Django admin for payouts, one module per area."""

from . import ledger, runs, withdrawals  # noqa: F401
