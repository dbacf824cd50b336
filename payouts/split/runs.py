"""Payout runs: create, compute (a preview, no money moves), commit (one transaction).

State machine: draft -> computed -> committed; draft or computed -> failed (with the error). A
computed run can be computed again (its lines are replaced). Commit is a compare-and-set under a
row lock, inside the same transaction as every journal entry it posts: a second commit of the same
run, or two at once, write nothing more, and a commit killed half way leaves nothing behind (the
run stays computed and a retry commits once). Each creator's entry carries an idempotency key
built from the run's public id, so even a commit racing past the status check cannot post twice.

Where the money goes, per paid creator, in one entry (legs omitted when zero):
platform_revenue -gross; platform_fees +(tier fee + margin adjustment); safety_reserve(creator)
+reserve; creator_available (KYC level >= 1) or creator_held (level 0) +net.
"""

import logging
from calendar import monthrange
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

import numpy as np
import psycopg
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.base import ModelState
from django.utils import timezone

from compliance.selectors import kyc_levels_for_users
from creators.models import User
from integrity.eis.config import CURRENT as CURRENT_SCORING
from integrity.services import daily_windows_ensure
from payouts import ledger
from payouts.models import (
    AccountKind,
    EntryKind,
    JournalLeg,
    LedgerAccount,
    PayoutAllocation,
    PayoutRun,
    PayoutVideoLine,
)
from payouts.timing import logger as steps_logger
from payouts.timing import step
from valuetok.bulk import copy_rows

from .config import SplitConfig, split_config_from_settings
from .math import split_pool
from .units import CreatorUnits, video_lines_write

logger = logging.getLogger(__name__)

Status = PayoutRun.Status
Granularity = PayoutRun.Granularity
Excluded = PayoutAllocation.Excluded
Destination = PayoutAllocation.Destination

# A creator's allocation lands in available money from this KYC level; below, in held money.
AVAILABLE_FROM_KYC_LEVEL = 1


class PayoutRunError(Exception):
    """A run that cannot be created, computed or committed; the message says why."""


# --- Periods ---------------------------------------------------------------------------------------
def period_bounds(*, granularity: str, period_start: date) -> tuple[date, date]:
    """[start, end) of a daily or monthly period; a monthly period must start on the 1st."""
    if granularity == Granularity.DAILY:
        return period_start, period_start + timedelta(days=1)
    if granularity == Granularity.MONTHLY:
        if period_start.day != 1:
            raise PayoutRunError(f"a monthly period starts on the 1st, got {period_start.isoformat()}")
        days = monthrange(period_start.year, period_start.month)[1]
        return period_start, period_start + timedelta(days=days)
    raise PayoutRunError(f"granularity must be daily or monthly, got {granularity!r}")


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- Accounts in bulk ------------------------------------------------------------------------------
def _platform_account(kind: str) -> LedgerAccount:
    return ledger.account_for(kind=kind)


def accounts_for_owners(*, kind: str, owner_ids) -> dict[int, LedgerAccount]:
    """Per-user accounts of one kind for many owners at once (created where missing): owner id ->
    account. ``ledger.account_for`` does one owner per query, too slow for 100k creators."""
    ids = sorted({int(i) for i in owner_ids})
    found: dict[int, LedgerAccount] = {}
    if connection.vendor == "postgresql" and ids:
        # Two set-based statements instead of 100k model instances through bulk_create.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payouts_ledgeraccount (kind, owner_id, created_at) "
                "SELECT %s, o, now() FROM unnest(%s::bigint[]) AS o ON CONFLICT DO NOTHING",
                [kind, ids],
            )
            cursor.execute(
                "SELECT a.id, a.kind, a.owner_id FROM unnest(%s::bigint[]) AS o "
                "JOIN payouts_ledgeraccount a ON a.kind = %s AND a.owner_id = o",
                [ids, kind],
            )
            rows = cursor.fetchall()
        fields = ["id", "kind", "owner_id"]
        for row in rows:
            found[row[2]] = LedgerAccount.from_db(connection.alias, fields, row)
        return found
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(kind=kind, owner_id=owner) for owner in chunk], ignore_conflicts=True, batch_size=2_000
        )
        for account in LedgerAccount.objects.filter(kind=kind, owner_id__in=chunk).only("id", "kind", "owner_id"):
            found[account.owner_id] = account
    return found


