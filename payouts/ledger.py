"""Posting to the double-entry ledger: the only way money moves (contract: /work/briefs/ledger_api.md).

Invariants every function here keeps, on every database:
- an entry has at least two legs, each a non-zero whole number of cents, and they sum to zero;
- entries and legs are only ever added; a mistake is corrected by ``entry_reverse``;
- no holding account (every kind but ``external``) goes below zero;
- an idempotency key moves money at most once: posting the same key again with the same legs
  returns the stored entry, with other legs raises ``IdempotencyConflict``.

PostgreSQL enforces the first two itself (triggers in migration 0001), so raw SQL and bulk paths
cannot break them either. The third is enforced here, under row locks: the holding accounts an
entry takes money from are locked (``SELECT ... FOR UPDATE``, in id order so two posts never wait
on each other in a circle) before their balances are checked. Accounts that only receive money are
not locked: a credit cannot make a balance negative, and hot accounts (platform fees, a creator
receiving many gifts) would otherwise serialise every post that touches them.
"""

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from payouts.models import (
    OWNED_ACCOUNT_KINDS,
    PLATFORM_ACCOUNT_KINDS,
    AccountKind,
    EntryKind,
    JournalEntry,
    JournalLeg,
    LedgerAccount,
)
from payouts.timing import step  # seconds per step of the bulk path, collected with the run's steps

logger = logging.getLogger(__name__)


__all__ = [
    "EntrySpec",
    "IdempotencyConflict",
    "InsufficientFunds",
    "LedgerError",
    "UnbalancedEntry",
    "account_for",
    "balance_of",
    "balances_for_owner",
    "entries_post",
    "entry_post",
    "entry_reverse",
]

MAX_KEY_LENGTH = 255
# Rows per bulk insert and ids per IN list on the bulk path (SQLite allows 32,766 parameters).
BULK_BATCH = 2_000
ID_CHUNK = 10_000
BULK_CHUNK = 20_000  # entries per INSERT ... FROM unnest(...) on PostgreSQL


class LedgerError(Exception):
    """The ledger refused the request; nothing was written."""


class InsufficientFunds(LedgerError):
    """A holding account would go below zero."""

    def __init__(self, message: str, *, account_ids: Sequence[int] = ()):
        super().__init__(message)
        self.account_ids = tuple(account_ids)


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different movement of money."""

    def __init__(self, message: str, *, entry: JournalEntry | None = None):
        super().__init__(message)
        self.entry = entry


class UnbalancedEntry(LedgerError):
    """The legs are malformed: fewer than two, a zero or non-integer amount, or a sum other than zero."""


Legs = Sequence[tuple[LedgerAccount, int]]


@dataclass(frozen=True)
class EntrySpec:
    kind: str
    legs: Legs
    idempotency_key: str
    memo: str = ""
    reference: dict | None = None
    created_by: object | None = None  # a User; beyond the contract, optional


# --- Accounts --------------------------------------------------------------------------------------
def account_for(*, kind: str, owner=None) -> LedgerAccount:
    """The account of ``kind`` (for ``owner`` where the kind is per user), created on first use."""
    if kind not in AccountKind.values:
        raise LedgerError(f"Unknown account kind {kind!r}.")
    if kind in OWNED_ACCOUNT_KINDS and (owner is None or owner.pk is None):
        raise LedgerError(f"A {kind} account belongs to a user; an owner is required.")
    if kind in PLATFORM_ACCOUNT_KINDS and owner is not None:
        raise LedgerError(f"The {kind} account belongs to the platform; it has no owner.")
    # get_or_create retries the read when a concurrent caller created the row first.
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, owner=owner)
    return account


def balance_of(*, account: LedgerAccount) -> int:
    """The account's balance in cents: the sum of its legs."""
    return int(JournalLeg.objects.filter(account_id=account.pk).aggregate(total=Sum("amount_cents"))["total"] or 0)


