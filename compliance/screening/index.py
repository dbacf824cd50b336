"""The in-process screening index of one loaded list, and the token-wise score it ranks by.

Why in process, and not trigram blocking in PostgreSQL: the list is small (about 21,000 names and
10,000 distinct tokens for the whole SDN list, a few MiB of arrays), changes a few times a month,
and must be screened in milliseconds on SQLite as on PostgreSQL. Jaro-Winkler is not a metric a
database index understands, and pg_trgm blocking misses exactly the short, typo'd tokens that
matter ("mohamad" vs "muhammad" share few trigrams). So each process builds the index once from
the stored tokens (about half a second) and rebuilds it when a new list version becomes active.

How a name is screened:

1. Its tokens are compared with the list's vocabulary of distinct tokens (Jaro-Winkler in C, from
   rapidfuzz; about 0.5 ms per query token), with a penalty when lengths differ (so "smith" is
   not "smithfield") and a floor below which a pair counts as no match at all.
2. Blocking: only names filed (``SanctionsName.blocking_keys``) under a vocabulary token close to a
   query token are candidates; particles such as "al" or "bin" and legal forms such as "ltd"
   never make a candidate alone.
3. For every candidate, numpy computes an upper bound of the score (each token takes its best
   partner, partners may repeat). Candidates are then scored exactly, best bound first, with a
   one-to-one pairing of tokens, until no remaining bound can enter the top results.

The score (0..1) of a query against one listed name, in the spirit of moov-io/watchman:
``QUERY_WEIGHT * query coverage + (1 - QUERY_WEIGHT) * name coverage``, where query coverage is
the weighted mean over the query's tokens of the similarity of its partner in the listed name and
name coverage the same over the listed name's tokens. Order does not matter; particles, legal
forms and initials weigh less; a listed name with tokens the query lacks, or the reverse, loses score.
"""

from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from .normalize import COMPANY_FORMS, PARTICLES

LIGHT_TOKENS = PARTICLES | COMPANY_FORMS

# Tuned on perturbed SDN names against ordinary names (benchmarks/screening.py).
QUERY_WEIGHT = 0.6
LIGHT_TOKEN_WEIGHT = 0.3  # particles, legal forms and one-letter initials
LENGTH_RATIO_CUTOFF = 0.9  # below this ratio of the shorter token to the longer, similarity is penalised
LENGTH_PENALTY = 0.5  # similarity *= 1 - LENGTH_PENALTY * (1 - ratio)
TOKEN_FLOOR = 0.7  # token pairs below this similarity count as unrelated (0)
BLOCKING_FLOOR = 0.8  # a listed token this close to a query token makes its names candidates
TOKEN_CACHE_SIZE = 50_000  # query tokens whose similarity rows an index keeps


def token_weight(token: str) -> float:
    return LIGHT_TOKEN_WEIGHT if token in LIGHT_TOKENS or len(token) == 1 else 1.0


def token_similarity(a: str, b: str) -> float:
    """Jaro-Winkler with the length penalty and floor; the scalar twin of ``_similarities``."""
    if a == b:
        return 1.0
    ratio = min(len(a), len(b)) / max(len(a), len(b))
    sim = JaroWinkler.similarity(a, b)
    if ratio < LENGTH_RATIO_CUTOFF:
        sim *= 1 - LENGTH_PENALTY * (1 - ratio)
    return sim if sim >= TOKEN_FLOOR else 0.0


def _pairing(sims: list[list[float]]) -> tuple[list[float], list[float]]:
    """Greedy one-to-one pairing, best pair first: each side's token gets at most one partner."""
    pairs = sorted(((s, i, j) for i, row in enumerate(sims) for j, s in enumerate(row) if s > 0.0), reverse=True)
    rows = [0.0] * len(sims)
    cols = [0.0] * (len(sims[0]) if sims else 0)
    used_i: set[int] = set()
    used_j: set[int] = set()
    for s, i, j in pairs:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            rows[i] = cols[j] = s
    return rows, cols


def name_score(query_tokens: tuple[str, ...], listed_tokens: tuple[str, ...]) -> float:
    """The score of a query against one listed name, from their tokens (see the module docstring)."""
    if not query_tokens or not listed_tokens:
        return 0.0
    sims = [[token_similarity(q, t) for t in listed_tokens] for q in query_tokens]
    return _combine(sims, [token_weight(q) for q in query_tokens], [token_weight(t) for t in listed_tokens])


def _combine(sims: list[list[float]], q_weights: list[float], t_weights: list[float]) -> float:
    rows, cols = _pairing(sims)
    query_cover = sum(w * s for w, s in zip(q_weights, rows, strict=True)) / sum(q_weights)
    name_cover = sum(w * s for w, s in zip(t_weights, cols, strict=True)) / sum(t_weights)
    return QUERY_WEIGHT * query_cover + (1 - QUERY_WEIGHT) * name_cover


@dataclass(frozen=True)
class IndexedName:
    name_id: int
    entry_id: int
    ent_num: int
    entry_name: str
    matched_name: str
    name_kind: str
    party_type: str


@dataclass(frozen=True)
class Hit:
    name: IndexedName
    score: float


