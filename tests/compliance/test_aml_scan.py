"""The periodic gift-graph scan: circles the real-time decisions let through are found afterwards."""

from datetime import timedelta

import pytest

from compliance.aml.scan import gift_graph_scan
from compliance.models import AmlAlert, AmlCase, AuditEvent
from compliance.tasks import scan_gift_graph
from tests.compliance.aml_support import NOW, creator, past_gift
from valuetok.schedules import collect_schedules

pytestmark = pytest.mark.django_db


def _circle(n: int, *, start, amount: int = 15_000, decisions=None):
    ring = [creator(age_days=200) for _ in range(n)]
    for i in range(n):
        decision = (decisions or {}).get(i, "allow")
        past_gift(ring[i].user, ring[(i + 1) % n], amount, at=start + timedelta(hours=i), decision=decision)
    return ring


def test_a_circle_of_allowed_gifts_raises_one_alert_per_account_in_their_cases():
    ring = _circle(3, start=NOW - timedelta(days=2))

    result = gift_graph_scan(now=NOW)

    assert (result.cycles, result.alerts) == (1, 3)
    alerts = AmlAlert.objects.filter(source=AmlAlert.Source.SCAN)
    assert sorted(a.subject_id for a in alerts) == sorted(p.user_id for p in ring)
    alert = alerts.first()
    assert alert.gift is None
    assert alert.rules[0]["rule"] == "graph.cycle_scan"
    assert "a circle through 3 accounts" in alert.rules[0]["reason"]
    case = AmlCase.objects.get(subject_id=ring[0].user_id)
    assert {u.pk for u in case.subjects.all()} == {p.user_id for p in ring}
    assert AuditEvent.objects.filter(action="aml.alert.raised", after__source="scan").count() == 3


def test_scanning_again_or_over_an_overlapping_range_reports_nothing_twice():
    _circle(2, start=NOW - timedelta(days=2))
    assert gift_graph_scan(now=NOW).alerts == 2
    assert gift_graph_scan(now=NOW).alerts == 0
    assert gift_graph_scan(now=NOW + timedelta(days=1)).alerts == 0
    assert AmlAlert.objects.filter(source=AmlAlert.Source.SCAN).count() == 2


def test_blocked_small_and_stale_gifts_make_no_circle():
    _circle(3, start=NOW - timedelta(days=2), decisions={1: "block"})  # a blocked gift moved no money
    _circle(3, start=NOW - timedelta(days=2), amount=500)  # below the cycle's minimum gift
    _circle(3, start=NOW - timedelta(days=40))  # long before the scanned range

    assert gift_graph_scan(now=NOW).alerts == 0


def test_a_held_gift_still_closes_a_circle():
    _circle(3, start=NOW - timedelta(days=2), decisions={2: "hold"})
    assert gift_graph_scan(now=NOW).cycles == 1


def test_gifts_spread_wider_than_the_graph_window_are_not_a_circle():
    ring = [creator(age_days=200) for _ in range(3)]
    for i, days_ago in enumerate((13, 6.5, 0.1)):  # 13 days from the first gift to the last
        past_gift(ring[i].user, ring[(i + 1) % 3], 15_000, at=NOW - timedelta(days=days_ago))

    assert gift_graph_scan(now=NOW).cycles == 0


def test_the_scan_is_a_scheduled_compliance_task(monkeypatch):
    _circle(2, start=NOW - timedelta(days=1))
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)

    assert scan_gift_graph.delay().get() == {"gifts": 2, "cycles": 1, "alerts": 2}
    assert scan_gift_graph.delay().get()["alerts"] == 0
    assert "compliance.scan_gift_graph" in {s.task for s in collect_schedules()}
