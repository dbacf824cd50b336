"""Submitting KYC: the checks decide approved, needs review or rejected; bad input stores nothing."""

import pytest

from compliance.kyc.selectors import kyc_review_queue
from compliance.kyc.services import KycSubmissionInvalid, kyc_submission_create
from compliance.models import AuditEvent, IdentityDocument, KycSubmission
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    EXE_BYTES,
    HTML_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    creator_fixture,
    mrz_td3,
    passport,
    person_data,
    private_media_fixture,
    sanctions_loaded_fixture,
    stored_files,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def flag(submission: KycSubmission, check: str) -> dict:
    return next(f for f in submission.flags if f["check"] == check)


def failed(submission: KycSubmission) -> set[str]:
    return {f["check"] for f in submission.flags if f["result"] == "fail"}


@pytest.mark.usefixtures("sanctions_loaded")
def test_clean_submission_with_a_verified_passport_is_approved_at_level_2(creator, private_media):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])

    assert submission.status == KycSubmission.Status.APPROVED
    assert submission.level == 2
    assert submission.score == 100
    assert {f["result"] for f in submission.flags} == {"pass"}
    assert str(submission.expires_at) == "2031-06-01"
    assert submission.decided_at is not None
    document = submission.documents.get()
    assert (document.content_type, document.number) == ("image/jpeg", "123456789")
    assert document.file.name == f"kyc/{document.public_id.hex}.jpg"
    assert stored_files(private_media) == [private_media / document.file.name]
    event = AuditEvent.objects.get(subject=f"compliance.kycsubmission:{submission.pk}")
    assert (event.action, event.actor, event.after["status"]) == ("kyc.checks_decided", None, "approved")


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_document_without_mrz_but_with_a_matching_name_is_approved_at_level_1(creator):
    doc = passport(mrz="", holder_name="SMITH Jane Elizabeth")
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[doc])
    assert (submission.status, submission.level) == ("approved", 1)


@pytest.mark.usefixtures("sanctions_loaded")
def test_the_expiry_date_is_taken_from_a_valid_mrz_when_the_form_leaves_it_out(creator):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport(expiry_date="")])
    assert str(submission.expires_at) == "2031-06-01"
    assert submission.level == 2


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_sanctioned_name_goes_to_the_review_queue_with_the_matched_entry(creator):
    data = person_data(given_names="Dmitri", surname="Volkov", date_of_birth="1971-03-03", sex="M")
    doc = passport(mrz=mrz_td3(surname="VOLKOV", given="DMITRI", birth="710303", sex="M"))
    submission = kyc_submission_create(user=creator, data=data, documents=[doc])

    assert submission.status == KycSubmission.Status.NEEDS_REVIEW
    assert submission.level == 0
    assert submission.eligible_level == 2
    screening = flag(submission, "sanctions_screening")
    assert screening["result"] == "fail"
    assert "VOLKOV, Dmitri Sergeyevich" in screening["reason"]
    hit = next(m for m in submission.screening_matches if m["over_line"])
    assert (hit["list_kind"], hit["ent_num"]) == ("sanctions", 9001)
    assert 0 < hit["score"] <= 1
    assert list(kyc_review_queue()) == [submission]


@pytest.mark.usefixtures("sanctions_loaded")
def test_an_alias_is_screened_too(creator):
    submission = kyc_submission_create(user=creator, data=person_data(aliases=["Reza Karimi"]), documents=[passport()])
    assert submission.status == "needs_review"
    assert any(m["ent_num"] == 9002 and m["over_line"] for m in submission.screening_matches)


def test_without_a_loaded_sanctions_list_nothing_is_approved_automatically(creator):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "needs_review"
    assert flag(submission, "sanctions_screening")["result"] == "warn"


@pytest.mark.usefixtures("sanctions_loaded")
def test_an_under_18_is_rejected(creator):
    data = person_data(date_of_birth="2010-01-15")
    doc = passport(mrz=mrz_td3(birth="100115"))
    submission = kyc_submission_create(user=creator, data=data, documents=[doc])
    assert (submission.status, submission.level) == ("rejected", 0)
    assert failed(submission) == {"age"}
    assert "at least 18" in flag(submission, "age")["reason"]


