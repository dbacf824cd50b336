"""The KYC API: creators submit multipart data and documents, read their checks and their level."""

import json

import pytest
from rest_framework.test import APIClient

from compliance.models import KycSubmission
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    EXE_BYTES,
    mrz_td3,
    person_data,
    private_media_fixture,
    sanctions_loaded_fixture,
    upload,
)
from tests.factories import CreatorProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

SUBMISSIONS = "/api/v1/kyc/submissions/"
STATUS = "/api/v1/kyc/status/"


def passport_meta(**overrides) -> dict:
    meta = {
        "doc_type": "passport",
        "number": "123456789",
        "issuing_country": "GB",
        "issue_date": "2021-06-01",
        "expiry_date": "2031-06-01",
        "mrz": mrz_td3(),
    }
    meta.update(overrides)
    return meta


def payload(documents=None, files=None, **person) -> dict:
    documents = documents if documents is not None else [passport_meta()]
    body = {k: v for k, v in person_data(**person).items() if v is not None}
    body["documents"] = json.dumps(documents)
    body["files"] = files if files is not None else [upload() for _ in documents]
    return body


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def creator_user():
    return CreatorProfileFactory(user__first_name="Jane", user__last_name="Smith").user


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_creator_submits_and_is_approved_at_level_2(api, creator_user):
    api.force_authenticate(creator_user)
    response = api.post(SUBMISSIONS, payload(), format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["level"], body["score"]) == ("approved", 2, 100)
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["mrz_check_digits"]["result"] == "pass"
    assert "sanctions_screening" not in checks  # screening is for staff only
    document = body["documents"][0]
    assert (document["content_type"], document["number_last4"]) == ("image/jpeg", "6789")
    assert document["download_url"].endswith(f"/compliance/documents/{document['id']}/")

    status = api.get(STATUS).json()
    assert status == {"level": 2, "status": "approved", "expires_at": "2031-06-01", "submission_id": body["id"]}


@pytest.mark.usefixtures("sanctions_loaded")
def test_a_sanctions_hit_is_not_revealed_to_the_creator(api, creator_user):
    api.force_authenticate(creator_user)
    body = payload(
        documents=[passport_meta(mrz=mrz_td3(surname="VOLKOV", given="DMITRI", birth="710303", sex="M"))],
        given_names="Dmitri",
        surname="Volkov",
        date_of_birth="1971-03-03",
        sex="M",
    )
    response = api.post(SUBMISSIONS, body, format="multipart")
    assert response.status_code == 201
    assert response.json()["status"] == "needs_review"
    text = json.dumps(response.json()).lower()
    assert "sanction" not in text
    assert "manual_review" in text


def test_multiple_documents_and_aliases_in_one_request(api, creator_user):
    api.force_authenticate(creator_user)
    licence = {"doc_type": "driving_licence", "number": "SMITH901150JE9AB", "issuing_country": "GB",
               "expiry_date": "2030-01-01", "holder_name": "Jane Smith"}  # fmt: skip
    body = payload(documents=[passport_meta(), licence], aliases=["Janie Smith", "Jane E. Smith"])
    response = api.post(SUBMISSIONS, body, format="multipart")
    assert response.status_code == 201, response.json()
    submission = KycSubmission.objects.get()
    assert submission.aliases == ["Janie Smith", "Jane E. Smith"]
    assert submission.documents.count() == 2


def test_validation_errors_are_clear_400s_naming_the_field(api, creator_user):
    api.force_authenticate(creator_user)

    missing = api.post(SUBMISSIONS, {"given_names": "Jane"}, format="multipart")
    assert missing.status_code == 400
    assert missing.json()["code"] == "validation_error"
    assert {"surname", "date_of_birth", "documents", "files"} <= set(missing.json()["errors"])

    bad_country = api.post(SUBMISSIONS, payload(nationality="XX"), format="multipart")
    assert bad_country.status_code == 400
    assert bad_country.json() == {
        "code": "validation_error",
        "detail": "nationality: 'XX' is not an ISO 3166-1 alpha-2 country code.",
        "errors": {"nationality": ["'XX' is not an ISO 3166-1 alpha-2 country code."]},
    }

    bad_phone = api.post(SUBMISSIONS, payload(phone_number="12345"), format="multipart")
    assert list(bad_phone.json()["errors"]) == ["phone_number"]

    exe = api.post(SUBMISSIONS, payload(files=[upload(EXE_BYTES, name="passport.pdf")]), format="multipart")
    assert exe.status_code == 400
    assert "a Windows executable" in exe.json()["errors"]["documents[0].file"][0]

    count = api.post(SUBMISSIONS, payload(files=[upload(), upload()]), format="multipart")
    assert count.status_code == 400
    assert "one each" in count.json()["errors"]["files"][0]

    bad_doc = api.post(SUBMISSIONS, payload(documents=[{"doc_type": "visa"}]), format="multipart")
    assert bad_doc.status_code == 400
    assert bad_doc.json()["errors"]["documents[0].doc_type"] == ['"visa" is not a valid choice.']
    assert bad_doc.json()["errors"]["documents[0].number"] == ["This field is required."]
    assert KycSubmission.objects.count() == 0


def test_a_second_submission_while_one_is_in_review_is_a_400(api, creator_user):
    api.force_authenticate(creator_user)
    assert api.post(SUBMISSIONS, payload(), format="multipart").status_code == 201  # no list: in review
    again = api.post(SUBMISSIONS, payload(), format="multipart")
    assert again.status_code == 400
    assert again.json() == {
        "code": "validation_error",
        "detail": "A previous submission is still being reviewed.",
        "errors": {"non_field_errors": ["A previous submission is still being reviewed."]},
    }


def test_creators_see_only_their_own_submissions(api, creator_user):
    other = CreatorProfileFactory().user
    api.force_authenticate(other)
    api.post(SUBMISSIONS, payload(), format="multipart")
    api.force_authenticate(creator_user)
    api.post(SUBMISSIONS, payload(), format="multipart")

    listed = api.get(SUBMISSIONS).json()
    assert listed["count"] == 1
    own = KycSubmission.objects.get(user=creator_user)
    assert listed["results"][0]["id"] == str(own.public_id)
    theirs = KycSubmission.objects.get(user=other)
    assert api.get(f"{SUBMISSIONS}{theirs.public_id}/").status_code == 404


def test_signed_out_callers_and_non_creators_are_refused(api):
    assert api.post(SUBMISSIONS, payload(), format="multipart").status_code in (401, 403)
    assert api.get(STATUS).status_code in (401, 403)
    api.force_authenticate(UserFactory())
    response = api.post(SUBMISSIONS, payload(), format="multipart")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "Only creators verify their identity."}


def test_status_without_any_submission_is_level_0(api):
    api.force_authenticate(UserFactory())
    assert api.get(STATUS).json() == {"level": 0, "status": "none", "expires_at": None, "submission_id": None}
