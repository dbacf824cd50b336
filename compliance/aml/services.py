"""Writes for AML: gift decisions, the alerts they raise, and staff work on cases.

Every change to a case or alert leaves an ``AuditEvent``; decisions themselves are append-only
rows (``GiftRequest``) that carry their rule hits, score and configuration version.
"""

import hashlib
import logging
import time
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from compliance.audit import audit
from compliance.models import AmlAlert, AmlCase, CaseAttachment, CaseComment, GiftRequest
from creators.models import CreatorProfile, User
from integrity.network import network_origin

from . import rules
from .config import AmlConfig, config_for
from .limits import LIMITS_WITHOUT_ALERT, RECEIVER, RuleHit
from .selectors import case_open_for_subject, gift_features

logger = logging.getLogger(__name__)

# Advisory-lock classes (the first key of pg_advisory_xact_lock(int, int)); the second key is the id.
LOCK_SENDER = 0x6A6C01
LOCK_RECEIVER = 0x6A6C02
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class GiftError(Exception):
    """A gift request the engine cannot decide on (bad input); nothing was stored."""


class IdempotencyKeyReused(GiftError):
    """The Idempotency-Key was used before by this sender with a different request body."""

    def __init__(self, stored: GiftRequest):
        super().__init__("This Idempotency-Key was already used with a different request body.")
        self.stored = stored


class CaseStateError(Exception):
    """The case is not in a state that allows this change."""