class ScreeningIndex:
    """Every name of one list version, as arrays over a shared token vocabulary."""

    def __init__(self, names: list[IndexedName], tokens: list[tuple[str, ...]], keys: list[tuple[str, ...]]):
        self.names = names
        vocab: dict[str, int] = {}
        self.row_tokens: list[tuple[int, ...]] = [tuple(vocab.setdefault(t, len(vocab)) for t in ts) for ts in tokens]
        self.vocab = list(vocab)
        self.vocab_lengths = np.array([len(t) for t in self.vocab], dtype=np.float32)
        self.vocab_weights = np.array([token_weight(t) for t in self.vocab], dtype=np.float32)
        # CSR of names x vocabulary (a name's token ids, repeats kept: "abd al abd" weighs both).
        lengths = np.array([len(ts) for ts in self.row_tokens], dtype=np.int64)
        self.indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        self.indices = np.fromiter((v for ts in self.row_tokens for v in ts), dtype=np.int64, count=int(lengths.sum()))
        row_of_token = np.repeat(np.arange(len(names)), lengths)
        self.row_weight_sums = np.bincount(row_of_token, self.vocab_weights[self.indices], minlength=len(names))
        # Postings: for each vocabulary token, the rows filed under it (blocking keys only).
        key_rows: list[list[int]] = [[] for _ in self.vocab]
        for row, row_keys in enumerate(keys):
            for key in row_keys:
                if key in vocab:
                    key_rows[vocab[key]].append(row)
        self.postings = [np.array(rows, dtype=np.int64) for rows in key_rows]
        self.party_types = np.array([n.party_type for n in names], dtype=object)
        self._token_rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.names)

    def _similarities(self, query_tokens: tuple[str, ...]) -> np.ndarray:
        """Query tokens x vocabulary: Jaro-Winkler, length penalty, floor (as ``token_similarity``).

        Each token's row is kept, sparse, for the life of this index: people's names repeat (a batch
        of ten thousand holds a few thousand distinct tokens), and the scan is most of the cost.
        """
        # A local copy: another thread may clear the shared cache while this one reads.
        known = {t: self._token_rows.get(t) for t in query_tokens}
        missing = [t for t, row in known.items() if row is None]
        if missing:
            if len(self._token_rows) + len(missing) > TOKEN_CACHE_SIZE:
                self._token_rows.clear()
            raw = process.cdist(
                missing, self.vocab, scorer=JaroWinkler.similarity, dtype=np.float32, workers=1,
                score_cutoff=TOKEN_FLOOR,
            )  # fmt: skip
            q_lengths = np.array([len(q) for q in missing], dtype=np.float32)[:, None]
            ratio = np.minimum(q_lengths, self.vocab_lengths) / np.maximum(q_lengths, self.vocab_lengths)
            rows = np.where(ratio < LENGTH_RATIO_CUTOFF, raw * (1 - LENGTH_PENALTY * (1 - ratio)), raw)
            rows[rows < TOKEN_FLOOR] = 0.0
            for token, row in zip(missing, rows, strict=True):
                ids = np.flatnonzero(row)
                known[token] = self._token_rows[token] = (ids, row[ids])
        sims = np.zeros((len(query_tokens), len(self.vocab)), dtype=np.float32)
        for i, token in enumerate(query_tokens):
            ids, values = known[token]
            sims[i, ids] = values
        return sims

    def search(
        self, query_tokens: tuple[str, ...], *, limit: int, party_types: set[str] | None, floor: float
    ) -> list[Hit]:
        """The best-scoring names at or above ``floor``, at most ``limit`` distinct entries, best first."""
        if not query_tokens or not self.names:
            return []
        sims = self._similarities(query_tokens)
        q_weights = np.array([token_weight(q) for q in query_tokens], dtype=np.float32)
        blocking = [i for i, q in enumerate(query_tokens) if q not in LIGHT_TOKENS and len(q) > 1] or list(
            range(len(query_tokens)))  # fmt: skip
        near = np.flatnonzero((sims[blocking] >= BLOCKING_FLOOR).any(axis=0))
        if not len(near):
            return []
        rows = np.unique(np.concatenate([self.postings[v] for v in near]))
        if party_types is not None:
            rows = rows[np.isin(self.party_types[rows], list(party_types))]
        if not len(rows):
            return []
        # Upper bounds, vectorised over the candidates' tokens: best partner, repeats allowed.
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        counts = ends - starts
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        flat = np.arange(counts.sum()) - np.repeat(offsets, counts) + np.repeat(starts, counts)
        token_ids = self.indices[flat]
        pair = sims[:, token_ids]  # query tokens x candidates' tokens
        best_per_query = np.maximum.reduceat(pair, offsets, axis=1)  # query tokens x candidates
        query_cover = (q_weights @ best_per_query) / q_weights.sum()
        name_cover = np.add.reduceat(self.vocab_weights[token_ids] * pair.max(axis=0), offsets) / self.row_weight_sums[
            rows]  # fmt: skip
        bounds = QUERY_WEIGHT * query_cover + (1 - QUERY_WEIGHT) * name_cover
        order = np.argsort(-bounds, kind="stable")
        # Exact scores, best bound first, until no bound left can enter the top ``limit`` entries.
        best: dict[int, Hit] = {}
        q_w = q_weights.tolist()
        for position in order:
            bound = float(bounds[position])
            if bound < floor:
                break
            if len(best) >= limit and bound <= min(h.score for h in best.values()):
                break
            row = int(rows[position])
            ids = self.row_tokens[row]
            block = sims[:, list(ids)].tolist()
            score = _combine(block, q_w, self.vocab_weights[list(ids)].tolist())
            if score < floor:
                continue
            name = self.names[row]
            current = best.get(name.entry_id)
            if current is None or score > current.score:
                best[name.entry_id] = Hit(name=name, score=score)
                if len(best) > limit:
                    del best[min(best, key=lambda e: best[e].score)]
        return sorted(best.values(), key=lambda h: (-h.score, h.name.ent_num))
