"""Versioned AML configuration: the rules, their thresholds and their weights.

As in the open-source engines Tazama, Jube and Marble, the rules are data under a version string
and every decision records the version it was made with. Changing any number here means a new
version: add a new ``AmlConfig`` to ``VERSIONS`` and point ``CURRENT`` at it, so that decisions made
under the old numbers can still be read (and replayed) as they were.

Scores are whole points. A decision adds up the points of every rule that fired: at ``hold_score``
the gift is held for review, at ``block_score`` it is blocked. Hard limits block outright.
"""

from dataclasses import dataclass, field

MINUTE = 60
HOUR = 3_600
DAY = 86_400


@dataclass(frozen=True)
class SenderTier:
    """A rung of the sender's daily gifting limit; a sender gets the highest rung whose conditions all hold."""

    name: str
    daily_limit_cents: int
    min_account_age_days: int = 0
    min_kyc_level: int = 0
    min_trust: float = 0.0  # integrity's viewer trust, 0 to 100


@dataclass(frozen=True)
class Threshold:
    """Fires when a count reaches ``at`` within ``window_seconds``; worth ``score`` points."""

    at: int
    window_seconds: int
    score: int


@dataclass(frozen=True)
class AmlConfig:
    version: str
    currencies: tuple[str, ...] = ("USD",)
    hold_score: int = 50
    block_score: int = 100

    # --- Limits (hard: a breach blocks). Rolling windows over allowed and held gifts. ---------------
    limit_window_seconds: int = DAY
    sender_tiers: tuple[SenderTier, ...] = (
        SenderTier("new account", 50_000),
        SenderTier("established account", 100_000, min_account_age_days=30),
        SenderTier("trusted account", 200_000, min_account_age_days=90, min_trust=70.0),
        SenderTier("verified identity", 500_000, min_kyc_level=2),
        SenderTier("enhanced due diligence", 2_000_000, min_kyc_level=3),
    )
    # A creator whose identity is not verified (KYC level below this) may receive at most this a day.
    receiver_verified_kyc_level: int = 2
    unverified_receiver_daily_cap_cents: int = 200_000
    max_gift_cents: int = 1_000_000

    # --- Velocity: gift attempts (any decision) per party. -------------------------------------------
    velocity: dict[str, tuple[Threshold, ...]] = field(
        default_factory=lambda: {
            "sender": (Threshold(6, MINUTE, 30), Threshold(40, HOUR, 30)),
            "receiver": (Threshold(60, MINUTE, 20), Threshold(600, HOUR, 20)),
            "device": (Threshold(8, MINUTE, 30), Threshold(50, HOUR, 30)),
            "ip_prefix": (Threshold(30, MINUTE, 20), Threshold(300, HOUR, 20)),
        }
    )

    # --- Smurfing (structuring): many gifts just under a threshold. ---------------------------------
    structuring_threshold_cents: int = 10_000  # a round amount that draws attention
    structuring_band: float = 0.15  # "just under": within this share below the threshold
    structuring_sender: Threshold = Threshold(3, DAY, 40)
    structuring_receiver: Threshold = Threshold(6, DAY, 50)
    # Gifts that together bring the sender within this share of the daily limit, in many pieces.
    near_limit_share: float = 0.9
    near_limit_min_gifts: int = 5
    near_limit_score: int = 30

    # --- IP and device monitoring. ------------------------------------------------------------------
    accounts_per_device: Threshold = Threshold(3, 7 * DAY, 35)
    accounts_per_prefix: Threshold = Threshold(6, DAY, 25)
    country_switch_within_seconds: int = 6 * HOUR
    country_switch_score: int = 30
    hosting_network_score: int = 20

    # --- Gift-graph patterns over recent allowed and held gifts. ------------------------------------
    graph_window_seconds: int = 7 * DAY
    cycle_max_length: int = 4  # A->B->A is 2; longer cycles up to this many accounts
    cycle_min_gift_cents: int = 1_000  # smaller gifts do not make an edge of a laundering cycle
    cycle_frontier_cap: int = 2_000  # accounts reached per step before the walk gives up
    cycle_score: int = 60
    fan_in_new_senders: Threshold = Threshold(8, DAY, 50)  # distinct new accounts gifting one creator
    fan_out_receivers: Threshold = Threshold(10, DAY, 30)  # distinct creators one account gifts
    new_account_days: int = 7
    layering_window_seconds: int = DAY
    layering_min_received_cents: int = 20_000
    layering_forward_share: float = 0.7  # sent on / received within the window
    layering_score: int = 60

    def tier_for(self, *, account_age_days: float, kyc_level: int, trust: float) -> SenderTier:
        eligible = [
            tier
            for tier in self.sender_tiers
            if account_age_days >= tier.min_account_age_days and kyc_level >= tier.min_kyc_level
            and trust >= tier.min_trust
        ]  # fmt: skip
        return max(eligible, key=lambda tier: tier.daily_limit_cents)


CURRENT = AmlConfig(version="aml-2026.11-1")
VERSIONS = {CURRENT.version: CURRENT}


def config_for(version: str | None = None) -> AmlConfig:
    if version is None:
        return CURRENT
    try:
        return VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown AML configuration version {version!r}; known: {', '.join(VERSIONS)}") from None