def accounts_for_owner_kinds(*, wanted: dict[str, Iterable]) -> dict[str, dict[int, LedgerAccount]]:
    """Like ``accounts_for_owners`` for several kinds at once (kind -> owner ids): kind -> owner id ->
    account. On PostgreSQL one INSERT and one SELECT for every kind together, so the set-based
    foreign key check on the owners runs once, not once per kind."""
    pairs = sorted({(str(kind), int(owner)) for kind, owners in wanted.items() for owner in owners})
    found: dict[str, dict[int, LedgerAccount]] = {kind: {} for kind in wanted}
    if connection.vendor != "postgresql" or not pairs:
        for kind, owners in wanted.items():
            found[kind] = accounts_for_owners(kind=kind, owner_ids=owners)
        return found
    # Arrays as PostgreSQL array literals, joined in C: psycopg's Python array dumper took
    # seconds for 150k values. Kinds are AccountKind values (lowercase letters and "_").
    kinds = "{" + ",".join(p[0] for p in pairs) + "}"
    owners = "{" + ",".join(str(p[1]) for p in pairs) + "}"
    insert = (
        "INSERT INTO payouts_ledgeraccount (kind, owner_id, created_at) "
        "SELECT k, o, now() FROM unnest(%s::text[], %s::bigint[]) AS t(k, o) "
        "WHERE NOT EXISTS (SELECT 1 FROM payouts_ledgeraccount a WHERE a.kind = t.k AND a.owner_id = t.o)"
    )
    if any(kind not in AccountKind.values for kind in wanted):
        raise ValueError(f"unknown account kinds: {sorted(set(wanted) - set(AccountKind.values))}")
    connection.ensure_connection()
    # Server-side binding (as ``ledger.entries_post`` does): the arrays are sent as parameters
    # instead of being spelled out in the statement's text.
    with psycopg.Cursor(connection.connection) as cursor:
        # Only the missing accounts, as a plain insert: ON CONFLICT's speculative insertion costs
        # about as much again per row. An account created meanwhile by a concurrent transaction
        # breaks the unique constraint; then the insert is done again, skipping conflicts.
        try:
            with transaction.atomic():
                cursor.execute(insert, [kinds, owners])
        except psycopg.errors.UniqueViolation:
            cursor.execute(f"{insert} ON CONFLICT DO NOTHING", [kinds, owners])
        cursor.execute(
            "SELECT a.id, a.kind, a.owner_id FROM unnest(%s::text[], %s::bigint[]) AS t(k, o) "
            "JOIN payouts_ledgeraccount a ON a.kind = t.k AND a.owner_id = t.o",
            [kinds, owners],
        )
        rows = cursor.fetchall()
    alias = connection.alias
    for account_id, kind, owner_id in rows:
        found[kind][owner_id] = _loaded_account(alias, account_id, kind, owner_id)
    return found


def _loaded_account(alias: str, account_id: int, kind: str, owner_id: int) -> LedgerAccount:
    """An account as ``.only("id", "kind", "owner_id")`` loads it, without ``Model.__init__`` (150k of
    them took 1.5 s): the field values and a loaded state."""
    account = LedgerAccount.__new__(LedgerAccount)
    state = ModelState()
    state.adding = False
    state.db = alias
    account.__dict__.update(_state=state, id=account_id, kind=kind, owner_id=owner_id)
    return account


def platform_revenue_balance() -> int:
    return ledger.balance_of(account=_platform_account(AccountKind.PLATFORM_REVENUE))


