"""Staff decisions on KYC submissions, expiry with the document, and the level payouts read."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from compliance.kyc.selectors import kyc_level_for_user, kyc_status_for_user
from compliance.kyc.services import KycDecisionError, kyc_review_decide, kyc_submission_create
from compliance.models import AuditEvent, KycReview, KycSubmission
from compliance.selectors import kyc_level_for_user as reexported_level
from compliance.tasks import expire_kyc
from tests.compliance.kyc_support import (  # noqa: F401 - fixtures
    creator_fixture,
    passport,
    person_data,
    private_media_fixture,
    reviewer_fixture,
    reviewer_make,
    sanctions_loaded_fixture,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def in_review(creator) -> KycSubmission:
    # No sanctions list loaded: screening cannot run, so the submission waits for a person.
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "needs_review"
    return submission


@pytest.fixture
def approved(creator, sanctions_loaded) -> KycSubmission:
    submission = kyc_submission_create(user=creator, data=person_data(), documents=[passport()])
    assert submission.status == "approved"
    return submission


def test_approving_a_submission_in_review_grants_its_level_and_is_audited(in_review, reviewer):
    submission = kyc_review_decide(
        submission=in_review, reviewer=reviewer, decision="approve", reason="Screened by hand"
    )

    assert (submission.status, submission.level) == ("approved", 2)
    review = KycReview.objects.get(submission=submission)
    assert (review.reviewer, review.decision, review.from_status, review.to_status) == (
        reviewer,
        "approve",
        "needs_review",
        "approved",
    )
    event = AuditEvent.objects.get(subject=submission.audit_subject, action="kyc.review_approve")
    assert event.actor == reviewer
    assert event.reason == "Screened by hand"
    assert event.before["status"] == "needs_review"
    assert event.after == {"status": "approved", "level": 2, "enhanced_review": False}


def test_rejecting_sets_level_0_and_is_audited(in_review, reviewer):
    submission = kyc_review_decide(submission=in_review, reviewer=reviewer, decision="reject", reason="Forged scan")
    assert (submission.status, submission.level) == ("rejected", 0)
    assert AuditEvent.objects.filter(subject=submission.audit_subject, action="kyc.review_reject").count() == 1


def test_an_approval_can_be_revoked_by_rejecting_it(approved, reviewer):
    kyc_review_decide(submission=approved, reviewer=reviewer, decision="reject", reason="Account takeover found")
    assert kyc_level_for_user(user=approved.user) == 0


def test_escalated_submissions_need_a_second_reviewer_and_then_reach_level_3(in_review, reviewer):
    kyc_review_decide(submission=in_review, reviewer=reviewer, decision="escalate", reason="Large payouts expected")
    in_review.refresh_from_db()
    assert (in_review.status, in_review.enhanced_review, in_review.escalated_by) == ("needs_review", True, reviewer)

    with pytest.raises(KycDecisionError, match="second reviewer"):
        kyc_review_decide(submission=in_review, reviewer=reviewer, decision="approve", reason="Looks fine")

    second = reviewer_make("second@valuetok.test")
    submission = kyc_review_decide(
        submission=in_review, reviewer=second, decision="approve", reason="Video call and source of funds checked"
    )
    assert (submission.status, submission.level) == ("approved", 3)
    assert kyc_level_for_user(user=submission.user) == 3


def test_a_decision_needs_a_reason(in_review, reviewer):
    with pytest.raises(KycDecisionError, match="reason"):
        kyc_review_decide(submission=in_review, reviewer=reviewer, decision="approve", reason="  ")


def test_staff_without_the_review_permission_cannot_decide(in_review):
    staff = UserFactory(is_staff=True)
    with pytest.raises(KycDecisionError, match="may not decide"):
        kyc_review_decide(submission=in_review, reviewer=staff, decision="approve", reason="ok")


def test_nobody_decides_their_own_submission(in_review):
    from django.contrib.auth.models import Group

    from creators.roles import TRUST_AND_SAFETY

    in_review.user.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    owner = type(in_review.user).objects.get(pk=in_review.user.pk)
    with pytest.raises(KycDecisionError, match="own"):
        kyc_review_decide(submission=in_review, reviewer=owner, decision="approve", reason="It's me")


def test_deciding_twice_is_refused_and_writes_nothing_more(in_review, reviewer):
    kyc_review_decide(submission=in_review, reviewer=reviewer, decision="approve", reason="ok")
    with pytest.raises(KycDecisionError, match="Only a submission in review"):
        kyc_review_decide(submission=in_review, reviewer=reviewer, decision="approve", reason="again")
    assert KycReview.objects.count() == 1


def test_a_stale_copy_loses_to_a_concurrent_decision(in_review, reviewer):
    stale = KycSubmission.objects.get(pk=in_review.pk)
    KycSubmission.objects.filter(pk=in_review.pk).update(status="rejected", level=0)  # someone else decided
    with pytest.raises(KycDecisionError):
        kyc_review_decide(submission=stale, reviewer=reviewer, decision="approve", reason="ok")
    assert KycSubmission.objects.get(pk=in_review.pk).status == "rejected"


# --- Expiry --------------------------------------------------------------------------------------------


def test_the_expiry_task_expires_lapsed_verifications_once(approved):
    KycSubmission.objects.filter(pk=approved.pk).update(expires_at=timezone.localdate() - timedelta(days=1))

    assert expire_kyc.apply().get() == 1
    approved.refresh_from_db()
    assert (approved.status, approved.level) == ("expired", 0)
    event = AuditEvent.objects.get(subject=approved.audit_subject, action="kyc.expired")
    assert event.actor is None
    assert event.before == {"status": "approved", "level": 2}

    assert expire_kyc.apply().get() == 0  # a redelivered task changes nothing
    assert AuditEvent.objects.filter(action="kyc.expired").count() == 1


def test_the_expiry_task_leaves_current_verifications_alone(approved):
    from compliance.kyc.services import kyc_submissions_expire

    assert kyc_submissions_expire() == 0
    assert kyc_submissions_expire(today=date(2031, 6, 2)) == 1


def test_expire_task_is_routed_to_the_compliance_queue_and_scheduled_daily():
    from compliance.schedules import SCHEDULES
    from valuetok.celery import route_task_by_app

    assert route_task_by_app(expire_kyc.name, (), {}, {}) == {"queue": "compliance"}
    assert [s.task for s in SCHEDULES if s.task == "compliance.expire_kyc"] == ["compliance.expire_kyc"]


# --- What payouts read ------------------------------------------------------------------------------------


def test_level_is_0_without_any_submission_and_status_says_none(creator):
    assert kyc_level_for_user(user=creator) == 0
    assert kyc_status_for_user(user=creator).status == "none"


def test_level_follows_the_current_approval(approved):
    assert reexported_level(user=approved.user) == 2
    status = kyc_status_for_user(user=approved.user)
    assert (status.level, status.status, str(status.expires_at)) == (2, "approved", "2031-06-01")


def test_a_lapsed_document_gives_level_0_even_before_the_task_ran(approved):
    assert kyc_level_for_user(user=approved.user, today=date(2031, 6, 2)) == 0
    assert kyc_status_for_user(user=approved.user, today=date(2031, 6, 2)).status == "expired"


def test_a_new_submission_in_review_keeps_the_current_level(approved):
    kyc_submission_create(user=approved.user, data=person_data(aliases=["Reza Karimi"]), documents=[passport()])
    status = kyc_status_for_user(user=approved.user)
    assert (status.level, status.status) == (2, "needs_review")


def test_trust_and_safety_may_review_and_finance_only_sees(db):
    from django.contrib.auth.models import Group

    from creators.roles import FINANCE, TRUST_AND_SAFETY

    def codenames(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert {"review_kycsubmission", "view_identitydocument", "view_kycsubmission"} <= codenames(TRUST_AND_SAFETY)
    assert "view_kycsubmission" in codenames(FINANCE)
    assert not {"review_kycsubmission", "view_identitydocument"} & codenames(FINANCE)


def test_the_database_refuses_a_level_on_a_submission_that_is_not_approved(in_review):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        KycSubmission.objects.filter(pk=in_review.pk).update(level=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_only_one_decision_lands(private_media):
    import threading

    from django.db import connection

    user = UserFactory(first_name="Jane", last_name="Smith")
    submission = kyc_submission_create(user=user, data=person_data(), documents=[passport()])
    reviewers = [UserFactory(is_staff=True, is_superuser=True) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(reviewer, decision: str) -> None:
        try:
            copy = KycSubmission.objects.get(pk=submission.pk)
            barrier.wait(timeout=10)
            kyc_review_decide(submission=copy, reviewer=reviewer, decision=decision, reason="concurrent")
            results.append(decision)
        except KycDecisionError:
            results.append("refused")
        finally:
            connection.close()

    pairs = zip(reviewers, ["approve", "reject"], strict=True)
    threads = [threading.Thread(target=decide, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results).count("refused") == 1
    assert KycReview.objects.count() == 1
    landed = next(r for r in results if r != "refused")
    assert KycSubmission.objects.get(pk=submission.pk).status == {"approve": "approved", "reject": "rejected"}[landed]
