"""The API keeps its contract: schemathesis against the schema, on a live server with real data.

A small world is seeded (a creator with videos, EIS windows, an evaluation, a KYC submission, a
withdrawal, trends; a staff member; an event producer), the schema is loaded from the live server,
and every operation is called with generated requests (positive and negative) plus one known-good
request per operation that reaches the seeded objects. Each response must not be a 5xx, and must
conform to the schema: a documented status code, a documented content type, a body valid against
the documented schema.

Nothing leaves the machine: every link a request carries (checkContent's and the flag's ``url``,
an upload's ``source_url``) is pointed at a loopback address before it is sent, which the media
fetcher refuses at once (400) without connecting anywhere; so no Whisper run and no outside fetch.
"""

import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from creators.accounts.tokens import api_token_create
from creators.roles import FINANCE
from creators.trends import trend_approve, trend_submit
from payouts.ledger import account_for, entry_post
from payouts.models import AccountKind
from payouts.withdrawals import withdrawal_request
from tests.factories import (
    CreatorProfileFactory,
    EngagementWindowFactory,
    EvaluationFactory,
    HashtagFactory,
    UserFactory,
    VideoFactory,
)
from tests.payouts.conftest import kyc_approved, wallet_funded

pytestmark = [pytest.mark.postgres, pytest.mark.contract]

EXAMPLES_PER_OPERATION = 10  # per generation mode (positive, negative)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LOOPBACK = "http://127.0.0.1:9"
LINK_FIELDS = ("url", "source_url")
STAFF_ONLY = {"/api/v1/wallet/topups/"}
PRODUCERS_ONLY = {"/api/v1/events/"}
COMPONENTS = {
    "authentic_engagement": {"score": 92.0, "band": "high", "reason": "3 of 412 views came from data centres"},
    "like_integrity": {"score": None, "band": "insufficient", "reason": "only 2 likes: not enough to judge"},
}


def _earn(user, cents: int, kind=AccountKind.CREATOR_AVAILABLE) -> None:
    legs = [(account_for(kind="external"), -cents), (account_for(kind=kind, owner=user), cents)]
    entry_post(kind="revenue", legs=legs, idempotency_key=f"contract-earn:{user.pk}:{kind}")


@pytest.fixture
def private_media(tmp_path, monkeypatch):
    """Uploads (videos, identity documents) go to a temporary folder, not the private media root."""
    from compliance.models import IdentityDocument
    from creators.models import Video

    for model, field in ((Video, "media_file"), (IdentityDocument, "file")):
        monkeypatch.setattr(model._meta.get_field(field).storage, "location", str(tmp_path / "private"))


@pytest.fixture
def world(private_media):
    creator = CreatorProfileFactory(handle="demo_creator")
    user = creator.user
    tag = HashtagFactory(name="tinydesk")
    published = VideoFactory(creator=creator, source_url=f"{LOOPBACK}/published.mp4")
    published.hashtags.add(tag)
    VideoFactory(creator=creator, source_url=f"{LOOPBACK}/new.mp4", status="processing")
    VideoFactory(source_url=f"{LOOPBACK}/other.mp4")
    for day in range(3):
        start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day + 1)
        EngagementWindowFactory(video=published, window_start=start, components=COMPONENTS, valid_views=40)
    done = EvaluationFactory(video=published, requested_by=user)
    EvaluationFactory(video=published, requested_by=user, status="queued")
    kyc = kyc_approved(user)
    _earn(user, 50_000)
    _earn(user, 3_000, AccountKind.CREATOR_HELD)
    wallet_funded(user, 5_000)
    withdrawal = withdrawal_request(creator=user, amount_cents=1_500, payee_name="Jane Smith", idempotency_key="w-1")
    staff = UserFactory(is_staff=True)
    # Wallet top-ups are Finance's. get_or_create: an earlier live-server test may have flushed the
    # groups the migrations made.
    staff.groups.add(Group.objects.get_or_create(name=FINANCE)[0])
    staff.user_permissions.add(Permission.objects.get(codename="review_trend", content_type__app_label="creators"))
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh permission cache
    trend = trend_approve(
        trend=trend_submit(originator=creator, name="Tiny desk", hashtag="#tinydesk", description="Desks."),
        reviewer=staff,
        reason="Original and safe for all ages.",
    )
    other = CreatorProfileFactory()
    trend_submit(originator=other, name="Other", hashtag="#other_idea", description="Not yet.")
    producer = UserFactory()
    producer.user_permissions.add(
        Permission.objects.get(codename="add_viewerevent", content_type__app_label="integrity")
    )
    tokens = {
        who: api_token_create(user=account, name="contract", created_by=account)[1]
        for who, account in (("creator", user), ("staff", staff), ("producer", producer))
    }
    return {
        "tokens": tokens,
        "creator": creator,
        "video": published,
        "evaluation": done,
        "kyc": kyc,
        "withdrawal": withdrawal,
        "trend": trend,
        "month": timezone.now().strftime("%Y-%m"),
        "viewer": UserFactory(),
        "other": other,
    }