# --- Create ----------------------------------------------------------------------------------------
def payout_run_create(
    *, granularity: str, period_start: date, pool_cents: int, created_by: User | None = None
) -> PayoutRun:
    """A draft run for the period. Refused when the pool is not a positive whole number of cents,
    exceeds what platform revenue holds, or the period already has a run that has not failed."""
    if isinstance(pool_cents, bool) or not isinstance(pool_cents, int) or pool_cents <= 0:
        raise PayoutRunError(f"pool_cents must be a positive whole number of cents, got {pool_cents!r}")
    start, end = period_bounds(granularity=granularity, period_start=period_start)
    if end > timezone.now().date():
        raise PayoutRunError(f"the period {start.isoformat()} to {end.isoformat()} has not ended yet")
    available = platform_revenue_balance()
    if pool_cents > available:
        raise PayoutRunError(f"the pool of {pool_cents} cents exceeds platform revenue's {available} cents")
    existing = PayoutRun.objects.filter(granularity=granularity, period_start=start).exclude(status=Status.FAILED)
    if existing.exists():
        raise PayoutRunError(f"a {granularity} run for {start.isoformat()} already exists ({existing.first().status})")
    run = PayoutRun.objects.create(
        granularity=granularity, period_start=start, period_end=end, pool_cents=pool_cents, created_by=created_by
    )
    logger.info("payout_run_created run=%s granularity=%s period=%s pool=%s", run.public_id, granularity, start,
                pool_cents)  # fmt: skip
    return run


def _fail(run_id: int, message: str) -> None:
    PayoutRun.objects.filter(id=run_id, status__in=[Status.DRAFT, Status.COMPUTED]).update(
        status=Status.FAILED, error=message[:4000]
    )
    logger.warning("payout_run_failed run_id=%s error=%s", run_id, message)


# --- Compute ---------------------------------------------------------------------------------------
def _exclusions(units: CreatorUnits, config: SplitConfig) -> np.ndarray:
    reasons = np.full(len(units), "", dtype=object)
    few = units.unique_viewers < config.min_unique_viewers
    bot = np.nan_to_num(units.trust_score, nan=np.inf) < config.likely_bot_trust_below
    reasons[few] = Excluded.FEW_VIEWERS
    reasons[bot] = Excluded.LIKELY_BOT
    reasons[~units.is_active] = Excluded.INACTIVE
    return reasons


ALLOCATION_COLUMNS = [
    "run_id", "creator_id", "videos", "engagement_units", "unique_viewers", "trust_multiplier", "value_units",
    "share", "eligible", "excluded_reason", "kyc_level", "cap_cents", "capped", "gross_cents", "fee_cents",
    "fee_tier", "margin_adjustment_cents", "reserve_cents", "net_cents", "destination",
]  # fmt: skip


def payout_run_compute(*, run_id: int, ensure_windows: bool = True) -> PayoutRun:
    """Compute the run's breakdown (video lines, creator allocations, totals); moves no money.

    Missing daily EIS windows of the period are computed first through integrity. Errors that no
    retry can fix (nobody eligible, bad settings) mark the run failed, with the reason.
    """
    run = PayoutRun.objects.get(id=run_id)
    if run.status not in (Status.DRAFT, Status.COMPUTED):
        raise PayoutRunError(f"run {run.public_id} is {run.status}; only draft or computed runs can be computed")
    start, end = _moment(run.period_start), _moment(run.period_end)
    try:
        config = split_config_from_settings()
    except ValueError as exc:
        _fail(run.id, f"settings: {exc}")
        raise PayoutRunError(str(exc)) from exc
    if ensure_windows:
        with step("compute: daily windows ensure"):
            daily_windows_ensure(start=start, end=end, scoring_version=CURRENT_SCORING.version)
    try:
        with transaction.atomic():
            run = PayoutRun.objects.select_for_update().get(id=run_id)
            if run.status not in (Status.DRAFT, Status.COMPUTED):
                raise PayoutRunError(f"run {run.public_id} became {run.status} meanwhile")
            with step("compute: clear previous lines"):
                PayoutAllocation.objects.filter(run=run).delete()
                PayoutVideoLine.objects.filter(run=run).delete()
            units = video_lines_write(run_id=run.id, config=config, start=start, end=end,
                                      scoring_version=CURRENT_SCORING.version)  # fmt: skip
            _allocations_write(run, units, config)
            body_done = perf_counter()
        steps_logger.debug("%s %.2fs", "compute: transaction commit", perf_counter() - body_done)
    except PayoutRunError as exc:
        _fail(run_id, str(exc))
        raise
    run.refresh_from_db()
    logger.info(
        "payout_run_computed run=%s creators_paid=%s excluded=%s allocated=%s fees=%s reserve=%s carried=%s",
        run.public_id, run.creators_paid, run.creators_excluded, run.allocated_cents,
        run.fees_cents + run.margin_adjustment_cents, run.reserve_cents, run.carried_forward_cents,
    )  # fmt: skip
    return run


