"""Each deterministic KYC check: a passing case and the cases that fail or warn, with their reasons."""

from datetime import date

import pytest

from compliance.kyc import checks
from compliance.kyc.checks import FAIL, PASS, WARN, DocumentData, PersonData
from compliance.kyc.mrz import mrz_parse
from compliance.kyc.names import jaro_winkler, name_fold, name_similarity
from tests.compliance.kyc_support import TODAY, mrz_td1, mrz_td3


def person(**overrides) -> PersonData:
    values = {
        "given_names": "Jane Elizabeth",
        "surname": "Smith",
        "date_of_birth": date(1990, 1, 15),
        "nationality": "GB",
        "address_country": "GB",
        "phone": "+447400123456",
        "sex": "F",
    }
    values.update(overrides)
    return PersonData(**values)


def document(**overrides) -> DocumentData:
    values = {
        "doc_type": "passport",
        "number": "123456789",
        "issuing_country": "GB",
        "issue_date": date(2021, 6, 1),
        "expiry_date": date(2031, 6, 1),
        "mrz": mrz_td3(),
        "label": "document 1: passport GB",
    }
    values.update(overrides)
    return DocumentData(**values)


# --- name format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "surname"), [("Jane", "Smith"), ("José María", "García-Núñez"), ("Seán", "O'Brien"),
                                                ("Анна", "Иванова"), ("J. R. R.", "Tolkien")])  # fmt: skip
def test_well_formed_names_pass(given, surname):
    assert checks.check_name_format(given_names=given, surname=surname).result == PASS


@pytest.mark.parametrize(
    ("given", "surname"), [("Jane2", "Smith"), ("Jane", "<script>"), ("", "Smith"), ("Jane", "!!")]
)
def test_names_with_digits_symbols_or_nothing_fail(given, surname):
    result = checks.check_name_format(given_names=given, surname=surname)
    assert result.result == FAIL
    assert "not well formed" in result.reason


def test_an_initial_alone_is_a_warning():
    assert checks.check_name_format(given_names="J", surname="Smith").result == WARN


# --- age -------------------------------------------------------------------------------------------


def test_an_adult_passes_the_age_check():
    result = checks.check_age(date_of_birth=date(1990, 1, 15), today=TODAY)
    assert (result.result, result.reason) == (PASS, "The person is 36, at least 18.")


def test_the_day_before_the_eighteenth_birthday_fails_and_the_birthday_passes():
    assert checks.check_age(date_of_birth=date(2008, 11, 22), today=TODAY).result == FAIL
    assert checks.check_age(date_of_birth=date(2008, 11, 21), today=TODAY).result == PASS


@pytest.mark.parametrize("born", [date(2027, 1, 1), date(1890, 1, 1)])
def test_future_or_implausible_birth_dates_fail(born):
    assert checks.check_age(date_of_birth=born, today=TODAY).result == FAIL


# --- phone -------------------------------------------------------------------------------------------


def test_a_mobile_number_passes_the_phone_check():
    result = checks.check_phone(phone="+447400123456")
    assert result.result == PASS
    assert "mobile" in result.reason


@pytest.mark.parametrize("phone", ["+4474001", "07400123456", "+999123456789", "not a number"])
def test_invalid_numbers_fail_the_phone_check(phone):
    assert checks.check_phone(phone=phone).result == FAIL


@pytest.mark.parametrize("phone", ["+449098790123", "+445612345678"])  # UK premium rate, UK VoIP
def test_premium_and_voip_numbers_are_warnings(phone):
    assert checks.check_phone(phone=phone).result == WARN


# --- document numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "country", "number"),
    [
        ("passport", "GB", "123456789"),
        ("passport", "FR", "12AB34567"),
        ("national_id", "ES", "12345678Z"),
        ("national_id", "DE", "T22000129"),
        ("driving_licence", "GB", "MORGA753116SM9IJ"),
        ("passport", "BR", "FA123456"),  # generic rule
    ],
)
def test_document_numbers_in_the_right_format_pass(doc_type, country, number):
    assert checks.check_document_number(doc_type=doc_type, issuing_country=country, number=number).result == PASS


@pytest.mark.parametrize(
    ("doc_type", "country", "number"),
    [
        ("passport", "GB", "12345678"),
        ("passport", "FR", "ABCDEFGHI"),
        ("national_id", "ES", "12345678A"),  # wrong DNI control letter
        ("driving_licence", "GB", "123"),
        ("passport", "BR", "A1"),
    ],
)
def test_document_numbers_in_the_wrong_format_fail(doc_type, country, number):
    assert checks.check_document_number(doc_type=doc_type, issuing_country=country, number=number).result == FAIL


def test_unknown_countries_say_only_the_generic_rule_was_applied():
    result = checks.check_document_number(doc_type="passport", issuing_country="BR", number="FA123456")
    assert "generic" in result.reason


# --- MRZ fields against the form --------------------------------------------------------------------------


def test_mrz_fields_matching_the_form_pass():
    result = checks.check_mrz_fields(mrz=mrz_parse(mrz_td3()), doc=document(), person=person(), today=TODAY)
    assert result.result == PASS


def test_td1_id_card_fields_match_with_german_codes():
    doc = document(doc_type="national_id", number="T22000129", issuing_country="DE", expiry_date=date(2031, 1, 31))
    who = person(given_names="Erika", surname="Mustermann", date_of_birth=date(1983, 8, 12), nationality="DE")
    result = checks.check_mrz_fields(mrz=mrz_parse(mrz_td1()), doc=doc, person=who, today=TODAY)
    assert result.result == PASS, result.reason