def balances_for_owner(*, owner) -> dict[str, int]:
    """Cents per account kind for one user: every per-user kind, 0 where the account has no legs yet."""
    balances = {kind.value: 0 for kind in AccountKind if kind in OWNED_ACCOUNT_KINDS}
    rows = (
        JournalLeg.objects.filter(account__owner=owner)
        .values_list("account__kind")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    for kind, total in rows:
        balances[kind] = int(total or 0)
    return balances


# --- Posting ---------------------------------------------------------------------------------------
def _legs_validate(kind: str, legs: Legs, idempotency_key: str) -> None:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise LedgerError("An idempotency key is required.")
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise LedgerError(f"The idempotency key is longer than {MAX_KEY_LENGTH} characters.")
    if not kind or len(kind) > 32:
        raise LedgerError("An entry kind of 1 to 32 characters is required.")
    if len(legs) < 2:
        raise UnbalancedEntry("An entry needs at least two legs.")
    for account, amount in legs:
        if not isinstance(account, LedgerAccount) or account.pk is None:
            raise UnbalancedEntry("Every leg needs a saved ledger account.")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise UnbalancedEntry(f"Leg amounts are whole cents (int), not {type(amount).__name__}.")
        if amount == 0:
            raise UnbalancedEntry("A leg cannot be zero.")
    total = sum(amount for _, amount in legs)
    if total != 0:
        raise UnbalancedEntry(f"The legs sum to {total} cents, not zero.")


def _leg_signature(pairs: Iterable[tuple[int, int]]) -> Counter:
    return Counter((int(account_id), int(amount)) for account_id, amount in pairs)


def _debited_holding_ids(legs: Iterable[tuple[LedgerAccount, int]]) -> list[int]:
    return sorted({account.pk for account, amount in legs if amount < 0 and account.kind != AccountKind.EXTERNAL})


def accounts_lock(account_ids: Sequence[int]) -> None:
    """Lock the accounts' rows in id order until the transaction ends.

    Every lock on ledger accounts goes through here, always in id order, so two transactions that
    lock the same accounts never wait on each other in a circle.
    """
    ids = sorted(set(account_ids))
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        list(LedgerAccount.objects.select_for_update().filter(id__in=chunk).order_by("id").values_list("id"))


def _negative_holding_balances(account_ids: Sequence[int]) -> list[tuple[int, int]]:
    found = []
    ids = sorted(set(account_ids))
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows = (
            JournalLeg.objects.filter(account_id__in=chunk)
            .exclude(account__kind=AccountKind.EXTERNAL)
            .values_list("account_id")
            .annotate(total=Sum("amount_cents"))
            .filter(total__lt=0)
            .order_by()
        )
        found.extend((int(a), int(t)) for a, t in rows)
    return found


def _refuse_overdraft(account_ids: Sequence[int]) -> None:
    negative = _negative_holding_balances(account_ids)
    if negative:
        described = ", ".join(f"account {a} would hold {t} cents" for a, t in negative[:5])
        raise InsufficientFunds(f"Insufficient funds: {described}.", account_ids=[a for a, _ in negative])


def _replay(existing: JournalEntry, kind: str, legs: Legs) -> JournalEntry:
    stored = _leg_signature(existing.legs.values_list("account_id", "amount_cents"))
    if existing.kind != kind or stored != _leg_signature((a.pk, amt) for a, amt in legs):
        raise IdempotencyConflict(
            f"Idempotency key {existing.idempotency_key!r} was already used for a different entry.", entry=existing
        )
    existing.replayed = True
    return existing


def _post(*, kind: str, legs: Legs, idempotency_key: str, memo: str, reference: dict | None, created_by,
          reverses: JournalEntry | None = None) -> JournalEntry:  # fmt: skip
    _legs_validate(kind, legs, idempotency_key)
    try:
        with transaction.atomic():
            accounts_lock(_debited_holding_ids(legs))
            # Read after the locks: a concurrent twin holding them has committed by now.
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, kind, legs)
            entry = JournalEntry.objects.create(
                kind=kind, idempotency_key=idempotency_key, memo=memo, reference=reference or {},
                created_by=created_by, reverses=reverses,
            )  # fmt: skip
            JournalLeg.objects.bulk_create(
                [JournalLeg(entry=entry, account_id=account.pk, amount_cents=amount) for account, amount in legs]
            )
            _refuse_overdraft(_debited_holding_ids(legs))
    except IntegrityError:
        # A concurrent post with the same key committed between our read and our insert (only
        # possible when no debited account was locked, e.g. money arriving from outside).
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, kind, legs)
    entry.replayed = False
    logger.info(
        "ledger_entry_posted entry=%s kind=%s key=%s legs=%d", entry.public_id, kind, idempotency_key, len(legs)
    )
    return entry


