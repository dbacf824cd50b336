"""Deterministic KYC checks. Each returns a named ``CheckResult`` (pass, warn or fail) with a reason
a creator or a reviewer can read; none of them touches the database.

Checks and what fails them:

* ``name_format``: each part of the legal name is 1 to 100 characters of letters (any script),
  spaces, hyphens, apostrophes and full stops, with at least one letter. A single letter
  (an initial only) is a warning.
* ``age``: at least ``KYC_MIN_AGE_YEARS`` (18) on the day of submission; a birth date in the future
  or more than 120 years ago fails as implausible.
* ``phone``: a valid E.164 number (``phonenumbers``); VoIP, premium, toll-free, pager, shared-cost
  and unknown line types are warnings (such numbers are easy to obtain in bulk).
* ``document_number``: the number's format for the document type. Formats vary by country and
  change over time, so ``DOCUMENT_NUMBER_FORMATS`` lists the countries we know (sources in the
  table); any other country gets the generic rule (5 to 20 letters and digits, 6 to 9 for a
  passport, ICAO 9303's field is 9) and the reason says only the generic rule was applied.
* ``mrz_check_digits``: the machine-readable zone parses (TD1, TD2, TD3) and every check digit
  verifies; the reason names the first field whose digit is wrong.
* ``mrz_fields``: the zone's document code, number, issuing state, nationality, birth date, expiry
  date and sex (when given) match the form.
* ``document_expiry``: the document has not expired; one without an expiry date must have been
  issued within ``KYC_NO_EXPIRY_MAX_AGE_YEARS`` (10). An issue date in the future or an expiry
  before the issue date fails.
* ``document_name``: the name on the document (from its MRZ, else as printed) against the legal
  name, accent- and order-insensitive (see names.py): >= 0.92 passes, >= 0.80 warns, less fails.
* ``profile_name``: the legal name against the account's name; a mismatch is only a warning
  (people sign up with nicknames).
* ``high_risk_country``: nationality, address country or a document's issuing country in
  ``KYC_HIGH_RISK_COUNTRIES`` is a warning (enhanced due diligence).
* ``sanctions_screening``: see services.py; built from the screening matches.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import phonenumbers
from django.conf import settings

from .countries import ALPHA2_TO_ALPHA3, alpha2_from_mrz_code
from .mrz import Mrz, MrzFormatError, mrz_parse
from .names import name_similarity

PASS, WARN, FAIL = "pass", "warn", "fail"

NAME_FORMAT = "name_format"
AGE = "age"
PHONE = "phone"
DOCUMENT_NUMBER = "document_number"
MRZ_CHECK_DIGITS = "mrz_check_digits"
MRZ_FIELDS = "mrz_fields"
DOCUMENT_EXPIRY = "document_expiry"
DOCUMENT_NAME = "document_name"
PROFILE_NAME = "profile_name"
HIGH_RISK_COUNTRY = "high_risk_country"
SANCTIONS = "sanctions_screening"

# Checks about who the person is and whether the documents are genuine and current: a fail here
# rejects the submission (see services.py).
IDENTITY_CHECKS = frozenset(
    {NAME_FORMAT, AGE, PHONE, DOCUMENT_NUMBER, MRZ_CHECK_DIGITS, MRZ_FIELDS, DOCUMENT_EXPIRY, DOCUMENT_NAME}
)

NAME_MATCH_PASS = 0.92
NAME_MATCH_WARN = 0.80
MAX_PLAUSIBLE_AGE = 120


@dataclass(frozen=True)
class CheckResult:
    check: str
    result: str  # pass | warn | fail
    reason: str
    document: str = ""  # which document ("document 1: passport GB"), for document checks
    internal: bool = False  # the reason is for staff only (screening: never tip the person off)
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        if not self.document:
            data.pop("document")
        if not self.details:
            data.pop("details")
        return data


@dataclass
class PersonData:
    given_names: str
    surname: str
    date_of_birth: date
    nationality: str
    address_country: str
    phone: str
    sex: str = ""
    aliases: Sequence[str] = ()

    @property
    def legal_name(self) -> str:
        return f"{self.given_names} {self.surname}".strip()


@dataclass
class DocumentData:
    doc_type: str
    number: str
    issuing_country: str
    issue_date: date | None = None
    expiry_date: date | None = None
    mrz: str = ""
    holder_name: str = ""
    label: str = ""


# --- Person -------------------------------------------------------------------------------------

_NAME_ALLOWED = re.compile(r"^[^\W\d_]+(?:[ \-'\u2019.]+[^\W\d_]+)*\.?$")


def check_name_format(*, given_names: str, surname: str) -> CheckResult:
    problems = []
    for label, value in (("given names", given_names), ("surname", surname)):
        value = value.strip()
        if not value:
            problems.append(f"the {label} are empty" if label == "given names" else "the surname is empty")
        elif len(value) > 100:
            problems.append(f"the {label} are longer than 100 characters")
        elif not _NAME_ALLOWED.match(value):
            problems.append(f"the {label} contain digits or symbols ({value!r})")
    if problems:
        return CheckResult(NAME_FORMAT, FAIL, "The legal name is not well formed: " + "; ".join(problems) + ".")
    initials = [label for label, v in (("given names", given_names), ("surname", surname)) if len(v.strip(" .")) == 1]
    if initials:
        return CheckResult(NAME_FORMAT, WARN, f"Only an initial was given for the {' and '.join(initials)}.")
    return CheckResult(NAME_FORMAT, PASS, "The legal name is well formed.")


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_age(*, date_of_birth: date, today: date) -> CheckResult:
    minimum = settings.KYC_MIN_AGE_YEARS
    if date_of_birth > today:
        return CheckResult(AGE, FAIL, "The date of birth is in the future.")
    age = age_on(date_of_birth, today)
    if age > MAX_PLAUSIBLE_AGE:
        return CheckResult(AGE, FAIL, f"The date of birth makes the person {age}, which is not plausible.")
    if age < minimum:
        return CheckResult(AGE, FAIL, f"The person is {age}; creators must be at least {minimum} to be paid.")
    return CheckResult(AGE, PASS, f"The person is {age}, at least {minimum}.")


PHONE_LINE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.SHARED_COST: "other",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "other",
    phonenumbers.PhoneNumberType.PAGER: "other",
    phonenumbers.PhoneNumberType.UAN: "other",
    phonenumbers.PhoneNumberType.VOICEMAIL: "other",
}


def phone_line_type(phone: str) -> tuple[str, str]:
    """(line type, region) of an E.164 number as ``phonenumbers`` sees it; ("invalid", "") when invalid."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return "invalid", ""
    if not phonenumbers.is_valid_number(number):
        return "invalid", phonenumbers.region_code_for_number(number) or ""
    kind = PHONE_LINE_TYPES.get(phonenumbers.number_type(number), "unknown")
    return kind, phonenumbers.region_code_for_number(number) or ""


