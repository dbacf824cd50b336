"""The periodic scan of the gift graph: laundering circles that no single decision could see.

A gift is decided in real time, when only the gifts before it exist: the first gifts of a circle
are allowed because the circle is not closed yet, and a circle closed through a gift the real-time
walk gave up on (a busy account) is missed. The scan looks back over the recent allowed and held
gifts as a whole, finds every circle of 2 to ``cycle_max_length`` accounts whose gifts fall within
``graph_window_seconds`` of each other (``graph.cycles_in_windows``), and raises one alert per
account of each circle, in that account's open case. An alert names its circle (``scan_key``),
so running the scan again, or over overlapping ranges, reports nothing twice.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit import audit
from compliance.models import AmlAlert, GiftDecision, GiftRequest

from .config import AmlConfig, config_for
from .graph import cycles_in_windows
from .limits import dollars
from .services import case_for_subject

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanResult:
    start: datetime
    end: datetime
    gifts: int
    cycles: int
    alerts: int


def _scan_key(accounts: tuple[int, ...]) -> str:
    key = "cycle:" + "-".join(str(a) for a in accounts)
    return key if len(key) <= 64 else "cycle:" + hashlib.sha256(key.encode()).hexdigest()[:58]


def gift_graph_scan(*, now: datetime | None = None, config: AmlConfig | None = None) -> ScanResult:
    """Scan the gifts of the last two graph windows before ``now`` for circles; alert on new ones."""
    config = config or config_for()
    end = now or timezone.now()
    start = end - timedelta(seconds=2 * config.graph_window_seconds)
    rows = GiftRequest.objects.filter(
        created_at__gte=start, created_at__lt=end, amount_cents__gte=config.cycle_min_gift_cents,
        decision__in=[GiftDecision.ALLOW, GiftDecision.HOLD],  # a blocked gift moved no money
    ).values_list("sender_id", "receiver_user_id", "created_at")  # fmt: skip
    gifts = np.array([(s, r, at.timestamp()) for s, r, at in rows], dtype=np.float64).reshape(-1, 3)
    cycles = cycles_in_windows(gifts, max_length=config.cycle_max_length, window_seconds=config.graph_window_seconds)
    raised = 0
    for cycle in cycles:
        accounts = cycle.accounts
        path = " -> ".join(str(a) for a in (*accounts, accounts[0]))
        shape = "A to B and back to A" if len(accounts) == 2 else f"a circle through {len(accounts)} accounts"
        hit = {
            "rule": "graph.cycle_scan", "score": config.cycle_score,
            "reason": f"Part of {shape} ({path}) within {config.graph_window_seconds // 86_400} days, each gift at "
                      f"least {dollars(config.cycle_min_gift_cents)}; found by the periodic graph scan.",
        }  # fmt: skip
        for subject_id in accounts:
            raised += _alert_once(subject_id=subject_id, accounts=accounts, key=_scan_key(accounts), hit=hit,
                                  now=end, config=config)  # fmt: skip
    result = ScanResult(start, end, len(gifts), len(cycles), raised)
    logger.info("aml graph scan start=%s end=%s gifts=%s cycles=%s alerts=%s", start.isoformat(), end.isoformat(),
                result.gifts, result.cycles, result.alerts)  # fmt: skip
    return result


def _alert_once(*, subject_id: int, accounts: tuple[int, ...], key: str, hit: dict, now: datetime,
                config: AmlConfig) -> int:  # fmt: skip
    if AmlAlert.objects.filter(subject_id=subject_id, scan_key=key).exists():
        return 0
    with transaction.atomic():
        case = case_for_subject(subject_id=subject_id, now=now)
        try:
            with transaction.atomic():
                alert = AmlAlert.objects.create(
                    case=case, subject_id=subject_id, source=AmlAlert.Source.SCAN, rules=[hit],
                    risk_score=hit["score"], config_version=config.version, created_at=now, scan_key=key,
                )  # fmt: skip
        except IntegrityError:  # a concurrent scan reported it a moment ago
            return 0
        case.subjects.add(*accounts)
        audit(actor=None, action="aml.alert.raised", instance=case,
              after={"alert": alert.pk, "source": "scan", "rules": [hit["rule"]], "pattern": key})  # fmt: skip
    return 1
