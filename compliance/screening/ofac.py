"""Reading and validating lists in OFAC's CSV layout (SDN, ALT, ADD files; no header; "-0-" is empty).

Every row is checked before anything is stored; problems are reported with the file and line, so a
broken download is refused as a whole. PEP lists use the same layout (SDN_Type may then also say
``entity``).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from phonenumbers import SUPPORTED_REGIONS
from phonenumbers.geocoder import _region_display_name

from .normalize import name_fold

EMPTY = "-0-"
SDN_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, ...
ALT_COLUMNS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
ADD_COLUMNS = 6  # ent_num, add_num, address, city/state/postal, country, add_remarks
PARTY_TYPES = {EMPTY: "entity", "": "entity", "entity": "entity", "individual": "individual", "vessel": "vessel",
               "aircraft": "aircraft"}  # fmt: skip
ALT_TYPES = {"aka", "fka", "nka"}
MAX_NAME = 512
MAX_PROGRAMS = 255
MAX_ERRORS = 20

# OFAC's country names where they differ from the ones phonenumbers knows the ISO code of.
_COUNTRY_ALIASES = {
    "burma": "MM", "korea north": "KP", "korea south": "KR", "congo democratic republic of the": "CD",
    "congo republic of the": "CG", "the gambia": "GM", "gambia the": "GM", "bahamas the": "BS",
    "virgin islands british": "VG", "cote d ivoire": "CI", "czech republic": "CZ", "macau": "MO",
    "palestinian": "PS", "west bank": "PS", "region gaza": "PS", "region crimea": "UA", "russia": "RU",
    "iran": "IR", "syria": "SY", "venezuela": "VE", "vietnam": "VN", "laos": "LA", "moldova": "MD",
    "tanzania": "TZ", "bolivia": "BO", "brunei": "BN", "taiwan": "TW", "netherlands antilles": "CW",
    "kosovo": "XK", "turkey": "TR", "united states": "US", "hong kong": "HK",
}  # fmt: skip


def _country_key(name: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


_COUNTRIES = {_country_key(_region_display_name(code, "en")): code for code in SUPPORTED_REGIONS}
_COUNTRIES.update(_COUNTRY_ALIASES)


def country_code(name: str) -> str | None:
    """ISO 3166 alpha-2 code for an OFAC country name, None for regions and "undetermined"."""
    return _COUNTRIES.get(_country_key(name))


class ListFileError(ValueError):
    """One or more rows of a list file are unusable; ``problems`` holds "file line N: what" lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f"\n... and more (first {MAX_ERRORS} shown)" if len(problems) >= MAX_ERRORS else ""
        super().__init__("\n".join(problems) + more)


@dataclass
class ListedName:
    kind: str  # primary / aka / fka / nka
    name: str


@dataclass
class ListedParty:
    ent_num: int
    name: str
    party_type: str
    programs: str
    remarks: str
    aliases: list[ListedName] = field(default_factory=list)
    countries: set[str] = field(default_factory=set)


@dataclass
class ParsedList:
    parties: dict[int, ListedParty]
    alias_count: int
    unmapped_countries: set[str]


def _value(text: str) -> str:
    text = text.strip()
    return "" if text == EMPTY else text


