"""Trend review in admin: the queue, approve/reject actions that ask for a reason and audit, and the
read-only milestone awards with Finance's payment retry."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from creators.models import CreatorProfile, MilestoneAward, Trend, User
from creators.roles import FINANCE, TRUST_AND_SAFETY
from creators.trends import trend_submit
from payouts.bonuses import bonus_pool_fund
from tests.factories import CreatorProfileFactory, UserFactory
from tests.payouts.conftest import ledger_checked  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:creators_trend_changelist"


def staff(group: str) -> User:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)


def submit(tag: str) -> Trend:
    return trend_submit(originator=CreatorProfileFactory(), name=f"Trend {tag}", hashtag=tag, description="An idea.")


def test_the_queue_lists_submitted_ideas_first_oldest_first(client):
    decided = submit("decided")
    Trend.objects.filter(pk=decided.pk).update(status="rejected", reviewed_at=timezone.now())
    newer, older = submit("newer"), submit("older")
    Trend.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timezone.timedelta(days=2))
    client.force_login(staff(TRUST_AND_SAFETY))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert [t.pk for t in response.context["cl"].result_list] == [older.pk, newer.pk, decided.pk]


def test_approving_asks_for_a_reason_then_approves_and_audits(client):
    trend = submit("dance_off")
    reviewer = staff(TRUST_AND_SAFETY)
    client.force_login(reviewer)
    post = {"action": "approve_selected", ACTION_CHECKBOX_NAME: [trend.pk]}

    page = client.post(reverse(CHANGELIST), post)
    assert page.status_code == 200
    assert "give a reason" in page.content.decode()
    assert Trend.objects.get(pk=trend.pk).status == "submitted"

    done = client.post(reverse(CHANGELIST), {**post, "apply": "1", "reason": "Original, safe for all ages"})
    assert done.status_code == 302
    trend.refresh_from_db()
    assert (trend.status, trend.reviewed_by, trend.review_reason) == (
        "approved",
        reviewer,
        "Original, safe for all ages",
    )
    event = AuditEvent.objects.get(action="trends.approve")
    assert (event.actor, event.reason) == (reviewer, "Original, safe for all ages")


def test_rejecting_without_a_reason_changes_nothing(client):
    trend = submit("dance_off")
    client.force_login(staff(TRUST_AND_SAFETY))
    post = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [trend.pk], "apply": "1", "reason": ""}
    response = client.post(reverse(CHANGELIST), post)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Trend.objects.get(pk=trend.pk).status == "submitted"
    assert not AuditEvent.objects.exists()


def test_an_already_decided_trend_reports_an_error_and_stays_decided(client):
    trend = submit("dance_off")
    client.force_login(staff(TRUST_AND_SAFETY))
    approve = {"action": "approve_selected", ACTION_CHECKBOX_NAME: [trend.pk], "apply": "1", "reason": "Fine idea."}
    client.post(reverse(CHANGELIST), approve)
    reject = {**approve, "action": "reject_selected", "reason": "Second thoughts."}
    page = client.post(reverse(CHANGELIST), reject, follow=True)
    assert "no longer awaiting review" in page.content.decode()
    assert Trend.objects.get(pk=trend.pk).status == "approved"


def test_finance_cannot_decide_trends_and_trends_cannot_be_edited_in_the_form(client):
    trend = submit("dance_off")
    client.force_login(staff(FINANCE))
    changelist = client.get(reverse(CHANGELIST))
    assert changelist.status_code == 200
    assert "approve_selected" not in changelist.content.decode()
    post = {"action": "approve_selected", ACTION_CHECKBOX_NAME: [trend.pk], "apply": "1", "reason": "Looks fine."}
    client.post(reverse(CHANGELIST), post)
    assert Trend.objects.get(pk=trend.pk).status == "submitted"
    change = client.post(reverse("admin:creators_trend_change", args=[trend.pk]), {"status": "approved"})
    assert change.status_code in (200, 403)
    assert Trend.objects.get(pk=trend.pk).status == "submitted"


@pytest.mark.usefixtures("ledger_checked")
def test_finance_retries_waiting_milestone_payments(client, settings):
    from creators.milestones import milestones_check

    settings.PAYOUTS_MILESTONES = [1_000]
    settings.PAYOUTS_MILESTONE_BONUS_CENTS = {1_000: 1_000}
    creator = CreatorProfileFactory()
    CreatorProfile.objects.filter(pk=creator.pk).update(follower_count=1_000)
    [award] = milestones_check(creator=creator)
    assert award.paid_at is None
    client.force_login(staff(FINANCE))
    url = reverse("admin:creators_milestoneaward_changelist")
    assert client.get(url).status_code == 200

    post = {"action": "pay_selected", ACTION_CHECKBOX_NAME: [award.pk]}
    waiting = client.post(url, post, follow=True)
    assert "still waiting for the bonus pool: 1" in waiting.content.decode()
    bonus_pool_fund(amount_cents=5_000, idempotency_key="finance")
    paid = client.post(url, post, follow=True)
    assert "Paid: 1; still waiting for the bonus pool: 0" in paid.content.decode()
    assert MilestoneAward.objects.get(pk=award.pk).paid_at is not None


def test_trust_and_safety_cannot_retry_payments(client):
    client.force_login(staff(TRUST_AND_SAFETY))
    page = client.get(reverse("admin:creators_milestoneaward_changelist"))
    assert page.status_code == 200
    assert "pay_selected" not in page.content.decode()