def check_phone(*, phone: str) -> CheckResult:
    line_type, region = phone_line_type(phone)
    if line_type == "invalid":
        return CheckResult(PHONE, FAIL, f"{phone} is not a valid phone number in E.164 form (+ and country code).")
    if line_type in {"mobile", "fixed_line", "fixed_or_mobile"}:
        return CheckResult(PHONE, PASS, f"A valid {line_type.replace('_', ' ')} number in {region}.")
    return CheckResult(
        PHONE, WARN, f"A valid number in {region}, but its line type ({line_type.replace('_', ' ')}) is easy to obtain."
    )


# --- Documents ----------------------------------------------------------------------------------

# (doc type, country) -> (pattern, description). Formats vary by country and change over time:
# this table covers a few countries with well-documented formats; everything else gets the generic
# rule below. Sources: the issuing authorities' public specimen pages (HM Passport Office, US
# Department of State, Bundesdruckerei, Ministerio del Interior, DVLA) as of 2025.
DOCUMENT_NUMBER_FORMATS: dict[tuple[str, str], tuple[str, str]] = {
    ("passport", "GB"): (r"^\d{9}$", "9 digits"),
    ("passport", "US"): (r"^[A-Z0-9]\d{8}$", "9 characters: a letter or digit, then 8 digits"),
    ("passport", "DE"): (r"^[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}$", "9 characters from the German set"),
    ("passport", "FR"): (r"^\d{2}[A-Z]{2}\d{5}$", "2 digits, 2 letters, 5 digits"),
    ("passport", "ES"): (r"^[A-Z]{3}\d{6}$", "3 letters and 6 digits"),
    ("passport", "IT"): (r"^[A-Z]{2}\d{7}$", "2 letters and 7 digits"),
    ("passport", "NL"): (r"^[A-NP-Z]{2}[A-NP-Z0-9]{6}\d$", "2 letters, 6 letters or digits, a digit (no O)"),
    ("passport", "IN"): (r"^[A-Z]\d{7}$", "a letter and 7 digits"),
    ("passport", "CA"): (r"^[A-Z]{2}\d{6}$", "2 letters and 6 digits"),
    ("national_id", "DE"): (r"^[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}$", "9 characters from the German set"),
    ("national_id", "ES"): (r"^\d{8}[A-Z]$", "8 digits and a control letter (DNI)"),
    ("national_id", "IT"): (r"^[A-Z]{2}\d{5}[A-Z]{2}$", "2 letters, 5 digits, 2 letters (CIE)"),
    ("national_id", "NL"): (r"^[A-NP-Z]{2}[A-NP-Z0-9]{6}\d$", "2 letters, 6 letters or digits, a digit (no O)"),
    ("national_id", "FR"): (r"^[A-Z0-9]{9}$|^\d{12}$", "9 letters or digits (2021 card) or 12 digits (older card)"),
    ("driving_licence", "GB"): (
        r"^[A-Z9]{5}\d[0156]\d{4}[A-Z9]{2}\d[A-Z]{2}$",
        "16 characters: surname, birth date, initials and check letters (DVLA)",
    ),
    ("driving_licence", "DE"): (r"^[A-Z0-9]{11}$", "11 letters or digits"),
}
GENERIC_FORMATS = {
    "passport": (r"^[A-Z0-9]{6,9}$", "6 to 9 letters or digits"),
    "national_id": (r"^[A-Z0-9]{5,20}$", "5 to 20 letters or digits"),
    "driving_licence": (r"^[A-Z0-9]{5,20}$", "5 to 20 letters or digits"),
}
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def normalise_document_number(number: str) -> str:
    return re.sub(r"[\s\-/.]", "", number).upper()


