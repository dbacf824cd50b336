"""Phone trust, local signals only: validity, line type, country against nationality and activity, reuse."""

import pytest

from compliance.kyc.phone import phone_trust_assess
from compliance.kyc.services import kyc_submission_create
from compliance.models import PhoneLookupAudit
from tests.compliance.kyc_support import passport, person_data, private_media_fixture  # noqa: F401 - fixture
from tests.factories import UserFactory, ViewerEventFactory

pytestmark = pytest.mark.django_db

UK_MOBILE = "+447400123456"


def points(assessment, signal: str) -> int:
    return next(r["points"] for r in assessment.reasons if r["signal"] == signal)


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.ABSTRACTAPI_PHONE_KEY = ""


def test_a_uk_mobile_of_a_uk_account_seen_from_the_uk_scores_100():
    user = UserFactory(country="GB", phone_number=UK_MOBILE)
    ViewerEventFactory(user=user, country="GB")

    assessment = phone_trust_assess(user=user)

    assert assessment.score == 100
    assert (assessment.line_type, assessment.country, assessment.provider) == ("mobile", "GB", "")
    assert [r["signal"] for r in assessment.reasons] == ["validity", "line_type", "nationality", "seen_from", "reuse"]
    assert all(r["reason"] for r in assessment.reasons)
    assert not PhoneLookupAudit.objects.exists()  # no key: the provider is never called


@pytest.mark.parametrize("phone", ["+4474001", "+999123456789"])
def test_an_invalid_number_scores_0(phone):
    assessment = phone_trust_assess(user=UserFactory(), phone=phone)
    assert (assessment.score, assessment.line_type) == (0, "invalid")
    assert "not a valid number" in assessment.reasons[0]["reason"]


def test_no_number_at_all_scores_0():
    assessment = phone_trust_assess(user=UserFactory(phone_number=""))
    assert (assessment.score, assessment.reasons[0]["reason"]) == (0, "No phone number.")


@pytest.mark.parametrize(
    ("phone", "line_type", "line_points"),
    [
        ("+447400123456", "mobile", 30),
        ("+442079460000", "fixed_line", 15),
        ("+445612345678", "voip", 0),
        ("+449098790123", "premium", -20),
        ("+448001234567", "toll_free", -20),
    ],
)
def test_line_types_score_mobile_best_and_premium_worst(phone, line_type, line_points):
    assessment = phone_trust_assess(user=UserFactory(country="GB"), phone=phone)
    assert assessment.line_type == line_type
    assert points(assessment, "line_type") == line_points


def test_a_number_from_another_country_than_the_nationality_gets_nothing_for_it():
    assessment = phone_trust_assess(user=UserFactory(country="FR"), phone=UK_MOBILE)
    assert points(assessment, "nationality") == 0
    assert "the nationality is FR" in next(r["reason"] for r in assessment.reasons if r["signal"] == "nationality")


def test_an_account_never_seen_from_the_numbers_country_loses_points():
    user = UserFactory(country="GB")
    ViewerEventFactory(user=user, country="US")
    ViewerEventFactory(user=user, country="BR")
    assessment = phone_trust_assess(user=user, phone=UK_MOBILE)
    assert points(assessment, "seen_from") == -10
    reason = next(r["reason"] for r in assessment.reasons if r["signal"] == "seen_from")
    assert "seen from BR, US, never from GB" in reason


@pytest.mark.parametrize(("others", "reuse_points"), [(0, 10), (1, -15), (2, -30)])
def test_a_number_shared_with_other_accounts_loses_points(others, reuse_points):
    for _ in range(others):
        UserFactory(phone_number=UK_MOBILE)
    assessment = phone_trust_assess(user=UserFactory(country="GB", phone_number=UK_MOBILE))
    assert points(assessment, "reuse") == reuse_points


@pytest.mark.usefixtures("private_media")
def test_the_latest_kyc_phone_and_nationality_are_used_by_default():
    user = UserFactory(first_name="Jane", last_name="Smith", country="", phone_number="")
    kyc_submission_create(user=user, data=person_data(nationality="GB"), documents=[passport()])
    other = UserFactory(first_name="Jane", last_name="Smith")
    kyc_submission_create(user=other, data=person_data(), documents=[passport()])  # same phone in KYC

    assessment = phone_trust_assess(user=user)

    assert assessment.phone == UK_MOBILE
    assert points(assessment, "nationality") == 15
    assert points(assessment, "reuse") == -15