def entry_post(*, kind: str, legs: list[tuple[LedgerAccount, int]], idempotency_key: str, memo: str = "",
               reference: dict | None = None, created_by=None) -> JournalEntry:  # fmt: skip
    """Post one balanced entry in one transaction; the returned entry has ``replayed`` set.

    Raises UnbalancedEntry (bad legs), InsufficientFunds (a holding account would go negative;
    nothing written) or IdempotencyConflict (the key was used for other legs or another kind).
    """
    return _post(kind=kind, legs=legs, idempotency_key=idempotency_key, memo=memo, reference=reference,
                 created_by=created_by)  # fmt: skip


def entry_reverse(*, entry: JournalEntry, idempotency_key: str, memo: str, created_by=None) -> JournalEntry:
    """Post the mirror image of ``entry`` (every leg negated), linked to it; an entry is reversed once."""
    legs = [(leg.account, -leg.amount_cents) for leg in entry.legs.select_related("account")]
    other = JournalEntry.objects.filter(reverses=entry).exclude(idempotency_key=idempotency_key).first()
    if other is not None:
        raise IdempotencyConflict(f"Entry {entry.public_id} was already reversed by {other.public_id}.", entry=other)
    reference = {"reverses": str(entry.public_id), **({"of": entry.reference} if entry.reference else {})}
    try:
        return _post(kind=EntryKind.REVERSAL, legs=legs, idempotency_key=idempotency_key, memo=memo,
                     reference=reference, created_by=created_by, reverses=entry)  # fmt: skip
    except IntegrityError as exc:  # a concurrent reversal under another key won the unique constraint
        raise IdempotencyConflict(f"Entry {entry.public_id} was already reversed.") from exc


def entries_post(*, entries: list[EntrySpec]) -> int:
    """Post many entries in ONE transaction with bulk inserts; returns how many were new.

    Same rules as ``entry_post``: every entry is validated first; keys already stored with the
    same legs are skipped, with other legs raise IdempotencyConflict; after the insert, every
    debited holding account's balance is checked in one grouped query, and any below zero raises
    InsufficientFunds and rolls everything back. On PostgreSQL the rows go in with one
    ``INSERT ... SELECT FROM unnest(...)`` per table and chunk (no model instances); elsewhere
    with ``bulk_create``.
    """
    with step("ledger: validate"):
        by_key = _specs_validate(entries)
    if not by_key:
        return 0
    debited = sorted({pk for spec in by_key.values() for pk in _debited_holding_ids(spec.legs)})
    with transaction.atomic():
        with step("ledger: lock debited accounts"):
            accounts_lock(debited)
        if connection.vendor == "postgresql":
            with step("ledger: insert entries and legs"):
                skipped = _bulk_insert_postgresql(list(by_key.values()))
            # Keys that were already stored must hold the same movement, or the whole post is refused.
            with step("ledger: compare stored keys"):
                _skip_stored({spec.idempotency_key: spec for spec in skipped})
            created = len(by_key) - len(skipped)
        else:
            _skip_stored(by_key)
            _bulk_insert_orm(list(by_key.values()))
            created = len(by_key)
        if created:
            with step("ledger: overdraft check"):
                _refuse_overdraft(debited)
    logger.info("ledger_entries_posted created=%d skipped=%d", created, len(entries) - created)
    return created


def _specs_validate(entries: list[EntrySpec]) -> dict[str, EntrySpec]:
    """Validate every spec; one spec per key (a twin with other legs is refused)."""
    by_key: dict[str, EntrySpec] = {}
    for spec in entries:
        _legs_validate(spec.kind, spec.legs, spec.idempotency_key)
        twin = by_key.get(spec.idempotency_key)
        if twin is not None:
            if twin.kind != spec.kind or _leg_signature((a.pk, x) for a, x in twin.legs) != _leg_signature(
                (a.pk, x) for a, x in spec.legs
            ):
                raise IdempotencyConflict(f"Idempotency key {spec.idempotency_key!r} appears twice with other legs.")
            continue
        by_key[spec.idempotency_key] = spec
    return by_key