def check_document_number(*, doc_type: str, issuing_country: str, number: str, document: str = "") -> CheckResult:
    normalised = normalise_document_number(number)
    known = DOCUMENT_NUMBER_FORMATS.get((doc_type, issuing_country))
    pattern, description = known or GENERIC_FORMATS[doc_type]
    kind = doc_type.replace("_", " ")
    if not re.match(pattern, normalised):
        where = f"a {issuing_country} {kind}" if known else f"a {kind} (generic rule)"
        return CheckResult(
            DOCUMENT_NUMBER, FAIL, f"{normalised!r} is not the format of {where}: {description}.", document
        )
    if (doc_type, issuing_country) == ("national_id", "ES") and _DNI_LETTERS[int(normalised[:8]) % 23] != normalised[8]:
        return CheckResult(DOCUMENT_NUMBER, FAIL, "The DNI's control letter does not match its digits.", document)
    if known:
        reason = f"Matches the {issuing_country} {kind} format ({description})."
        return CheckResult(DOCUMENT_NUMBER, PASS, reason, document)
    return CheckResult(
        DOCUMENT_NUMBER,
        PASS,
        f"Matches the generic {kind} rule ({description}); no country-specific format is known for {issuing_country}.",
        document,
    )


MRZ_DOCUMENT_CODES = {"passport": ("P",), "national_id": ("I", "A", "C"), "driving_licence": ("D",)}
_CHECK_NAMES = {
    "document_number": "document number",
    "birth_date": "birth date",
    "expiry_date": "expiry date",
    "personal_number": "personal number",
    "composite": "composite (whole line)",
}


