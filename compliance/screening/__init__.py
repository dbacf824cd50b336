"""Sanctions and PEP name screening: who on the loaded lists a name (and its aliases) may be.

Public interface for the rest of the product: ``name_screen`` and ``ScreeningMatch``. Lists get into
the database with ``manage.py load_sanctions`` (compliance/screening/services.py); matching is an
in-process index over the active list of each kind (compliance/screening/index.py, where the choice
of index and score is explained). The line above which a score counts as a hit is a setting per
list kind, ``SANCTIONS_MATCH_LINE`` and ``PEP_MATCH_LINE``, calibrated by benchmarks/screening.py.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from .index import IndexedName, ScreeningIndex
from .normalize import name_normalize

# Matches below this score are not reported at all: at that level every common name "matches".
REPORTED_FLOOR = 0.5

LIST_KINDS = ("sanctions", "pep")


@dataclass(frozen=True)
class ScreeningMatch:
    list_kind: str  # "sanctions" or "pep"
    entry_id: int  # SanctionsEntry pk
    ent_num: int
    entry_name: str  # the entry's primary name
    matched_name: str  # the name or alias that matched
    name_kind: str  # primary / aka / fka / nka
    score: float  # 0..1
    over_line: bool  # score >= the configured line for that list kind


def match_line(kind: str) -> float:
    """The configured line for a list kind (a score at or above it is a hit)."""
    if kind not in LIST_KINDS:
        raise ValueError(f"unknown list kind {kind!r}; expected one of {', '.join(LIST_KINDS)}")
    return float(settings.SANCTIONS_MATCH_LINE if kind == "sanctions" else settings.PEP_MATCH_LINE)


_indexes: dict[str, tuple[tuple[int, str], ScreeningIndex]] = {}
_lock = threading.Lock()


def _index_build(list_id: int) -> ScreeningIndex:
    from compliance.models import SanctionsName

    rows = SanctionsName.objects.filter(entry__listing_id=list_id).order_by("id").values_list(
        "id", "entry_id", "entry__ent_num", "entry__name", "name", "kind", "entry__party_type", "tokens",
        "blocking_keys",
    )  # fmt: skip
    names, tokens, keys = [], [], []
    # One plain fetch (about 21,000 small rows for the SDN list): a server-side cursor here costs
    # PostgreSQL a first-rows plan that is twenty times slower.
    for name_id, entry_id, ent_num, entry_name, name, kind, party_type, name_tokens, name_keys in list(rows):
        names.append(IndexedName(name_id, entry_id, ent_num, entry_name, name, kind, party_type))
        tokens.append(tuple(name_tokens))
        keys.append(tuple(name_keys))
    return ScreeningIndex(names, tokens, keys)


def screening_index(kind: str) -> ScreeningIndex | None:
    """The index of the active list of ``kind``, rebuilt when another version became active; None if none.

    One small query per call tells whether the cached index is still the active version, so every
    process (web, worker, shell) follows a new load without being told.
    """
    from compliance.models import SanctionsList

    version = SanctionsList.objects.filter(kind=kind, active=True).values_list("id", "content_hash").first()
    if version is None:
        return None
    cached = _indexes.get(kind)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _indexes.get(kind)
        if cached is None or cached[0] != version:
            _indexes[kind] = (version, _index_build(version[0]))
        return _indexes[kind][1]


def screening_index_forget() -> None:
    """Drop every cached index (the next screen rebuilds); the loader calls it after a new version."""
    with _lock:
        _indexes.clear()


def name_screen(
    *,
    name: str,
    aliases: Sequence[str] = (),
    kinds: Sequence[str] = LIST_KINDS,
    limit: int = 5,
    party_types: Sequence[str] | None = ("individual",),
) -> list[ScreeningMatch]:
    """Listed parties that ``name`` or one of its ``aliases`` may be, best first, one per entry.

    Every list kind in ``kinds`` with an active list is searched; ``party_types`` None searches
    entities, vessels and aircraft too. Empty when no list is loaded or nothing scores above
    REPORTED_FLOOR. ``over_line`` compares each score with that list kind's configured line.
    """
    queries = [name_normalize(text).tokens for text in (name, *aliases) if text]
    queries = list(dict.fromkeys(q for q in queries if q))
    allowed = set(party_types) if party_types is not None else None
    matches: list[ScreeningMatch] = []
    for kind in dict.fromkeys(kinds):
        line = match_line(kind)
        index = screening_index(kind)
        if index is None:
            continue
        best: dict[int, ScreeningMatch] = {}
        for tokens in queries:
            for hit in index.search(tokens, limit=limit, party_types=allowed, floor=REPORTED_FLOOR):
                current = best.get(hit.name.entry_id)
                if current is None or hit.score > current.score:
                    n = hit.name
                    score = round(hit.score, 6)
                    best[n.entry_id] = ScreeningMatch(
                        list_kind=kind, entry_id=n.entry_id, ent_num=n.ent_num, entry_name=n.entry_name,
                        matched_name=n.matched_name, name_kind=n.name_kind, score=score, over_line=score >= line,
                    )  # fmt: skip
        matches.extend(best.values())
    matches.sort(key=lambda m: (-m.score, m.list_kind, m.ent_num))
    return matches[:limit]
