"""Shared fixtures, and the rule for tests that need real servers.

A test marked ``postgres`` or ``redis`` runs against the real server. Where that server is absent
the test is skipped with a message saying what to set; with VALUETOK_REQUIRE_SERVICES=1 (CI sets
it) an absent server fails the test instead, so CI can never go green by skipping.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("VALUETOK_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable(url: str = REDIS_URL) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def uses_postgres() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (VALUETOK_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _real_servers(request) -> None:
    if request.node.get_closest_marker("postgres") and not uses_postgres():
        _unavailable(
            "SKIPPED LOUDLY: needs PostgreSQL; run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/valuetok"
        )
    if request.node.get_closest_marker("redis") and not redis_reachable():
        _unavailable(f"SKIPPED LOUDLY: needs Redis at {REDIS_URL}; start redis-server or set TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL
