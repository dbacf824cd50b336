"""ICAO Doc 9303 machine-readable zones: parsing and check digits.

Formats (ICAO 9303 parts 4 to 6):

* TD3, passports: 2 lines of 44 characters.
  Line 1: document code (``P`` + a type letter or ``<``), issuing state (3), names (39).
  Line 2: document number (9) + check, nationality (3), birth date YYMMDD + check, sex,
  expiry date YYMMDD + check, personal number (14) + check, composite check.
* TD2, ID cards and visas of that size: 2 lines of 36.
  Line 1: document code (2), issuing state (3), names (31).
  Line 2: number (9) + check, nationality, birth date + check, sex, expiry + check,
  optional data (7), composite check.
* TD1, ID cards: 3 lines of 30.
  Line 1: document code (2), issuing state (3), document number (9) + check, optional data (15).
  Line 2: birth date + check, sex, expiry + check, nationality (3), optional data (11), composite.
  Line 3: names (30). A number longer than 9 characters puts ``<`` in the check position and
  continues in the optional data, its check digit last (part 5, note j).

Check digit: each character's value (digits as themselves, A to Z as 10 to 35, ``<`` as 0) times
the repeating weights 7, 3, 1, summed, modulo 10. Names are ``SURNAME<<GIVEN<NAMES`` with ``<`` for
spaces and filler.
"""

import re
from dataclasses import dataclass, field
from datetime import date

MRZ_LINE = re.compile(r"^[A-Z0-9<]+$")
FORMATS = {(2, 44): "TD3", (2, 36): "TD2", (3, 30): "TD1"}
WEIGHTS = (7, 3, 1)


class MrzFormatError(ValueError):
    """The text is not a machine-readable zone of a known format."""


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise MrzFormatError(f"{char!r} cannot appear in a machine-readable zone")


def check_digit(data: str) -> str:
    """The ICAO 9303 check digit of ``data`` (weights 7-3-1, modulo 10)."""
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


@dataclass(frozen=True)
class DigitCheck:
    """One check digit: which field it guards, the digit printed and the digit computed."""

    name: str  # document_number, birth_date, expiry_date, personal_number, composite
    printed: str
    computed: str

    @property
    def ok(self) -> bool:
        # ICAO allows "<" as the check digit of an empty optional field (the personal number).
        return self.printed == self.computed or (self.printed == "<" and self.computed == "0")


@dataclass
class Mrz:
    format: str
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date_raw: str
    sex: str  # "M", "F" or "" (unspecified "<")
    expiry_date_raw: str
    optional_data: str
    checks: list[DigitCheck] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[DigitCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def valid(self) -> bool:
        return not self.failed_checks

    def birth_date(self, today: date | None = None) -> date | None:
        # A two-digit year: a birth date is never in the future, so "74" is 1974 and "05" is 2005.
        today = today or date.today()  # noqa: DTZ011 - a calendar date, no time zone involved
        return _yymmdd(self.birth_date_raw, pivot=today.year % 100)

    def expiry_date(self) -> date | None:
        # Expiry years are read as 20YY: no document in circulation expired in the last century.
        return _yymmdd(self.expiry_date_raw, pivot=99)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}".strip()


def _yymmdd(raw: str, *, pivot: int) -> date | None:
    if not raw.isdigit():
        return None
    yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:6])
    year = 2000 + yy if yy <= pivot else 1900 + yy
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


def _names(field_text: str) -> tuple[str, str]:
    surname, _, given = field_text.rstrip("<").partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def normalise_lines(text: str) -> list[str]:
    """The MRZ's lines, upper-cased, with surrounding blanks and blank lines removed."""
    return [line.strip().replace(" ", "").upper() for line in text.strip().splitlines() if line.strip()]


def mrz_parse(text: str) -> Mrz:
    """Parse a machine-readable zone and verify every check digit.

    Raises MrzFormatError when the text is no known format; a parsed zone whose check digits do not
    match is returned with ``failed_checks`` set, so the caller can say which one failed.
    """
    lines = normalise_lines(text)
    shape = (len(lines), len(lines[0]) if lines else 0)
    fmt = FORMATS.get(shape)
    if fmt is None or any(len(line) != shape[1] for line in lines):
        lengths = ", ".join(str(len(line)) for line in lines) or "none"
        raise MrzFormatError(
            f"a machine-readable zone has 2 lines of 44 (passport), 2 of 36 or 3 of 30 (ID card) characters; "
            f"got {len(lines)} line(s) of {lengths}"
        )
    for number, line in enumerate(lines, start=1):
        if not MRZ_LINE.match(line):
            raise MrzFormatError(f"line {number} holds characters other than A-Z, 0-9 and '<'")
    return _parse_td1(lines) if fmt == "TD1" else _parse_two_line(lines, fmt)


def _parse_two_line(lines: list[str], fmt: str) -> Mrz:
    l1, l2 = lines
    surname, given = _names(l1[5:])
    number, number_cd = l2[0:9], l2[9]
    birth, birth_cd = l2[13:19], l2[19]
    expiry, expiry_cd = l2[21:27], l2[27]
    checks = [
        DigitCheck("document_number", number_cd, check_digit(number)),
        DigitCheck("birth_date", birth_cd, check_digit(birth)),
        DigitCheck("expiry_date", expiry_cd, check_digit(expiry)),
    ]
    if fmt == "TD3":
        optional = l2[28:42]
        checks.append(DigitCheck("personal_number", l2[42], check_digit(optional)))
        composite_data = l2[0:10] + l2[13:20] + l2[21:43]
        composite = l2[43]
    else:
        optional = l2[28:35]
        composite_data = l2[0:10] + l2[13:20] + l2[21:35]
        composite = l2[35]
    checks.append(DigitCheck("composite", composite, check_digit(composite_data)))
    return Mrz(
        format=fmt,
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        surname=surname,
        given_names=given,
        document_number=number.rstrip("<"),
        nationality=l2[10:13].rstrip("<"),
        birth_date_raw=birth,
        sex=l2[20].replace("<", ""),
        expiry_date_raw=expiry,
        optional_data=optional.rstrip("<"),
        checks=checks,
    )


def _parse_td1(lines: list[str]) -> Mrz:
    l1, l2, l3 = lines
    number, number_cd = l1[5:14], l1[14]
    optional1 = l1[15:30]
    if number_cd == "<" and optional1.rstrip("<"):
        # Long document number: its remainder and then its check digit open the optional data.
        rest = optional1.split("<", 1)[0]
        number, number_cd = number + rest[:-1], rest[-1]
        optional1 = optional1[len(rest) :]
    surname, given = _names(l3)
    birth, expiry = l2[0:6], l2[8:14]
    checks = [
        DigitCheck("document_number", number_cd, check_digit(number)),
        DigitCheck("birth_date", l2[6], check_digit(birth)),
        DigitCheck("expiry_date", l2[14], check_digit(expiry)),
        DigitCheck("composite", l2[29], check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])),
    ]
    return Mrz(
        format="TD1",
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        surname=surname,
        given_names=given,
        document_number=number.rstrip("<"),
        nationality=l2[15:18].rstrip("<"),
        birth_date_raw=birth,
        sex=l2[7].replace("<", ""),
        expiry_date_raw=expiry,
        optional_data=(optional1 + l2[18:29]).strip("<"),
        checks=checks,
    )
