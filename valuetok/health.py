"""Liveness checks of the services the product depends on, each reporting what failed."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from kombu import Connection


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    latency_ms: float

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail, "latency_ms": round(self.latency_ms, 1)}


def database_connection() -> BaseDatabaseWrapper:
    return connections["default"]


def check_database(connection: BaseDatabaseWrapper | None = None) -> CheckResult:
    connection = connection or database_connection()
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the detail says which
        return CheckResult("database", False, f"{type(exc).__name__}: {exc}".strip(), _ms(started))
    return CheckResult("database", True, connection.vendor, _ms(started))


def check_broker(broker_url: str | None = None, timeout: float | None = None) -> CheckResult:
    broker_url = broker_url or settings.CELERY_BROKER_URL
    timeout = settings.HEALTHZ_BROKER_TIMEOUT_SECONDS if timeout is None else timeout
    started = time.perf_counter()
    if broker_url.startswith("memory://"):
        return CheckResult("broker", True, "no broker configured: tasks run eagerly in-process", _ms(started))
    try:
        with Connection(broker_url, connect_timeout=timeout, transport_options={"socket_timeout": timeout}) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            channel = conn.default_channel
            # The Redis transport connects lazily: a PING proves the server answers.
            if hasattr(channel, "client"):
                channel.client.ping()
    except Exception as exc:
        return CheckResult("broker", False, f"{type(exc).__name__}: {exc}".strip(), _ms(started))
    return CheckResult("broker", True, _redact(broker_url), _ms(started))


def run_checks() -> list[CheckResult]:
    return [check_database(), check_broker()]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _redact(url: str) -> str:
    """The scheme and host only: never echo credentials in a public endpoint."""
    scheme, _, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1].split("/", 1)[0]
    return f"{scheme}://{host}"