def check_mrz_digits(*, mrz_text: str, document: str = "") -> tuple[CheckResult, Mrz | None]:
    """Parse the MRZ and verify its check digits; returns the parsed zone when it parsed."""
    try:
        mrz = mrz_parse(mrz_text)
    except MrzFormatError as exc:
        return CheckResult(MRZ_CHECK_DIGITS, FAIL, f"The machine-readable zone cannot be read: {exc}.", document), None
    failed = mrz.failed_checks
    if failed:
        parts = [f"{_CHECK_NAMES[c.name]} (printed {c.printed}, computed {c.computed})" for c in failed]
        return (
            CheckResult(
                MRZ_CHECK_DIGITS,
                FAIL,
                f"The {mrz.format} machine-readable zone has wrong check digits: {', '.join(parts)}.",
                document,
                details={"failed": [c.name for c in failed]},
            ),
            mrz,
        )
    return (
        CheckResult(
            MRZ_CHECK_DIGITS, PASS, f"All {len(mrz.checks)} check digits of the {mrz.format} zone verify.", document
        ),
        mrz,
    )


def check_mrz_fields(*, mrz: Mrz, doc: DocumentData, person: PersonData, today: date) -> CheckResult:
    mismatches = []
    codes = MRZ_DOCUMENT_CODES[doc.doc_type]
    if not mrz.document_code.startswith(codes):
        mismatches.append(f"document code {mrz.document_code!r} is not a {doc.doc_type.replace('_', ' ')}'s")
    if normalise_document_number(doc.number) != mrz.document_number:
        mismatches.append(f"number {mrz.document_number} differs from the form's {doc.number}")
    if alpha2_from_mrz_code(mrz.issuing_state) != doc.issuing_country:
        mismatches.append(f"issuing state {mrz.issuing_state} is not {ALPHA2_TO_ALPHA3.get(doc.issuing_country)}")
    if alpha2_from_mrz_code(mrz.nationality) != person.nationality:
        mismatches.append(f"nationality {mrz.nationality} is not {ALPHA2_TO_ALPHA3.get(person.nationality)}")
    if mrz.birth_date(today) != person.date_of_birth:
        mismatches.append(f"birth date {mrz.birth_date_raw} is not {person.date_of_birth:%y%m%d}")
    if doc.expiry_date and mrz.expiry_date() != doc.expiry_date:
        mismatches.append(f"expiry date {mrz.expiry_date_raw} is not {doc.expiry_date:%y%m%d}")
    if person.sex and (mrz.sex or "X") != person.sex:
        mismatches.append(f"sex {mrz.sex or '<'} is not {person.sex}")
    if mismatches:
        reason = "The machine-readable zone does not match the form: " + "; ".join(mismatches) + "."
        return CheckResult(MRZ_FIELDS, FAIL, reason, doc.label)
    return CheckResult(MRZ_FIELDS, PASS, "The machine-readable zone matches the form.", doc.label)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_document_expiry(*, doc: DocumentData, today: date, date_of_birth: date | None = None) -> CheckResult:
    if doc.issue_date and doc.issue_date > today:
        return CheckResult(DOCUMENT_EXPIRY, FAIL, f"The issue date {doc.issue_date} is in the future.", doc.label)
    if doc.issue_date and date_of_birth and doc.issue_date < date_of_birth:
        return CheckResult(DOCUMENT_EXPIRY, FAIL, "The document was issued before its holder was born.", doc.label)
    if doc.issue_date and doc.expiry_date and doc.expiry_date <= doc.issue_date:
        return CheckResult(DOCUMENT_EXPIRY, FAIL, "The expiry date is not after the issue date.", doc.label)
    if doc.expiry_date:
        if doc.expiry_date < today:
            return CheckResult(DOCUMENT_EXPIRY, FAIL, f"The document expired on {doc.expiry_date}.", doc.label)
        return CheckResult(DOCUMENT_EXPIRY, PASS, f"Valid until {doc.expiry_date}.", doc.label)
    max_age = settings.KYC_NO_EXPIRY_MAX_AGE_YEARS
    if not doc.issue_date:
        return CheckResult(DOCUMENT_EXPIRY, WARN, "The document has neither an expiry nor an issue date.", doc.label)
    if doc.issue_date < _years_before(today, max_age):
        return CheckResult(
            DOCUMENT_EXPIRY,
            FAIL,
            f"The document has no expiry date and was issued on {doc.issue_date}, more than {max_age} years ago.",
            doc.label,
        )
    return CheckResult(
        DOCUMENT_EXPIRY, PASS, f"No expiry date; issued on {doc.issue_date}, within {max_age} years.", doc.label
    )


