"""The access matrix's world, its callers, and how one cell's answer is judged.

The world is built once per test module (see ``world`` in test_permission_matrix.py): creator A
owns one of everything a creator can own, creator B owns their own copy, and the signed-in roles
that are not creators (a viewer, Trust & Safety, Finance, an event producer service account)
own nothing. Everything is made through the real services and factories the other tests use.

Creator A's private data carries the marker ``LEAK_MARKER``; a page or API answer given to anyone
but A (outside admin) that contains it has leaked A's data.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from creators.models import CreatorProfile, User
from creators.roles import EVENT_PRODUCERS, FINANCE, TRUST_AND_SAFETY
from tests.factories import (
    CreatorProfileFactory,
    EngagementWindowFactory,
    EvaluationFactory,
    FlagFactory,
    FollowFactory,
    UserFactory,
    VideoFactory,
    ViewerEventFactory,
)

ANON, CREATOR_A, CREATOR_B, VIEWER, TRUST_SAFETY, FINANCE_STAFF, EVENT_PRODUCER = ROLES = (
    "anonymous",
    "creator_a",
    "creator_b",
    "viewer",
    "trust_safety",
    "finance",
    "event_producer",
)
STAFF_ROLES = (TRUST_SAFETY, FINANCE_STAFF)
SIGNED_IN = ROLES[1:]

LEAK_MARKER = "qzmarkera"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
NOW = datetime.now(UTC)
THIS_MONTH = f"{NOW:%Y-%m}"


# --- Expected outcomes ------------------------------------------------------------------------------
# An expectation is an HTTP status (int) or one of these named outcomes.
LOGIN = "302 to login?next="  # creator pages: sign in first, then come back
ADMIN_LOGIN = "302 to admin login?next="  # admin: not staff
ADMIN_INDEX = "302 to admin index"  # admin: the object does not exist (after the permission check)
REDIRECT = "302 elsewhere"  # a redirect that is not a sign-in
FORM = "200/400 form"  # the form was read and answered (re-rendered with errors): access was granted
FORM_OR_REDIRECT = "200/400 form or 302 saved"  # a write that was let in (admin change forms)
# Admin object views whose answer depends on whether the world holds an object of the model.
OBJ_OK = "200 (302 to index without an object)"
OBJ_DENIED = "403 (302 to index without an object)"


def expectation_resolve(expect, *, object_exists: bool):
    if expect == OBJ_OK:
        return 200 if object_exists else ADMIN_INDEX
    if expect == OBJ_DENIED:
        return 403 if object_exists else ADMIN_INDEX
    return expect


def outcome_problem(response, expect, *, path: str) -> str | None:
    """What is wrong with ``response`` for ``expect``; None when it is what the matrix says."""
    status = response.status_code
    location = response.get("Location", "")
    got = f"got {status}" + (f" -> {location}" if location else "")
    if status >= 500:
        return f"server error: {got}"
    if isinstance(expect, int):
        if status != expect:
            return f"expected {expect}, {got}"
        if expect == 401 and not response.get("WWW-Authenticate", "").startswith("Bearer"):
            # The token class comes first, so the challenge names the scheme external clients use.
            return f"401 without a Bearer challenge (WWW-Authenticate: {response.get('WWW-Authenticate')!r})"
        return None
    if expect == LOGIN:
        login = reverse("login")
        if status != 302 or not location.startswith(login) or "next=" not in location:
            return f"expected a redirect to {login}?next=, {got}"
        return None
    if expect == ADMIN_LOGIN:
        login = reverse("admin:login")
        if status != 302 or not location.startswith(login) or "next=" not in location:
            return f"expected a redirect to {login}?next=, {got}"
        return None
    if expect == ADMIN_INDEX:
        if status != 302 or location.split("?")[0] != reverse("admin:index"):
            return f"expected a redirect to the admin index (no such object), {got}"
        return None
    if expect == REDIRECT:
        if status != 302 or "login" in location:
            return f"expected a redirect (not to a sign-in page), {got}"
        return None
    if expect == FORM_OR_REDIRECT:
        if status not in (200, 400, 302) or "login" in location:
            return f"expected the form back or a redirect after saving, {got}"
        return None
    if expect == FORM:
        if status not in (200, 400):
            return f"expected the form back (200 or 400), {got}"
        return None
    raise AssertionError(f"unknown expectation {expect!r} for {path}")


def leak_problem(response, *, role: str) -> str | None:
    """Creator A's private data shown to someone else (outside admin)."""
    if role == CREATOR_A or response.status_code != 200 or getattr(response, "streaming", False):
        return None
    if LEAK_MARKER in response.content.decode("utf-8", "replace").lower():
        return f"the answer shows creator A's private data (marker {LEAK_MARKER!r}) to {role}"
    return None


