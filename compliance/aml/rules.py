"""The scored AML rules. Each is a pure function of the gift's features and the configuration.

A rule that fires returns a ``RuleHit``: its name, its points and a reason in plain language that
a member of staff can read without knowing the code. ``decide`` adds the points up.
"""

from collections.abc import Callable

from .config import AmlConfig
from .limits import RECEIVER, SENDER, RuleHit, dollars, limit_hits
from .selectors import GiftFeatures

PARTY_WORDS = {"sender": "this account", "receiver": "this creator", "device": "this device",
               "ip_prefix": "this network (IP prefix)"}  # fmt: skip


def _span(seconds: int) -> str:
    if seconds % 86_400 == 0:
        days = seconds // 86_400
        return "24 hours" if days == 1 else f"{days} days"
    if seconds % 3_600 == 0:
        return "hour" if seconds == 3_600 else f"{seconds // 3_600} hours"
    return "minute" if seconds == 60 else f"{seconds} seconds"


def velocity(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    hits = []
    for party, thresholds in config.velocity.items():
        for threshold in thresholds:
            count = f.velocity[party][threshold.window_seconds]
            if count >= threshold.at:
                hits.append(RuleHit(
                    f"velocity.{party}.{_span(threshold.window_seconds).replace(' ', '_')}", threshold.score,
                    f"{count} gift attempts from {PARTY_WORDS[party]} in the last {_span(threshold.window_seconds)}"
                    f" (threshold {threshold.at}).",
                    party=RECEIVER if party == "receiver" else SENDER,
                ))  # fmt: skip
    return hits


def smurfing(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    hits = []
    low = int(config.structuring_threshold_cents * (1 - config.structuring_band))
    band = f"between {dollars(low)} and {dollars(config.structuring_threshold_cents)}"
    rule = config.structuring_sender
    if f.structuring_sender >= rule.at:
        hits.append(RuleHit("smurfing.sender", rule.score,
                            f"{f.structuring_sender} gifts just under {dollars(config.structuring_threshold_cents)} "
                            f"({band}) from this account in {_span(rule.window_seconds)}."))  # fmt: skip
    rule = config.structuring_receiver
    if f.structuring_receiver >= rule.at:
        hits.append(RuleHit("smurfing.receiver", rule.score,
                            f"{f.structuring_receiver} gifts just under {dollars(config.structuring_threshold_cents)} "
                            f"({band}) to this creator in {_span(rule.window_seconds)}.", party=RECEIVER))  # fmt: skip
    tier = config.tier_for(account_age_days=f.sender_age_days, kyc_level=f.sender_kyc_level, trust=f.sender_trust)
    total = f.sender_window_cents + f.amount_cents
    pieces = f.sender_window_gifts + 1
    if pieces >= config.near_limit_min_gifts and config.near_limit_share * tier.daily_limit_cents <= total <= (
            tier.daily_limit_cents):  # fmt: skip
        hits.append(RuleHit("smurfing.near_limit", config.near_limit_score,
                            f"{pieces} gifts in {_span(config.limit_window_seconds)} add up to {dollars(total)}, "
                            f"just under the {dollars(tier.daily_limit_cents)} daily limit."))  # fmt: skip
    return hits


def ip_monitoring(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    hits = []
    rule = config.accounts_per_device
    if f.accounts_on_device >= rule.at:
        hits.append(RuleHit("ip.accounts_per_device", rule.score,
                            f"{f.accounts_on_device} accounts have sent gifts from this device in "
                            f"{_span(rule.window_seconds)}."))  # fmt: skip
    rule = config.accounts_per_prefix
    if f.accounts_on_prefix >= rule.at:
        hits.append(RuleHit("ip.accounts_per_prefix", rule.score,
                            f"{f.accounts_on_prefix} accounts have sent gifts from this network (IP prefix) in "
                            f"{_span(rule.window_seconds)}."))  # fmt: skip
    if f.country and f.previous_country and f.country != f.previous_country and f.previous_at is not None:
        gap = (f.now - f.previous_at).total_seconds()
        if gap <= config.country_switch_within_seconds:
            minutes = int(gap // 60)
            hits.append(RuleHit("ip.country_switch", config.country_switch_score,
                                f"This gift comes from {f.country}; the account's previous one, {minutes} minutes "
                                f"earlier, came from {f.previous_country}."))  # fmt: skip
    if f.is_hosting_network:
        hits.append(RuleHit("ip.hosting_network", config.hosting_network_score,
                            "Sent from a data-centre or VPN address range."))  # fmt: skip
    return hits


def graph_patterns(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    hits = []
    if f.cycle and len(f.cycle) > 2:
        n = len(f.cycle) - 1
        shape = "A to B and back to A" if n == 2 else f"a circle through {n} accounts"
        hits.append(RuleHit("graph.cycle", config.cycle_score,
                            f"This gift closes {shape} within {_span(config.graph_window_seconds)} "
                            f"(accounts {' -> '.join(str(a) for a in f.cycle)}), each gift at least "
                            f"{dollars(config.cycle_min_gift_cents)}."))  # fmt: skip
    rule = config.fan_in_new_senders
    if f.new_senders_to_receiver >= rule.at:
        hits.append(RuleHit("graph.fan_in", rule.score,
                            f"{f.new_senders_to_receiver} accounts younger than {config.new_account_days} days sent "
                            f"this creator gifts in {_span(rule.window_seconds)}.", party=RECEIVER))  # fmt: skip
    rule = config.fan_out_receivers
    if f.receivers_of_sender >= rule.at:
        hits.append(RuleHit("graph.fan_out", rule.score,
                            f"This account sent gifts to {f.receivers_of_sender} different creators in "
                            f"{_span(rule.window_seconds)}."))  # fmt: skip
    received = f.received_by_sender_cents
    if received >= config.layering_min_received_cents:
        share = f.sent_by_sender_cents / received
        if share >= config.layering_forward_share:
            hits.append(RuleHit("graph.layering", config.layering_score,
                                f"This account received {dollars(received)} in gifts in the last "
                                f"{_span(config.layering_window_seconds)} and, with this gift, has sent "
                                f"{dollars(f.sent_by_sender_cents)} ({share:.0%}) straight on."))  # fmt: skip
    return hits


RULE_FAMILIES: tuple[Callable[[GiftFeatures, AmlConfig], list[RuleHit]], ...] = (
    limit_hits, velocity, smurfing, ip_monitoring, graph_patterns,
)  # fmt: skip


def evaluate(f: GiftFeatures, config: AmlConfig) -> list[RuleHit]:
    return [hit for family in RULE_FAMILIES for hit in family(f, config)]


def decide(hits: list[RuleHit], config: AmlConfig) -> tuple[str, int]:
    """The decision and total score: hard limits block; otherwise the score against the thresholds."""
    score = sum(hit.score for hit in hits)
    if any(hit.hard for hit in hits) or score >= config.block_score:
        return "block", score
    if score >= config.hold_score:
        return "hold", score
    return "allow", score
