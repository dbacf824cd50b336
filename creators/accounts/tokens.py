"""API tokens: create, revoke, and the hashing that ties a presented key to its stored row.

A key is ``vt_`` followed by 256 random bits (URL-safe base64). Only its SHA-256 is stored, with
the first characters as a visible prefix; the raw key exists once, in the return value of
``api_token_create``, for the page or admin message that shows it.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from creators.models import ApiToken, User

logger = logging.getLogger(__name__)

KEY_MARKER = "vt_"
PREFIX_LENGTH = len(KEY_MARKER) + 8
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# Active (unrevoked, unexpired) tokens one account may hold: enough for every script and device,
# few enough that a leaked session cannot mint keys without bound.
MAX_ACTIVE_TOKENS_PER_USER = 25
# last_used_at is written at most this often per token, so a busy client does not turn every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(Exception):
    """A token cannot be made or changed as asked; the message is meant for the person asking."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def api_token_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_token_build(
    *, user: User, name: str, created_by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """An unsaved token and its raw key; for ``api_token_create`` and bulk loaders (benchmarks, seeds)."""
    key = KEY_MARKER + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=api_token_key_hash(key),
        created_by=created_by,
        expires_at=expires_at,
    )
    return token, key


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApiTokenError("Give the token a name, such as the script or device that will use it.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiTokenError(f"A token name is at most {NAME_MAX_LENGTH} characters.", field="name")
    return name


def _check_room(*, user: User, now: datetime) -> None:
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if active.count() >= MAX_ACTIVE_TOKENS_PER_USER:
        raise ApiTokenError(
            f"An account holds at most {MAX_ACTIVE_TOKENS_PER_USER} active tokens; revoke one it no longer uses."
        )


def api_token_validate(*, user: User, name: str, expires_at: datetime | None) -> str:
    """Check a token request without making it (forms call it to show errors); returns the clean name."""
    name = _clean_name(name)
    now = timezone.now()
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise ApiTokenError("The expiry needs a time zone.", field="expires_at")
        if expires_at <= now:
            raise ApiTokenError("The expiry must be in the future.", field="expires_at")
    if not user.is_active:
        raise ApiTokenError("This account is disabled; it cannot get API tokens.", field="user")
    _check_room(user=user, now=now)
    return name


def api_token_create(
    *, user: User, name: str, created_by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a named token for ``user``; returns it with the raw key, which is never available again."""
    name = api_token_validate(user=user, name=name, expires_at=expires_at)
    with transaction.atomic():
        # Lock the owner so two concurrent requests cannot both pass the count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        _check_room(user=user, now=timezone.now())
        token, key = api_token_build(user=user, name=name, created_by=created_by, expires_at=expires_at)
        token.save(force_insert=True)
    logger.info(
        "api_token_created token=%s user=%s by=%s expires_at=%s",
        token.public_id,
        user.pk,
        created_by.pk if created_by else None,
        expires_at.isoformat() if expires_at else None,
    )
    return token, key


def api_token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    """Revoke the token from now on. Revoking a revoked token changes nothing (the first revocation stands)."""
    now = timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    if changed:
        logger.info("api_token_revoked token=%s user=%s by=%s", token.public_id, token.user_id, by.pk if by else None)
    return token


def api_token_for_key(key: str) -> ApiToken | None:
    """The token a presented key belongs to (revoked or expired ones included), with its user."""
    if not key.startswith(KEY_MARKER) or len(key) > 200:
        return None
    # With the creator profile (or its absence) joined: creator-only permissions then ask nothing more.
    tokens = ApiToken.objects.select_related("user", "user__creator_profile")
    return tokens.filter(key_hash=api_token_key_hash(key)).first()


def api_token_mark_used(*, token: ApiToken, at: datetime | None = None) -> None:
    """Record a use, writing at most once per LAST_USED_RESOLUTION per token."""
    at = at or timezone.now()
    if token.last_used_at is not None and at - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - LAST_USED_RESOLUTION)
    ).update(last_used_at=at)
    token.last_used_at = at


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """Every token of the account, newest first, revoked and expired ones included."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))
