"""Reads for AML: the features one gift decision needs, and what staff see around a case.

``gift_features`` gathers everything the rules look at in a handful of indexed aggregate queries
(one per party: sender, receiver, device, network prefix) plus a short walk of the gift graph;
the rules themselves (``rules.py``) are pure functions of the result.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from compliance.models import AmlCase, GiftRequest
from creators.models import CreatorProfile, User

from .config import AmlConfig
from .graph import COUNTED, cycle_closed_by


def kyc_level_of(*, user: User, today: date | None = None) -> int:
    """The account's KYC level (0 none ... 3 enhanced), from the KYC area's selector."""
    from compliance.selectors import kyc_level_for_user  # the KYC area's public read; imported late

    return int(kyc_level_for_user(user=user, today=today))


def viewer_trust_of(*, user_id: int) -> float:
    """Integrity's trust score of the account as a viewer (0 to 100); 0 when never scored."""
    from integrity.models import ViewerTrust

    score = ViewerTrust.objects.filter(user_id=user_id).values_list("score", flat=True).first()
    return float(score or 0.0)


@dataclass(frozen=True)
class GiftFeatures:
    """What the rules know about a gift at the moment it is asked for. Counts include this gift."""

    now: datetime
    amount_cents: int
    sender_id: int
    receiver_id: int
    receiver_user_id: int
    sender_age_days: float
    sender_kyc_level: int  # 0 unless the gift comes near the sender's limit (then looked up)
    sender_trust: float  # likewise
    receiver_kyc_level: int  # 0 unless the gift would take the creator over the unverified cap
    is_hosting_network: bool
    country: str
    # Rolling limit windows: allowed and held gifts before this one.
    sender_window_cents: int
    sender_window_gifts: int
    receiver_window_cents: int
    # Velocity: attempts of any decision, per party and window length in seconds.
    velocity: dict[str, dict[int, int]]
    structuring_sender: int
    structuring_receiver: int
    accounts_on_device: int
    accounts_on_prefix: int
    previous_country: str
    previous_at: datetime | None
    new_senders_to_receiver: int
    receivers_of_sender: int
    received_by_sender_cents: int
    sent_by_sender_cents: int  # including this gift
    cycle: list[int] | None
    stored_gift_id: int | None = None