@pytest.mark.parametrize(
    ("doc_overrides", "person_overrides", "expected"),
    [
        ({"number": "987654321"}, {}, "number 123456789 differs"),
        ({}, {"date_of_birth": date(1990, 1, 16)}, "birth date 900115"),
        ({"expiry_date": date(2031, 6, 2)}, {}, "expiry date 310601"),
        ({}, {"nationality": "IE"}, "nationality GBR is not IRL"),
        ({"issuing_country": "IE", "number": "PA1234567"}, {}, "issuing state GBR is not IRL"),
        ({}, {"sex": "M"}, "sex F is not M"),
        ({"doc_type": "national_id"}, {}, "document code 'P'"),
    ],
)
def test_each_mismatch_between_mrz_and_form_fails_and_is_named(doc_overrides, person_overrides, expected):
    result = checks.check_mrz_fields(
        mrz=mrz_parse(mrz_td3()), doc=document(**doc_overrides), person=person(**person_overrides), today=TODAY
    )
    assert result.result == FAIL
    assert expected in result.reason


# --- expiry --------------------------------------------------------------------------------------------------


def test_a_current_document_passes_expiry():
    assert checks.check_document_expiry(doc=document(), today=TODAY).result == PASS


def test_an_expired_document_fails():
    result = checks.check_document_expiry(doc=document(expiry_date=date(2026, 11, 20)), today=TODAY)
    assert (result.result, result.reason) == (FAIL, "The document expired on 2026-11-20.")


def test_without_expiry_a_recent_issue_passes_and_an_old_one_fails():
    recent = document(expiry_date=None, issue_date=date(2020, 1, 1))
    old = document(expiry_date=None, issue_date=date(2015, 1, 1))
    assert checks.check_document_expiry(doc=recent, today=TODAY).result == PASS
    result = checks.check_document_expiry(doc=old, today=TODAY)
    assert result.result == FAIL
    assert "more than 10 years ago" in result.reason


def test_no_dates_at_all_is_a_warning_and_a_future_issue_date_fails():
    assert checks.check_document_expiry(doc=document(expiry_date=None, issue_date=None), today=TODAY).result == WARN
    assert checks.check_document_expiry(doc=document(issue_date=date(2027, 1, 1)), today=TODAY).result == FAIL


# --- names -----------------------------------------------------------------------------------------------------


def test_name_folding_drops_accents_case_and_punctuation():
    assert name_fold("  José-María  GARCÍA Núñez ") == "jose maria garcia nunez"
    assert name_fold("Straße Øster") == "strasse oster"


def test_jaro_winkler_known_values():
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("dixon", "dicksonx") == pytest.approx(0.8133, abs=1e-4)
    assert jaro_winkler("abc", "xyz") == 0.0


def test_name_similarity_is_order_and_accent_insensitive():
    assert name_similarity("Smith, Jane", "JANE SMITH") == 1.0
    assert name_similarity("Zoë Müller", "ZOE MULLER") == 1.0
    assert name_similarity("Anna Eriksson", "Anna Maria Eriksson") >= 0.95  # middle name left out
    assert name_similarity("Jane Smith", "Robert Johnson") < 0.8


def test_document_name_from_the_mrz_matches_the_legal_name():
    doc = document()
    result = checks.check_document_name(doc=doc, person=person(), mrz=mrz_parse(doc.mrz))
    assert result.result == PASS


def test_document_name_of_someone_else_fails():
    doc = document(mrz=mrz_td3(surname="JOHNSON", given="ROBERT"))
    result = checks.check_document_name(doc=doc, person=person(), mrz=mrz_parse(doc.mrz))
    assert result.result == FAIL
    assert "ROBERT JOHNSON" in result.reason


def test_document_name_close_but_not_equal_warns():
    doc = document(mrz="", holder_name="Jan Schmidt")
    result = checks.check_document_name(doc=doc, person=person(given_names="Jane"), mrz=None)
    assert result.result == WARN


def test_no_name_from_the_document_is_a_warning():
    assert checks.check_document_name(doc=document(mrz=""), person=person(), mrz=None).result == WARN


def test_profile_name_mismatch_only_warns():
    assert checks.check_profile_name(person=person(), profile_name="Jane Smith").result == PASS
    assert checks.check_profile_name(person=person(), profile_name="Captain Awesome").result == WARN
    assert checks.check_profile_name(person=person(), profile_name="").result == PASS


# --- countries and screening -----------------------------------------------------------------------------------


def test_high_risk_nationality_or_issuer_warns(settings):
    settings.KYC_HIGH_RISK_COUNTRIES = ["IR", "KP"]
    assert checks.check_high_risk_countries(person=person(), documents=[document()]).result == PASS
    result = checks.check_high_risk_countries(person=person(nationality="IR"), documents=[document()])
    assert result.result == WARN
    assert "nationality IR" in result.reason
    result = checks.check_high_risk_countries(person=person(), documents=[document(issuing_country="KP")])
    assert "passport issued by KP" in result.reason


def test_default_high_risk_list_holds_the_fatf_call_for_action_countries(settings):
    assert {"KP", "IR", "MM"} <= set(settings.KYC_HIGH_RISK_COUNTRIES)


def test_sanctions_check_fails_on_hits_warns_on_peps_and_on_no_list():
    hit = {"list_kind": "sanctions", "entry_name": "X", "ent_num": 1, "score": 0.9, "over_line": True}
    pep = {**hit, "list_kind": "pep"}
    weak = {**hit, "over_line": False, "score": 0.6}
    assert checks.check_sanctions(matches=[hit], list_loaded=True).result == FAIL
    assert checks.check_sanctions(matches=[pep], list_loaded=True).result == WARN
    assert checks.check_sanctions(matches=[weak], list_loaded=True).result == PASS
    assert checks.check_sanctions(matches=[], list_loaded=False).result == WARN