def _allocations_write(run: PayoutRun, units: CreatorUnits, config: SplitConfig) -> None:
    n = len(units)
    reasons = _exclusions(units, config)
    eligible = reasons == ""
    weights = np.where(eligible, units.value_units, 0.0)
    if n == 0 or not (weights > 0).any():
        raise PayoutRunError(
            f"no eligible creator earned value units in {run.period_start.isoformat()} to {run.period_end.isoformat()}"
            f" ({n} creators with engagement, {int((~eligible).sum())} excluded)"
        )
    with step("compute: kyc levels"):
        levels_by_user = kyc_levels_for_users(user_ids=units.user_id.tolist(), today=run.period_end)
        levels = np.array([levels_by_user.get(int(u), 0) for u in units.user_id], dtype=np.int64)
        caps = [config.cap_for_level(int(level)) for level in levels]
    with step("compute: split pool"):
        split = split_pool(
        pool_cents=run.pool_cents, value_units=weights, caps=caps, keys=units.creator_id,
        fee_tiers=config.fee_tiers, min_margin_bp=config.min_platform_margin_bp,
        reserve_rate_bp=config.reserve_rate_bp,
    )  # fmt: skip
    total_value = float(weights.sum())
    held = levels < AVAILABLE_FROM_KYC_LEVEL
    destination = np.where(split.net + split.reserve + split.fee + split.margin_adjustment > 0,
                           np.where(held, Destination.HELD, Destination.AVAILABLE), Destination.NONE)  # fmt: skip

    def rows():
        # Whole columns to Python values at once (tolist), not 2 million numpy scalar conversions.
        columns = [
            [run.id] * n, units.creator_id.tolist(), units.videos.tolist(), units.engagement_units.tolist(),
            units.unique_viewers.tolist(), units.trust_multiplier.tolist(), units.value_units.tolist(),
            (weights / total_value).tolist(), eligible.tolist(), [str(r) for r in reasons.tolist()], levels.tolist(),
            caps, split.capped.tolist(), split.gross.tolist(), split.fee.tolist(), split.fee_tier.tolist(),
            split.margin_adjustment.tolist(), split.reserve.tolist(), split.net.tolist(), destination.tolist(),
        ]  # fmt: skip
        return zip(*columns, strict=True)

    with step("compute: copy allocations"), connection.cursor() as cursor:
        copy_rows(cursor, PayoutAllocation._meta.db_table, ALLOCATION_COLUMNS, rows())
    paid = split.gross > 0
    PayoutRun.objects.filter(id=run.id).update(
        status=Status.COMPUTED,
        config={**config.to_json(), "waterfill_rounds": split.waterfill_rounds},
        scoring_version=CURRENT_SCORING.version,
        creators_paid=int(paid.sum()),
        creators_excluded=int((~eligible).sum()),
        value_units_total=total_value,
        allocated_cents=int(split.gross.sum()),
        fees_cents=int(split.fee.sum()),
        margin_adjustment_cents=int(split.margin_adjustment.sum()),
        reserve_cents=int(split.reserve.sum()),
        net_available_cents=int(split.net[~held].sum()),
        net_held_cents=int(split.net[held].sum()),
        carried_forward_cents=int(split.carried_forward),
        computed_at=timezone.now(),
        error="",
    )


# --- Commit ----------------------------------------------------------------------------------------
def _allocation_lines(run: PayoutRun) -> list[tuple]:
    return list(
        PayoutAllocation.objects.filter(run=run, gross_cents__gt=0)
        .order_by("creator_id")
        .values_list(
            "id",
            "creator_id",
            "creator__user_id",
            "gross_cents",
            "fee_cents",
            "margin_adjustment_cents",
            "reserve_cents",
            "net_cents",
            "destination",
        )
    )


def _allocation_entries(run: PayoutRun) -> list[ledger.EntrySpec]:
    with step("commit: read allocations"):
        lines = _allocation_lines(run)
    users = [line[2] for line in lines]
    with step("commit: accounts"):
        accounts = accounts_for_owner_kinds(
            wanted={
                AccountKind.SAFETY_RESERVE: users,
                AccountKind.CREATOR_AVAILABLE: [x[2] for x in lines if x[8] == Destination.AVAILABLE],
                AccountKind.CREATOR_HELD: [x[2] for x in lines if x[8] == Destination.HELD],
            }
        )
        reserve = accounts[AccountKind.SAFETY_RESERVE]
        available = accounts[AccountKind.CREATOR_AVAILABLE]
        held = accounts[AccountKind.CREATOR_HELD]
    with step("commit: build entry specs"):
        return _specs(run, lines, reserve, available, held)


def _specs(run, lines, reserve, available, held) -> list[ledger.EntrySpec]:
    revenue = _platform_account(AccountKind.PLATFORM_REVENUE)
    fees = _platform_account(AccountKind.PLATFORM_FEES)
    memo = f"Revenue split, {run.get_granularity_display().lower()} period from {run.period_start.isoformat()}"
    specs = []
    for allocation_id, creator_id, user_id, gross, fee, margin, reserve_cents, net, destination in lines:
        legs = [(revenue, -gross)]
        if fee + margin:
            legs.append((fees, fee + margin))
        if reserve_cents:
            legs.append((reserve[user_id], reserve_cents))
        if net:
            legs.append(((available if destination == Destination.AVAILABLE else held)[user_id], net))
        specs.append(
            ledger.EntrySpec(
                kind=EntryKind.ALLOCATION,
                legs=legs,
                idempotency_key=f"{run.entry_key_prefix}{creator_id}",
                memo=memo,
                reference={
                    "run": str(run.public_id),
                    "allocation": allocation_id,
                    "creator": creator_id,
                    "period_start": run.period_start.isoformat(),
                },
            )
        )
    return specs


def payout_run_commit(*, run_id: int, actor: User | None = None) -> PayoutRun:
    """Post every creator's entry and mark the run committed, all in one transaction.

    Committing a committed run returns it unchanged. Refusals by the ledger (platform revenue
    short of the pool, e.g.) leave the run computed, with the reason in ``error``.
    """
    try:
        with transaction.atomic():
            run = PayoutRun.objects.select_for_update().get(id=run_id)
            if run.status == Status.COMMITTED:
                logger.info("payout_run_commit_repeated run=%s", run.public_id)
                return run
            if run.status != Status.COMPUTED:
                raise PayoutRunError(f"run {run.public_id} is {run.status}; only a computed run can be committed")
            specs = _allocation_entries(run)
            with step("commit: entries_post"):
                posted = ledger.entries_post(entries=specs)
            with step("commit: link entries"), connection.cursor() as cursor:
                cursor.execute(
                    """
                    UPDATE payouts_payoutallocation SET entry_id = (
                        SELECT e.id FROM payouts_journalentry e
                        WHERE e.idempotency_key = %s || CAST(payouts_payoutallocation.creator_id AS TEXT))
                    WHERE run_id = %s AND gross_cents > 0
                    """,
                    [run.entry_key_prefix, run.id],
                )
            now = timezone.now()
            changed = PayoutRun.objects.filter(id=run.id, status=Status.COMPUTED).update(
                status=Status.COMMITTED, committed_at=now, error=""
            )
            if changed != 1:  # cannot happen under the row lock; never commit money without the status
                raise PayoutRunError(f"run {run.public_id} changed status during its commit")
            body_done = perf_counter()
        steps_logger.debug("%s %.2fs", "commit: transaction commit (deferred checks)", perf_counter() - body_done)
    except ledger.LedgerError as exc:
        PayoutRun.objects.filter(id=run_id, status=Status.COMPUTED).update(error=f"commit refused: {exc}"[:4000])
        raise PayoutRunError(f"commit refused by the ledger: {exc}") from exc
    run.refresh_from_db()
    logger.info("payout_run_committed run=%s entries=%s actor=%s", run.public_id, posted, getattr(actor, "pk", None))
    return run