def _lock_parties(*, sender_id: int, receiver_id: int) -> None:
    """Serialise decisions per sender and per receiver until the transaction ends.

    Always sender first, then receiver (two separate key spaces), so two transactions can never
    wait on each other in a circle. Ids beyond 2^31 wrap, which only makes unrelated parties wait
    on each other now and then. On SQLite the database takes one writer at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s), pg_advisory_xact_lock(%s, %s)",
            [LOCK_SENDER, sender_id % 2**31, LOCK_RECEIVER, receiver_id % 2**31],
        )


def request_hash_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def gift_decide(
    *,
    sender: User,
    receiver: CreatorProfile,
    amount_cents: int,
    currency: str,
    device_id: str,
    ip: str,
    idempotency_key: str,
    body_hash: str,
    country: str = "",
    now: datetime | None = None,
    config: AmlConfig | None = None,
) -> GiftRequest:
    """Decide on one gift in real time and store the decision, its reasons and the config version.

    Idempotent by ``(sender, idempotency_key)``: asking again with the same key and the same
    ``body_hash`` returns the stored decision (``gift.replayed`` is True); the same key with another
    body raises ``IdempotencyKeyReused``. Concurrent requests of one sender or to one receiver are
    serialised, so rolling limits hold under concurrency and a duplicate key yields one decision.
    ``now`` exists for replaying generated traffic (aml_eval); live requests leave it out.
    """
    config = config or config_for()
    if currency not in config.currencies:
        raise GiftError(f"Gifts are in {', '.join(config.currencies)}, not {currency!r}.")
    if amount_cents <= 0:
        raise GiftError("The amount must be a positive whole number of cents.")
    try:
        origin = network_origin(ip)
    except ValueError as exc:
        raise GiftError(str(exc)) from exc
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _lock_parties(sender_id=sender.pk, receiver_id=receiver.pk)
            now = now or timezone.now()
            features = gift_features(
                config=config, now=now, sender=sender, receiver=receiver, amount_cents=amount_cents,
                device_id=device_id, ip_prefix_hash=origin.ip_prefix_hash,
                is_hosting_network=origin.is_hosting_network, country=country, idempotency_key=idempotency_key,
            )  # fmt: skip
            if features.stored_gift_id is not None:
                return _replay(GiftRequest.objects.get(pk=features.stored_gift_id), body_hash)
            hits = rules.evaluate(features, config)
            decision, score = rules.decide(hits, config)
            gift = GiftRequest.objects.create(
                idempotency_key=idempotency_key, request_hash=body_hash, sender=sender,
                sender_joined_at=sender.date_joined, receiver=receiver,
                receiver_user_id=receiver.user_id, amount_cents=amount_cents, currency=currency,
                device_id=device_id, ip_hash=origin.ip_hash, ip_prefix_hash=origin.ip_prefix_hash, country=country,
                is_hosting_network=origin.is_hosting_network, created_at=now, decision=decision,
                rule_hits=[hit.as_dict() for hit in hits], risk_score=score, config_version=config.version,
                decision_ms=round((time.perf_counter() - started) * 1000, 3),
            )  # fmt: skip
            if decision != GiftRequest.Decision.ALLOW:
                _alerts_raise(gift=gift, hits=hits, features_cycle=features.cycle, config=config)
    except IntegrityError:
        # Only reachable where locks are not taken (SQLite): a concurrent twin stored the key first.
        stored = GiftRequest.objects.filter(sender=sender, idempotency_key=idempotency_key).first()
        if stored is None:
            raise
        return _replay(stored, body_hash)
    gift.replayed = False
    logger.info("gift decided gift=%s decision=%s score=%s rules=%s ms=%.1f", gift.public_id, decision, score,
                ",".join(h.rule for h in hits) or "-", gift.decision_ms)  # fmt: skip
    return gift


def _replay(stored: GiftRequest, body_hash: str) -> GiftRequest:
    if stored.request_hash != body_hash:
        raise IdempotencyKeyReused(stored)
    stored.replayed = True
    return stored


def _alerts_raise(*, gift: GiftRequest, hits: list[RuleHit], features_cycle: list[int] | None,
                  config: AmlConfig) -> list[AmlAlert]:  # fmt: skip
    """One alert per account the fired rules are about, each in that account's unresolved case."""
    alerts = []
    by_party: dict[str, list[RuleHit]] = {}
    for hit in hits:
        by_party.setdefault(hit.party, []).append(hit)
    by_party = {party: party_hits for party, party_hits in by_party.items()
                if any(hit.rule not in LIMITS_WITHOUT_ALERT for hit in party_hits)}  # fmt: skip
    for party, party_hits in by_party.items():
        subject_id = gift.receiver_user_id if party == RECEIVER else gift.sender_id
        counterparty_id = gift.sender_id if party == RECEIVER else gift.receiver_user_id
        involved = {subject_id, counterparty_id, *(features_cycle or [])}
        case = case_for_subject(subject_id=subject_id, now=gift.created_at)
        alert = AmlAlert.objects.create(
            case=case, subject_id=subject_id, gift=gift, source=AmlAlert.Source.GIFT, decision=gift.decision,
            rules=[hit.as_dict() for hit in party_hits], risk_score=sum(h.score for h in party_hits),
            config_version=config.version, created_at=gift.created_at,
        )  # fmt: skip
        case.subjects.add(*involved)
        AmlCase.objects.filter(pk=case.pk).update(updated_at=gift.created_at)
        audit(actor=None, action="aml.alert.raised", instance=case,
              after={"alert": alert.pk, "gift": str(gift.public_id), "decision": gift.decision,
                     "rules": [h.rule for h in party_hits]})  # fmt: skip
        alerts.append(alert)
    return alerts


def case_for_subject(*, subject_id: int, now: datetime) -> AmlCase:
    case = case_open_for_subject(subject_id=subject_id)
    if case is not None:
        return case
    try:
        with transaction.atomic():
            case = AmlCase.objects.create(subject_id=subject_id, opened_at=now, updated_at=now)
    except IntegrityError:  # another decision opened it a moment ago
        case = case_open_for_subject(subject_id=subject_id)
        if case is None:
            raise
        return case
    case.subjects.add(subject_id)
    audit(actor=None, action="aml.case.opened", instance=case, after={"subject": subject_id, "status": case.status})
    return case


# --- Staff work on cases --------------------------------------------------------------------------
def _move(*, case: AmlCase, allowed_from: set[str], changes: dict, actor: User, action: str,
          reason: str = "") -> AmlCase:  # fmt: skip
    """Compare-and-set: change the case only if it is still in one of ``allowed_from``."""
    with transaction.atomic():
        current = AmlCase.objects.select_for_update().get(pk=case.pk)
        if current.status not in allowed_from:
            raise CaseStateError(f"The case is {current.get_status_display().lower()}; it cannot be changed that way.")
        before = {k: _plain(getattr(current, k)) for k in changes}
        updated = AmlCase.objects.filter(pk=case.pk, status=current.status).update(
            **changes, updated_at=timezone.now()
        )
        if updated != 1:
            raise CaseStateError("The case changed while you were working on it; reload and try again.")
        current.refresh_from_db()
        audit(actor=actor, action=action, instance=current, before=before,
              after={k: _plain(getattr(current, k)) for k in changes}, reason=reason)  # fmt: skip
    return current


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, User):
        return value.pk
    return value


