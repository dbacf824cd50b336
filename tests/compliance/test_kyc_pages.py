"""The identity-verification page (compliance/kyc/pages.py): status, outcome with every check, the form.

Submissions go through the real service (checks, screening against the test sanctions list) and
their documents into a temporary private-storage folder.
"""

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from compliance.kyc.services import kyc_review_decide, kyc_submission_create
from compliance.models import IdentityDocument, KycSubmission
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    EXE_BYTES,
    creator_fixture,
    mrz_td3,
    passport,
    person_data,
    private_media_fixture,
    reviewer_fixture,
    sanctions_loaded_fixture,
    stored_files,
    upload,
)
from tests.factories import CreatorProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

PAGE = "/compliance/kyc/"


@pytest.fixture
def client_in(creator) -> Client:
    """Signed in as Jane Smith, a viewer without a creator profile: any signed-in user may verify."""
    client = Client()
    client.force_login(creator)
    return client


def form_body(**overrides) -> dict:
    """What the page's form sends for Jane Smith's passport (a valid MRZ: level 2)."""
    person = person_data()
    body = {name: person.get(name, "") for name in (
        "given_names", "surname", "date_of_birth", "sex", "nationality", "address_line1", "city", "postal_code",
        "address_country", "phone_number", "email",
    )}  # fmt: skip
    body.update(
        {
            "address_line2": "",
            "document_type": "passport",
            "document_number": "123456789",
            "document_country": "GB",
            "document_issue_date": "2021-06-01",
            "document_expiry_date": "2031-06-01",
            "document_holder_name": "",
            "document_mrz": mrz_td3(),
            "document_file": upload(),
        }
    )
    body.update(overrides)
    return body


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:ul|p|div|dd|table|section)>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def check_rows(html: str) -> dict[str, tuple[str, str]]:
    """{check: (result, reason)} from the checks table."""
    rows = re.findall(
        r'<tr data-check="([a-z_]+)" data-result="(pass|warn|fail)">.*?<td>.*?</td>\s*<td>(.*?)</td>', html, re.S
    )
    return {check: (result, html_lib.unescape(reason.strip())) for check, result, reason in rows}


def nothing_stored(private_media) -> bool:
    return (
        not KycSubmission.objects.exists() and not IdentityDocument.objects.exists() and not stored_files(private_media)
    )


# --- Reading the page ----------------------------------------------------------------------------------


def test_without_a_submission_the_page_shows_level_0_and_the_form_prefilled(client_in, creator):
    response = client_in.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "kyc-level") == "0"
    assert text_of(html, "kyc-status-value") == "Not verified"
    assert 'id="kyc-form"' in html
    assert f'value="{creator.email}"' in html
    assert 'value="Jane"' in html
    for field in ("id_given_names", "id_date_of_birth", "id_phone_number", "id_document_mrz", "id_document_file"):
        assert f'<label for="{field}"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PAGE}"
    assert Client().post(PAGE, form_body()).status_code == 302
    assert not KycSubmission.objects.exists()


# --- Submitting -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_valid_submission_shows_its_outcome_with_every_check(client_in, creator, private_media):
    response = client_in.post(PAGE, form_body())
    assert response.status_code == 302
    assert response["Location"] == PAGE
    submission = KycSubmission.objects.get(user=creator)
    assert (submission.status, submission.level) == ("approved", 2)
    assert len(stored_files(private_media)) == 1

    page = client_in.get(PAGE)
    html = page.content.decode()
    assert "Your identity is verified at level 2." in html  # the message after the redirect
    assert text_of(html, "kyc-level") == "2"
    assert text_of(html, "kyc-status-value") == "Approved"
    rows = check_rows(html)
    shown = {f["check"]: (f["result"], f["reason"]) for f in submission.flags if not f.get("internal")}
    assert rows == shown  # every check the creator may see, each with its result and reason
    assert {"name_format", "age", "phone", "document_number", "mrz_check_digits", "mrz_fields"} <= set(rows)
    assert "sanctions_screening" not in rows  # screening is for staff only (no tipping off)
    assert 'id="kyc-form"' in html  # approved: a new submission may raise or renew the level


