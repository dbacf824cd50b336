"""Hard limits on gifts: a breach blocks the gift whatever else the rules say.

Limits are rolling windows (the last 24 hours, not the calendar day) over allowed and held gifts.
They are only as good as the serialisation around them: ``services.gift_decide`` takes a lock per
sender and per receiver before it reads the window, so two simultaneous gifts cannot both pass.
"""

from dataclasses import dataclass

from .config import AmlConfig
from .selectors import GiftFeatures

SENDER, RECEIVER = "sender", "receiver"
# Reaching a daily limit blocks the gift but is not in itself a suspicion: these raise no alert on
# their own (a creator at the cap would otherwise fill a case with one alert per fan's gift).
# Trying to get past a limit again and again shows up in the velocity rules instead.
LIMITS_WITHOUT_ALERT = frozenset({"limit.sender_daily", "limit.receiver_daily", "limit.max_gift"})


@dataclass(frozen=True)
class RuleHit:
    rule: str
    score: int
    reason: str
    party: str = SENDER  # whose case the alert joins: the sender's or the receiving creator's
    hard: bool = False  # a hard limit: blocks on its own

    def as_dict(self) -> dict:
        data = {"rule": self.rule, "score": self.score, "reason": self.reason, "party": self.party}
        if self.hard:
            data["hard"] = True
        return data


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def limit_hits(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    hits: list[RuleHit] = []
    if f.receiver_user_id == f.sender_id:
        hits.append(RuleHit("limit.self_gift", config.block_score,
                            "A creator may not send gifts to their own profile.", hard=True))  # fmt: skip
    if f.amount_cents > config.max_gift_cents:
        hits.append(RuleHit("limit.max_gift", config.block_score,
                            f"A single gift may be at most {dollars(config.max_gift_cents)}; this one is "
                            f"{dollars(f.amount_cents)}.", hard=True))  # fmt: skip
    tier = config.tier_for(account_age_days=f.sender_age_days, kyc_level=f.sender_kyc_level, trust=f.sender_trust)
    total = f.sender_window_cents + f.amount_cents
    if total > tier.daily_limit_cents:
        hours = config.limit_window_seconds // 3600
        hits.append(RuleHit(
            "limit.sender_daily", config.block_score,
            f"Would take this account's gifts in the last {hours} hours to {dollars(total)}, over the "
            f"{dollars(tier.daily_limit_cents)} limit for a {tier.name} "
            f"(already {dollars(f.sender_window_cents)} in {f.sender_window_gifts} gifts).", hard=True,
        ))  # fmt: skip
    if f.receiver_kyc_level < config.receiver_verified_kyc_level:
        received = f.receiver_window_cents + f.amount_cents
        if received > config.unverified_receiver_daily_cap_cents:
            hits.append(RuleHit(
                "limit.receiver_daily", config.block_score,
                f"Would take what this creator received in the last {config.limit_window_seconds // 3600} hours to "
                f"{dollars(received)}, over the {dollars(config.unverified_receiver_daily_cap_cents)} cap for a "
                "creator whose identity is not verified.", party=RECEIVER, hard=True,
            ))  # fmt: skip
    return hits