@pytest.mark.usefixtures("sanctions_loaded")
def test_an_expired_document_is_rejected(creator):
    doc = passport(issue_date="2010-01-01", expiry_date="2020-01-01", mrz=mrz_td3(expiry="200101"))
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[doc])
    assert submission.status == "rejected"
    assert failed(submission) == {"document_expiry"}
    assert flag(submission, "document_expiry")["reason"] == "The document expired on 2020-01-01."


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_broken_mrz_check_digit_rejects_and_names_the_field(creator):
    good = mrz_td3()
    line1, line2 = good.split("\n")
    broken = line1 + "\n" + line2[:19] + str((int(line2[19]) + 1) % 10) + line2[20:]
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport(mrz=broken)])
    assert submission.status == "rejected"
    assert "birth date (printed" in flag(submission, "mrz_check_digits")["reason"]


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_high_risk_nationality_goes_to_review(creator, settings):
    settings.KYC_HIGH_RISK_COUNTRIES = ["GB"]
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "needs_review"
    assert flag(submission, "high_risk_country")["result"] == "warn"


def test_invalid_input_is_refused_field_by_field_and_nothing_is_stored(creator, private_media):
    data = person_data(date_of_birth="15/01/1990", nationality="XX", phone_number="07400 123456", email="nope")
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=data, documents=[passport(doc_type="visa", file=None)])
    errors = caught.value.errors
    assert set(errors) == {
        "date_of_birth",
        "nationality",
        "phone_number",
        "email",
        "documents[0].doc_type",
        "documents[0].file",
    }
    assert "'XX' is not an ISO 3166-1 alpha-2 country code." in errors["nationality"]
    assert KycSubmission.objects.count() == IdentityDocument.objects.count() == 0
    assert stored_files(private_media) == []


def test_a_submission_needs_at_least_one_document(creator):
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=person_data(), documents=[])
    assert "documents" in caught.value.errors


def test_a_second_submission_waits_for_the_first_to_be_decided(creator):
    kyc_submission_create(user=creator, data=person_data(), documents=[passport()])  # no list: in review
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert caught.value.errors == {"non_field_errors": ["A previous submission is still being reviewed."]}
    assert KycSubmission.objects.count() == 1


# --- Uploads: the bytes decide, not the name -------------------------------------------------------------


@pytest.mark.usefixtures("sanctions_loaded")
def test_pdf_bytes_named_jpg_are_stored_as_a_pdf(creator):
    doc = passport(file=upload(PDF_BYTES, name="scan.jpg", content_type="image/jpeg"))
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[doc])
    document = submission.documents.get()
    assert document.content_type == "application/pdf"
    assert document.file.name.endswith(".pdf")
    assert "scan" not in document.file.name


@pytest.mark.usefixtures("sanctions_loaded")
def test_png_is_accepted(creator):
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport(file=upload(PNG_BYTES))])
    assert submission.documents.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("content", "what"), [(EXE_BYTES, "a Windows executable"), (HTML_BYTES, "an HTML or XML document")]
)
def test_executables_and_html_renamed_pdf_are_refused(creator, private_media, content, what):
    doc = passport(file=upload(content, name="passport.pdf", content_type="application/pdf"))
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=person_data(), documents=[doc])
    message = caught.value.errors["documents[0].file"][0]
    assert what in message
    assert "only JPEG, PNG and PDF are accepted" in message
    assert stored_files(private_media) == []


def test_an_oversized_upload_is_refused(creator, settings):
    settings.KYC_MAX_UPLOAD_BYTES = 100
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert "the limit is 100 bytes" in caught.value.errors["documents[0].file"][0]


def test_an_empty_upload_is_refused(creator):
    with pytest.raises(KycSubmissionInvalid) as caught:
        kyc_submission_create(user=creator, data=person_data(), documents=[passport(file=upload(b""))])
    assert caught.value.errors["documents[0].file"] == ["The file is empty."]


def test_a_failure_after_the_files_were_written_removes_them(creator, private_media, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AuditEvent.objects, "create", explode)
    with pytest.raises(RuntimeError):
        kyc_submission_create(user=creator, data=person_data(), documents=[passport(), passport()])
    assert KycSubmission.objects.count() == 0
    assert stored_files(private_media) == []