def test_an_invalid_submission_shows_errors_next_to_the_fields_keeps_values_and_stores_nothing(
    client_in, private_media
):
    body = form_body(
        phone_number="07400 123456",
        nationality="XX",
        document_number="",
        document_file=upload(EXE_BYTES, name="passport.pdf", content_type="application/pdf"),
        address_line1="1 Kept Street",
    )
    response = client_in.post(PAGE, body)
    assert response.status_code == 400
    html = response.content.decode()
    assert text_of(html, "id_phone_number_error")
    assert "'XX' is not an ISO 3166-1 alpha-2 country code." in text_of(html, "id_nationality_error")
    assert text_of(html, "id_document_number_error") == "This field is required."
    assert "Windows executable" in text_of(html, "id_document_file_error")
    assert 'aria-invalid="true"' in html
    assert 'value="1 Kept Street"' in html
    assert 'value="07400 123456"' in html
    assert "nothing was stored" in text_of(html, "kyc-form-errors")
    assert nothing_stored(private_media)


def test_a_missing_document_file_is_an_error_on_the_file_field(client_in, private_media):
    body = form_body()
    del body["document_file"]
    response = client_in.post(PAGE, body)
    assert response.status_code == 400
    assert "JPEG, PNG" in text_of(response.content.decode(), "id_document_file_error")
    assert nothing_stored(private_media)


def test_a_pending_submission_hides_the_form_and_a_second_one_is_refused(client_in, creator, private_media):
    # No sanctions list loaded: screening cannot run, so a person must review it.
    response = client_in.post(PAGE, form_body())
    assert response.status_code == 302
    submission = KycSubmission.objects.get(user=creator)
    assert submission.status == "needs_review"

    html = client_in.get(PAGE).content.decode()
    assert 'id="kyc-form"' not in html
    assert "Waiting for review" in text_of(html, "kyc-outcome")
    rows = check_rows(html)
    assert rows["manual_review"][0] == "warn"  # the reason is not given away, only that a person will look
    assert "sanctions" not in html.lower()

    again = client_in.post(PAGE, form_body())
    assert again.status_code == 409
    assert "still being reviewed" in again.content.decode()
    assert 'id="kyc-form"' not in again.content.decode()
    assert KycSubmission.objects.filter(user=creator).count() == 1
    assert len(stored_files(private_media)) == 1


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_rejected_submission_lists_its_reasons_and_a_new_one_may_be_sent(client_in, creator):
    response = client_in.post(PAGE, form_body(date_of_birth="2015-03-01", document_mrz=""))
    assert response.status_code == 302
    html = client_in.get(PAGE).content.decode()
    assert "Rejected" in text_of(html, "kyc-outcome")
    result, reason = check_rows(html)["age"]
    assert result == "fail"
    assert reason
    assert 'id="kyc-form"' in html

    assert client_in.post(PAGE, form_body()).status_code == 302
    assert list(KycSubmission.objects.filter(user=creator).values_list("status", flat=True)) == [
        "approved",
        "rejected",
    ]


def test_the_reviewers_decision_and_its_reason_are_shown(client_in, creator, reviewer):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "needs_review"
    kyc_review_decide(
        submission=submission, reviewer=reviewer, decision="reject", reason="The photo of the passport is unreadable."
    )
    html = client_in.get(PAGE).content.decode()
    assert "The photo of the passport is unreadable." in text_of(html, "kyc-decision")
    assert 'id="kyc-form"' in html  # rejected: may submit again


@pytest.mark.usefixtures("sanctions_loaded")
def test_after_expiry_a_new_submission_may_be_sent(client_in, creator):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    KycSubmission.objects.filter(pk=submission.pk).update(status="expired", level=0)
    html = client_in.get(PAGE).content.decode()
    assert text_of(html, "kyc-status-value") == "Expired"
    assert "Submit again with a current document" in text_of(html, "kyc-outcome")
    assert 'id="kyc-form"' in html


def test_a_creator_sees_only_their_own_submissions(creator, private_media):
    kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    other = Client()
    other.force_login(CreatorProfileFactory().user)
    html = other.get(PAGE).content.decode()
    assert 'id="kyc-outcome"' not in html
    assert "Jane Elizabeth Smith" not in html
    assert text_of(html, "kyc-status-value") == "Not verified"


@pytest.mark.usefixtures("sanctions_loaded")
def test_an_approval_past_its_documents_expiry_shows_as_expired(client_in, creator):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "approved"
    KycSubmission.objects.filter(pk=submission.pk).update(expires_at="2020-01-01")  # the daily task has not run yet
    html = client_in.get(PAGE).content.decode()
    assert text_of(html, "kyc-level") == "0"
    assert text_of(html, "kyc-status-value") == "Expired"
    assert "your document expired on 2020-01-01" in text_of(html, "kyc-outcome")
    assert 'id="kyc-form"' in html