def _rows(label: str, data: bytes, columns: int, problems: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each record; wrong width and encoding go to ``problems``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(f"{label} line {line}: not UTF-8 text ({exc.reason})")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{label} line {reader.line_num}: not valid CSV ({exc})")
            return
        start, line = line, reader.line_num + 1
        # Blank lines and the DOS end-of-file mark (Ctrl-Z) that OFAC's files end with.
        if not cells or (len(cells) == 1 and cells[0].strip() in ("", "\x1a")):
            continue
        if len(cells) != columns:
            problems.append(f"{label} line {start}: expected {columns} columns, found {len(cells)}")
            continue
        yield start, cells


def _number(label: str, line: int, column: str, text: str, problems: list[str]) -> int | None:
    text = text.strip()
    if not text.isdigit() or int(text) <= 0:
        problems.append(f"{label} line {line}: {column} must be a positive whole number, not {text!r}")
        return None
    return int(text)


def list_parse(*, sdn: tuple[str, bytes], alt: tuple[str, bytes] | None = None,
               add: tuple[str, bytes] | None = None) -> ParsedList:  # fmt: skip
    """Parse and validate (label, content) of the three files; raise ListFileError listing the problems."""
    problems: list[str] = []
    parties: dict[int, ListedParty] = {}
    label, data = sdn
    for line, cells in _rows(label, data, SDN_COLUMNS, problems):
        ent_num = _number(label, line, "ent_num", cells[0], problems)
        name, party_type = _value(cells[1]), PARTY_TYPES.get(_value(cells[2]).lower())
        if not name:
            problems.append(f"{label} line {line}: the name is empty")
        elif not name_fold(name):
            problems.append(f"{label} line {line}: the name has no letters")
        elif len(name) > MAX_NAME:
            problems.append(f"{label} line {line}: the name is longer than {MAX_NAME} characters")
        if party_type is None:
            problems.append(f"{label} line {line}: unknown SDN_Type {cells[2].strip()!r}")
        programs = _value(cells[3])
        if len(programs) > MAX_PROGRAMS:
            problems.append(f"{label} line {line}: the programs are longer than {MAX_PROGRAMS} characters")
        if ent_num is not None and ent_num in parties:
            problems.append(f"{label} line {line}: ent_num {ent_num} appears twice")
        elif ent_num is not None and name and party_type:
            parties[ent_num] = ListedParty(ent_num, name, party_type, programs, _value(cells[11]))
        if len(problems) >= MAX_ERRORS:
            raise ListFileError(problems)
    if not parties and not problems:
        problems.append(f"{label}: no entries")
    alias_count = 0
    if alt is not None:
        label, data = alt
        for line, cells in _rows(label, data, ALT_COLUMNS, problems):
            ent_num = _number(label, line, "ent_num", cells[0], problems)
            kind, name = _value(cells[2]).lower(), _value(cells[3])
            if kind not in ALT_TYPES:
                problems.append(f"{label} line {line}: unknown alt_type {cells[2].strip()!r}")
            if not name or not name_fold(name):
                problems.append(f"{label} line {line}: the alias is empty or has no letters")
            elif len(name) > MAX_NAME:
                problems.append(f"{label} line {line}: the alias is longer than {MAX_NAME} characters")
            if ent_num is not None and ent_num not in parties:
                problems.append(f"{label} line {line}: ent_num {ent_num} is not in the entries file")
            elif ent_num is not None and kind in ALT_TYPES and name_fold(name) and len(name) <= MAX_NAME:
                parties[ent_num].aliases.append(ListedName(kind, name))
                alias_count += 1
            if len(problems) >= MAX_ERRORS:
                raise ListFileError(problems)
    unmapped: set[str] = set()
    if add is not None:
        label, data = add
        for line, cells in _rows(label, data, ADD_COLUMNS, problems):
            ent_num = _number(label, line, "ent_num", cells[0], problems)
            if ent_num is not None and ent_num not in parties:
                problems.append(f"{label} line {line}: ent_num {ent_num} is not in the entries file")
            elif ent_num is not None and (country := _value(cells[4])):
                code = country_code(country)
                if code:
                    parties[ent_num].countries.add(code)
                else:
                    unmapped.add(country)
            if len(problems) >= MAX_ERRORS:
                raise ListFileError(problems)
    if problems:
        raise ListFileError(problems)
    return ParsedList(parties=parties, alias_count=alias_count, unmapped_countries=unmapped)


def list_file_read(path: Path) -> tuple[str, bytes]:
    """(label, bytes) for ``list_parse``; the label is the file's name as given."""
    return str(path), Path(path).read_bytes()
