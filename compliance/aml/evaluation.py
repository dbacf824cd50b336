"""Measuring the AML engine against the data generator's ground truth (never the other way round).

``gift_world_replay`` sends a generated world's gifts, in time order, through ``gift_decide``
with each gift's own time as "now", so every rule sees exactly the history it would have seen live.
Each gift has a deterministic idempotency key, so replaying again decides nothing twice.
``gift_world_evaluate`` then compares the stored decisions with the ``GroundTruthLabel`` rows.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from compliance.models import AmlAlert, GiftRequest
from creators.models import CreatorProfile, User
from simulation.models import GroundTruthLabel, SimulationRun
from simulation.world.gifts import TYPOLOGIES, GiftWorld

from .config import AmlConfig, config_for
from .services import gift_decide, request_hash_of

# The rules that speak to each typology (a planted gift may of course be caught by any rule).
TYPOLOGY_RULES = {
    "gift_circle": ("graph.cycle",),
    "gift_smurfing": ("smurfing.",),
    "gift_layering": ("graph.layering",),
    "gift_mule": ("graph.fan_in", "graph.layering", "ip.accounts_per_prefix"),
}


@dataclass
class ReplayResult:
    gifts: int = 0
    decided: int = 0
    seconds: float = 0.0
    decisions: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def gift_world_replay(*, world: GiftWorld, config: AmlConfig | None = None,
                      progress: Callable[[int], None] | None = None) -> ReplayResult:  # fmt: skip
    config = config or config_for()
    users = {u.email: u for u in User.objects.filter(email__in=[a.email for a in world.accounts])}
    profiles = {p.handle: p for p in CreatorProfile.objects.filter(
        handle__in=[h for h, _ in world.creators]).select_related("user")}  # fmt: skip
    result = ReplayResult(gifts=len(world.gifts))
    quiet = logging.getLogger("compliance.aml.services")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    started = time.perf_counter()
    try:
        for n, gift in enumerate(world.gifts):
            sender = users[world.accounts[gift.sender].email]
            receiver = profiles[world.creators[gift.receiver][0]]
            body = {"receiver": receiver.pk, "amount_cents": gift.amount_cents, "currency": "USD",
                    "device_id": gift.device}  # fmt: skip
            stored = gift_decide(
                sender=sender, receiver=receiver, amount_cents=gift.amount_cents, currency="USD",
                device_id=gift.device, ip=gift.ip, idempotency_key=world.key_of(n),
                body_hash=request_hash_of(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)), country=gift.country,
                now=datetime.fromtimestamp(gift.ts_ms / 1000, tz=UTC), config=config,
            )  # fmt: skip
            result.decided += not stored.replayed
            result.decisions[stored.decision] += 1
            if progress is not None:
                progress(1)
    finally:
        quiet.setLevel(level)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class TypologyScore:
    typology: str
    gifts: int = 0
    gifts_flagged: int = 0
    gifts_own_rule: int = 0
    accounts: int = 0
    accounts_flagged: int = 0

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0


@dataclass
class AmlEvaluation:
    config_version: str
    typologies: dict[str, TypologyScore]
    organic_gifts: int
    organic_gifts_flagged: int
    organic_accounts: int
    organic_accounts_flagged: int
    organic_rule_fires: dict[str, int]  # typology -> organic gifts on which its rules fired
    decision_ms: list[float]


def _fires(rules: set[str], typology: str) -> bool:
    return any(rule.startswith(prefix) for rule in rules for prefix in TYPOLOGY_RULES[typology])


def gift_world_scan(*, world: GiftWorld, config: AmlConfig | None = None) -> int:
    """Run the periodic graph scan over the world's time span, as the hourly task would have; returns alerts."""
    from .scan import gift_graph_scan

    config = config or config_for()
    if not world.gifts:
        return 0
    step = config.graph_window_seconds
    moment = world.gifts[0].ts_ms / 1000 + step
    last = world.gifts[-1].ts_ms / 1000 + step
    raised = 0
    while True:
        raised += gift_graph_scan(now=datetime.fromtimestamp(moment, tz=UTC), config=config).alerts
        if moment >= last:
            return raised
        moment = min(moment + step, last)


def gift_world_evaluate(*, world: GiftWorld, config_version: str) -> AmlEvaluation:
    run = SimulationRun.objects.get(params_digest=world.config.digest())
    truth: dict[str, set[str]] = defaultdict(set)  # email -> scenarios it acted in
    actors: dict[str, set[str]] = defaultdict(set)  # scenario -> actor emails
    for scenario, key, role in GroundTruthLabel.objects.filter(
        run=run, entity_type="user", scenario__in=TYPOLOGIES
    ).values_list("scenario", "entity_key", "role"):
        truth[key].add(scenario)
        if role == "actor":
            actors[scenario].add(key)

    gifts = GiftRequest.objects.filter(idempotency_key__startswith=f"sim-{world.tag}-", config_version=config_version)
    rows = list(gifts.values_list("sender__email", "receiver_user__email", "decision", "rule_hits", "decision_ms"))
    flagged_accounts = set(AmlAlert.objects.filter(gift__in=gifts).values_list("subject__email", flat=True))
    if world.gifts:  # and the accounts the periodic scan alerted on over the world's days
        first = datetime.fromtimestamp(world.gifts[0].ts_ms / 1000, tz=UTC)
        flagged_accounts |= set(AmlAlert.objects.filter(
            source=AmlAlert.Source.SCAN, config_version=config_version, created_at__gte=first,
        ).values_list("subject__email", flat=True))  # fmt: skip
    scores = {t: TypologyScore(t) for t in TYPOLOGIES}
    organic = organic_flagged = 0
    organic_accounts: set[str] = set()
    organic_fires: dict[str, int] = defaultdict(int)
    for sender, receiver, decision, hits, _ms in rows:
        rules = {hit["rule"] for hit in hits}
        is_flagged = decision != "allow"
        if is_flagged:
            flagged_accounts.add(sender)
        planted = truth.get(sender, set()) & (truth.get(receiver, set()) or truth.get(sender, set()))
        if planted:
            for typology in planted:
                score = scores[typology]
                score.gifts += 1
                score.gifts_flagged += is_flagged
                score.gifts_own_rule += is_flagged and _fires(rules, typology)
        elif not truth.get(sender):
            organic += 1
            organic_flagged += is_flagged
            organic_accounts.update({sender} | ({receiver} if not truth.get(receiver) else set()))
            for typology in TYPOLOGIES:
                organic_fires[typology] += is_flagged and _fires(rules, typology)
    for typology, score in scores.items():
        score.accounts = len(actors[typology])
        score.accounts_flagged = len(actors[typology] & flagged_accounts)
    return AmlEvaluation(
        config_version=config_version, typologies=scores, organic_gifts=organic, organic_gifts_flagged=organic_flagged,
        organic_accounts=len(organic_accounts), organic_accounts_flagged=len(organic_accounts & flagged_accounts),
        organic_rule_fires=dict(organic_fires), decision_ms=[row[4] for row in rows],
    )  # fmt: skip
