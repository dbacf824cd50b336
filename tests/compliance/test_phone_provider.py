"""The optional AbstractAPI provider, against a real local HTTP server standing in for it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache

from compliance.kyc.phone import phone_provider_lookup, phone_trust_assess
from compliance.models import PhoneLookupAudit, PhoneTrustAssessment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "test-secret-key-0123456789"
UK_MOBILE = "+447400123456"


def answer(valid: bool = True, kind: str = "mobile", country: str = "GB") -> dict:
    return {
        "phone": UK_MOBILE.lstrip("+"),
        "valid": valid,
        "format": {"international": UK_MOBILE, "local": "07400 123456"},
        "country": {"code": country, "name": "United Kingdom", "prefix": "+44"},
        "location": "England",
        "type": kind,
        "carrier": "Example Mobile",
    }


class FakeAbstractApi(BaseHTTPRequestHandler):
    """Plays ``server.script`` in order: ("json", body), ("status", code, headers), ("sleep", seconds)."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        step = self.server.script.pop(0) if self.server.script else ("json", answer())
        if step[0] == "sleep":
            time.sleep(step[1])
            step = ("json", answer())
        if step[0] == "json":
            payload = json.dumps(step[1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.send_response(step[1])
            for name, value in (step[2] if len(step) > 2 else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def provider(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAbstractApi)
    server.daemon_threads = True
    server.script, server.requests = [], []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.ABSTRACTAPI_PHONE_KEY = KEY
    settings.ABSTRACTAPI_PHONE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1/"
    settings.ABSTRACTAPI_PHONE_TIMEOUT_SECONDS = 0.3
    settings.ABSTRACTAPI_PHONE_ATTEMPTS = 3
    settings.ABSTRACTAPI_PHONE_BACKOFF_SECONDS = 0.01
    settings.ABSTRACTAPI_PHONE_RATE_PER_SECOND = 1000.0
    settings.ABSTRACTAPI_PHONE_BURST = 100
    cache.clear()
    yield server
    server.shutdown()
    server.server_close()
    cache.clear()


def outcomes() -> list[tuple[int, str, int | None]]:
    return list(PhoneLookupAudit.objects.order_by("id").values_list("attempt", "outcome", "status_code"))


def test_a_successful_answer_is_used_audited_and_cached(provider):
    user = UserFactory(country="GB", phone_number=UK_MOBILE)

    first = phone_trust_assess(user=user)
    second = phone_trust_assess(user=user)

    assert len(provider.requests) == 1  # the second assessment used the cache
    query = parse_qs(urlparse(provider.requests[0]).query)
    assert query == {"api_key": [KEY], "phone": ["447400123456"]}
    assert (first.provider, first.provider_result["line_type"], first.provider_result["valid"]) == (
        "abstractapi",
        "mobile",
        True,
    )
    assert second.provider == "abstractapi"
    assert outcomes() == [(1, "ok", 200)]
    audit = PhoneLookupAudit.objects.get()
    assert audit.url == provider_url(provider)
    assert audit.phone == UK_MOBILE


def provider_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1/"


def test_a_500_is_retried_with_backoff_and_the_second_answer_counts(provider):
    provider.script = [("status", 500), ("json", answer())]
    result = phone_provider_lookup(phone=UK_MOBILE)
    assert result is not None
    assert result.line_type == "mobile"
    assert len(provider.requests) == 2
    assert outcomes() == [(1, "http_error", 500), (2, "ok", 200)]


def test_persistent_5xx_gives_up_after_the_attempts_and_the_local_score_stands(provider):
    provider.script = [("status", 503)] * 3
    assessment = phone_trust_assess(user=UserFactory(country="GB"), phone=UK_MOBILE)
    assert outcomes() == [(1, "http_error", 503), (2, "http_error", 503), (3, "http_error", 503)]
    assert assessment.provider == ""
    assert assessment.line_type == "mobile"


def test_timeouts_are_retried_then_the_local_score_stands(provider):
    provider.script = [("sleep", 0.8)] * 3
    started = time.monotonic()
    assessment = phone_trust_assess(user=UserFactory(country="GB"), phone=UK_MOBILE)
    assert time.monotonic() - started < 3
    assert [o for _, o, _ in outcomes()] == ["timeout", "timeout", "timeout"]
    assert assessment.provider == ""
    assert assessment.score > 0


def test_a_429_is_not_retried_and_pauses_further_calls(provider):
    provider.script = [("status", 429, {"Retry-After": "30"})]
    assert phone_provider_lookup(phone=UK_MOBILE) is None
    assert phone_provider_lookup(phone="+447400654321") is None  # within Retry-After: not even sent

    assert len(provider.requests) == 1
    assert outcomes() == [(1, "rate_limited", 429), (1, "throttled", None)]


def test_the_local_token_bucket_limits_the_call_rate(provider, settings):
    settings.ABSTRACTAPI_PHONE_RATE_PER_SECOND = 0.001  # one token per ~17 minutes
    settings.ABSTRACTAPI_PHONE_BURST = 1
    assert phone_provider_lookup(phone=UK_MOBILE) is not None
    assert phone_provider_lookup(phone="+447400654321") is None
    assert len(provider.requests) == 1
    assert [o for _, o, _ in outcomes()] == ["ok", "throttled"]


def test_the_providers_line_type_replaces_the_number_ranges(provider):
    provider.script = [("json", answer(kind="voip"))]
    assessment = phone_trust_assess(user=UserFactory(country="GB"), phone=UK_MOBILE)
    assert assessment.line_type == "voip"
    assert any(r["signal"] == "provider" and "voip" in r["reason"] for r in assessment.reasons)


def test_a_number_the_provider_calls_invalid_is_capped_at_10(provider):
    provider.script = [("json", answer(valid=False))]
    user = UserFactory(country="GB", phone_number=UK_MOBILE)
    assert phone_trust_assess(user=user).score == 10


def test_an_unreadable_answer_is_audited_and_ignored(provider):
    provider.script = [("json", {"unexpected": True})]
    assert phone_provider_lookup(phone=UK_MOBILE) is None
    assert outcomes() == [(1, "bad_response", 200)]


def test_the_key_is_never_stored(provider):
    provider.script = [("status", 500), ("status", 401), ("json", answer())]
    phone_trust_assess(user=UserFactory(), phone=UK_MOBILE)
    stored = json.dumps(list(PhoneLookupAudit.objects.values()), default=str) + json.dumps(
        list(PhoneTrustAssessment.objects.values("reasons", "provider_result")), default=str
    )
    assert KEY not in stored
    assert len(provider.requests) == 2  # 401 is not retried


def test_without_a_key_nothing_is_sent(provider, settings):
    settings.ABSTRACTAPI_PHONE_KEY = ""
    assessment = phone_trust_assess(user=UserFactory(country="GB"), phone=UK_MOBILE)
    assert provider.requests == []
    assert not PhoneLookupAudit.objects.exists()
    assert assessment.provider == ""
