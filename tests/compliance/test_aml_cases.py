"""Alerts group into cases; staff assign, comment, attach and resolve them in admin; everything is audited."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.aml.services import (
    CaseStateError,
    case_assign,
    case_attachment_add,
    case_comment_add,
    case_reopen,
    case_resolve,
)
from compliance.models import AmlAlert, AmlCase, AuditEvent, CaseAttachment
from creators.roles import FINANCE, TRUST_AND_SAFETY
from tests.compliance.aml_support import NOW, account, ask, creator, past_gift
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {**settings.STORAGES["private"],
                                                          "OPTIONS": {"location": tmp_path}}}  # fmt: skip


def _held_cycle():
    """B sends A's creator profile back most of what A just sent: a held gift, an alert about B."""
    a, b = creator(age_days=200), creator(age_days=200)
    past_gift(a.user, b, 20_000, at=NOW - timedelta(hours=2))
    gift = ask(b.user, a, 10_000)
    assert gift.decision == "hold"
    return a, b, gift


def _staff(group: str = TRUST_AND_SAFETY):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_held_gift_raises_an_alert_in_a_new_case_about_the_sender():
    a, b, gift = _held_cycle()

    alert = AmlAlert.objects.get(gift=gift)
    assert alert.subject == b.user
    assert alert.case.status == AmlCase.Status.OPEN
    assert {u.pk for u in alert.case.subjects.all()} == {a.user_id, b.user_id}
    assert [h["rule"] for h in alert.rules] == ["graph.cycle"]
    assert AuditEvent.objects.filter(action="aml.case.opened", subject=f"compliance.amlcase:{alert.case_id}").exists()


def test_later_alerts_about_the_same_account_join_its_open_case():
    a, b, _ = _held_cycle()
    second = ask(b.user, a, 10_000, at=NOW + timedelta(minutes=5))

    assert second.decision in {"hold", "block"}
    assert AmlCase.objects.filter(subject=b.user).count() == 1
    assert AmlCase.objects.get(subject=b.user).alerts.count() == 2


def test_an_allowed_gift_raises_no_alert():
    ask(account(age_days=100), creator(), 500)

    assert not AmlAlert.objects.exists()
    assert not AmlCase.objects.exists()


def test_receiver_side_rules_raise_the_alert_about_the_creator():
    mule = creator(age_days=200)
    for n in range(7):
        past_gift(account(age_days=2), mule, 4_000, at=NOW - timedelta(minutes=30 + n), device=f"d{n}")
    for n in range(2):
        past_gift(account(age_days=60), mule, 500, at=NOW - timedelta(days=n + 1), device="phone-1")
    sender = account(age_days=1)

    gift = ask(sender, mule, 4_000, device="phone-1")

    assert gift.decision == "hold"
    subjects = {alert.subject_id: alert for alert in AmlAlert.objects.filter(gift=gift)}
    assert set(subjects) == {mule.user_id, sender.pk}
    assert [h["rule"] for h in subjects[mule.user_id].rules] == ["graph.fan_in"]


def test_assigning_moves_an_open_case_to_investigating_and_is_audited():
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()

    case = case_assign(case=case, assignee=staff, actor=staff)

    assert (case.status, case.assignee) == (AmlCase.Status.INVESTIGATING, staff)
    event = AuditEvent.objects.get(action="aml.case.assigned")
    assert event.actor == staff
    assert event.before == {"assignee_id": None, "status": "open"}
    assert event.after == {"assignee_id": staff.pk, "status": "investigating"}


def test_cases_are_assigned_only_to_staff():
    _, b, _ = _held_cycle()

    with pytest.raises(CaseStateError, match="only to staff"):
        case_assign(case=AmlCase.objects.get(subject=b.user), assignee=account(), actor=_staff())


def test_resolving_needs_a_reason_and_is_audited():
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()

    with pytest.raises(CaseStateError, match="needs a reason"):
        case_resolve(case=case, resolution="false_positive", reason="  ", actor=staff)
    case = case_resolve(case=case, resolution="reported", reason="Round-tripping with @a; SAR filed.", actor=staff)

    assert case.status == AmlCase.Status.RESOLVED
    assert case.resolved_by == staff
    assert AuditEvent.objects.get(action="aml.case.resolved").reason == "Round-tripping with @a; SAR filed."


def test_a_resolved_case_cannot_be_resolved_again():
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()
    case_resolve(case=case, resolution="false_positive", reason="Friends.", actor=staff)

    with pytest.raises(CaseStateError, match="resolved"):
        case_resolve(case=case, resolution="reported", reason="Changed my mind.", actor=staff)


def test_an_alert_after_resolution_opens_a_new_case():
    a, b, _ = _held_cycle()
    staff = _staff()
    case_resolve(case=AmlCase.objects.get(subject=b.user), resolution="false_positive", reason="Friends.",
                 actor=staff)  # fmt: skip

    ask(b.user, a, 10_000, at=NOW + timedelta(minutes=5))

    assert AmlCase.objects.filter(subject=b.user).count() == 2
    assert AmlCase.objects.filter(subject=b.user).exclude(status="resolved").count() == 1


def test_a_case_can_be_reopened_with_a_reason_unless_another_is_open():
    _, b, _ = _held_cycle()
    staff = _staff()
    case = case_resolve(case=AmlCase.objects.get(subject=b.user), resolution="other", reason="x", actor=staff)

    reopened = case_reopen(case=case, reason="New evidence.", actor=staff)

    assert reopened.status == AmlCase.Status.INVESTIGATING
    assert reopened.resolution == ""


