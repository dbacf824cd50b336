"""Each laundering typology on a hand-made gift graph: circles, fan-in, fan-out, layering, smurfing."""

from datetime import timedelta

import pytest

from compliance.aml.graph import Cycle, cycles_find, cycles_in_windows
from tests.compliance.aml_support import NOW, account, ask, creator, past_gift, rules_of

pytestmark = pytest.mark.django_db


def _ring(n: int):
    """n creators; returns their profiles (each creator's account can send gifts too)."""
    return [creator(age_days=200) for _ in range(n)]


def test_a_gift_back_to_the_account_that_just_gifted_you_closes_a_circle():
    a, b = _ring(2)
    past_gift(a.user, b, 20_000, at=NOW - timedelta(hours=3))

    gift = ask(b.user, a, 10_000)

    assert "graph.cycle" in rules_of(gift)
    assert gift.decision == "hold"
    reason = next(h for h in gift.rule_hits if h["rule"] == "graph.cycle")["reason"]
    assert "A to B and back to A" in reason


@pytest.mark.parametrize("length", [3, 4])
def test_longer_circles_are_found(length):
    ring = _ring(length)
    for i in range(length - 1):
        past_gift(ring[i].user, ring[i + 1], 15_000, at=NOW - timedelta(hours=length - i))

    gift = ask(ring[-1].user, ring[0], 15_000)

    assert "graph.cycle" in rules_of(gift)
    assert f"a circle through {length} accounts" in next(h for h in gift.rule_hits if h["rule"] == "graph.cycle")[
        "reason"]  # fmt: skip


def test_a_circle_longer_than_configured_is_not_reported():
    ring = _ring(5)
    for i in range(4):
        past_gift(ring[i].user, ring[i + 1], 15_000, at=NOW - timedelta(hours=5 - i))

    assert "graph.cycle" not in rules_of(ask(ring[-1].user, ring[0], 15_000))


def test_a_circle_spread_beyond_the_time_window_is_not_reported():
    a, b = _ring(2)
    past_gift(a.user, b, 20_000, at=NOW - timedelta(days=8))

    assert "graph.cycle" not in rules_of(ask(b.user, a, 20_000))


def test_small_gifts_do_not_make_a_circle():
    a, b = _ring(2)
    past_gift(a.user, b, 300, at=NOW - timedelta(hours=1))

    assert "graph.cycle" not in rules_of(ask(b.user, a, 300))


def test_blocked_gifts_are_not_part_of_a_circle():
    a, b = _ring(2)
    past_gift(a.user, b, 20_000, at=NOW - timedelta(hours=1), decision="block")

    assert "graph.cycle" not in rules_of(ask(b.user, a, 20_000))


def test_many_new_accounts_gifting_one_creator_is_fan_in():
    mule = creator(age_days=200)
    for n in range(7):
        past_gift(account(age_days=2), mule, 4_000, at=NOW - timedelta(minutes=30 + n), device=f"d{n}",
                  ip=f"90.1.{n}.2")  # fmt: skip

    gift = ask(account(age_days=1), mule, 4_000)

    assert "graph.fan_in" in rules_of(gift)
    alert_hit = next(h for h in gift.rule_hits if h["rule"] == "graph.fan_in")
    assert alert_hit["party"] == "receiver"


def test_many_established_fans_gifting_one_creator_is_not_fan_in():
    star = creator(age_days=200)
    for n in range(20):
        past_gift(account(age_days=300), star, 500, at=NOW - timedelta(minutes=30 + n), device=f"d{n}")

    assert "graph.fan_in" not in rules_of(ask(account(age_days=300), star, 500))


def test_one_account_gifting_many_creators_is_fan_out():
    sender = account(age_days=60)
    for n in range(9):
        past_gift(sender, creator(), 1_000, at=NOW - timedelta(hours=n + 1))

    gift = ask(sender, creator(), 1_000)

    assert "graph.fan_out" in rules_of(gift)