# --- The URL patterns the project serves -------------------------------------------------------------
def url_patterns_all() -> list[tuple[str, str]]:
    """Every (key, route) the root URLconf resolves; the key is the URL name, or the route when unnamed."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(part for part in (namespace, pattern.namespace) if part) or None
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                found.append((name or route, route))

    walk(get_resolver().url_patterns, "", None)
    return found


# --- The world -----------------------------------------------------------------------------------------
@dataclass
class CreatorWorld:
    profile: CreatorProfile
    user: User
    video: object  # published
    private_video: object  # still processing: only its creator sees it
    evaluation: object
    flag: object
    appeal: object
    kyc_submission: object
    document: object
    withdrawal: object
    trend: object


@dataclass
class World:
    a: CreatorWorld
    b: CreatorWorld
    users: dict[str, User]
    tokens: dict[str, str] = field(default_factory=dict)  # role -> raw API key (Bearer)
    revocable_token: object = None  # one more of creator A's tokens, for the revoke page
    month: str = THIS_MONTH


def _staff_in(group_name: str, email: str, *, is_staff: bool = True) -> User:
    user = UserFactory(email=email, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group_name))
    return User.objects.get(pk=user.pk)


def _kyc_with_document(user: User, *, marker: str):
    from compliance.models import IdentityDocument, KycSubmission

    submission = KycSubmission.objects.create(
        user=user, given_names="Jane", surname=f"Smith {marker}", date_of_birth=date(1990, 1, 15),
        nationality="GB", address_line1="1 Test Street", city="London", address_country="GB",
        phone_number="+447400123456", email=user.email, status=KycSubmission.Status.APPROVED, level=1,
        eligible_level=1, expires_at=date.today() + timedelta(days=365),
    )  # fmt: skip
    document = IdentityDocument(
        submission=submission, doc_type="passport", number=f"{marker}123"[:32], issuing_country="GB",
        content_type="image/jpeg", size_bytes=len(JPEG_BYTES), sha256=hashlib.sha256(JPEG_BYTES).hexdigest(),
    )  # fmt: skip
    document.file.save("passport.jpg", ContentFile(JPEG_BYTES), save=False)
    document.save()
    return submission, document


def _creator_world(*, marker: str, handle: str) -> CreatorWorld:
    from creators.trends import trend_submit
    from moderation.services import appeal_create
    from payouts.ledger import account_for, entry_post
    from payouts.models import AccountKind
    from payouts.withdrawals import withdrawal_request

    profile = CreatorProfileFactory(handle=handle)
    user = profile.user
    video = VideoFactory(creator=profile, title=f"Public video of {handle}")
    private_video = VideoFactory(creator=profile, title=f"Private video {marker}", status="processing")
    evaluation = EvaluationFactory(video=video)
    flag = FlagFactory(evaluation__video=video, reason=f"Flag reason {marker}")
    appeal = appeal_create(flag=flag, appellant=user, statement=f"This flag is wrong, see {marker} context.")
    submission, document = _kyc_with_document(user, marker=marker)
    # Earnings this month, so the statement month exists and a withdrawal can be asked for.
    available = account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=user)
    entry_post(
        kind="revenue",
        legs=[(account_for(kind="external"), -10_000), (available, 10_000)],
        idempotency_key=f"matrix-earn-{handle}",
    )
    withdrawal = withdrawal_request(
        creator=user, amount_cents=2_500, payee_name=f"Payee {marker}", idempotency_key=f"matrix-wd-{handle}"
    )
    trend = trend_submit(
        originator=profile, name=f"Trend {marker}", hashtag=f"{marker}_{handle}"[:60],
        description=f"A trend idea {marker}.",
    )  # fmt: skip
    EngagementWindowFactory(video=video)
    return CreatorWorld(
        profile=profile, user=user, video=video, private_video=private_video, evaluation=evaluation, flag=flag,
        appeal=appeal, kyc_submission=submission, document=document, withdrawal=withdrawal, trend=trend,
    )  # fmt: skip


def _admin_extras(world: World) -> None:
    """Rows for the staff sections' other changelists, so their change views have an object to show."""
    from payouts.models import PayoutAllocation, PayoutRun, PayoutVideoLine

    ViewerEventFactory(video=world.a.video, user=world.users[VIEWER])
    FollowFactory(follower=world.users[VIEWER], creator=world.a.profile)
    run = PayoutRun.objects.create(
        granularity="monthly", period_start=date(2020, 1, 1), period_end=date(2020, 2, 1), pool_cents=10_000,
        status="committed", allocated_cents=10_000, net_available_cents=10_000, creators_paid=1, value_units_total=1.0,
    )  # fmt: skip
    PayoutAllocation.objects.create(
        run=run, creator=world.a.profile, videos=1, engagement_units=10, unique_viewers=10, value_units=1.0, share=1.0,
        kyc_level=1, gross_cents=10_000, net_cents=10_000, destination="available",
    )  # fmt: skip
    PayoutVideoLine.objects.create(
        run=run, video=world.a.video, creator=world.a.profile, engagement_units=10, capped_units=10,
        engagement_integrity_score=90.0, windows=1, eis_weighted_units=1.0, velocity_multiplier=1.0,
        trust_multiplier=1.0, value_units=1.0,
    )  # fmt: skip
    # A gift from the viewer to creator A: the AML decision (gift request, maybe an alert) and its booking.
    from payouts.gifts import gift_send, wallet_topup

    viewer = world.users[VIEWER]
    wallet_topup(viewer=viewer, amount_cents=5_000, idempotency_key="matrix-topup", reference="matrix")
    gift_send(
        sender=viewer, receiver=world.a.profile, amount_cents=500, currency="USD", device_id="matrix-device",
        ip="81.2.69.160", idempotency_key="matrix-gift", body_hash="0" * 64,
    )  # fmt: skip
    _admin_rows(world, run=run, allocation=PayoutAllocation.objects.get(run=run))


