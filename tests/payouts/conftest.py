"""Fixtures for the payouts tests, and the ledger invariant every test that moves money ends on.

Use ``ledger_checked`` in any test that moves money: after the test body it asserts that the sum
of all legs is zero, that every entry has at least two legs summing to zero, and that no holding
account is below zero. ``assert_ledger_invariant()`` does the same on demand (inside a test, or
from a thread in a ``transaction=True`` test).
"""

from datetime import date, timedelta

import pytest
from django.db.models import Count, Sum

from compliance.models import KycSubmission
from payouts.models import AccountKind, JournalEntry, JournalLeg


def assert_ledger_invariant() -> None:
    total = JournalLeg.objects.aggregate(total=Sum("amount_cents"))["total"] or 0
    assert total == 0, f"all legs sum to {total} cents, not zero"
    unbalanced = list(
        JournalEntry.objects.annotate(total=Sum("legs__amount_cents"), n=Count("legs"))
        .exclude(total=0, n__gte=2)
        .values_list("idempotency_key", "total", "n")[:5]
    )
    assert not unbalanced, f"entries that do not balance (key, sum, legs): {unbalanced}"
    negative = list(
        JournalLeg.objects.exclude(account__kind=AccountKind.EXTERNAL)
        .values_list("account__kind", "account__owner_id")
        .annotate(total=Sum("amount_cents"))
        .filter(total__lt=0)
        .order_by()[:5]
    )
    assert not negative, f"holding accounts below zero (kind, owner, cents): {negative}"


@pytest.fixture
def ledger_checked(db):
    """Checks the ledger invariant after the test body (use it in every test that moves money)."""
    yield assert_ledger_invariant
    assert_ledger_invariant()


def kyc_approved(user, level: int = 1) -> KycSubmission:
    """A current, approved KYC submission at ``level`` (what ``kyc_level_for_user`` reads)."""
    return KycSubmission.objects.create(
        user=user, given_names="Jane", surname="Smith", date_of_birth=date(1990, 1, 15), nationality="GB",
        address_line1="1 Test Street", city="London", address_country="GB", phone_number="+447400123456",
        email=user.email, status=KycSubmission.Status.APPROVED, level=level, eligible_level=min(level, 2),
        expires_at=date.today() + timedelta(days=365),
    )  # fmt: skip


def wallet_funded(user, cents: int, key: str = "seed"):
    """Top up ``user``'s gift wallet through the real service (external -> viewer wallet)."""
    from payouts.gifts import wallet_topup

    wallet_topup(viewer=user, amount_cents=cents, idempotency_key=key, reference="test top-up")
    return user
