"""Pure arithmetic of the revenue split: no database, integer cents in and out.

Everything here works on numpy arrays so that a run over 100,000 creators takes milliseconds, and
every function is deterministic and independent of the order of its inputs: ties are broken by
the caller's ``keys`` (creator ids), never by position.

Invariants (property-tested in tests/payouts/test_split_math.py):
- ``largest_remainder`` returns non-negative integers summing exactly to the total;
- ``water_fill`` never puts anyone over their cap, preserves the total (what nobody can take is
  returned as ``leftover``), and nobody under their cap receives less than their plain
  proportional share before redistribution (to the rounding cent);
- ``fee_for`` is a marginal (tax-bracket) fee, so ``gross - fee(gross)`` never decreases as the
  gross grows;
- ``split_pool``: creators' net + fees + reserves + carried forward == pool, to the cent.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Beyond 2**53 a float64 quota can no longer tell neighbouring cents apart.
MAX_TOTAL_CENTS = 2**53
BASIS_POINTS = 10_000


def _as_keys(keys, n: int) -> np.ndarray:
    if keys is None:
        return np.arange(n, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    if keys.shape != (n,):
        raise ValueError("keys must have one entry per weight")
    return keys


def _check_weights(weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1:
        raise ValueError("weights must be one-dimensional")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite and non-negative")
    return weights


def largest_remainder(total: int, weights, keys=None) -> np.ndarray:
    """Split ``total`` cents in proportion to ``weights``: floors first, then one more cent to the
    largest remainders (ties: the smallest key). Only positive weights receive anything.

    Float quotas may be off by a hair; the fix-up below corrects the count in either direction so
    that the parts always add up to ``total`` exactly.
    """
    total = int(total)
    if total < 0 or total >= MAX_TOTAL_CENTS:
        raise ValueError(f"total must be between 0 and 2**53 cents, got {total}")
    weights = _check_weights(weights)
    keys = _as_keys(keys, len(weights))
    parts = np.zeros(len(weights), dtype=np.int64)
    weight_sum = float(weights.sum())
    if total == 0:
        return parts
    if weight_sum <= 0:
        raise ValueError("cannot split a positive total over weights that are all zero")
    # Scaled to the largest weight first, so that tiny (even subnormal) weights cannot overflow.
    scaled = weights / float(weights.max())
    quotas = scaled * (total / float(scaled.sum()))
    parts = np.floor(quotas).astype(np.int64)
    remainders = quotas - parts
    short = total - int(parts.sum())
    positive = weights > 0
    if short > 0:
        candidates = np.flatnonzero(positive)
        order = candidates[np.lexsort((keys[candidates], -remainders[candidates]))]
        if short > len(order):  # cannot happen with float64 quotas below 2**53; guard anyway
            raise ArithmeticError("largest remainder fix-up overflow")
        parts[order[:short]] += 1
    elif short < 0:
        candidates = np.flatnonzero(parts > 0)
        order = candidates[np.lexsort((-keys[candidates], remainders[candidates]))]
        parts[order[:-short]] -= 1
    return parts


@dataclass(frozen=True)
class WaterFill:
    allocations: np.ndarray  # int64 cents per recipient
    capped: np.ndarray  # bool: held at the cap
    leftover: int  # cents no recipient could take (everyone with weight at their cap)
    rounds: int


def water_fill(total: int, weights, caps, keys=None) -> WaterFill:
    """Proportional split under per-recipient caps: whatever is over a cap is shared again among
    the others in proportion to their weights, repeatedly, until nobody is over.

    ``caps``: cents per recipient, ``None``/NaN/inf meaning uncapped. Works on integer cents at
    every round, so "nobody over cap" holds exactly, not just in real numbers.
    """
    weights = _check_weights(weights)
    n = len(weights)
    keys = _as_keys(keys, n)
    caps = np.array([np.inf if c is None else c for c in caps], dtype=np.float64) if n else np.zeros(0)
    if caps.shape != (n,):
        raise ValueError("caps must have one entry per weight")
    caps = np.where(np.isnan(caps), np.inf, caps)
    if np.any(caps < 0):
        raise ValueError("caps must be non-negative")
    allocations = np.zeros(n, dtype=np.int64)
    capped = np.zeros(n, dtype=bool)
    remaining = int(total)
    rounds = 0
    while True:
        open_ = (weights > 0) & ~capped
        if remaining == 0 or not open_.any():
            break
        rounds += 1
        trial = np.zeros(n, dtype=np.int64)
        trial[open_] = largest_remainder(remaining, weights[open_], keys[open_])
        over = open_ & (trial > caps)
        if not over.any():
            allocations[open_] = trial[open_]
            remaining = 0
            break
        capped |= over
        allocations[over] = caps[over].astype(np.int64)
        remaining -= int(allocations[over].sum())
    return WaterFill(allocations=allocations, capped=capped, leftover=remaining, rounds=rounds)


def validate_tiers(tiers: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Fee tiers as ``[(from_cents, rate_basis_points), ...]``: from 0, increasing, rates 0..10000."""
    checked = [(int(start), int(rate)) for start, rate in tiers]
    if not checked or checked[0][0] != 0:
        raise ValueError("fee tiers must start at 0 cents")
    for (a, _), (b, _) in itertools.pairwise(checked):
        if b <= a:
            raise ValueError("fee tier thresholds must increase strictly")
    for _, rate in checked:
        if not 0 <= rate <= BASIS_POINTS:
            raise ValueError("fee tier rates must be between 0 and 10000 basis points")
    return checked


