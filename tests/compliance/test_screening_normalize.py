"""Name normalisation and the token-wise score, without a database."""

import pytest

from compliance.screening.index import name_score, token_similarity
from compliance.screening.normalize import name_fold, name_in_reading_order, name_normalize
from compliance.screening.ofac import country_code


def test_folding_removes_accents_case_and_punctuation():
    assert name_fold("AL-ZAWĀHIRĪ, Ayman") == "al zawahiri ayman"
    assert name_fold("Łukasz  Øster-Straße") == "lukasz oster strasse"
    assert name_fold("O'Brien, 'Abd-al Rahim.") == "obrien abd al rahim"


def test_last_comma_first_is_put_in_reading_order():
    assert name_in_reading_order("MALEKI, Naser") == "Naser MALEKI"
    assert name_in_reading_order("ABU ZUBAYDAH") == "ABU ZUBAYDAH"


def test_reordered_and_accented_names_normalise_alike():
    listed = name_normalize("VALDÉS MORENO, Ana Lucía")
    given = name_normalize("ana lucia valdes-moreno")
    assert listed.tokens == ("ana", "lucia", "valdes", "moreno")
    assert listed.normalized == given.normalized == "ana lucia moreno valdes"


def test_honorifics_are_dropped_and_particles_and_legal_forms_do_not_block():
    person = name_normalize("AL ZAWAHIRI, Dr. Ayman")
    assert person.tokens == ("ayman", "al", "zawahiri")
    assert person.blocking_keys == ("ayman", "zawahiri")
    company = name_normalize("ANGLO-CARIBBEAN CO., LTD.", individual=False)
    assert company.tokens == ("anglo", "caribbean", "co", "ltd")
    assert company.blocking_keys == ("anglo", "caribbean")


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [("mohammed", "mohammed", 1.0, 1.0), ("mohamed", "mohammed", 0.9, 0.99), ("smith", "smithfield", 0.0, 0.7)],
)
def test_token_similarity_penalises_length_difference(a, b, low, high):
    assert low <= token_similarity(a, b) <= high


def test_name_score_ignores_order_and_punishes_extra_tokens():
    assert name_score(("naser", "maleki"), ("maleki", "naser")) == pytest.approx(1.0)
    assert name_score(("john", "smith"), ("john", "smithfield", "holdings")) < 0.7
    assert name_score(("nasser", "malekki"), ("naser", "maleki")) > 0.85


def test_ofac_country_names_map_to_iso_codes():
    assert country_code("Korea, North") == "KP"
    assert country_code("United Kingdom") == "GB"
    assert country_code("Congo, Democratic Republic of the") == "CD"
    assert country_code("undetermined") is None