def _skip_stored(by_key: dict[str, EntrySpec]) -> None:
    """Drop from ``by_key`` the keys already stored with the same kind and legs; refuse any that differ."""
    keys = list(by_key)
    if not keys:
        return
    for start in range(0, len(keys), ID_CHUNK):
        stored = dict(
            JournalEntry.objects.filter(idempotency_key__in=keys[start : start + ID_CHUNK]).values_list(
                "id", "idempotency_key"
            )
        )
        if not stored:
            continue
        kinds = dict(JournalEntry.objects.filter(id__in=list(stored)).values_list("id", "kind"))
        signatures: dict[int, Counter] = {entry_id: Counter() for entry_id in stored}
        legs = JournalLeg.objects.filter(entry_id__in=list(stored)).values_list(
            "entry_id", "account_id", "amount_cents"
        )
        for entry_id, account_id, amount in legs:
            signatures[entry_id][(account_id, amount)] += 1
        for entry_id, key in stored.items():
            spec = by_key[key]
            if kinds[entry_id] != spec.kind or signatures[entry_id] != _leg_signature((a.pk, x) for a, x in spec.legs):
                raise IdempotencyConflict(f"Idempotency key {key!r} was already used for a different entry.")
            del by_key[key]


# Array parameters as PostgreSQL array literals, built with str.join: psycopg's array dumper is
# Python code, about a second per million elements.
def _bigint_array(values: Sequence[int | None]) -> str:
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _text_array(values: Sequence[str]) -> str:
    # Every element double-quoted, with backslash and double quote escaped: any text survives.
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _bulk_insert_postgresql(specs: list[EntrySpec]) -> list[EntrySpec]:
    """Insert the entries whose keys are new (``ON CONFLICT DO NOTHING``) and their legs; return the skipped specs.

    Parameters go as arrays on a server-side-binding cursor of the same connection (same
    transaction), so 100k entries are two statements per chunk, not 100k model instances.
    """
    import psycopg

    now = timezone.now()
    skipped: list[EntrySpec] = []
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        for start in range(0, len(specs), BULK_CHUNK):
            chunk = specs[start : start + BULK_CHUNK]
            cursor.execute(
                "INSERT INTO payouts_journalentry (public_id, kind, idempotency_key, memo, reference, created_at, "
                "created_by_id) SELECT gen_random_uuid(), k, i, m, r::jsonb, %s, c "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[]) "
                "AS t(k, i, m, r, c) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
                [
                    now,
                    _text_array([s.kind for s in chunk]),
                    _text_array([s.idempotency_key for s in chunk]),
                    _text_array([s.memo for s in chunk]),
                    _text_array([json.dumps(s.reference or {}, cls=DjangoJSONEncoder) for s in chunk]),
                    _bigint_array([getattr(s.created_by, "pk", None) for s in chunk]),
                ],
            )
            ids = {key: entry_id for entry_id, key in cursor.fetchall()}
            entry_ids, account_ids, amounts = [], [], []
            for spec in chunk:
                entry_id = ids.get(spec.idempotency_key)
                if entry_id is None:  # stored before (or by a concurrent post): compared below
                    skipped.append(spec)
                    continue
                for account, amount in spec.legs:
                    entry_ids.append(entry_id)
                    account_ids.append(account.pk)
                    amounts.append(amount)
            if entry_ids:
                cursor.execute(
                    "INSERT INTO payouts_journalleg (entry_id, account_id, amount_cents) "
                    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])",
                    [_bigint_array(entry_ids), _bigint_array(account_ids), _bigint_array(amounts)],
                )
    return skipped


def _bulk_insert_orm(specs: list[EntrySpec]) -> None:
    rows = [
        JournalEntry(
            kind=s.kind, idempotency_key=s.idempotency_key, memo=s.memo, reference=s.reference or {},
            created_by=s.created_by,
        )
        for s in specs
    ]  # fmt: skip
    JournalEntry.objects.bulk_create(rows, batch_size=BULK_BATCH)
    if any(row.pk is None for row in rows):  # databases that cannot return ids from a bulk insert
        ids = {}
        for start in range(0, len(specs), ID_CHUNK):
            chunk = [s.idempotency_key for s in specs[start : start + ID_CHUNK]]
            ids.update(JournalEntry.objects.filter(idempotency_key__in=chunk).values_list("idempotency_key", "id"))
        for row in rows:
            row.pk = row.id = ids[row.idempotency_key]
    JournalLeg.objects.bulk_create(
        (
            JournalLeg(entry_id=row.pk, account_id=account.pk, amount_cents=amount)
            for row, spec in zip(rows, specs, strict=True)
            for account, amount in spec.legs
        ),
        batch_size=BULK_BATCH,
    )

