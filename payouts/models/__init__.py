"""Payouts models: the double-entry ledger (ledger.py), withdrawals (withdrawals.py) and the
revenue split runs (runs.py)."""

from .ledger import *  # noqa: F403
from .runs import *  # noqa: F403
from .withdrawals import *  # noqa: F403
