"""The access-checked document view: who may download an identity document, and how it is served."""

import pytest
from django.urls import reverse

from compliance.kyc.services import kyc_submission_create
from compliance.models import AuditEvent
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    PDF_BYTES,
    creator_fixture,
    passport,
    person_data,
    private_media_fixture,
    reviewer_fixture,
    upload,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def document(creator):
    doc = passport(file=upload(PDF_BYTES, name="passport scan.jpg"))
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[doc])
    return submission.documents.get()


def url(document) -> str:
    return reverse("compliance:kyc-document", kwargs={"document_id": document.public_id})


def test_the_owner_downloads_the_file_with_safe_headers(client, document, creator):
    client.force_login(creator)
    response = client.get(url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"passport-{document.public_id.hex[:12]}.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not AuditEvent.objects.filter(action="kyc.document_viewed").exists()  # owners are not audited


def test_another_user_gets_404(client, document):
    client.force_login(UserFactory())
    assert client.get(url(document)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, document):
    response = client.get(url(document))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_without_the_compliance_permission_get_403(client, document):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url(document)).status_code == 403


def test_staff_with_the_permission_download_and_are_audited(client, document, reviewer):
    client.force_login(reviewer)
    response = client.get(url(document))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="kyc.document_viewed")
    assert (event.actor, event.subject) == (reviewer, f"compliance.identitydocument:{document.pk}")


def test_an_unknown_document_is_404_even_for_staff(client, reviewer):
    client.force_login(reviewer)
    unknown = "00000000-0000-4000-8000-000000000000"
    response = client.get(reverse("compliance:kyc-document", kwargs={"document_id": unknown}))
    assert response.status_code == 404


def test_only_get_is_allowed(client, document, creator):
    client.force_login(creator)
    assert client.post(url(document)).status_code == 405


def test_private_storage_never_produces_a_url(document):
    with pytest.raises(PermissionError):
        document.file.url  # noqa: B018
