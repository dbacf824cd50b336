"""gunicorn settings for the production profile (``make prod``, the Procfile's ``web``).

Everything comes from the environment, like the Django settings:

| variable | default | meaning |
|---|---|---|
| ``PORT`` / ``BIND`` | ``8000`` / ``0.0.0.0:$PORT`` | where to listen (``BIND`` wins; a comma separates several) |
| ``WEB_CONCURRENCY`` | ``2 x cores + 1``, at most ``GUNICORN_MAX_WORKERS`` (8) | worker processes |
| ``GUNICORN_THREADS`` | ``4`` | threads per worker (gthread): requests mostly wait on PostgreSQL |
| ``GUNICORN_TIMEOUT`` | ``30`` | seconds a worker may stay silent before it is killed and replaced |
| ``GUNICORN_GRACEFUL_TIMEOUT`` | ``30`` | seconds in-flight requests get on restart or shutdown |
| ``GUNICORN_KEEPALIVE`` | ``5`` | seconds an idle keep-alive connection stays open (keep it above the proxy's) |
| ``GUNICORN_MAX_REQUESTS`` | ``0`` (never) | recycle a worker after this many requests (+ up to 10 % jitter) |
| ``GUNICORN_PRELOAD`` | on | import the application once in the master, before forking |
| ``GUNICORN_ACCESS_LOG`` | ``-`` (stdout) | access log path; empty turns it off |
| ``LOG_LEVEL`` | ``INFO`` | gunicorn's error log level, as Django's |

The access log is one ``key=value`` line per request, like the application's own logs.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc
    if value < 0:
        raise SystemExit(f"{name} must not be negative, not {raw!r}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{name} must be on or off, not {raw!r}")


def default_workers(cores: int, cap: int) -> int:
    """gunicorn's rule of thumb, 2 x cores + 1, capped: more workers than that only add memory."""
    return max(1, min(2 * cores + 1, cap))


wsgi_app = "valuetok.wsgi:application"

bind = [b.strip() for b in os.environ.get("BIND", "").split(",") if b.strip()] or [f"0.0.0.0:{_int('PORT', 8000)}"]
workers = _int("WEB_CONCURRENCY", 0) or default_workers(multiprocessing.cpu_count(), _int("GUNICORN_MAX_WORKERS", 8))
worker_class = "gthread"
threads = max(1, _int("GUNICORN_THREADS", 4))
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Off by default: a recycled worker's first requests compile templates and open connections again,
# which benchmarks/portal_load.py saw as p99 going from 68 ms to 288 ms at 100 requests/s on two
# cores (each worker restarted once a minute). Set it only if a worker's memory is seen to creep.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Loading Django once in the master makes workers start fast and share its memory copy-on-write.
# Nothing opens a database connection at import time, so no connection is shared across the fork.
preload_app = _flag("GUNICORN_PRELOAD", True)
# The proxy in front (which terminates TLS) sets X-Forwarded-*; only trust it from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Worker heartbeat files on tmpfs: a slow disk cannot make the master think a worker hangs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's own heartbeat files

loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# key=value like the application's logs: time, client, method, path, status, bytes, duration (µs), agent.
access_log_format = (
    'ts=%(t)s logger=gunicorn.access remote=%(h)s method=%(m)s path="%(U)s" query="%(q)s" '
    'status=%(s)s bytes=%(B)s duration_us=%(D)s agent="%(a)s"'
)
proc_name = "valuetok-web"