def no_expiry_deadline(issue_date: date) -> date:
    """When a document without an expiry date stops counting: its issue date plus the maximum age."""
    years = settings.KYC_NO_EXPIRY_MAX_AGE_YEARS
    try:
        return issue_date.replace(year=issue_date.year + years)
    except ValueError:
        return issue_date.replace(year=issue_date.year + years, day=28)


def _name_result(check: str, *, found: str, expected: str, what: str, document: str, mismatch: str) -> CheckResult:
    similarity = name_similarity(found, expected)
    details = {"similarity": similarity}
    if similarity >= NAME_MATCH_PASS:
        return CheckResult(check, PASS, f"{what} matches the legal name ({similarity:.2f}).", document, details=details)
    result = WARN if similarity >= NAME_MATCH_WARN or mismatch == WARN else FAIL
    return CheckResult(
        check,
        result,
        f"{what} ({found!r}) is {'close to' if result == WARN else 'not'} the legal name ({expected!r}); "
        f"similarity {similarity:.2f}.",
        document,
        details=details,
    )


def check_document_name(*, doc: DocumentData, person: PersonData, mrz: Mrz | None) -> CheckResult:
    if mrz is not None and mrz.full_name:
        found, what = mrz.full_name, "The name in the machine-readable zone"
    elif doc.holder_name:
        found, what = doc.holder_name, "The name printed on the document"
    else:
        return CheckResult(
            DOCUMENT_NAME,
            WARN,
            "No name from the document to compare: give its machine-readable zone or the name as printed.",
            doc.label,
        )
    return _name_result(
        DOCUMENT_NAME, found=found, expected=person.legal_name, what=what, document=doc.label, mismatch=FAIL
    )


def check_profile_name(*, person: PersonData, profile_name: str) -> CheckResult:
    if not profile_name.strip():
        return CheckResult(PROFILE_NAME, PASS, "The account has no name to compare.")
    return _name_result(
        PROFILE_NAME, found=profile_name, expected=person.legal_name, what="The account's name", document="",
        mismatch=WARN,
    )  # fmt: skip


def check_high_risk_countries(*, person: PersonData, documents: Iterable[DocumentData]) -> CheckResult:
    high_risk = {c.upper() for c in settings.KYC_HIGH_RISK_COUNTRIES}
    hits = []
    if person.nationality in high_risk:
        hits.append(f"nationality {person.nationality}")
    if person.address_country in high_risk:
        hits.append(f"address in {person.address_country}")
    for doc in documents:
        if doc.issuing_country in high_risk:
            hits.append(f"{doc.doc_type.replace('_', ' ')} issued by {doc.issuing_country}")
    if hits:
        return CheckResult(
            HIGH_RISK_COUNTRY,
            WARN,
            "High-risk jurisdiction (enhanced due diligence): " + ", ".join(dict.fromkeys(hits)) + ".",
            internal=True,
        )
    return CheckResult(HIGH_RISK_COUNTRY, PASS, "No high-risk jurisdiction involved.")


def check_sanctions(*, matches: Sequence[dict], list_loaded: bool) -> CheckResult:
    """Over-the-line sanctions matches fail; over-the-line PEP matches warn; both go to review."""
    if not list_loaded:
        return CheckResult(SANCTIONS, WARN, "No sanctions list is loaded, so screening could not run.", internal=True)
    hits = [m for m in matches if m.get("over_line")]
    sanctions = [m for m in hits if m.get("list_kind") == "sanctions"]
    peps = [m for m in hits if m.get("list_kind") == "pep"]

    def describe(items: list[dict]) -> str:
        return "; ".join(f"{m['entry_name']} (entry {m['ent_num']}, score {m['score']:.2f})" for m in items[:3])

    if sanctions:
        return CheckResult(SANCTIONS, FAIL, f"Possible sanctions match: {describe(sanctions)}.", internal=True)
    if peps:
        return CheckResult(SANCTIONS, WARN, f"Possible politically exposed person: {describe(peps)}.", internal=True)
    below = f" ({len(matches)} weaker match(es) below the line)" if matches else ""
    return CheckResult(SANCTIONS, PASS, f"No sanctions or PEP match over the line{below}.", internal=True)
