"""The KYC review queue in admin: ordering, readable checks, and decisions that go through the service."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from compliance.kyc.services import kyc_submission_create
from compliance.models import AuditEvent, KycReview, KycSubmission
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    mrz_td3,
    passport,
    person_data,
    private_media_fixture,
    reviewer_fixture,
    reviewer_make,
    sanctions_list_load,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

CHANGELIST = "admin:compliance_kycsubmission_changelist"


def submit(**person) -> KycSubmission:
    user = UserFactory(first_name="", last_name="")
    return kyc_submission_create(user=user, data=person_data(**person), documents=[passport()])


@pytest.fixture
def sanctioned() -> KycSubmission:
    sanctions_list_load()
    user = UserFactory(first_name="", last_name="")
    data = person_data(given_names="Dmitri", surname="Volkov", date_of_birth="1971-03-03", sex="M")
    doc = passport(mrz=mrz_td3(surname="VOLKOV", given="DMITRI", birth="710303", sex="M"))
    return kyc_submission_create(user=user, data=data, documents=[doc])


def test_the_queue_lists_submissions_in_review_first_oldest_first(client, reviewer):
    approved_earlier = submit()
    KycSubmission.objects.filter(pk=approved_earlier.pk).update(status="approved", level=1)
    newer, older = submit(), submit()
    KycSubmission.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(days=3))
    client.force_login(reviewer)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [KycSubmission.objects.get(pk=older.pk), newer, KycSubmission.objects.get(pk=approved_earlier.pk)]


def test_the_queue_filters_by_status(client, reviewer):
    in_review = submit()
    client.force_login(reviewer)
    response = client.get(reverse(CHANGELIST), {"status__exact": "needs_review"})
    assert list(response.context["cl"].result_list) == [in_review]


def test_the_submission_page_shows_checks_matches_and_document_links(client, reviewer, sanctioned):
    client.force_login(reviewer)
    response = client.get(reverse("admin:compliance_kycsubmission_change", args=[sanctioned.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "sanctions_screening" in body
    assert "FAIL" in body
    assert "VOLKOV, Dmitri Sergeyevich" in body
    assert "over the line" in body
    document = sanctioned.documents.get()
    assert reverse("compliance:kyc-document", kwargs={"document_id": document.public_id}) in body
    assert reverse("admin:compliance_kycsubmission_decide", args=[sanctioned.pk, "reject"]) in body


def test_rejecting_through_an_action_asks_for_a_reason_then_decides_and_audits(client, reviewer, sanctioned):
    client.force_login(reviewer)
    post = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [sanctioned.pk]}

    page = client.post(reverse(CHANGELIST), post)
    assert page.status_code == 200
    assert "give a reason" in page.content.decode()
    assert KycSubmission.objects.get(pk=sanctioned.pk).status == "needs_review"

    done = client.post(reverse(CHANGELIST), {**post, "apply": "1", "reason": "Confirmed match: same DOB"})
    assert done.status_code == 302
    assert KycSubmission.objects.get(pk=sanctioned.pk).status == "rejected"
    event = AuditEvent.objects.get(action="kyc.review_reject")
    assert (event.actor, event.reason) == (reviewer, "Confirmed match: same DOB")


def test_an_action_without_a_reason_changes_nothing(client, reviewer, sanctioned):
    client.force_login(reviewer)
    post = {"action": "approve_selected", ACTION_CHECKBOX_NAME: [sanctioned.pk], "apply": "1", "reason": ""}
    response = client.post(reverse(CHANGELIST), post)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not KycReview.objects.exists()


def test_the_per_submission_decide_page_escalates_and_a_second_reviewer_approves_at_level_3(client, reviewer):
    submission = submit()
    url = reverse("admin:compliance_kycsubmission_decide", args=[submission.pk, "escalate"])
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "High expected payouts"}).status_code == 302

    # The same reviewer cannot also approve: the error is shown, nothing changes.
    approve = reverse("admin:compliance_kycsubmission_decide", args=[submission.pk, "approve"])
    client.post(approve, {"reason": "Looks fine to me"}, follow=True)
    assert KycSubmission.objects.get(pk=submission.pk).status == "needs_review"

    client.force_login(reviewer_make("second@valuetok.test"))
    client.post(approve, {"reason": "Video call held, source of funds documented"})
    submission.refresh_from_db()
    assert (submission.status, submission.level) == ("approved", 3)
    assert list(KycReview.objects.order_by("id").values_list("decision", flat=True)) == ["escalate", "approve"]


def test_staff_without_the_review_permission_see_no_decision_actions(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_kycsubmission"))
    submission = submit()
    client.force_login(viewer)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "approve_selected" not in response.content.decode()
    url = reverse("admin:compliance_kycsubmission_decide", args=[submission.pk, "approve"])
    assert client.post(url, {"reason": "sneaky"}).status_code == 403


def test_submissions_cannot_be_edited_or_deleted_in_admin(client, reviewer):
    submission = submit()
    client.force_login(reviewer)
    change = reverse("admin:compliance_kycsubmission_change", args=[submission.pk])
    client.post(change, {"status": "approved", "level": 3})
    assert KycSubmission.objects.get(pk=submission.pk).status == "needs_review"
    assert client.get(reverse("admin:compliance_kycsubmission_delete", args=[submission.pk])).status_code == 403