def test_sending_on_most_of_what_just_arrived_is_layering():
    mule = creator(age_days=200)
    for n in range(3):
        past_gift(account(age_days=60), mule, 15_000, at=NOW - timedelta(hours=5 - n))
    past_gift(mule.user, creator(), 20_000, at=NOW - timedelta(hours=1))

    gift = ask(mule.user, creator(), 15_000)

    assert "graph.layering" in rules_of(gift)
    assert gift.decision in {"hold", "block"}


def test_a_creator_spending_a_little_of_their_gifts_is_not_layering():
    creator_profile = creator(age_days=200)
    past_gift(account(age_days=60), creator_profile, 45_000, at=NOW - timedelta(hours=3))

    assert "graph.layering" not in rules_of(ask(creator_profile.user, creator(), 2_000))


def test_repeated_gifts_just_under_100_dollars_from_one_account_are_smurfing():
    sender, receiver = account(age_days=60), creator()
    past_gift(sender, receiver, 9_900, at=NOW - timedelta(hours=3))
    past_gift(sender, receiver, 9_500, at=NOW - timedelta(hours=2))

    gift = ask(sender, receiver, 9_800)

    assert "smurfing.sender" in rules_of(gift)


def test_many_accounts_sending_just_under_100_dollars_to_one_creator_is_smurfing():
    receiver = creator()
    for n in range(5):
        past_gift(account(age_days=60), receiver, 9_900, at=NOW - timedelta(hours=n + 1), device=f"s{n}")

    gift = ask(account(age_days=60), receiver, 9_700)

    assert "smurfing.receiver" in rules_of(gift)


def test_many_small_gifts_up_to_just_under_the_daily_limit_are_smurfing():
    sender, receiver = account(age_days=2), creator()
    for n in range(4):
        past_gift(sender, receiver, 11_000, at=NOW - timedelta(hours=n + 1))

    gift = ask(sender, receiver, 2_000)

    assert "smurfing.near_limit" in rules_of(gift)
    assert gift.decision != "block"


def test_ordinary_gifting_fires_no_rule():
    sender, receiver = account(age_days=120), creator()
    past_gift(sender, receiver, 500, at=NOW - timedelta(days=1, hours=2))

    gift = ask(sender, receiver, 1_000, country="GB")

    assert gift.rule_hits == []
    assert gift.decision == "allow"
    assert gift.risk_score == 0


# --- The in-memory scan -------------------------------------------------------------------------
def test_the_scan_finds_each_circle_once_from_its_lowest_account():
    edges = [(1, 2), (2, 1), (2, 3), (3, 4), (4, 2), (5, 6), (6, 7), (7, 8), (8, 9), (9, 5), (10, 11)]

    cycles = cycles_find(edges, max_length=4)

    assert sorted(c.accounts for c in cycles) == [(1, 2), (2, 3, 4)]


def test_the_scan_counts_parallel_gifts_once_and_ignores_self_loops():
    assert cycles_find([(1, 2), (1, 2), (2, 1), (3, 3)], max_length=4) == [Cycle((1, 2))]


def test_the_scan_finds_circles_sharing_accounts():
    edges = [(1, 2), (2, 3), (3, 1), (2, 1), (3, 2)]

    assert sorted(c.accounts for c in cycles_find(edges, max_length=3)) == [(1, 2), (1, 2, 3), (2, 3)]


def test_the_windowed_scan_only_reports_circles_whose_gifts_are_close_in_time():
    day = 86_400.0
    gifts = [(1, 2, 0.0), (2, 1, 3_600.0),  # a quick round trip
             (3, 4, 0.0), (4, 3, 20 * day),  # twenty days apart
             (5, 6, 10 * day), (6, 7, 10 * day + 60), (7, 5, 11 * day)]  # fmt: skip

    cycles = cycles_in_windows(gifts, max_length=4, window_seconds=7 * day)

    assert sorted(c.accounts for c in cycles) == [(1, 2), (5, 6, 7)]
