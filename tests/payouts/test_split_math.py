"""The split's arithmetic on hand-made cases, and its invariants as properties (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payouts.split.math import fee_for, fees_for, largest_remainder, split_pool, validate_tiers, water_fill

TIERS = [(0, 3000), (10_000, 2000), (100_000, 1000)]

weights_st = st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False), min_size=1,
                      max_size=40).filter(lambda w: sum(w) > 0)  # fmt: skip
totals_st = st.integers(min_value=0, max_value=10**12)


# --- largest remainder -------------------------------------------------------------------------


def test_largest_remainder_gives_the_odd_cent_to_the_largest_remainder():
    assert largest_remainder(100, [1, 1, 1]).tolist() == [34, 33, 33]
    assert largest_remainder(10, [0.5, 0.3, 0.2]).tolist() == [5, 3, 2]
    assert largest_remainder(7, [2, 1]).tolist() == [5, 2]  # 4.67 -> 5, 2.33 -> 2


def test_largest_remainder_breaks_ties_by_key_not_position():
    assert largest_remainder(1, [1, 1], keys=[20, 10]).tolist() == [0, 1]
    assert largest_remainder(1, [1, 1], keys=[10, 20]).tolist() == [1, 0]


def test_largest_remainder_refuses_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        largest_remainder(10, [1, -1])
    with pytest.raises(ValueError, match="all zero"):
        largest_remainder(10, [0, 0])
    with pytest.raises(ValueError, match="between 0"):
        largest_remainder(-1, [1])


@settings(max_examples=300, deadline=None)
@given(total=totals_st, weights=weights_st)
def test_largest_remainder_parts_add_up_to_the_cent(total, weights):
    parts = largest_remainder(total, weights)
    assert int(parts.sum()) == total
    assert (parts >= 0).all()
    quotas = np.asarray(weights) * total / sum(weights)
    assert np.all(np.abs(parts - quotas) < 1 + 1e-6 * np.maximum(1, quotas))
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


@settings(max_examples=150, deadline=None)
@given(total=totals_st, weights=weights_st, data=st.data())
def test_largest_remainder_is_independent_of_input_order(total, weights, data):
    keys = list(range(100, 100 + len(weights)))
    order = data.draw(st.permutations(range(len(weights))))
    straight = dict(zip(keys, largest_remainder(total, weights, keys).tolist(), strict=True))
    shuffled = largest_remainder(total, [weights[i] for i in order], [keys[i] for i in order])
    assert dict(zip([keys[i] for i in order], shuffled.tolist(), strict=True)) == straight


# --- water-filling -----------------------------------------------------------------------------


def test_water_fill_redistributes_over_cap_in_proportion_until_nobody_is_over():
    # 1000 by weights 6:3:1 is 600/300/100; a cap of 400 on the first sends 200 to the others 3:1.
    result = water_fill(1000, [6, 3, 1], [400, None, None])
    assert result.allocations.tolist() == [400, 450, 150]
    assert result.leftover == 0
    # The second round pushes the second over its cap too: a third round.
    result = water_fill(1000, [6, 3, 1], [400, 420, None])
    assert result.allocations.tolist() == [400, 420, 180]
    assert result.rounds == 3


def test_water_fill_leaves_what_nobody_can_take():
    result = water_fill(1000, [1, 1], [100, 200])
    assert result.allocations.tolist() == [100, 200]
    assert result.leftover == 700


caps_st = st.one_of(st.none(), st.integers(min_value=0, max_value=10**7))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), total=st.integers(min_value=0, max_value=10**9))
def test_water_fill_properties(data, total):
    n = data.draw(st.integers(min_value=1, max_value=30))
    weights = data.draw(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=n, max_size=n))
    if sum(weights) == 0:
        weights[0] = 1.0
    caps = data.draw(st.lists(caps_st, min_size=n, max_size=n))
    result = water_fill(total, weights, caps)
    alloc = result.allocations
    # Nobody over cap; total preserved; nothing negative.
    assert all(c is None or a <= c for a, c in zip(alloc.tolist(), caps, strict=True))
    assert int(alloc.sum()) + result.leftover == total
    assert (alloc >= 0).all()
    assert result.leftover >= 0
    # Something is left over only when every recipient with weight is at their cap.
    if result.leftover:
        assert all(c is not None and a == c for a, c, w in zip(alloc.tolist(), caps, weights, strict=True) if w > 0)
    # Nobody under their cap loses against the plain proportional split (to the rounding cent).
    before = largest_remainder(total, weights) if total else np.zeros(n, dtype=np.int64)
    for a, b, c in zip(alloc.tolist(), before.tolist(), caps, strict=True):
        if c is None or a < c:
            assert a >= b - 1
    # Order-independent.
    order = data.draw(st.permutations(range(n)))
    keys = list(range(n))
    again = water_fill(total, [weights[i] for i in order], [caps[i] for i in order], [keys[i] for i in order])
    assert dict(zip([keys[i] for i in order], again.allocations.tolist(), strict=True)) == dict(
        zip(keys, alloc.tolist(), strict=True)
    )


# --- fees --------------------------------------------------------------------------------------


def test_fee_is_marginal_like_tax_brackets():
    # 30 % of the first 10,000 cents, 20 % of the next 90,000, 10 % above.
    assert fee_for(5_000, TIERS) == 1_500
    assert fee_for(10_000, TIERS) == 3_000
    assert fee_for(50_000, TIERS) == 3_000 + 8_000
    assert fee_for(200_000, TIERS) == 3_000 + 18_000 + 10_000
    assert fee_for(0, TIERS) == 0
    assert fee_for(3, TIERS) == 0  # 0.9 cents rounds down
    _fees, tiers = fees_for(np.array([5_000, 10_001, 100_001]), TIERS)
    assert tiers.tolist() == [0, 1, 2]


def test_fee_tiers_are_validated():
    with pytest.raises(ValueError, match="start at 0"):
        validate_tiers([(100, 1000)])
    with pytest.raises(ValueError, match="increase"):
        validate_tiers([(0, 1000), (0, 500)])
    with pytest.raises(ValueError, match="basis points"):
        validate_tiers([(0, 10_001)])


tiers_st = st.lists(
    st.tuples(st.integers(min_value=1, max_value=10**7), st.integers(min_value=0, max_value=10_000)), max_size=5
).map(lambda rest: [(0, 5000), *sorted(dict(rest).items())])


@settings(max_examples=300, deadline=None)
@given(tiers=tiers_st, gross=st.integers(min_value=0, max_value=10**9), more=st.integers(min_value=0, max_value=10**7))
def test_growing_never_earns_less_after_fees(tiers, gross, more):
    net = gross - fee_for(gross, tiers)
    net_more = gross + more - fee_for(gross + more, tiers)
    assert net_more >= net
    assert 0 <= fee_for(gross, tiers) <= gross


# --- the whole split ---------------------------------------------------------------------------


def test_split_on_a_hand_made_case():
    split = split_pool(pool_cents=100_000, value_units=[3, 1], caps=[None, 5_000], keys=[1, 2], fee_tiers=TIERS,
                       min_margin_bp=0, reserve_rate_bp=1000)  # fmt: skip
    # 75,000 / 25,000 by value, the second capped at 5,000: the first takes the other 20,000.
    assert split.gross.tolist() == [95_000, 5_000]
    assert split.fee.tolist() == [3_000 + 17_000, 1_500]
    assert split.reserve.tolist() == [7_500, 350]
    assert split.net.tolist() == [67_500, 3_150]
    assert split.carried_forward == 0


def test_margin_guardrail_tops_fees_up_in_proportion_to_what_creators_keep():
    split = split_pool(pool_cents=10_000, value_units=[1, 1], caps=[None, None], keys=[1, 2],
                       fee_tiers=[(0, 500)], min_margin_bp=1500, reserve_rate_bp=0)  # fmt: skip
    # Tiers take 5 % (250 each); the guardrail wants 15 % = 1,500: 1,000 more, 500 from each.
    assert split.fee.tolist() == [250, 250]
    assert split.margin_adjustment.tolist() == [500, 500]
    assert split.platform_fees == 1_500
    assert split.net.tolist() == [4_250, 4_250]


def test_waived_fee_is_zero_for_that_creator():
    split = split_pool(pool_cents=1_000, value_units=[1, 1], caps=[None, None], keys=[1, 2], fee_tiers=TIERS,
                       fee_waived=[True, False])  # fmt: skip
    assert split.fee.tolist() == [0, 150]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), pool=st.integers(min_value=0, max_value=10**11), tiers=tiers_st,
       margin=st.integers(min_value=0, max_value=9_999), reserve=st.integers(min_value=0, max_value=9_999))  # fmt: skip
def test_split_accounts_for_every_cent_of_the_pool(data, pool, tiers, margin, reserve):
    n = data.draw(st.integers(min_value=1, max_value=25))
    values = data.draw(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=n, max_size=n))
    if sum(values) == 0:
        values[0] = 1.0
    caps = data.draw(st.lists(caps_st, min_size=n, max_size=n))
    split = split_pool(pool_cents=pool, value_units=values, caps=caps, keys=list(range(n)), fee_tiers=tiers,
                       min_margin_bp=margin, reserve_rate_bp=reserve)  # fmt: skip
    assert int(split.net.sum()) + split.platform_fees + int(split.reserve.sum()) + split.carried_forward == pool
    assert (split.gross == split.fee + split.margin_adjustment + split.reserve + split.net).all()
    for part in (split.gross, split.fee, split.margin_adjustment, split.reserve, split.net):
        assert (part >= 0).all()
    allocated = int(split.gross.sum())
    assert split.platform_fees * 10_000 >= allocated * margin
