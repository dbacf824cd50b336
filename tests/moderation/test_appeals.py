"""Creators' flag pages and appeals: own flags only, one appeal per flag, the outcome shown back."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from compliance.models import AuditEvent
from creators.models import Video
from moderation.models import Appeal, Flag
from moderation.services import AppealRefused, appeal_create, appeal_resolve
from tests.factories import FlagFactory, UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = "This is a quote from a news report, not my own words."


def detail_url(flag: Flag) -> str:
    return reverse("moderation:flag-detail", kwargs={"public_id": flag.public_id})


@pytest.fixture
def flag():
    return FlagFactory()


@pytest.fixture
def creator(flag):
    return flag.creator.user


def test_my_flags_lists_only_my_flags_with_status(client, flag, creator):
    someone_elses = FlagFactory()
    client.force_login(creator)

    response = client.get(reverse("moderation:my-flags"))

    body = response.content.decode()
    assert response.status_code == 200
    assert flag.video.title in body
    assert "Open" in body
    assert someone_elses.video.title not in body


def test_someone_elses_flag_is_404(client, creator):
    other = FlagFactory()
    client.force_login(creator)
    assert client.get(detail_url(other)).status_code == 404
    assert client.post(detail_url(other), {"statement": STATEMENT}).status_code == 404
    assert not Appeal.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, flag):
    response = client.get(detail_url(flag))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_appealing_once_stores_the_statement_and_audits_it(client, flag, creator):
    client.force_login(creator)

    response = client.post(detail_url(flag), {"statement": STATEMENT})

    assert response.status_code == 302
    appeal = Appeal.objects.get(flag=flag)
    assert (appeal.appellant, appeal.statement, appeal.status) == (creator, STATEMENT, "pending")
    assert AuditEvent.objects.filter(action="moderation.appeal_filed", actor=creator).exists()
    page = client.get(detail_url(flag)).content.decode()
    assert "Waiting for review" in page
    assert "<form" not in page.split('id="appeal"')[1]


def test_a_second_appeal_is_refused_by_the_page_the_service_and_the_database(client, flag, creator):
    client.force_login(creator)
    client.post(detail_url(flag), {"statement": STATEMENT})

    again = client.post(detail_url(flag), {"statement": "Second try at the same flag."}, follow=True)

    assert "cannot be appealed" in again.content.decode()
    with pytest.raises(AppealRefused, match="once"):
        appeal_create(flag=flag, appellant=creator, statement="Third try.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(flag=flag, appellant=creator, statement="Straight into the table.")
    assert Appeal.objects.filter(flag=flag).count() == 1


def test_the_appeal_form_validates_and_needs_csrf(flag, creator):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(creator)
    assert strict.post(detail_url(flag), {"statement": STATEMENT}).status_code == 403

    lenient = Client()
    lenient.force_login(creator)
    short = lenient.post(detail_url(flag), {"statement": "no"})
    assert short.status_code == 400
    assert "at least 10 characters" in short.content.decode()
    assert not Appeal.objects.exists()


def test_only_the_creator_can_appeal(flag):
    with pytest.raises(AppealRefused, match="Only the creator"):
        appeal_create(flag=flag, appellant=UserFactory(), statement=STATEMENT)


def test_overturning_lifts_the_flag_publishes_the_video_and_the_creator_sees_the_reason(
    client, flag, creator, moderator
):
    Video.objects.filter(pk=flag.video_id).update(status=Video.Status.FLAGGED)
    appeal = appeal_create(flag=flag, appellant=creator, statement=STATEMENT)
    client.force_login(moderator)
    url = reverse("admin:moderation_appeal_decide", args=[appeal.pk, "overturned"])

    assert client.post(url, {"reason": ""}).status_code == 200  # reason required: the form again
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"
    client.post(url, {"reason": "The words are quoted from a news report."})

    appeal.refresh_from_db()
    assert appeal.status == "overturned"
    assert appeal.resolved_by == moderator
    assert Flag.objects.get(pk=flag.pk).status == "overturned"
    assert Video.objects.get(pk=flag.video_id).status == Video.Status.PUBLISHED
    event = AuditEvent.objects.get(action="moderation.appeal_overturned")
    assert (event.actor, event.reason) == (moderator, "The words are quoted from a news report.")

    client.force_login(creator)
    page = client.get(detail_url(flag)).content.decode()
    assert "Overturned: the flag was lifted" in page
    assert "The words are quoted from a news report." in page
    listing = client.get(reverse("moderation:my-flags")).content.decode()
    assert "Overturned" in listing


def test_upholding_keeps_the_flag_and_cannot_be_resolved_twice(flag, creator, moderator):
    appeal = appeal_create(flag=flag, appellant=creator, statement=STATEMENT)
    appeal_resolve(appeal=appeal, resolver=moderator, outcome="upheld", reason="Slur used, not quoted.")
    assert Flag.objects.get(pk=flag.pk).status == "open"
    with pytest.raises(AppealRefused, match="already been resolved"):
        appeal_resolve(appeal=appeal, resolver=moderator, outcome="overturned", reason="Second thoughts.")


def test_finance_staff_cannot_resolve_appeals(client, flag, creator, finance_staff):
    appeal = appeal_create(flag=flag, appellant=creator, statement=STATEMENT)
    client.force_login(finance_staff)
    url = reverse("admin:moderation_appeal_decide", args=[appeal.pk, "overturned"])
    assert client.post(url, {"reason": "Not my call to make."}).status_code == 403
    with pytest.raises(AppealRefused):
        appeal_resolve(appeal=appeal, resolver=finance_staff, outcome="overturned", reason="Not my call.")
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"


def test_a_dismissed_flag_cannot_be_appealed(creator, flag):
    Flag.objects.filter(pk=flag.pk).update(status="dismissed")
    flag.refresh_from_db()
    with pytest.raises(AppealRefused, match="closed"):
        appeal_create(flag=flag, appellant=creator, statement=STATEMENT)
