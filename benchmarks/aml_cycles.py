"""Cycle detection over a million gifts: time and memory of the gift-graph scan.

Generates a month of gift traffic shaped like the product's: viewers who only send, creators who
mostly receive and now and then gift each other, and planted rings of 2 to 4 creator accounts
passing money round within a few hours. Then runs the scan of ``compliance.aml.graph``:

- ``cycles_in_windows``: every cycle of up to 4 accounts whose gifts fall within 7 days of each
  other (7-day windows overlapping by half), the periodic scan's view;
- ``cycles_find`` over the whole month's graph at once, for comparison.

Prints gifts, distinct edges, cycles found, how many planted rings were found, seconds and the
peak memory of this process, with the machine. No database is involved: the scan works on
(sender, receiver, time) arrays, which is what a scan reads out of the gift table.

    .venv/bin/python benchmarks/aml_cycles.py [--gifts 1000000] [--rings 500] [--max-length 4]
"""

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.machine import describe  # noqa: E402
from compliance.aml.graph import cycles_find, cycles_in_windows  # noqa: E402

DAY = 86_400.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(*, gifts: int, viewers: int, creators: int, rings: int, days: int, seed: int, peer_share: float):
    """(sender, receiver, time) rows, and the planted rings as sets of accounts."""
    rng = np.random.default_rng(seed)
    span = days * DAY
    creator_ids = np.arange(viewers, viewers + creators)
    popularity = 1 / np.arange(1, creators + 1) ** 0.8
    popularity /= popularity.sum()
    ring_sizes = 2 + np.arange(rings) % 3
    ring_gifts = int(ring_sizes.sum()) * 2
    peer_gifts = int(gifts * peer_share)  # creators gifting each other
    fan_gifts = gifts - peer_gifts - ring_gifts
    senders = [rng.integers(0, viewers, fan_gifts), rng.choice(creator_ids, peer_gifts)]
    receivers = [rng.choice(creator_ids, fan_gifts, p=popularity), rng.choice(creator_ids, peer_gifts)]
    times = [rng.uniform(0, span, fan_gifts), rng.uniform(0, span, peer_gifts)]
    planted = []
    next_account = viewers + creators  # ring members are accounts of their own
    for size in ring_sizes.tolist():
        members = np.arange(next_account, next_account + size)
        next_account += size
        start = rng.uniform(0, span - DAY)
        for lap in range(2):
            senders.append(members)
            receivers.append(np.roll(members, -1))
            times.append(start + lap * 6 * 3600 + np.arange(size) * rng.uniform(600, 3600))
        planted.append(frozenset(members.tolist()))
    rows = np.column_stack([np.concatenate(senders).astype(np.float64), np.concatenate(receivers).astype(np.float64),
                            np.concatenate(times)])  # fmt: skip
    return rows, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--viewers", type=int, default=250_000)
    parser.add_argument("--creators", type=int, default=25_000)
    parser.add_argument("--rings", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--max-length", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--peer-share", type=float, default=0.03,
                        help="share of gifts between creators (the part of the graph where cycles can form)")
    args = parser.parse_args()

    print(describe())
    started = time.perf_counter()
    rows, planted = generate(gifts=args.gifts, viewers=args.viewers, creators=args.creators, rings=args.rings,
                             days=args.days, seed=args.seed, peer_share=args.peer_share)  # fmt: skip
    edges = len(np.unique(rows[:, :2].astype(np.int64), axis=0))
    print(f"generated {len(rows):,} gifts over {args.days} days ({edges:,} distinct sender->receiver pairs, "
          f"{args.viewers:,} viewers, {args.creators:,} creators, {args.peer_share:.0%} of gifts between creators, "
          f"{len(planted)} planted rings of 2-4) "
          f"in {time.perf_counter() - started:.1f}s; peak memory {peak_rss_mib():.0f} MiB")  # fmt: skip

    started = time.perf_counter()
    windowed = cycles_in_windows(rows, max_length=args.max_length, window_seconds=args.window_days * DAY)
    seconds = time.perf_counter() - started
    found = {frozenset(c.accounts) for c in windowed}
    hit = sum(ring in found for ring in planted)
    print(f"cycles within {args.window_days:g}-day windows (up to {args.max_length} accounts): {len(windowed):,} "
          f"found, {hit} of {len(planted)} planted rings among them, in {seconds:.2f}s "
          f"({len(rows) / seconds:,.0f} gifts/s); peak memory {peak_rss_mib():.0f} MiB")  # fmt: skip

    started = time.perf_counter()
    whole = cycles_find(rows[:, :2].astype(np.int64), max_length=args.max_length)
    seconds = time.perf_counter() - started
    found = {frozenset(c.accounts) for c in whole}
    print(f"cycles in the whole {args.days}-day graph at once: {len(whole):,} found, "
          f"{sum(ring in found for ring in planted)} of {len(planted)} planted rings, in {seconds:.2f}s; "
          f"peak memory {peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