@pytest.fixture
def generous_throttles(monkeypatch):
    """Rates high enough that the run tests the endpoints rather than the throttle (which has its own tests)."""
    rates = dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES, "100000/min")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def known_good(operation, world) -> list[tuple]:
    """One request per operation that reaches the seeded objects (generated ids rarely do), with the status
    it must get: proof that the run exercised the endpoint itself, not only its refusals."""
    path, method = operation.path, operation.method.upper()
    ids = {
        "handle": world["creator"].handle,
        "id": str(world["video"].public_id),
        "public_id": str(world["evaluation"].public_id),
        "month": world["month"],
    }
    if path.startswith("/api/v1/kyc/submissions/{"):
        ids["id"] = str(world["kyc"].public_id)
    if path.startswith("/api/v1/trends/{"):
        ids["id"] = str(world["trend"].public_id)
    wanted = {name: value for name, value in ids.items() if "{" + name + "}" in path}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    if method == "GET":
        return [(operation.Case(path_parameters=wanted), 200)]
    bodies = {
        "/api/v1/payouts/withdrawals/": {"amount_cents": 2_500, "payee_name": "Jane Smith"},
        "/api/v1/gifts/": {"receiver": world["other"].handle, "amount_cents": 100, "device_id": "d-1"},
        "/api/v1/wallet/topups/": {"viewer": str(world["viewer"].public_id), "amount_cents": 1_000},
        "/api/v1/trends/": {"name": "Desk tour", "hashtag": "#desk_tour", "description": "Show it."},
        "/api/v1/flagged": {"video_id": str(world["video"].public_id), "reason": "Spam in the captions."},
        "/api/v1/checkContent": {"video_id": str(world["video"].public_id)},
        "/api/v1/videos/": {"title": "A link", "source_url": f"{LOOPBACK}/link.mp4"},
    }
    if path not in bodies:
        return []
    # checkContent on the creator's video: its link is a loopback address, refused (400) before any fetch.
    expected = 400 if path == "/api/v1/checkContent" else 201
    return [(operation.Case(body=bodies[path], headers=key, media_type="application/json"), expected)]


def _safe_links(case) -> None:
    """Point any link in the body at a loopback address: refused at once, nothing fetched from outside."""
    if isinstance(case.body, dict):
        for field in LINK_FIELDS:
            value = case.body.get(field)
            if isinstance(value, str) and value:
                parts = urlsplit(value)
                case.body[field] = f"{LOOPBACK}{parts.path or '/x'}" if parts.scheme in ("http", "https") else value


def _token_for(path: str, tokens: dict) -> str:
    if path in STAFF_ONLY:
        return tokens["staff"]
    if path in PRODUCERS_ONLY:
        return tokens["producer"]
    return tokens["creator"]


def test_every_operation_keeps_the_contract(live_server, world, generous_throttles):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    failures: list[str] = []
    called: set[str] = set()
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        auth = {"Authorization": f"Bearer {_token_for(operation.path, world['tokens'])}"}

        def call(case, auth=auth):
            _safe_links(case)
            response = case.call(base_url=live_server.url, headers=auth, timeout=30)
            case.validate_response(response, checks=CHECKS)
            return response

        for case, expected in known_good(operation, world):
            try:
                response = call(case)
                if response.status_code != expected:
                    failures.append(f"{operation.label} (known-good): {response.status_code} {response.text[:300]}")
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected, all reported together
                failures.append(f"{operation.label} (known-good request): {exc}")

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case) -> None:
                call(case)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
        called.add(operation.label)

    elapsed = time.monotonic() - started
    assert len(called) >= 20, f"only {sorted(called)} in {elapsed:.1f} s"
    assert failures == [], "\n\n".join(failures)