# --- Revenue in --------------------------------------------------------------------------------------
REVENUE_ENTRY_KIND = "revenue"


def revenue_record(
    *, period_start: date, period_end: date, amount_cents: int, idempotency_key: str, memo: str = "",
    created_by: User | None = None,
):  # fmt: skip
    """Recognise net revenue of a period: external -> platform_revenue. Returns the journal entry;
    the same key again returns it without moving money (different amount: IdempotencyConflict)."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise PayoutRunError(f"amount_cents must be a positive whole number of cents, got {amount_cents!r}")
    if period_end <= period_start:
        raise PayoutRunError("period_end must be after period_start")
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise PayoutRunError("an idempotency key is required")
    return ledger.entry_post(
        kind=REVENUE_ENTRY_KIND,
        legs=[
            (_platform_account(AccountKind.EXTERNAL), -amount_cents),
            (_platform_account(AccountKind.PLATFORM_REVENUE), amount_cents),
        ],
        idempotency_key=f"payouts:revenue:{idempotency_key}",
        memo=memo or f"Net revenue {period_start.isoformat()} to {period_end.isoformat()}",
        reference={"period_start": period_start.isoformat(), "period_end": period_end.isoformat()},
        created_by=created_by,
    )


def revenue_for_period(*, period_start: date, period_end: date) -> int:
    """Revenue recorded for periods inside [period_start, period_end): the scheduled run's pool."""
    total = (
        JournalLeg.objects.filter(
            entry__kind=REVENUE_ENTRY_KIND,
            account__kind=AccountKind.PLATFORM_REVENUE,
            entry__reference__period_start__gte=period_start.isoformat(),
            entry__reference__period_end__lte=period_end.isoformat(),
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    return int(total)


# --- A whole period, as the schedule and the commands run it ----------------------------------------
def previous_period_start(*, granularity: str, today: date | None = None) -> date:
    """The last period that has ended: yesterday, or last month."""
    today = today or timezone.now().date()
    if granularity == Granularity.DAILY:
        return today - timedelta(days=1)
    if granularity == Granularity.MONTHLY:
        last_of_previous = today.replace(day=1) - timedelta(days=1)
        return last_of_previous.replace(day=1)
    raise PayoutRunError(f"granularity must be daily or monthly, got {granularity!r}")


def payout_period_run(
    *, granularity: str, period_start: date, pool_cents: int | None = None, commit: bool = True,
    created_by: User | None = None,
) -> PayoutRun | None:  # fmt: skip
    """Create (or pick up) the period's run, compute it if needed, and commit it when asked.

    ``pool_cents`` defaults to the revenue recorded for the period (``revenue_record``); with none
    recorded, nothing is done and None is returned. Picking up an existing run (draft, computed or
    committed) makes a retried task or command finish the same run instead of starting another;
    an explicit pool that differs from the existing run's is refused.
    """
    start, end = period_bounds(granularity=granularity, period_start=period_start)
    run = PayoutRun.objects.filter(granularity=granularity, period_start=start).exclude(status=Status.FAILED).first()
    if run is not None and pool_cents is not None and run.pool_cents != pool_cents:
        raise PayoutRunError(f"the period's run {run.public_id} has a pool of {run.pool_cents} cents, not {pool_cents}")
    if run is None:
        if pool_cents is None:
            pool_cents = min(revenue_for_period(period_start=start, period_end=end), platform_revenue_balance())
            if pool_cents <= 0:
                logger.info("payout_period_skipped granularity=%s period=%s reason=no_revenue", granularity, start)
                return None
        run = payout_run_create(granularity=granularity, period_start=start, pool_cents=pool_cents,
                                created_by=created_by)  # fmt: skip
    if run.status == Status.DRAFT:
        run = payout_run_compute(run_id=run.id)
    if commit and run.status == Status.COMPUTED:
        run = payout_run_commit(run_id=run.id, actor=created_by)
    return run
