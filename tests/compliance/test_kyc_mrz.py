"""ICAO 9303 machine-readable zones: the specimens parse, and breaking any check digit is caught by name."""

from datetime import date

import pytest

from compliance.kyc.checks import FAIL, PASS, check_mrz_digits
from compliance.kyc.mrz import MrzFormatError, check_digit, mrz_parse
from tests.compliance.kyc_support import SPECIMEN_TD1, SPECIMEN_TD3, mrz_td1, mrz_td3


def _replace(text: str, line: int, index: int, char: str) -> str:
    lines = text.split("\n")
    current = lines[line]
    assert current[index] != char
    lines[line] = current[:index] + char + current[index + 1 :]
    return "\n".join(lines)


def _wrong(digit: str) -> str:
    return str((int(digit) + 1) % 10) if digit.isdigit() else "1"


def test_check_digit_follows_the_7_3_1_weights():
    # ICAO 9303 part 3 worked example: 520727 -> 3; letters count 10..35 and "<" counts 0.
    assert check_digit("520727") == "3"
    assert check_digit("L898902C3") == "6"
    assert check_digit("<<<<<<<<<") == "0"


def test_td3_specimen_parses_with_every_check_digit_valid():
    mrz = mrz_parse(SPECIMEN_TD3)
    assert mrz.format == "TD3"
    assert mrz.valid
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.document_number == "L898902C3"
    assert mrz.nationality == "UTO"
    assert mrz.sex == "F"
    assert mrz.birth_date(date(2026, 1, 1)) == date(1974, 8, 12)
    assert mrz.expiry_date() == date(2012, 4, 15)
    assert mrz.optional_data == "ZE184226B"
    names = ["document_number", "birth_date", "expiry_date", "personal_number", "composite"]
    assert [c.name for c in mrz.checks] == names


def test_td1_specimen_parses_with_every_check_digit_valid():
    mrz = mrz_parse(SPECIMEN_TD1)
    assert mrz.format == "TD1"
    assert mrz.valid
    assert mrz.document_number == "D23145890"
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.birth_date_raw == "740812"
    assert mrz.nationality == "UTO"


def test_mrz_text_is_tolerant_of_case_and_surrounding_blanks():
    messy = "\n  " + SPECIMEN_TD3.lower().replace("\n", "  \r\n  ") + "  \n"
    assert mrz_parse(messy).valid


@pytest.mark.parametrize(
    ("line", "index", "field"),
    [
        (1, 9, "document_number"),
        (1, 19, "birth_date"),
        (1, 27, "expiry_date"),
        (1, 42, "personal_number"),
        (1, 43, "composite"),
    ],
)
def test_breaking_a_td3_check_digit_fails_that_check(line, index, field):
    # The composite digit covers the other check digits too, so it fails alongside the field's own.
    expected = [field] if field == "composite" else [field, "composite"]
    broken = _replace(SPECIMEN_TD3, line, index, _wrong(SPECIMEN_TD3.split("\n")[line][index]))
    mrz = mrz_parse(broken)
    assert [c.name for c in mrz.failed_checks] == expected
    result, _ = check_mrz_digits(mrz_text=broken)
    assert result.result == FAIL
    assert result.details["failed"] == expected


@pytest.mark.parametrize(
    ("line", "index", "field"),
    [(0, 14, "document_number"), (1, 6, "birth_date"), (1, 14, "expiry_date"), (1, 29, "composite")],
)
def test_breaking_a_td1_check_digit_fails_that_check(line, index, field):
    expected = [field] if field == "composite" else [field, "composite"]
    broken = _replace(SPECIMEN_TD1, line, index, _wrong(SPECIMEN_TD1.split("\n")[line][index]))
    assert [c.name for c in mrz_parse(broken).failed_checks] == expected


def test_a_changed_data_character_breaks_its_field_and_the_composite():
    # The birth date's day changes from 12 to 13: its own digit and the composite no longer match.
    tampered = _replace(SPECIMEN_TD3, 1, 18, "3")
    assert {c.name for c in mrz_parse(tampered).failed_checks} == {"birth_date", "composite"}


def test_td1_long_document_number_continues_in_the_optional_data():
    # Part 5, note j: 12-character number; "<" in the check position, remainder + check digit after.
    number = "D23145890123"
    cd = check_digit(number)
    line1 = "I<UTO" + number[:9] + "<" + number[9:] + cd + "<" * (15 - len(number[9:]) - 1)
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    mrz = mrz_parse(f"{line1}\n{line2}\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
    assert mrz.document_number == number
    assert mrz.valid


def test_generated_zones_validate():
    assert mrz_parse(mrz_td3()).valid
    assert mrz_parse(mrz_td1()).valid


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P<UTOERIKSSON<<ANNA",
        SPECIMEN_TD3.split("\n")[0],
        SPECIMEN_TD3.replace("L898902C3", "L898902C"),
        SPECIMEN_TD3.replace("ERIKSSON", "ERIKSSÖN"),
    ],
)
def test_text_that_is_no_mrz_is_a_format_error(text):
    with pytest.raises(MrzFormatError):
        mrz_parse(text)
    result, mrz = check_mrz_digits(mrz_text=text)
    assert (result.result, mrz) == (FAIL, None)


def test_valid_zone_passes_the_check_with_a_readable_reason():
    result, _ = check_mrz_digits(mrz_text=SPECIMEN_TD3, document="document 1: passport")
    assert result.result == PASS
    assert "All 5 check digits of the TD3 zone verify" in result.reason
    assert result.document == "document 1: passport"