def fees_for(gross, tiers: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Marginal fees for an array of gross amounts, and the index of the highest tier reached.

    Like tax brackets: each tier's rate applies only to the cents inside it. The fee is rounded
    down once, over the exact sum, so with every rate at most 100 % one more cent of gross adds at
    most one cent of fee: net = gross - fee never decreases as gross grows.
    """
    tiers = validate_tiers(tiers)
    gross = np.asarray(gross, dtype=np.int64)
    if np.any(gross < 0):
        raise ValueError("gross must be non-negative")
    numerator = np.zeros(gross.shape, dtype=np.int64)
    tier_index = np.zeros(gross.shape, dtype=np.int16)
    for i, (start, rate) in enumerate(tiers):
        stop = tiers[i + 1][0] if i + 1 < len(tiers) else None
        inside = np.clip(gross - start, 0, None if stop is None else stop - start)
        numerator += inside * rate
        tier_index[gross > start] = i
    return numerator // BASIS_POINTS, tier_index


def fee_for(gross_cents: int, tiers: Sequence[Sequence[int]]) -> int:
    """The marginal fee on one gross amount (see ``fees_for``)."""
    fees, _ = fees_for(np.array([gross_cents], dtype=np.int64), tiers)
    return int(fees[0])


@dataclass(frozen=True)
class Split:
    """Per-creator cents of one run; every array is aligned with the inputs."""

    gross: np.ndarray
    capped: np.ndarray
    fee: np.ndarray
    fee_tier: np.ndarray
    margin_adjustment: np.ndarray
    reserve: np.ndarray
    net: np.ndarray
    carried_forward: int
    waterfill_rounds: int

    @property
    def platform_fees(self) -> int:
        return int(self.fee.sum() + self.margin_adjustment.sum())


def split_pool(
    *,
    pool_cents: int,
    value_units,
    caps,
    keys,
    fee_tiers: Sequence[Sequence[int]],
    fee_waived=None,
    min_margin_bp: int = 0,
    reserve_rate_bp: int = 0,
) -> Split:
    """The whole money side of a run, in order:

    1. gross: the pool in proportion to value units, water-filled under the KYC caps (what nobody
       can take is carried forward, i.e. stays in platform revenue);
    2. fee: marginal tiers on each creator's gross (zero where ``fee_waived``);
    3. margin guardrail: when fees fall short of ``min_margin_bp`` of what was allocated, the
       shortfall is taken from creators in proportion to what they keep after fees, and shown per
       creator as ``margin_adjustment``;
    4. reserve: ``reserve_rate_bp`` of what is left, held back;
    5. net: the rest, to the creator.
    """
    if not 0 <= min_margin_bp < BASIS_POINTS:
        raise ValueError("the minimum platform margin must be at least 0 and below 100 %")
    if not 0 <= reserve_rate_bp < BASIS_POINTS:
        raise ValueError("the reserve rate must be at least 0 and below 100 %")
    filled = water_fill(pool_cents, value_units, caps, keys)
    gross = filled.allocations
    fee, fee_tier = fees_for(gross, fee_tiers)
    if fee_waived is not None:
        fee = np.where(np.asarray(fee_waived, dtype=bool), 0, fee)
    allocated = int(gross.sum())
    kept = gross - fee
    required = -(-allocated * min_margin_bp // BASIS_POINTS)  # ceiling
    shortfall = max(0, required - int(fee.sum()))
    margin_adjustment = np.zeros(len(gross), dtype=np.int64)
    if shortfall:
        # shortfall <= sum(kept) since the margin is below 100 %, so nobody goes negative.
        margin_adjustment = largest_remainder(shortfall, kept, keys)
    after_fees = kept - margin_adjustment
    reserve = after_fees * reserve_rate_bp // BASIS_POINTS
    net = after_fees - reserve
    return Split(
        gross=gross,
        capped=filled.capped,
        fee=fee,
        fee_tier=fee_tier,
        margin_adjustment=margin_adjustment,
        reserve=reserve,
        net=net,
        carried_forward=filled.leftover,
        waterfill_rounds=filled.rounds,
    )