def _party_windows_sql(config: AmlConfig) -> str:
    """One statement, one row: every count and sum the rules need, one derived table per party.

    Each derived table reads one party's recent gifts through that party's (party, created_at)
    index; FILTER picks the sub-windows. Written as SQL rather than ORM aggregates because the
    ORM spent longer building these queries than the database spent answering them, and a
    decision must be fast. Plain SQL that PostgreSQL and SQLite (3.30+) both run.
    """
    g = GiftRequest._meta.db_table
    counted = "decision IN ('allow', 'hold')"

    def windows(party: str, alias: str) -> str:
        return ", ".join(
            f"COUNT(*) FILTER (WHERE created_at >= %({alias}_w{t.window_seconds})s) AS {alias}_w{t.window_seconds}"
            for t in config.velocity[party]
        ) or f"0 AS {alias}_none"

    return f"""
    SELECT * FROM
      (SELECT {windows("sender", "s")},
              COALESCE(SUM(amount_cents) FILTER (WHERE {counted} AND created_at >= %(limit_since)s), 0)
                AS s_limit_cents,
              COUNT(*) FILTER (WHERE {counted} AND created_at >= %(limit_since)s) AS s_limit_gifts,
              COUNT(*) FILTER (WHERE amount_cents >= %(band_low)s AND amount_cents < %(band_high)s
                               AND created_at >= %(s_struct_since)s) AS s_structuring,
              COUNT(DISTINCT receiver_id) FILTER (WHERE {counted} AND created_at >= %(fan_out_since)s) AS s_receivers,
              COUNT(*) FILTER (WHERE {counted} AND receiver_id = %(receiver)s
                               AND created_at >= %(fan_out_since)s) AS s_to_receiver,
              COALESCE(SUM(amount_cents) FILTER (WHERE {counted} AND created_at >= %(layer_since)s), 0) AS s_layer_sent
         FROM {g} WHERE sender_id = %(sender)s AND created_at >= %(s_since)s AND created_at <= %(now)s) s
    CROSS JOIN
      (SELECT {windows("receiver", "r")},
              COALESCE(SUM(amount_cents) FILTER (WHERE {counted} AND created_at >= %(limit_since)s), 0)
                AS r_limit_cents,
              COUNT(*) FILTER (WHERE amount_cents >= %(band_low)s AND amount_cents < %(band_high)s
                               AND created_at >= %(r_struct_since)s) AS r_structuring,
              COUNT(DISTINCT sender_id) FILTER (WHERE {counted} AND sender_id <> %(sender)s
                               AND sender_joined_at >= %(new_since)s AND created_at >= %(fan_in_since)s)
                AS r_new_senders
         FROM {g} WHERE receiver_id = %(receiver)s AND created_at >= %(r_since)s AND created_at <= %(now)s) r
    CROSS JOIN
      (SELECT {windows("device", "d")},
              COUNT(DISTINCT sender_id) FILTER (WHERE sender_id <> %(sender)s
                                                AND created_at >= %(device_accounts_since)s) AS d_accounts
         FROM {g} WHERE device_id = %(device)s AND created_at >= %(d_since)s AND created_at <= %(now)s) d
    CROSS JOIN
      (SELECT {windows("ip_prefix", "p")},
              COUNT(DISTINCT sender_id) FILTER (WHERE sender_id <> %(sender)s
                                                AND created_at >= %(prefix_accounts_since)s) AS p_accounts
         FROM {g} WHERE ip_prefix_hash = %(prefix)s AND created_at >= %(p_since)s AND created_at <= %(now)s) p
    CROSS JOIN
      (SELECT COALESCE(SUM(amount_cents), 0) AS x_received
         FROM {g} WHERE receiver_user_id = %(sender)s AND {counted}
          AND created_at >= %(layer_since)s AND created_at <= %(now)s) x
    CROSS JOIN
      (SELECT (SELECT country FROM {g} WHERE sender_id = %(sender)s AND country <> '' AND created_at <= %(now)s
                ORDER BY created_at DESC, id DESC LIMIT 1) AS prev_country,
              (SELECT created_at FROM {g} WHERE sender_id = %(sender)s AND country <> '' AND created_at <= %(now)s
                ORDER BY created_at DESC, id DESC LIMIT 1) AS prev_at,
              (SELECT id FROM {g} WHERE sender_id = %(sender)s AND idempotency_key = %(key)s) AS stored_id,
              -- a cycle through this gift needs the receiving creator to have sent gifts on lately
              EXISTS (SELECT 1 FROM {g} WHERE sender_id = %(receiver_user)s AND {counted}
                       AND amount_cents >= %(cycle_min)s AND created_at >= %(graph_since)s
                       AND created_at <= %(now)s) AS receiver_sends) prev
    """  # noqa: S608 - table names and numbers from code; every value is a parameter


