"""Sign-up with email verification.

``creator_signup`` makes the account, its creator profile and the pending verification in one
transaction and mails the link once that transaction commits. Until the link is used the account
cannot sign in (creators.accounts.backends.VerifiedEmailBackend). The link is signed (SECRET_KEY),
carries the account and the address, expires after ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS, and
works once: the first use sets ``verified_at`` with a compare-and-set update.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compliance.kyc.countries import is_country_code
from creators.models import CreatorProfile, EmailVerification, User, handle_validator

logger = logging.getLogger(__name__)

VERIFICATION_SALT = "creators.accounts.email-verification"
# One resend per address per this long at most, whoever asks (the page itself is throttled per IP).
RESEND_COOLDOWN = timedelta(minutes=1)
DISPLAY_NAME_MAX_LENGTH = CreatorProfile._meta.get_field("display_name").max_length


class VerificationError(Exception):
    """A verification link that cannot be used; ``code`` is "invalid", "expired" or "used"."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _default_site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def signup_validate(*, email: str, password: str, handle: str, display_name: str, country: str) -> dict[str, str]:
    """Check every sign-up field and return them cleaned; raise ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    email = User.objects.normalize_email(email)
    handle = (handle or "").strip().lstrip("@").lower()
    display_name = " ".join((display_name or "").split())
    country = (country or "").strip().upper()

    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address, such as ann@example.com."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ["An account with this email address already exists. Sign in or reset your password."]
    try:
        handle_validator(handle)
    except ValidationError as exc:
        errors["handle"] = list(exc.messages)
    else:
        if CreatorProfile.objects.filter(handle=handle).exists():
            errors["handle"] = ["This handle is taken; choose another."]
    if not display_name:
        errors["display_name"] = ["Enter the name people will see on your videos."]
    elif len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [f"A display name is at most {DISPLAY_NAME_MAX_LENGTH} characters."]
    if not is_country_code(country):
        errors["country"] = ["Enter your country as a two-letter ISO code, such as GB, US or DE."]
    try:
        # The candidate user lets UserAttributeSimilarityValidator compare the password with the email.
        validate_password(password or "", user=User(email=email, first_name=display_name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    return {"email": email, "handle": handle, "display_name": display_name, "country": country}


def creator_signup(
    *, email: str, password: str, handle: str, display_name: str, country: str, site_url: str | None = None
) -> User:
    """Make an unverified creator account and mail its verification link once the transaction commits.

    Raises ValidationError keyed by field; nothing is stored then. ``site_url`` is the scheme and
    host the link points at (the request's own, from the page; SITE_URL otherwise).
    """
    clean = signup_validate(email=email, password=password, handle=handle, display_name=display_name, country=country)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                clean["email"], password, first_name=clean["display_name"][:150], country=clean["country"]
            )
            CreatorProfile.objects.create(
                user=user, handle=clean["handle"], display_name=clean["display_name"], country=clean["country"]
            )
            EmailVerification.objects.create(user=user, email=user.email, last_sent_at=timezone.now())
            link_base = (site_url or _default_site_url()).rstrip("/")
            transaction.on_commit(lambda: _send_verification_mail(user=user, site_url=link_base))
    except IntegrityError:
        # Someone took the address or handle between the checks and the insert.
        signup_validate(email=email, password=password, handle=handle, display_name=display_name, country=country)
        raise ValidationError("The account could not be created; please try again.") from None
    logger.info("creator_signed_up user=%s", user.pk)
    return user


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": str(user.public_id), "e": user.email}, salt=VERIFICATION_SALT)


def email_verification_link(*, user: User, site_url: str | None = None) -> str:
    token = email_verification_token(user=user)
    return (site_url or _default_site_url()).rstrip("/") + reverse("verify-email", args=[token])


def _send_verification_mail(*, user: User, site_url: str) -> None:
    context = {
        "user": user,
        "link": email_verification_link(user=user, site_url=site_url),
        "valid_days": settings.ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS // 86_400,
        "site_url": site_url,
    }
    subject = " ".join(render_to_string("accounts/email/verify_subject.txt", context).split())
    body = render_to_string("accounts/email/verify_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (OSError, smtplib.SMTPException):
        # The account is made; the person can ask for the link again from the sign-in page.
        logger.exception("verification_mail_failed user=%s", user.pk)


def email_verification_check(*, token: str) -> EmailVerification:
    """The pending verification a link stands for, without using it; raises VerificationError."""
    try:
        data = signing.loads(token, salt=VERIFICATION_SALT, max_age=settings.ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise VerificationError(
            "This verification link has expired. Ask for a new one below.", code="expired"
        ) from None
    except signing.BadSignature:
        raise VerificationError(
            "This verification link is not valid. Copy the whole link from the email, or ask for a new one.",
            code="invalid",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("e"), str):
        raise VerificationError("This verification link is not valid.", code="invalid")
    verification = (
        EmailVerification.objects.select_related("user")
        .filter(user__public_id=data["u"], email__iexact=data["e"], user__email__iexact=data["e"])
        .first()
    )
    if verification is None:
        raise VerificationError("This verification link is not valid.", code="invalid")
    if verification.verified_at is not None:
        raise VerificationError("This link has already been used: your email is verified. Sign in.", code="used")
    return verification


def email_verification_confirm(*, token: str) -> User:
    """Use a verification link: the account may sign in from now on. A link works once."""
    verification = email_verification_check(token=token)
    now = timezone.now()
    changed = EmailVerification.objects.filter(pk=verification.pk, verified_at__isnull=True).update(verified_at=now)
    if not changed:
        raise VerificationError("This link has already been used: your email is verified. Sign in.", code="used")
    logger.info("email_verified user=%s", verification.user_id)
    return verification.user


def email_verification_resend(*, email: str, site_url: str | None = None) -> bool:
    """Send a fresh link if an unverified sign-up uses this address; True when a mail went out.

    The page shows the same answer either way, so nobody learns which addresses have accounts.
    """
    email = User.objects.normalize_email(email)
    now = timezone.now()
    verification = (
        EmailVerification.objects.select_related("user")
        .filter(user__email__iexact=email, verified_at__isnull=True, user__is_active=True)
        .first()
    )
    if verification is None:
        return False
    # Compare-and-set on last_sent_at: two resends within the cooldown send one mail.
    changed = (
        EmailVerification.objects.filter(pk=verification.pk, verified_at__isnull=True)
        .exclude(last_sent_at__gt=now - RESEND_COOLDOWN)
        .update(last_sent_at=now, email=verification.user.email)
    )
    if not changed:
        return False
    link_base = (site_url or _default_site_url()).rstrip("/")
    user = verification.user
    transaction.on_commit(lambda: _send_verification_mail(user=user, site_url=link_base))
    logger.info("email_verification_resent user=%s", user.pk)
    return True


def email_verification_pending(*, user: User) -> bool:
    """Whether the account signed up and has not verified its email yet (then it cannot sign in)."""
    return EmailVerification.objects.filter(user=user, verified_at__isnull=True).exists()


def email_verification_confirm_by_reset(*, user: User) -> bool:
    """A completed password reset proves the inbox too: a pending verification counts as done."""
    changed = EmailVerification.objects.filter(user=user, verified_at__isnull=True, email__iexact=user.email).update(
        verified_at=timezone.now()
    )
    if changed:
        logger.info("email_verified_by_password_reset user=%s", user.pk)
    return bool(changed)


def unverified_signups_prune(*, older_than: timedelta | None = None, limit: int = 1_000) -> int:
    """Delete sign-ups whose email was never verified, so their address and handle are free again.

    Only accounts that never got further than signing up: no verification, never signed in, no
    videos and no API token. Anything else that points at the account (a ledger account, a KYC
    submission made by staff on its behalf...) protects it: that one is skipped and logged, never
    forced. Each account goes in its own transaction; running it twice deletes nothing more.
    Returns how many accounts were deleted.
    """
    from django.db.models import ProtectedError

    cutoff = timezone.now() - (older_than or timedelta(days=settings.ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS))
    candidates = (
        User.objects.filter(
            email_verification__verified_at__isnull=True,
            email_verification__created_at__lt=cutoff,
            last_login__isnull=True,
            is_staff=False,
            is_superuser=False,
        )
        .exclude(creator_profile__videos__isnull=False)
        .exclude(api_tokens__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    deleted = 0
    for user_id in list(candidates):
        try:
            with transaction.atomic():
                CreatorProfile.objects.filter(user_id=user_id).delete()
                User.objects.filter(pk=user_id, email_verification__verified_at__isnull=True).delete()
        except ProtectedError:
            logger.warning("unverified_signup_kept user=%s reason=referenced", user_id)
            continue
        deleted += 1
    if deleted:
        logger.info("unverified_signups_pruned count=%s cutoff=%s", deleted, cutoff.isoformat())
    return deleted
