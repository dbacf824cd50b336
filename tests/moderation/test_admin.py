"""The flag review queue in admin: what a reviewer sees, and actions that need a reason, are audited,
and are open to Trust & Safety only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from compliance.models import AuditEvent
from creators.models import Video
from moderation.models import Flag, FlagReview
from moderation.services import FlagActionRefused, flag_review
from tests.factories import FlagFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:moderation_flag_changelist"


def decide_url(flag: Flag, action: str) -> str:
    return reverse("admin:moderation_flag_decide", args=[flag.pk, action])


def test_the_flag_page_shows_scores_and_the_transcript_with_driving_spans_marked_and_escaped(client, moderator):
    flag = FlagFactory()
    client.force_login(moderator)

    response = client.get(reverse("admin:moderation_flag_change", args=[flag.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>you people are vermin</mark>" in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "<script>x</script>" not in body
    assert "38.8" in body
    assert decide_url(flag, "confirm") in body


def test_the_queue_lists_escalated_then_open_flags_oldest_first(client, moderator):
    older, newer, escalated = FlagFactory(), FlagFactory(), FlagFactory(status="escalated")
    dismissed = FlagFactory(status="dismissed")
    client.force_login(moderator)

    response = client.get(reverse(CHANGELIST))

    assert list(response.context["cl"].result_list) == [escalated, older, newer, dismissed]


def test_confirming_asks_for_a_reason_then_removes_the_video_and_audits(client, moderator):
    flag = FlagFactory()
    Video.objects.filter(pk=flag.video_id).update(status=Video.Status.FLAGGED)
    client.force_login(moderator)

    page = client.get(decide_url(flag, "confirm"))
    assert page.status_code == 200
    assert "give a reason" in page.content.decode()
    empty = client.post(decide_url(flag, "confirm"), {"reason": ""})
    assert empty.status_code == 200  # the form again, with its error
    assert Flag.objects.get(pk=flag.pk).status == "open"

    done = client.post(decide_url(flag, "confirm"), {"reason": "Dehumanising slur against a group at 0:03."})

    assert done.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "confirmed"
    assert Video.objects.get(pk=flag.video_id).status == Video.Status.REMOVED
    review = FlagReview.objects.get(flag=flag)
    assert (review.reviewer, review.action, review.from_status, review.to_status) == (
        moderator,
        "confirm",
        "open",
        "confirmed",
    )
    event = AuditEvent.objects.get(action="moderation.flag_confirm")
    assert event.actor == moderator
    assert event.subject == f"moderation.flag:{flag.pk}"
    assert event.reason == "Dehumanising slur against a group at 0:03."
    assert (event.before, event.after) == ({"status": "open"}, {"status": "confirmed"})


def test_dismissing_selected_flags_through_the_action_needs_a_reason(client, moderator):
    first, second = FlagFactory(), FlagFactory()
    client.force_login(moderator)
    post = {"action": "dismiss_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}

    asked = client.post(reverse(CHANGELIST), post)
    assert asked.status_code == 200
    assert "give a reason" in asked.content.decode()
    assert Flag.objects.filter(status="open").count() == 2

    client.post(reverse(CHANGELIST), {**post, "apply": "1", "reason": "Satire; no group is targeted."})

    assert set(Flag.objects.values_list("status", flat=True)) == {"dismissed"}
    assert AuditEvent.objects.filter(action="moderation.flag_dismiss").count() == 2


def test_escalating_keeps_the_flag_in_the_queue_and_a_second_escalation_is_refused(moderator):
    flag = FlagFactory()
    flag_review(flag=flag, reviewer=moderator, action="escalate", reason="Needs a senior reviewer.")
    assert Flag.objects.get(pk=flag.pk).status == "escalated"
    with pytest.raises(FlagActionRefused, match="escalated cannot be escalated"):
        flag_review(flag=flag, reviewer=moderator, action="escalate", reason="Again.")
    assert FlagReview.objects.filter(flag=flag).count() == 1


def test_finance_staff_cannot_see_the_queue_or_act(client, finance_staff):
    flag = FlagFactory()
    client.force_login(finance_staff)

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.post(decide_url(flag, "confirm"), {"reason": "I should not be able to."}).status_code == 403
    assert Flag.objects.get(pk=flag.pk).status == "open"
    with pytest.raises(FlagActionRefused):
        flag_review(flag=flag, reviewer=finance_staff, action="confirm", reason="Not mine to decide.")
    assert not AuditEvent.objects.filter(action__startswith="moderation.").exists()


def test_a_closed_flag_cannot_be_decided_again(moderator):
    flag = FlagFactory(status="dismissed")
    with pytest.raises(FlagActionRefused):
        flag_review(flag=flag, reviewer=moderator, action="confirm", reason="Changed my mind.")
