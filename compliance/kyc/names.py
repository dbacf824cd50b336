"""Comparing personal names the way a reviewer would: ignoring accents, case, punctuation and order.

``name_similarity`` folds both names the way sanctions screening does (``Müller`` -> ``muller``,
``ß`` -> ``ss``; ``compliance.screening.normalize.name_fold``), sorts their tokens and compares the
sorted strings with Jaro-Winkler (rapidfuzz). A name that is the other with a middle name left out
("Anna Eriksson" against "Anna Maria Eriksson") scores ``SUBSET_SCORE``.
"""

from rapidfuzz.distance import JaroWinkler

from compliance.screening.normalize import name_fold

__all__ = ["SUBSET_SCORE", "jaro_winkler", "name_fold", "name_similarity", "name_tokens"]

SUBSET_SCORE = 0.95


def name_tokens(name: str) -> list[str]:
    return sorted(name_fold(name).split())


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity, 0 (nothing alike) to 1 (identical); prefix weight 0.1, prefix up to 4."""
    return JaroWinkler.similarity(a, b)


def name_similarity(a: str, b: str) -> float:
    """How alike two personal names are, 0 to 1, insensitive to accents, case and word order."""
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return 0.0
    score = jaro_winkler(" ".join(ta), " ".join(tb))
    shorter, longer = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(shorter) >= 2 and set(shorter) < set(longer):
        score = max(score, SUBSET_SCORE)
    return round(score, 4)