def _admin_rows(world: World, *, run, allocation) -> None:
    """One row of each remaining model staff work on, written directly: only their admin pages are under test."""
    from compliance.models import AmlAlert, AmlCase, KycReview, PhoneLookupAudit, PhoneTrustAssessment
    from creators.models import MilestoneAward
    from integrity.eis.config import CURRENT
    from integrity.models import CreatorTrust, InvalidEngagement, VideoIntegrity, ViewerEvent, ViewerTrust
    from moderation.models import FlagReview
    from payouts.models import Clawback, ReserveRelease

    viewer, reviewer, now = world.users[VIEWER], world.users[TRUST_SAFETY], datetime.now(UTC)
    FlagReview.objects.create(
        flag=FlagFactory(evaluation__video=world.b.video), reviewer=reviewer, action="confirm", from_status="open",
        to_status="confirmed", reason="matrix review",
    )  # fmt: skip
    KycReview.objects.create(
        submission=world.b.kyc_submission, reviewer=reviewer, decision="approve", reason="matrix review",
        from_status="review", to_status="approved",
    )  # fmt: skip
    PhoneTrustAssessment.objects.create(user=viewer, score=50, line_type="mobile")
    PhoneLookupAudit.objects.create(provider="abstractapi", url="https://phone.example/v1", phone="+447400123456",
                                    outcome="ok")  # fmt: skip
    case = AmlCase.objects.create(subject=viewer)
    AmlAlert.objects.create(case=case, subject=viewer, config_version="matrix")
    event = ViewerEvent.objects.filter(video=world.a.video).first()
    InvalidEngagement.objects.create(
        event=event, scoring_version=CURRENT.version, reason="hosting_network", window_start=event.occurred_at
    )
    ViewerTrust.objects.create(user=viewer, score=50.0, parts={}, scoring_version=CURRENT.version, computed_at=now)
    VideoIntegrity.objects.create(video=world.a.video, band="high", scoring_version=CURRENT.version, windows=1,
                                  updated_at=now)  # fmt: skip
    CreatorTrust.objects.create(creator=world.a.profile, windows=1, scoring_version=CURRENT.version, updated_at=now)
    ReserveRelease.objects.create(allocation=allocation, creator=world.a.profile, amount_cents=100,
                                  destination="available")  # fmt: skip
    Clawback.objects.create(
        allocation=allocation, run=run, creator=world.a.profile, sequence=1, reason="matrix clawback",
        value_units_before=1.0, value_units_after=0.5, gross_cents=100, from_available_cents=100,
    )  # fmt: skip
    MilestoneAward.objects.create(creator=world.a.profile, threshold=1_000, follower_count=1_000, bonus_cents=1_000)


def world_build() -> World:
    a = _creator_world(marker=LEAK_MARKER, handle="matrix_a")
    b = _creator_world(marker="otherb", handle="matrix_b")
    users = {
        CREATOR_A: a.user,
        CREATOR_B: b.user,
        VIEWER: UserFactory(email="viewer@matrix.test"),
        TRUST_SAFETY: _staff_in(TRUST_AND_SAFETY, "ts@matrix.test"),
        FINANCE_STAFF: _staff_in(FINANCE, "finance@matrix.test"),
        # A service account: signed in by token only, not staff.
        EVENT_PRODUCER: _staff_in(EVENT_PRODUCERS, "events@matrix.test", is_staff=False),
    }
    world = World(a=a, b=b, users=users)
    _admin_extras(world)
    world.tokens = api_tokens_make(users)
    from creators.accounts.tokens import api_token_create

    world.revocable_token, _ = api_token_create(user=a.user, name="matrix revoke", created_by=a.user)
    return world


def api_tokens_make(users: dict[str, User]) -> dict[str, str]:
    """One API token per signed-in role, through the token service (keys are shown once, here)."""
    from creators.accounts.tokens import api_token_create

    return {role: api_token_create(user=user, name="matrix", created_by=user)[1] for role, user in users.items()}


def client_for(role: str, world: World, *, api: bool) -> Client:
    """Pages and admin: a session. API: a Bearer token (the way external clients call)."""
    if role == ANON:
        return Client()
    if api:
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}")
    client = Client()
    client.force_login(world.users[role])
    return client


def request_send(client: Client, method: str, path: str):
    """GET, or a write with an empty form body: access must be decided before the input is read."""
    if method == "GET":
        return client.get(path)
    return client.generic(method, path, b"", content_type="application/x-www-form-urlencoded")
