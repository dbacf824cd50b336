"""Monthly creator statements, computed from the ledger (nothing stored: the ledger is the record).

A statement covers one calendar month in UTC, [1st 00:00, next 1st 00:00), by the time money moved
(the journal entry's ``created_at``): an allocation for October committed on 2 November is on the
November statement, beside the run period it came from.

Accounts shown are the creator's own: available, held, safety reserve and payouts in transit (the
viewer gift wallet is the same user as a viewer and is left out). For each account:
``opening`` = the sum of its legs before the month, ``movements`` = its legs in the month,
``closing = opening + movements``, which equals ``ledger.balance_of`` at the month's end.

Every entry that touched one of those accounts is listed once with its amount per account and a
category (allocations, reserve releases, bonuses, gifts, clawbacks, withdrawals, transfers between
the creator's own accounts, corrections). Allocations carry the run's breakdown (gross, fees,
reserve, net) and one line per video with the EIS and multipliers that produced it; the
allocation's gross is spread over its videos in proportion to value units by largest remainder, so
the video lines add up to the gross to the cent. Clawbacks carry their reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID

from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth

from creators.models import CreatorProfile
from payouts.models import AccountKind, Clawback, JournalLeg, LedgerAccount, PayoutAllocation, PayoutVideoLine

STATEMENT_ACCOUNT_KINDS: tuple[str, ...] = (
    AccountKind.CREATOR_AVAILABLE,
    AccountKind.CREATOR_HELD,
    AccountKind.SAFETY_RESERVE,
    AccountKind.PAYOUTS_IN_TRANSIT,
)
ACCOUNT_LABELS = {
    AccountKind.CREATOR_AVAILABLE: "Available",
    AccountKind.CREATOR_HELD: "Held",
    AccountKind.SAFETY_RESERVE: "Safety reserve",
    AccountKind.PAYOUTS_IN_TRANSIT: "Payouts in transit",
}

# Entry kind -> statement category; anything else is "other" (listed, never dropped).
CATEGORY_OF_KIND = {
    "allocation": "allocations",
    "reserve_release": "reserve_releases",
    "bonus": "bonuses",
    "gift": "gifts",
    "clawback": "clawbacks",
    "withdrawal_request": "withdrawals",
    "withdrawal_paid": "withdrawals",
    "withdrawal_rejected": "withdrawals",
    "held_release": "transfers",
    "reversal": "corrections",
}
CATEGORY_LABELS = {
    "allocations": "Revenue allocations",
    "reserve_releases": "Safety reserve released",
    "bonuses": "Bonuses",
    "gifts": "Gifts",
    "clawbacks": "Clawbacks",
    "withdrawals": "Withdrawals",
    "transfers": "Held money released",
    "corrections": "Corrections",
    "other": "Other",
}
KIND_LABELS = {
    "allocation": "Revenue allocation",
    "reserve_release": "Safety reserve released",
    "bonus": "Bonus",
    "gift": "Gift received",
    "clawback": "Clawback",
    "withdrawal_request": "Withdrawal requested",
    "withdrawal_paid": "Withdrawal paid out",
    "withdrawal_rejected": "Withdrawal rejected, money returned",
    "held_release": "Held money released",
    "reversal": "Correction (reversal)",
}


class StatementNotFound(LookupError):
    """No statement for that month: malformed, in the future, or before the creator had any activity."""


@dataclass(frozen=True)
class AccountLine:
    kind: str
    label: str
    opening_cents: int
    movements_cents: int
    closing_cents: int


@dataclass(frozen=True)
class EntryLine:
    entry_id: UUID
    created_at: datetime
    kind: str
    category: str
    description: str
    amounts: dict[str, int]  # account kind -> signed cents on that account of the creator

    @property
    def total_cents(self) -> int:
        return sum(self.amounts.values())

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class VideoLine:
    video_id: UUID
    title: str
    engagement_units: float
    engagement_integrity_score: float
    velocity_multiplier: float
    trust_multiplier: float
    value_units: float
    gross_cents: int  # this video's part of the allocation's gross


@dataclass(frozen=True)
class AllocationLine:
    entry_id: UUID
    created_at: datetime
    run_id: UUID
    period_start: date
    period_end: date
    gross_cents: int
    fee_cents: int
    margin_adjustment_cents: int
    reserve_cents: int
    net_cents: int
    destination: str
    videos: list[VideoLine]

    @property
    def fees_cents(self) -> int:
        return self.fee_cents + self.margin_adjustment_cents


@dataclass(frozen=True)
class ClawbackLine:
    entry_id: UUID | None
    created_at: datetime
    reason: str
    run_period_start: date
    gross_cents: int
    fee_refund_cents: int
    from_reserve_cents: int
    from_held_cents: int
    from_available_cents: int
    unrecovered_cents: int

    @property
    def recovered_cents(self) -> int:
        return self.from_reserve_cents + self.from_held_cents + self.from_available_cents


@dataclass(frozen=True)
class Statement:
    creator_handle: str
    month: date  # the 1st of the month
    period_start: datetime
    period_end: datetime
    accounts: list[AccountLine]
    entries: list[EntryLine]
    allocations: list[AllocationLine]
    clawbacks: list[ClawbackLine]
    # Net effect of each category on the creator's accounts taken together (transfers between them net 0).
    category_totals: dict[str, int] = field(default_factory=dict)
    fees_cents: int = 0  # platform fees (tier fee + margin adjustment) on this month's allocations
    gross_cents: int = 0  # gross of this month's allocations
    reserve_held_cents: int = 0  # put into the safety reserve this month
    reserve_released_cents: int = 0  # taken out of the safety reserve by releases this month
    withdrawals_requested_cents: int = 0
    withdrawals_paid_cents: int = 0

    @property
    def opening_cents(self) -> int:
        return sum(a.opening_cents for a in self.accounts)

    @property
    def movements_cents(self) -> int:
        return sum(a.movements_cents for a in self.accounts)

    @property
    def closing_cents(self) -> int:
        return sum(a.closing_cents for a in self.accounts)

    @property
    def label(self) -> str:
        return self.month.strftime("%B %Y")

    @property
    def slug(self) -> str:
        return self.month.strftime("%Y-%m")


# --- Months ------------------------------------------------------------------------------------------
def month_parse(text: str) -> date:
    """``"2026-11"`` -> date(2026, 11, 1); raises StatementNotFound for anything else."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError) as exc:
        raise StatementNotFound(f"{text!r} is not a month written as YYYY-MM.") from exc


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _creator_accounts(creator: CreatorProfile) -> dict[int, str]:
    return dict(
        LedgerAccount.objects.filter(owner_id=creator.user_id, kind__in=STATEMENT_ACCOUNT_KINDS).values_list(
            "pk", "kind"
        )
    )


