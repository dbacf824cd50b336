"""Staff preview runs in admin; only Finance computes and commits, after confirming, audited."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from compliance.models import AuditEvent
from creators.models import User
from creators.roles import FINANCE, TRUST_AND_SAFETY
from payouts.models import JournalEntry, PayoutRun
from payouts.split import payout_run_create
from tests.factories import UserFactory
from tests.payouts.test_runs import DAY, _split_settings, computed_run, creator_earning, revenue  # noqa: F401

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:payouts_payoutrun_changelist"


def staff(group: str) -> User:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)


def test_finance_sees_each_creators_breakdown_of_a_draft_run(client):
    creator, _ = creator_earning(valid_views=10)
    revenue(5_000)
    run = computed_run(5_000)
    client.force_login(staff(FINANCE))
    assert run.get_status_display() in client.get(reverse(CHANGELIST)).content.decode()
    page = client.get(reverse("admin:payouts_payoutrun_change", args=[run.pk])).content.decode()
    assert f"@{creator.handle}" in page
    assert "breakdown" in page
    lines = client.get(reverse("admin:payouts_payoutallocation_changelist"), {"run__id__exact": run.pk})
    assert lines.status_code == 200
    assert creator.handle in lines.content.decode()


def test_commit_asks_for_confirmation_then_commits_once_and_audits(client, ledger_checked):
    creator_earning(valid_views=10)
    revenue(5_000)
    run = computed_run(5_000)
    finance = staff(FINANCE)
    client.force_login(finance)
    data = {"action": "commit_selected", helpers.ACTION_CHECKBOX_NAME: [run.pk]}
    confirm = client.post(reverse(CHANGELIST), data)
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert not JournalEntry.objects.filter(kind="allocation").exists()
    client.post(reverse(CHANGELIST), {**data, "confirm": "1"})
    client.post(reverse(CHANGELIST), {**data, "confirm": "1"})
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMMITTED
    assert JournalEntry.objects.filter(kind="allocation").count() == 1
    event = AuditEvent.objects.filter(action="payout_run.commit").first()
    assert event.actor == finance
    assert event.after["status"] == "committed"


def test_staff_outside_finance_cannot_compute_or_commit(client):
    revenue(5_000)
    run = payout_run_create(granularity="daily", period_start=DAY, pool_cents=1_000)
    client.force_login(staff(TRUST_AND_SAFETY))
    response = client.post(reverse(CHANGELIST), {"action": "compute_selected", helpers.ACTION_CHECKBOX_NAME: [run.pk],
                                                 "confirm": "1"})  # fmt: skip
    assert response.status_code in (302, 403)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.DRAFT


# --- Commands and tasks -------------------------------------------------------------------------------


def test_payouts_run_prints_the_preview_and_writes_nothing_without_commit(capsys):
    creator, _ = creator_earning(valid_views=10)
    revenue(5_000)
    call_command("payouts_run", "--period", DAY.isoformat(), "--pool-cents", "5000")
    out = capsys.readouterr().out
    assert "DRY RUN" in out
    assert f"@{creator.handle}" in out
    assert not PayoutRun.objects.exists()
    call_command("payouts_run", "--period", DAY.isoformat(), "--pool-cents", "5000", "--commit")
    assert PayoutRun.objects.get().status == PayoutRun.Status.COMMITTED


def test_payouts_backfill_lists_missed_periods_and_runs_them_with_commit(capsys):
    creator_earning(valid_views=10)
    revenue(5_000)
    call_command("payouts_backfill", "--from", "2026-11", "--to", "2026-11", "--granularity", "daily")
    out = capsys.readouterr().out
    assert "2026-11-10: would run with a pool of 5000 cents" in out
    assert "2026-11-09: no revenue recorded, skipped" in out
    assert not PayoutRun.objects.exists()
    call_command("payouts_backfill", "--from", "2026-11", "--to", "2026-11", "--granularity", "daily", "--commit")
    assert PayoutRun.objects.get().status == PayoutRun.Status.COMMITTED
    call_command("payouts_backfill", "--from", "2026-11", "--to", "2026-11", "--granularity", "daily")
    assert "2026-11-10: already committed" in capsys.readouterr().out


def test_the_run_period_task_is_safe_to_run_twice(ledger_checked):
    from payouts.tasks import run_period

    creator_earning(valid_views=10)
    revenue(5_000)
    first = run_period.delay(granularity="daily", period_start=DAY.isoformat()).get()
    second = run_period.delay(granularity="daily", period_start=DAY.isoformat()).get()
    assert first["status"] == second["status"] == "committed"
    assert first["run"] == second["run"]
    assert JournalEntry.objects.filter(kind="allocation").count() == 1
