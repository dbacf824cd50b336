"""Names folded to what matching compares: ASCII-ish lower-case tokens, in no particular order.

The same function runs over the list when it is loaded and over every screened name, so the two
sides always agree. Changing what it does changes what is stored: bump NORMALIZATION_VERSION, which
goes into a list's content hash, so that the next ``load_sanctions`` stores the list again.
"""

import re
import unicodedata
from dataclasses import dataclass

NORMALIZATION_VERSION = 1

# Letters that NFKD does not split into a base letter and a combining mark.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ø": "o", "Ø": "o", "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "\u0131": "i", "þ": "th", "Þ": "th",
        "ħ": "h", "Ħ": "h", "ŀ": "l", "Ŀ": "l",
    }
)  # fmt: skip
# Apostrophes and transliteration marks vanish inside a word: O'Brien, 'Abd, Ma'mun.
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bb\u02bc\u02be\u02bf`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")

# Forms of address and generational suffixes: they say nothing about who a person is.
HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "mx",
        "miss",
        "mister",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "sr",
        "jr",
        "snr",
        "jnr",
        "ii",
        "iii",
        "iv",
    }
)
# Legal forms of companies ("CO., LTD."): kept, but like particles they weigh little and never block,
# because dropping them would also drop real surnames ("Carlos Sá").
COMPANY_FORMS = frozenset(
    {
        "co",
        "ltd",
        "llc",
        "inc",
        "corp",
        "corporation",
        "company",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "lp",
        "llp",
        "pte",
        "pvt",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "oao",
        "zao",
        "ooo",
        "fze",
        "fzco",
        "fzc",
        "sdn",
        "bhd",
    }
)
# Name particles: kept (they are part of the name) but they weigh little and never block alone,
# because thousands of listed names share "al" or "bin".
PARTICLES = frozenset(
    {
        "al",
        "el",
        "ul",
        "bin",
        "ben",
        "ibn",
        "bint",
        "abu",
        "abou",
        "um",
        "umm",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "del",
        "della",
        "di",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "y",
        "e",
    }
)


def name_fold(text: str) -> str:
    """Accents off, lower-case, punctuation to spaces: "AL-ZAWĀHIRĪ, Ayman" -> "al zawahiri ayman"."""
    text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def name_in_reading_order(name: str) -> str:
    """OFAC writes people as "LAST, First"; as people are usually written: "First LAST"."""
    last, comma, first = name.partition(",")
    if not comma or not first.strip():
        return name.strip()
    return f"{first.strip()} {last.strip()}"


@dataclass(frozen=True)
class NormalizedName:
    tokens: tuple[str, ...]  # in reading order, honorifics (and for entities legal forms) removed
    normalized: str  # the tokens sorted and joined by one space: equal for reordered names
    blocking_keys: tuple[str, ...]  # what the screening index files the name under


def name_normalize(name: str, *, individual: bool = True) -> NormalizedName:
    """Tokens for matching; ``individual`` reads "LAST, First" as "First LAST". Honorifics are dropped."""
    if individual:
        name = name_in_reading_order(name)
    words = name_fold(name).split()
    tokens = tuple(w for w in words if w not in HONORIFICS) or tuple(words)
    light = PARTICLES | COMPANY_FORMS
    keys = tuple(sorted({t for t in tokens if t not in light and len(t) > 1})) or tuple(sorted(set(tokens)))
    return NormalizedName(tokens=tokens, normalized=" ".join(sorted(tokens)), blocking_keys=keys)