def statement_months(*, creator: CreatorProfile) -> list[date]:
    """Months in which money moved on the creator's accounts, newest first."""
    accounts = _creator_accounts(creator)
    months = (
        JournalLeg.objects.filter(account_id__in=list(accounts))
        .annotate(month=TruncMonth("entry__created_at", tzinfo=UTC))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [m.date() if isinstance(m, datetime) else m for m in months]


def _first_activity_month(accounts: dict[int, str]) -> date | None:
    first = JournalLeg.objects.filter(account_id__in=list(accounts)).aggregate(first=Min("entry__created_at"))["first"]
    if first is None:
        return None
    first = first.astimezone(UTC)
    return date(first.year, first.month, 1)


# --- The statement -------------------------------------------------------------------------------------
def _spread(total: int, weights: list[float]) -> list[int]:
    """``total`` cents over ``weights`` by largest remainder (ties: earlier first); parts sum to total."""
    if not weights:
        return []
    weight_sum = sum(w for w in weights if w > 0)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * max(w, 0.0) / weight_sum for w in weights]
    parts = [int(q) for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: max(left, 0)]:
        parts[i] += 1
    return parts


def _allocation_lines(entry_ids: list[int], creator: CreatorProfile) -> list[AllocationLine]:
    allocations = list(
        PayoutAllocation.objects.filter(entry_id__in=entry_ids, creator=creator)
        .select_related("run", "entry")
        .order_by("entry__created_at", "pk")
    )
    runs = {a.run_id for a in allocations}
    lines_by_run: dict[int, list[PayoutVideoLine]] = defaultdict(list)
    for line in (
        PayoutVideoLine.objects.filter(run_id__in=runs, creator=creator)
        .select_related("video")
        .order_by("run_id", "-value_units", "video_id")
    ):
        lines_by_run[line.run_id].append(line)
    result = []
    for allocation in allocations:
        video_lines = lines_by_run.get(allocation.run_id, [])
        cents = _spread(allocation.gross_cents, [v.value_units for v in video_lines])
        result.append(
            AllocationLine(
                entry_id=allocation.entry.public_id,
                created_at=allocation.entry.created_at,
                run_id=allocation.run.public_id,
                period_start=allocation.run.period_start,
                period_end=allocation.run.period_end,
                gross_cents=allocation.gross_cents,
                fee_cents=allocation.fee_cents,
                margin_adjustment_cents=allocation.margin_adjustment_cents,
                reserve_cents=allocation.reserve_cents,
                net_cents=allocation.net_cents,
                destination=allocation.get_destination_display(),
                videos=[
                    VideoLine(
                        video_id=v.video.public_id,
                        title=v.video.title,
                        engagement_units=v.engagement_units,
                        engagement_integrity_score=v.engagement_integrity_score,
                        velocity_multiplier=v.velocity_multiplier,
                        trust_multiplier=v.trust_multiplier,
                        value_units=v.value_units,
                        gross_cents=part,
                    )
                    for v, part in zip(video_lines, cents, strict=True)
                ],
            )
        )
    return result