def test_comments_and_attachments_are_stored_privately_and_audited(settings):
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()

    case_comment_add(case=case, author=staff, body="Looks like round-tripping.")
    attachment = case_attachment_add(case=case, uploaded_by=staff,
                                     upload=SimpleUploadedFile("bank statement.pdf", b"%PDF-1.4 evidence"))  # fmt: skip

    assert case.comments.get().body == "Looks like round-tripping."
    assert attachment.file.name.startswith("aml-cases/")
    assert "statement" not in attachment.file.name
    assert attachment.size_bytes == 17
    with pytest.raises(PermissionError):
        attachment.file.url  # noqa: B018 - private storage has no public URL
    actions = set(AuditEvent.objects.filter(subject=f"compliance.amlcase:{case.pk}").values_list("action", flat=True))
    assert {"aml.case.commented", "aml.case.attached"} <= actions


def test_an_empty_comment_is_refused():
    _, b, _ = _held_cycle()

    with pytest.raises(CaseStateError):
        case_comment_add(case=AmlCase.objects.get(subject=b.user), author=_staff(), body="   ")


# --- Admin --------------------------------------------------------------------------------------
def _admin_client(client, staff):
    client.login(email=staff.email, password=PASSWORD)
    return client


def test_the_case_page_shows_alerts_accounts_and_flows(client):
    a, b, _ = _held_cycle()
    case = AmlCase.objects.get(subject=b.user)

    page = _admin_client(client, _staff()).get(f"/admin/compliance/amlcase/{case.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "graph.cycle" in text
    assert a.user.email in text
    assert b.user.email in text
    assert f"@{a.handle}" in text
    assert "$100.00" in text
    assert "$200.00" in text


def test_staff_work_a_case_from_its_page(client):
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()
    admin = _admin_client(client, staff)

    response = admin.post(f"/admin/compliance/amlcase/{case.pk}/change/", {
        "assign_to": staff.pk, "comment": "Checked both accounts.",
        "attachment": SimpleUploadedFile("notes.txt", b"notes"), "attachment_description": "my notes",
        "resolve_as": "false_positive", "resolution_note": "Siblings sharing gifts.",
        "alerts-TOTAL_FORMS": "1", "alerts-INITIAL_FORMS": "1", "alerts-MIN_NUM_FORMS": "0",
        "alerts-MAX_NUM_FORMS": "1000", "alerts-0-id": str(case.alerts.get().pk), "alerts-0-case": str(case.pk),
    })  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == AmlCase.Status.RESOLVED
    assert case.resolution_reason == "Siblings sharing gifts."
    assert case.comments.count() == 1
    attachment = CaseAttachment.objects.get(case=case)
    download = admin.get(f"/admin/compliance/amlcase/{case.pk}/attachment/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"notes"
    actions = list(AuditEvent.objects.filter(subject=f"compliance.amlcase:{case.pk}").values_list("action", flat=True))
    assert {"aml.case.assigned", "aml.case.commented", "aml.case.attached", "aml.case.resolved",
            "aml.case.attachment_downloaded"} <= set(actions)  # fmt: skip


def test_resolving_from_the_page_without_a_reason_is_refused(client):
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()

    response = _admin_client(client, staff).post(f"/admin/compliance/amlcase/{case.pk}/change/", {
        "resolve_as": "false_positive", "resolution_note": "",
        "alerts-TOTAL_FORMS": "1", "alerts-INITIAL_FORMS": "1", "alerts-MIN_NUM_FORMS": "0",
        "alerts-MAX_NUM_FORMS": "1000", "alerts-0-id": str(case.alerts.get().pk), "alerts-0-case": str(case.pk),
    })  # fmt: skip

    assert response.status_code == 200
    assert "Resolving a case needs a reason." in response.content.decode()
    case.refresh_from_db()
    assert case.status == AmlCase.Status.OPEN


def test_finance_can_read_cases_but_not_work_them(client):
    _, b, _ = _held_cycle()
    case = AmlCase.objects.get(subject=b.user)
    admin = _admin_client(client, _staff(FINANCE))

    assert admin.get(f"/admin/compliance/amlcase/{case.pk}/change/").status_code == 200
    admin.post(f"/admin/compliance/amlcase/{case.pk}/change/", {"resolve_as": "other", "resolution_note": "x"})
    case.refresh_from_db()
    assert case.status == AmlCase.Status.OPEN


def test_assign_to_me_from_the_case_list(client):
    _, b, _ = _held_cycle()
    case, staff = AmlCase.objects.get(subject=b.user), _staff()

    _admin_client(client, staff).post("/admin/compliance/amlcase/", {"action": "assign_to_me",
                                                                     "_selected_action": [case.pk]})  # fmt: skip

    case.refresh_from_db()
    assert case.assignee == staff


def test_decision_and_alert_lists_render_for_staff(client):
    _held_cycle()
    admin = _admin_client(client, _staff())

    for url in ("/admin/compliance/giftrequest/", "/admin/compliance/amlalert/", "/admin/compliance/amlcase/"):
        assert admin.get(url).status_code == 200, url


def test_reaching_a_daily_limit_blocks_without_raising_an_alert():
    sender, receiver = account(age_days=2), creator()
    past_gift(sender, receiver, 45_000, at=NOW - timedelta(hours=1))

    gift = ask(sender, receiver, 10_000)

    assert gift.decision == "block"
    assert not AmlAlert.objects.exists()


def test_a_self_gift_raises_an_alert():
    own = creator()

    ask(own.user, own, 500)

    assert AmlAlert.objects.get().rules[0]["rule"] == "limit.self_gift"