def _party_windows(config: AmlConfig, params: dict) -> dict:
    sql = _party_windows_sql(config)
    adapted = {k: connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v
               for k, v in params.items()}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, adapted)
        names = [c[0] for c in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    previous_at = row["prev_at"]
    if previous_at is not None and not isinstance(previous_at, datetime):  # SQLite may return text from raw SQL
        previous_at = parse_datetime(str(previous_at))
    if previous_at is not None and timezone.is_naive(previous_at):  # ... or a naive datetime, in UTC
        previous_at = timezone.make_aware(previous_at, UTC)
    row["prev_at"] = previous_at
    return row


def gift_features(
    *,
    config: AmlConfig,
    now: datetime,
    sender: User,
    receiver: CreatorProfile,
    amount_cents: int,
    device_id: str,
    ip_prefix_hash: str,
    is_hosting_network: bool,
    country: str,
    idempotency_key: str = "",
) -> GiftFeatures:
    """Everything the rules need about this gift, read under the caller's locks.

    ``stored_gift_id`` is set when this sender already used ``idempotency_key``: the caller then
    replays that decision instead (checked here to save a round trip on every new gift).
    """
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    band_low = int(config.structuring_threshold_cents * (1 - config.structuring_band))
    this_in_band = band_low <= amount_cents < config.structuring_threshold_cents
    new_since = now - timedelta(days=config.new_account_days)

    def span(party: str, *others: int) -> int:
        return max([*others, *(t.window_seconds for t in config.velocity[party])])

    params = {
        "now": now, "sender": sender.pk, "receiver": receiver.pk, "device": device_id, "prefix": ip_prefix_hash,
        "key": idempotency_key, "receiver_user": receiver.user_id, "cycle_min": config.cycle_min_gift_cents,
        "graph_since": ago(config.graph_window_seconds),
        "limit_since": ago(config.limit_window_seconds),
        "band_low": band_low, "band_high": config.structuring_threshold_cents,
        "s_struct_since": ago(config.structuring_sender.window_seconds),
        "r_struct_since": ago(config.structuring_receiver.window_seconds),
        "fan_out_since": ago(config.fan_out_receivers.window_seconds),
        "fan_in_since": ago(config.fan_in_new_senders.window_seconds),
        "layer_since": ago(config.layering_window_seconds),
        "new_since": new_since,
        "device_accounts_since": ago(config.accounts_per_device.window_seconds),
        "prefix_accounts_since": ago(config.accounts_per_prefix.window_seconds),
        "s_since": ago(span("sender", config.limit_window_seconds, config.structuring_sender.window_seconds,
                            config.fan_out_receivers.window_seconds, config.layering_window_seconds)),
        "r_since": ago(span("receiver", config.limit_window_seconds, config.structuring_receiver.window_seconds,
                            config.fan_in_new_senders.window_seconds)),
        "d_since": ago(span("device", config.accounts_per_device.window_seconds)),
        "p_since": ago(span("ip_prefix", config.accounts_per_prefix.window_seconds)),
    }  # fmt: skip
    for party, alias in (("sender", "s"), ("receiver", "r"), ("device", "d"), ("ip_prefix", "p")):
        for t in config.velocity[party]:
            params[f"{alias}_w{t.window_seconds}"] = ago(t.window_seconds)
    row = _party_windows(config, params)

    # KYC level and viewer trust only ever raise a limit, so they are looked up only when the gift
    # comes near the limit that holds without them: exact, and three queries fewer per usual gift.
    age_days = max(0.0, (now - sender.date_joined).total_seconds() / 86_400)
    sender_total = int(row["s_limit_cents"]) + amount_cents
    floor = config.tier_for(account_age_days=age_days, kyc_level=0, trust=0.0).daily_limit_cents
    sender_kyc, sender_trust = 0, 0.0
    if sender_total >= config.near_limit_share * floor:
        sender_kyc = kyc_level_of(user=sender, today=now.date())
        sender_trust = viewer_trust_of(user_id=sender.pk)
    receiver_kyc = 0
    if int(row["r_limit_cents"]) + amount_cents > config.unverified_receiver_daily_cap_cents:
        receiver_kyc = kyc_level_of(user=receiver.user, today=now.date())

    cycle = None
    if amount_cents >= config.cycle_min_gift_cents and row["receiver_sends"]:
        cycle = cycle_closed_by(
            sender_id=sender.pk,
            receiver_user_id=receiver.user_id,
            since=ago(config.graph_window_seconds),
            until=now,
            max_length=config.cycle_max_length,
            min_cents=config.cycle_min_gift_cents,
            frontier_cap=config.cycle_frontier_cap,
        )

    def velocity(party: str, alias: str) -> dict[int, int]:
        return {t.window_seconds: row[f"{alias}_w{t.window_seconds}"] + 1 for t in config.velocity[party]}

    return GiftFeatures(
        now=now,
        amount_cents=amount_cents,
        sender_id=sender.pk,
        receiver_id=receiver.pk,
        receiver_user_id=receiver.user_id,
        sender_age_days=age_days,
        sender_kyc_level=sender_kyc,
        sender_trust=sender_trust,
        receiver_kyc_level=receiver_kyc,
        is_hosting_network=is_hosting_network,
        country=country,
        sender_window_cents=int(row["s_limit_cents"]),
        sender_window_gifts=row["s_limit_gifts"],
        receiver_window_cents=int(row["r_limit_cents"]),
        velocity={party: velocity(party, alias) for party, alias in
                  (("sender", "s"), ("receiver", "r"), ("device", "d"), ("ip_prefix", "p"))},
        structuring_sender=row["s_structuring"] + this_in_band,
        structuring_receiver=row["r_structuring"] + this_in_band,
        accounts_on_device=row["d_accounts"] + 1,
        accounts_on_prefix=row["p_accounts"] + 1,
        previous_country=row["prev_country"] or "",
        previous_at=row["prev_at"],
        new_senders_to_receiver=row["r_new_senders"] + (sender.date_joined >= new_since),
        receivers_of_sender=row["s_receivers"] + (row["s_to_receiver"] == 0),
        received_by_sender_cents=int(row["x_received"]),
        sent_by_sender_cents=int(row["s_layer_sent"]) + amount_cents,
        cycle=cycle,
        stored_gift_id=row["stored_id"],
    )  # fmt: skip


# --- Case work ----------------------------------------------------------------------------------
def case_open_for_subject(*, subject_id: int) -> AmlCase | None:
    return AmlCase.objects.filter(subject_id=subject_id).exclude(status=AmlCase.Status.RESOLVED).first()


def case_flows(*, case: AmlCase, days: int = 7, limit: int = 200) -> QuerySet[GiftRequest]:
    """Recent gifts into and out of the case's accounts, newest first: what staff look at first."""
    ids = set(case.subjects.values_list("pk", flat=True)) | {case.subject_id}
    since = case.opened_at - timedelta(days=days)
    return (
        GiftRequest.objects.filter(Q(sender_id__in=ids) | Q(receiver_user_id__in=ids), created_at__gte=since)
        .select_related("sender", "receiver", "receiver_user")
        .order_by("-created_at", "-id")[:limit]
    )


def case_accounts(*, case: AmlCase, days: int = 7) -> list[dict]:
    """The case's accounts with what they sent and received around the case, largest flows first."""
    ids = set(case.subjects.values_list("pk", flat=True)) | {case.subject_id}
    since = case.opened_at - timedelta(days=days)
    gifts = GiftRequest.objects.filter(created_at__gte=since, decision__in=COUNTED)
    sent = dict(gifts.filter(sender_id__in=ids).values("sender_id").annotate(t=Sum("amount_cents"))
                .values_list("sender_id", "t"))  # fmt: skip
    received = dict(gifts.filter(receiver_user_id__in=ids).values("receiver_user_id").annotate(t=Sum("amount_cents"))
                    .values_list("receiver_user_id", "t"))  # fmt: skip
    rows = []
    for user in User.objects.filter(pk__in=ids).select_related("creator_profile"):
        profile = getattr(user, "creator_profile", None)
        rows.append({
            "user": user,
            "handle": profile.handle if profile else "",
            "is_subject": user.pk == case.subject_id,
            "sent_cents": sent.get(user.pk, 0),
            "received_cents": received.get(user.pk, 0),
        })  # fmt: skip
    rows.sort(key=lambda row: (not row["is_subject"], -(row["sent_cents"] + row["received_cents"])))
    return rows