def _clawback_lines(entry_ids: list[int], creator: CreatorProfile) -> list[ClawbackLine]:
    clawbacks = Clawback.objects.filter(entry_id__in=entry_ids, creator=creator).select_related("entry", "run")
    return [
        ClawbackLine(
            entry_id=c.entry.public_id if c.entry_id else None,
            created_at=c.entry.created_at if c.entry_id else c.created_at,
            reason=c.reason,
            run_period_start=c.run.period_start,
            gross_cents=c.gross_cents,
            fee_refund_cents=c.fee_refund_cents,
            from_reserve_cents=c.from_reserve_cents,
            from_held_cents=c.from_held_cents,
            from_available_cents=c.from_available_cents,
            unrecovered_cents=c.unrecovered_cents,
        )
        for c in clawbacks.order_by("created_at", "pk")
    ]


def statement_for(*, creator: CreatorProfile, month: date) -> Statement:
    """The creator's statement for ``month`` (any day in it).

    Raises StatementNotFound for a month in the future or before the creator's first activity
    (a creator with no activity has no statements at all).
    """
    month = date(month.year, month.month, 1)
    start, end = _month_start(month), _month_start(_next_month(month))
    today = datetime.now(UTC).date()
    accounts = _creator_accounts(creator)
    first = _first_activity_month(accounts)
    if first is None or month < first or month > date(today.year, today.month, 1):
        raise StatementNotFound(f"No statement for {month:%Y-%m}.")

    opening = dict.fromkeys(STATEMENT_ACCOUNT_KINDS, 0)
    for account_id, total in (
        JournalLeg.objects.filter(account_id__in=list(accounts), entry__created_at__lt=start)
        .values_list("account_id")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    ):
        opening[accounts[account_id]] += int(total)

    legs = (
        JournalLeg.objects.filter(
            account_id__in=list(accounts), entry__created_at__gte=start, entry__created_at__lt=end
        )
        .select_related("entry")
        .order_by("entry__created_at", "entry_id", "id")
    )
    entries: dict[int, dict] = {}
    for leg in legs.iterator(chunk_size=2000):
        row = entries.get(leg.entry_id)
        if row is None:
            row = entries[leg.entry_id] = {"entry": leg.entry, "amounts": defaultdict(int)}
        row["amounts"][accounts[leg.account_id]] += leg.amount_cents

    entry_lines: list[EntryLine] = []
    movements = dict.fromkeys(STATEMENT_ACCOUNT_KINDS, 0)
    category_totals: dict[str, int] = dict.fromkeys(CATEGORY_LABELS, 0)
    reserve_held = reserve_released = requested = paid = 0
    for row in entries.values():
        entry, amounts = row["entry"], dict(row["amounts"])
        category = CATEGORY_OF_KIND.get(entry.kind, "other")
        line = EntryLine(
            entry_id=entry.public_id,
            created_at=entry.created_at,
            kind=entry.kind,
            category=category,
            description=entry.memo,
            amounts=amounts,
        )
        entry_lines.append(line)
        for kind, cents in amounts.items():
            movements[kind] += cents
        category_totals[category] += line.total_cents
        reserve = amounts.get(AccountKind.SAFETY_RESERVE, 0)
        if entry.kind == "allocation" and reserve > 0:
            reserve_held += reserve
        if entry.kind == "reserve_release" and reserve < 0:
            reserve_released += -reserve
        if entry.kind == "withdrawal_request":
            requested += amounts.get(AccountKind.PAYOUTS_IN_TRANSIT, 0)
        if entry.kind == "withdrawal_paid":
            paid += -amounts.get(AccountKind.PAYOUTS_IN_TRANSIT, 0)

    allocation_ids = [pk for pk, row in entries.items() if row["entry"].kind == "allocation"]
    allocations = _allocation_lines(allocation_ids, creator)
    clawbacks = _clawback_lines([pk for pk, row in entries.items() if row["entry"].kind == "clawback"], creator)
    account_lines = [
        AccountLine(
            kind=kind,
            label=ACCOUNT_LABELS[kind],
            opening_cents=opening[kind],
            movements_cents=movements[kind],
            closing_cents=opening[kind] + movements[kind],
        )
        for kind in STATEMENT_ACCOUNT_KINDS
    ]
    return Statement(
        creator_handle=creator.handle,
        month=month,
        period_start=start,
        period_end=end,
        accounts=account_lines,
        entries=entry_lines,
        allocations=allocations,
        clawbacks=clawbacks,
        category_totals={k: v for k, v in category_totals.items() if v or k in CATEGORY_OF_KIND.values()},
        fees_cents=sum(a.fees_cents for a in allocations),
        gross_cents=sum(a.gross_cents for a in allocations),
        reserve_held_cents=reserve_held,
        reserve_released_cents=reserve_released,
        withdrawals_requested_cents=requested,
        withdrawals_paid_cents=paid,
    )


