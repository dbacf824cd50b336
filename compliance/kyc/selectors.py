"""KYC reads other apps rely on: payouts gate money on ``kyc_level_for_user``."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.models import IdentityDocument, KycSubmission

Status = KycSubmission.Status

# What a creator sees in place of internal checks (sanctions, PEP, high-risk countries) that did not
# pass: telling them which would tip off a listed person.
MANUAL_REVIEW = {
    "check": "manual_review",
    "result": "warn",
    "reason": "Some checks need a person to look at them; we will be in touch.",
}


def kyc_checks_for_owner(*, submission: KycSubmission) -> list[dict]:
    """The submission's checks as its owner may see them: internal ones folded into one manual review."""
    visible = [
        {k: v for k, v in flag.items() if k not in ("internal", "details")}
        for flag in submission.flags
        if not flag.get("internal")
    ]
    if any(flag.get("internal") and flag.get("result") != "pass" for flag in submission.flags):
        visible.append(dict(MANUAL_REVIEW))
    return visible


def _current_approvals(*, user, today: date) -> QuerySet[KycSubmission]:
    # The expiry task may run late: the date is checked here too, so a lapsed document never pays.
    return KycSubmission.objects.filter(user=user, status=Status.APPROVED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gte=today)
    )


def kyc_level_for_user(*, user, today: date | None = None) -> int:
    """The creator's KYC level now: the best current approval's level; 0 when none, expired or rejected."""
    if user is None or not user.pk:
        return 0
    today = today or timezone.localdate()
    best = _current_approvals(user=user, today=today).order_by("-level").values_list("level", flat=True).first()
    return int(best or 0)


@dataclass(frozen=True)
class KycStatus:
    level: int
    status: str  # the latest submission's status ("none" when there is none)
    expires_at: date | None  # when the current level lapses
    submission_id: str | None  # public id of the latest submission


def kyc_status_for_user(*, user, today: date | None = None) -> KycStatus:
    """Level, latest status and expiry for a creator (what the API's /kyc/status/ shows)."""
    today = today or timezone.localdate()
    latest = KycSubmission.objects.filter(user=user).order_by("-submitted_at", "-id").first()
    if latest is None:
        return KycStatus(level=0, status="none", expires_at=None, submission_id=None)
    granting = _current_approvals(user=user, today=today).order_by("-level", "-submitted_at").first()
    status = latest.status
    if status == Status.APPROVED and latest.expires_at and latest.expires_at < today:
        status = Status.EXPIRED
    return KycStatus(
        level=granting.level if granting else 0,
        status=status,
        expires_at=granting.expires_at if granting else None,
        submission_id=str(latest.public_id),
    )


def kyc_submissions_for_user(*, user) -> QuerySet[KycSubmission]:
    return KycSubmission.objects.filter(user=user).prefetch_related("documents").order_by("-submitted_at", "-id")


def kyc_review_queue() -> QuerySet[KycSubmission]:
    """Submissions waiting for staff, oldest first."""
    return KycSubmission.objects.filter(status=Status.NEEDS_REVIEW).select_related("user").order_by("submitted_at")


def identity_document_for_viewer(*, public_id, viewer) -> IdentityDocument | None:
    """The document when ``viewer`` may see it (its owner, or staff with the permission); else None."""
    document = IdentityDocument.objects.select_related("submission").filter(public_id=public_id).first()
    if document is None or not viewer.is_authenticated:
        return None
    if document.submission.user_id == viewer.pk:
        return document
    if viewer.is_staff and viewer.has_perm("compliance.view_identitydocument"):
        return document
    return None
