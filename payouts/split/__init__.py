"""The revenue split engine: pure arithmetic (math.py), value units in SQL (units.py), runs
(runs.py), reserve releases (reserve.py) and clawbacks (clawback.py). Other apps use the names
exported here."""

from .clawback import clawback_for_revised_windows
from .config import SplitConfig, SplitConfigError, split_config_from_settings
from .live import creator_live_sessions_count, live_session_fee_waived
from .reserve import reserve_release_due
from .runs import (
    PayoutRunError,
    payout_period_run,
    payout_run_commit,
    payout_run_compute,
    payout_run_create,
    period_bounds,
    previous_period_start,
    revenue_for_period,
    revenue_record,
)

__all__ = [
    "PayoutRunError",
    "SplitConfig",
    "SplitConfigError",
    "clawback_for_revised_windows",
    "creator_live_sessions_count",
    "live_session_fee_waived",
    "payout_period_run",
    "payout_run_commit",
    "payout_run_compute",
    "payout_run_create",
    "period_bounds",
    "previous_period_start",
    "reserve_release_due",
    "revenue_for_period",
    "revenue_record",
    "split_config_from_settings",
]