# --- CSV -------------------------------------------------------------------------------------------------
# One flat file, one row per fact, a "section" column saying what the row is:
#   account    opening / movements / closing per account (and "all accounts")
#   entry      one row per ledger entry and account of the creator it moved money on
#   allocation a run allocation's breakdown: gross, platform fee, margin adjustment, reserve, net
#   video      one row per video of an allocation: EIS, multipliers, value units, its part of the gross
#   clawback   a clawback: recovered from the creator (negative), with the reason
#   summary    totals per category for the month, and fees, reserve held/released, withdrawals
# Amounts appear twice: amount_usd (decimal dollars, 2 places, "-" for money leaving) and amount_cents
# (the exact integer). Text that came from people (video titles, reasons, memos) is neutralised against
# spreadsheet formula injection: a cell starting with = + - @ TAB or CR gets a leading "'". Numbers we
# format ourselves are written as plain numbers.
CSV_HEADER = [
    "section", "date", "entry_id", "kind", "description", "account", "video_id", "video_title",
    "engagement_integrity_score", "velocity_multiplier", "trust_multiplier", "value_units",
    "amount_usd", "amount_cents",
]  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise a text cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def usd(cents: int) -> str:
    """Cents as decimal dollars with two places, by integer arithmetic: -1234 -> "-12.34"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


class _Number(str):
    """A cell we formatted ourselves from a number: exempt from formula neutralisation."""


def _row(section: str, *, when=None, entry_id=None, kind="", description="", account="", video=None,
         cents: int | None = None) -> list[str]:  # fmt: skip
    cells: list[str] = [
        section,
        when.isoformat() if when is not None else "",
        str(entry_id) if entry_id else "",
        kind,
        description,
        account,
        str(video.video_id) if video else "",
        video.title if video else "",
        _Number(f"{video.engagement_integrity_score:.2f}") if video else "",
        _Number(f"{video.velocity_multiplier:.4f}") if video else "",
        _Number(f"{video.trust_multiplier:.4f}") if video else "",
        _Number(f"{video.value_units:.4f}") if video else "",
        _Number(usd(cents)) if cents is not None else "",
        _Number(str(int(cents))) if cents is not None else "",
    ]
    return [cell if isinstance(cell, _Number) else csv_safe(cell) for cell in cells]


def statement_csv_rows(statement: Statement) -> list[list[str]]:
    """The header and every row of the statement's CSV (see the layout above)."""
    rows = [list(CSV_HEADER)]
    first_day, last_day = statement.month, _next_month(statement.month)
    for account in statement.accounts:
        rows.append(_row("account", when=first_day, description="opening balance", account=account.kind,
                         cents=account.opening_cents))  # fmt: skip
        rows.append(_row("account", description="movements", account=account.kind, cents=account.movements_cents))
        rows.append(_row("account", when=last_day, description="closing balance", account=account.kind,
                         cents=account.closing_cents))  # fmt: skip
    rows.append(_row("account", when=first_day, description="opening balance", account="all accounts",
                     cents=statement.opening_cents))  # fmt: skip
    rows.append(_row("account", when=last_day, description="closing balance", account="all accounts",
                     cents=statement.closing_cents))  # fmt: skip
    for entry in statement.entries:
        for account, cents in entry.amounts.items():
            rows.append(_row("entry", when=entry.created_at, entry_id=entry.entry_id, kind=entry.kind,
                             description=entry.description or entry.label, account=account, cents=cents))  # fmt: skip
    for allocation in statement.allocations:
        period = f"run {allocation.period_start.isoformat()} to {allocation.period_end.isoformat()}"
        for part, cents in (
            ("gross", allocation.gross_cents),
            ("platform fee", -allocation.fee_cents),
            ("margin adjustment", -allocation.margin_adjustment_cents),
            ("safety reserve held", -allocation.reserve_cents),
            (f"net to {allocation.destination.lower()}", allocation.net_cents),
        ):
            rows.append(_row("allocation", when=allocation.created_at, entry_id=allocation.entry_id,
                             kind="allocation", description=f"{part} ({period})", cents=cents))  # fmt: skip
        for video in allocation.videos:
            rows.append(_row("video", when=allocation.created_at, entry_id=allocation.entry_id, kind="allocation",
                             description=period, video=video, cents=video.gross_cents))  # fmt: skip
    for clawback in statement.clawbacks:
        rows.append(_row("clawback", when=clawback.created_at, entry_id=clawback.entry_id, kind="clawback",
                         description=clawback.reason, cents=-clawback.recovered_cents))  # fmt: skip
    for category, cents in statement.category_totals.items():
        rows.append(_row("summary", kind=category, description=CATEGORY_LABELS[category], cents=cents))
    for description, cents in (
        ("allocations gross", statement.gross_cents),
        ("platform fees on allocations", -statement.fees_cents),
        ("safety reserve held", statement.reserve_held_cents),
        ("safety reserve released", statement.reserve_released_cents),
        ("withdrawals requested", statement.withdrawals_requested_cents),
        ("withdrawals paid out", statement.withdrawals_paid_cents),
    ):
        rows.append(_row("summary", description=description, cents=cents))
    return rows