def case_assign(*, case: AmlCase, assignee: User | None, actor: User) -> AmlCase:
    """Give the case to a member of staff (or take it away); an open case becomes investigating."""
    if assignee is not None and not assignee.is_staff:
        raise CaseStateError("Cases can be assigned only to staff.")
    changes: dict = {"assignee_id": assignee.pk if assignee else None}
    if assignee is not None and case.status == AmlCase.Status.OPEN:
        changes["status"] = AmlCase.Status.INVESTIGATING
    return _move(case=case, allowed_from={AmlCase.Status.OPEN, AmlCase.Status.INVESTIGATING}, changes=changes,
                 actor=actor, action="aml.case.assigned")  # fmt: skip


def case_resolve(*, case: AmlCase, resolution: str, reason: str, actor: User) -> AmlCase:
    """Close the case with an outcome and a written reason; later alerts open a new case."""
    if resolution not in AmlCase.Resolution.values:
        raise CaseStateError(f"Unknown resolution {resolution!r}.")
    if not reason.strip():
        raise CaseStateError("A resolved case needs a reason.")
    now = timezone.now()
    changes = {"status": AmlCase.Status.RESOLVED, "resolution": resolution, "resolution_reason": reason.strip(),
               "resolved_at": now, "resolved_by_id": actor.pk}  # fmt: skip
    # The held gifts the case was about are booked or refused in the same transaction as the
    # resolution (payouts imports this module, hence the import here).
    from payouts.gifts import gift_bookings_settle_for_case

    with transaction.atomic():
        resolved = _move(case=case, allowed_from={AmlCase.Status.OPEN, AmlCase.Status.INVESTIGATING},
                         changes=changes, actor=actor, action="aml.case.resolved", reason=reason.strip())  # fmt: skip
        gift_bookings_settle_for_case(case=resolved, actor=actor)
    return resolved


def case_reopen(*, case: AmlCase, reason: str, actor: User) -> AmlCase:
    if not reason.strip():
        raise CaseStateError("Reopening a case needs a reason.")
    if case_open_for_subject(subject_id=case.subject_id) is not None:
        raise CaseStateError("This account already has an unresolved case; add to that one.")
    changes = {"status": AmlCase.Status.INVESTIGATING, "resolution": "", "resolution_reason": "",
               "resolved_at": None, "resolved_by_id": None}  # fmt: skip
    return _move(case=case, allowed_from={AmlCase.Status.RESOLVED}, changes=changes, actor=actor,
                 action="aml.case.reopened", reason=reason.strip())  # fmt: skip


def case_comment_add(*, case: AmlCase, author: User, body: str) -> CaseComment:
    body = body.strip()
    if not body:
        raise CaseStateError("A comment cannot be empty.")
    with transaction.atomic():
        comment = CaseComment.objects.create(case=case, author=author, body=body)
        AmlCase.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        audit(actor=author, action="aml.case.commented", instance=case, after={"comment": comment.pk, "body": body})
    return comment


def case_attachment_add(*, case: AmlCase, uploaded_by: User, upload: UploadedFile,
                        description: str = "") -> CaseAttachment:  # fmt: skip
    """Attach evidence to a case; the file goes to private storage under a name of our own."""
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise CaseStateError(f"Attachments may be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB.")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        attachment = CaseAttachment(
            case=case, uploaded_by=uploaded_by, original_name=(upload.name or "upload")[:255],
            content_type=(getattr(upload, "content_type", "") or "")[:100], size_bytes=upload.size,
            sha256=digest.hexdigest(), description=description[:255],
        )  # fmt: skip
        attachment.file.save(upload.name or "upload.bin", upload, save=False)
        attachment.save()
        stored_name = attachment.file.name
        AmlCase.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        audit(actor=uploaded_by, action="aml.case.attached", instance=case,
              after={"attachment": attachment.pk, "name": attachment.original_name, "sha256": attachment.sha256,
                     "size_bytes": attachment.size_bytes, "stored_as": stored_name})  # fmt: skip
    return attachment
