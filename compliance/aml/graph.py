"""Patterns over the gift graph: accounts are nodes, allowed and held gifts are edges.

Two ways in. ``cycle_closed_by`` answers, in real time, "does this new gift close a cycle of recent
gifts?" with a bounded breadth-first walk, one indexed query per step. ``cycles_find`` scans an
edge list held in memory (a periodic scan, the benchmark) for every simple cycle of bounded length,
in the manner of Johnson's algorithm: each cycle is found once, from its lowest-numbered account,
walking only through higher-numbered ones. ``cycles_in_windows`` applies it to overlapping time
windows so that a cycle counts only when its gifts fall close together in time.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

COUNTED = ("allow", "hold")  # gifts that move (or may yet move) money


def cycle_closed_by(
    *,
    sender_id: int,
    receiver_user_id: int,
    since: datetime,
    until: datetime,
    max_length: int,
    min_cents: int,
    frontier_cap: int,
) -> list[int] | None:
    """The shortest cycle that a gift from ``sender_id`` to ``receiver_user_id`` would close.

    Returns the accounts in gift order, starting and ending with the sender (``[A, B, A]`` for
    A->B->A), or None. Walks forward from the receiver over gifts of at least ``min_cents`` made
    in [since, until], for at most ``max_length - 1`` steps, looking for the sender.
    """
    from compliance.models import GiftRequest

    if receiver_user_id == sender_id:
        return [sender_id, sender_id]
    parent: dict[int, int | None] = {receiver_user_id: None}
    frontier = [receiver_user_id]
    for _ in range(max_length - 1):
        if not frontier or len(frontier) > frontier_cap:
            return None  # nothing more to walk, or too popular a neighbourhood to walk in real time
        edges = (
            GiftRequest.objects.filter(
                sender_id__in=frontier,
                created_at__gte=since,
                created_at__lte=until,
                decision__in=COUNTED,
                amount_cents__gte=min_cents,
            )
            .values_list("sender_id", "receiver_user_id")
            .distinct()
        )
        next_frontier = []
        for source, target in edges:
            if target == sender_id:
                chain = [source]
                while (up := parent[chain[-1]]) is not None:
                    chain.append(up)
                return [sender_id, *reversed(chain), sender_id]
            if target not in parent:
                parent[target] = source
                next_frontier.append(target)
        frontier = next_frontier
    return None


@dataclass(frozen=True)
class Cycle:
    accounts: tuple[int, ...]  # in gift order, the lowest-numbered account first, not repeated

    @property
    def length(self) -> int:
        return len(self.accounts)


def cycles_find(edges: Iterable[tuple[int, int]], *, max_length: int, limit: int | None = None) -> list[Cycle]:
    """Every simple cycle of 2 to ``max_length`` accounts in a directed graph given as edges.

    Parallel edges count once. From each account ``s`` in turn, a depth-first walk of at most
    ``max_length`` accounts visits only accounts numbered above ``s`` and reports a cycle when an
    edge leads back to ``s``; so each cycle is reported exactly once. Before walking, accounts that
    cannot be on any cycle (no gift in, or no gift out) are peeled away repeatedly, which leaves
    the much smaller core of a sparse gift graph.
    """
    adjacency = _adjacency(edges)
    adjacency = _peel(adjacency)
    found: list[Cycle] = []
    for start in sorted(adjacency):
        path = [start]
        on_path = {start}
        iterators = [iter(adjacency[start])]
        while iterators:
            target = next(iterators[-1], None)
            if target is None:
                iterators.pop()
                on_path.discard(path.pop())
                continue
            if target == start:
                found.append(Cycle(tuple(path)))
                if limit is not None and len(found) >= limit:
                    return found
                continue
            if target < start or target in on_path or len(path) >= max_length or target not in adjacency:
                continue
            path.append(target)
            on_path.add(target)
            iterators.append(iter(adjacency[target]))
    return found


def _adjacency(edges: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    pairs = np.asarray(list(edges) if not isinstance(edges, np.ndarray) else edges, dtype=np.int64).reshape(-1, 2)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not len(pairs):
        return {}
    pairs = np.unique(pairs, axis=0)  # sorted by source, then target
    sources, starts = np.unique(pairs[:, 0], return_index=True)
    targets = pairs[:, 1].tolist()
    bounds = [*starts.tolist(), len(pairs)]
    return {int(s): targets[bounds[i] : bounds[i + 1]] for i, s in enumerate(sources.tolist())}


def _peel(adjacency: dict[int, list[int]]) -> dict[int, list[int]]:
    """Drop accounts with no gift in or no gift out within the graph, until none is left to drop."""
    alive = set(adjacency)
    while True:
        has_in = {t for s in alive for t in adjacency[s] if t in alive}
        keep = alive & has_in
        keep = {s for s in keep if any(t in keep for t in adjacency[s])}
        if keep == alive:
            break
        alive = keep
    return {s: [t for t in adjacency[s] if t in alive] for s in sorted(alive)}


def cycles_in_windows(
    gifts: Sequence[tuple[int, int, float]] | np.ndarray, *, max_length: int, window_seconds: float
) -> list[Cycle]:
    """Cycles whose gifts all fall within ``window_seconds`` of each other.

    ``gifts`` are (sender, receiver, epoch seconds). The timeline is cut into windows of
    ``window_seconds`` that overlap by half, and each window's graph is searched on its own: a
    cycle whose gifts span at most half a window is certain to be found, one spanning up to a whole
    window may be. A cycle found in two windows is reported once.
    """
    data = np.asarray(gifts, dtype=np.float64).reshape(-1, 3)
    if not len(data):
        return []
    order = np.argsort(data[:, 2], kind="stable")
    data = data[order]
    times = data[:, 2]
    pairs = data[:, :2].astype(np.int64)
    step = window_seconds / 2
    seen: set[tuple[int, ...]] = set()
    result: list[Cycle] = []
    start = times[0]
    while start <= times[-1]:
        lo, hi = np.searchsorted(times, [start, start + window_seconds], side="left")
        for cycle in cycles_find(pairs[lo:hi], max_length=max_length):
            if cycle.accounts not in seen:
                seen.add(cycle.accounts)
                result.append(cycle)
        if hi >= len(times):
            break
        start += step
    return result
