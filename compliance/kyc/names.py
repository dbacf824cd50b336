"""Comparing personal names the way a reviewer would: ignoring accents, case, punctuation and order.

``name_similarity`` folds both names to lower-case ASCII letters (``Müller`` -> ``muller``, ``ß`` ->
``ss``), sorts their tokens and compares the sorted strings with Jaro-Winkler. A name that is the
other with a middle name left out ("Anna Eriksson" against "Anna Maria Eriksson") scores
``SUBSET_SCORE``. Small and dependency-free on purpose: every score can be recomputed by hand.
"""

import unicodedata

# Letters that Unicode does not decompose into a base letter plus an accent.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d",
     "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "\u0131": "i"}
)  # fmt: skip
SUBSET_SCORE = 0.95


def name_fold(name: str) -> str:
    """Lower-case ASCII letters and single spaces; accents dropped, anything else a separator."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPECIAL_LETTERS))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c.lower() if c.isascii() and c.isalpha() else " " for c in letters)
    return " ".join(cleaned.split())


def name_tokens(name: str) -> list[str]:
    return sorted(name_fold(name).split())


def jaro_winkler(a: str, b: str, *, prefix_weight: float = 0.1) -> float:
    """Jaro-Winkler similarity, 0 (nothing alike) to 1 (identical)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    a_matched = [False] * len(a)
    b_matched = [False] * len(b)
    matches = 0
    for i, ca in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_matched[j] and b[j] == ca:
                a_matched[i] = b_matched[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    a_seq = [c for c, m in zip(a, a_matched, strict=True) if m]
    b_seq = [c for c, m in zip(b, b_matched, strict=True) if m]
    transpositions = sum(x != y for x, y in zip(a_seq, b_seq, strict=True)) / 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_weight * (1 - jaro)


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
