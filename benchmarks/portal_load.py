"""The creator portal and the read API under load, on loopback: requests per second and latency percentiles.

Creates a scratch PostgreSQL database beside DATABASE_URL's, migrates it, seeds the demo world
(``seed_demo``), its EIS windows (``integrity_backfill``) and the portal demo data
(``seed_portal_demo``: KYC, payout runs, gifts, a withdrawal, moderated videos), collects the static
files, and starts the product as production runs it: the production profile (DEBUG off, WhiteNoise,
manifest static storage) under gunicorn with ``gunicorn.conf.py`` on 127.0.0.1. It then signs the
demo creator in through the login form (a session cookie, for the pages) and makes an API token
(``Authorization: Bearer``, for the API; the session when token support is absent), and offers an
open-loop load, by default 100 requests/s for 30 s, mixed over:

    pages  /dashboard/  /videos/  /videos/<id>/ (one video's analytics)  /payouts/
    API    /api/v1/videos/mine/  /api/v1/payouts/balance  /api/v1/videos/<id>/integrity/
           /api/v1/creators/  /api/v1/kyc/status/

Open loop: requests are sent on a fixed schedule whatever the server does and latency is measured
from the scheduled send time, so a stalled server cannot hide its queueing (no coordinated
omission). Printed: the machine, achieved requests/s, errors, p50/p95/p99/max overall and per
endpoint (client-side), the server's own time per endpoint (gunicorn's access log), and the CPU
the server processes used. Exits non-zero when any measured response is not a 2xx.

Target (issue 7): p99 under 200 ms at 100 requests/s on two cores, with the demo data. The load
generator shares the machine (and its cores) with the server and PostgreSQL.

    .venv/bin/python benchmarks/portal_load.py [--rate 100] [--seconds 30] [--workers 3] [--threads 4]
        [--reuse] [--keep] [--skip-missing] [--only NAME ...]

``--reuse`` keeps an already seeded scratch database (seeding is idempotent and quick the second
time); ``--keep`` leaves it for the next run; ``--skip-missing`` leaves out endpoints that answer
404 before the measurement (pages not built yet) instead of failing.
"""

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import scratch  # noqa: E402
from benchmarks.machine import describe  # noqa: E402
from benchmarks.serve import free_port, gunicorn_start  # noqa: E402

DATABASE = "valuetok_bench_portal"
# Cache and sessions of the server under test: Redis on its own database number, emptied before a run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    weight: int
    api: bool  # API (token) or page (session cookie)


def endpoints(video_id: str) -> list[Endpoint]:
    return [
        Endpoint("page dashboard", "/dashboard/", 20, api=False),
        Endpoint("page videos", "/videos/", 10, api=False),
        Endpoint("page video analytics", f"/videos/{video_id}/", 10, api=False),
        Endpoint("page payouts", "/payouts/", 10, api=False),
        Endpoint("api videos/mine", "/api/v1/videos/mine/", 10, api=True),
        Endpoint("api payouts/balance", "/api/v1/payouts/balance", 10, api=True),
        Endpoint("api video integrity", f"/api/v1/videos/{video_id}/integrity/", 10, api=True),
        Endpoint("api creators", "/api/v1/creators/", 10, api=True),
        Endpoint("api kyc/status", "/api/v1/kyc/status/", 10, api=True),
    ]


# --- Seeding ---------------------------------------------------------------------------------------


def seed(*, world_seed: int, events: int | None, moderation: bool) -> dict[str, float]:
    """The demo world, its EIS windows and the portal demo data; returns seconds per step."""
    from django.core.management import call_command

    from simulation.portal import portal_demo_seed

    seconds = {}
    started = time.perf_counter()
    options = {"seed": world_seed, "quiet": True}
    if events:
        options["events"] = events
    call_command("seed_demo", **options)
    seconds["world"] = time.perf_counter() - started
    started = time.perf_counter()
    call_command("integrity_backfill", all=True, verbosity=0)
    seconds["EIS windows"] = time.perf_counter() - started
    started = time.perf_counter()
    portal_demo_seed(seed=world_seed, moderation=moderation)
    seconds["portal demo"] = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics and visibility map, as a settled database has
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return seconds


def demo_credentials() -> tuple[str, str, str, str | None]:
    """The demo creator's email and password, one of their evaluated videos, and a fresh API token (or None)."""
    from creators.models import CreatorProfile, Video
    from simulation.services import demo_password
    from simulation.world.population import DEMO_CREATOR_EMAIL

    creator = CreatorProfile.objects.select_related("user").get(user__email=DEMO_CREATOR_EMAIL)
    video = (
        Video.objects.filter(creator=creator, evaluations__isnull=False, status=Video.Status.PUBLISHED).first()
        or Video.objects.filter(creator=creator).order_by("public_id").first()
    )
    try:
        from creators.accounts.tokens import api_token_create
    except ImportError:
        token = None
    else:
        _, token = api_token_create(user=creator.user, name=f"portal benchmark {secrets.token_hex(4)}", created_by=None)
    return DEMO_CREATOR_EMAIL, demo_password(), str(video.public_id), token


# --- The server ------------------------------------------------------------------------------------------


def server_env(url: str, static_root: Path, port: int, workers: int, threads: int, access_log: Path) -> dict:
    from django.conf import settings

    return {
        **os.environ,
        "VALUETOK_PROFILE": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # The viewer-IP pseudonyms of the seeded events were made with this process's key.
        "IP_HASH_SECRET": settings.IP_HASH_SECRET,
        # Plain HTTP on loopback: secure-only cookies would never come back.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "DATABASE_URL": url,
        # As production runs: sessions and cache on Redis (a database of its own, emptied first).
        "REDIS_URL": REDIS_URL,
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        # One client makes every request: the per-user throttle (1200/min) would answer 429.
        "API_THROTTLE_USER": "1000000/min",
        # ...and so would the payouts scope (120/min), now counted in Redis across all workers.
        "API_THROTTLE_PAYOUTS": "1000000/min",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_KEEPALIVE": "75",
        "GUNICORN_ACCESS_LOG": str(access_log),
        "DJANGO_SETTINGS_MODULE": "valuetok.settings",
    }


def collect_static(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def start_server(env: dict, port: int) -> subprocess.Popen:
    return gunicorn_start([str(GUNICORN), "-c", "gunicorn.conf.py"], env=env, port=port)


def process_tree_cpu_seconds(root_pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        stats[int(entry.name)] = fields
        children[int(fields[1])].append(int(entry.name))
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            utime, stime = int(stats[pid][11]), int(stats[pid][12])
            total += (utime + stime) / ticks
        todo.extend(children.get(pid, []))
    return total


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, every process included."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- HTTP ---------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection: GET (and the login POST), Content-Length or chunked bodies."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, list[str]], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed by the server")
        response_headers: dict[str, list[str]] = defaultdict(list)
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()].append(value.strip())
        if "chunked" in ",".join(response_headers.get("transfer-encoding", [])).lower():
            payload = bytearray()
            while (size := int((await self.reader.readline()).split(b";")[0], 16)) > 0:
                payload += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            payload = await self.reader.readexactly(int(response_headers.get("content-length", ["0"])[0]))
        if "close" in ",".join(response_headers.get("connection", [])).lower():
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1]), response_headers, bytes(payload)


def _cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    found = {}
    for value in headers.get("set-cookie", []):
        name, _, rest = value.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


async def sign_in(port: int, email: str, password: str) -> str:
    """Through the login form, as a browser does; returns the Cookie header of the signed-in session."""
    client = Client(port)
    status, headers, body = await client.request("GET", "/accounts/login/", {})
    if status != 200:
        raise SystemExit(f"GET /accounts/login/ answered {status}")
    cookies = _cookies(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if match is None or "csrftoken" not in cookies:
        raise SystemExit("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "username": email, "password": password}
    ).encode()
    status, headers, _ = await client.request(
        "POST", "/accounts/login/",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
         "Referer": f"http://127.0.0.1:{port}/accounts/login/"},
        form,
    )  # fmt: skip
    cookies.update(_cookies(headers))
    if status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"signing in the demo creator failed (status {status}); is its email verified?")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def headers_for(endpoint: Endpoint, cookie: str, token: str | None) -> dict[str, str]:
    if endpoint.api and token:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return {"Cookie": cookie, "Accept": "application/json" if endpoint.api else "text/html"}


async def preflight(port: int, mix: list[Endpoint], cookie: str, token: str | None) -> dict[str, int]:
    client = Client(port)
    statuses = {}
    for endpoint in mix:
        status, _, _ = await client.request("GET", endpoint.path, headers_for(endpoint, cookie, token))
        statuses[endpoint.name] = status
    return statuses


async def open_loop(
    port: int, mix: list[Endpoint], cookie: str, token: str | None, *, rate: float, seconds: float, connections: int
) -> dict:
    rng = random.Random(17)
    weights = [e.weight for e in mix]
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Client(port))
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter] = defaultdict(Counter)

    async def one(endpoint: Endpoint, scheduled: float) -> None:
        client = await pool.get()
        try:
            status, _, _ = await client.request("GET", endpoint.path, headers_for(endpoint, cookie, token))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            client.writer = None
            status = "connection error"
        finally:
            pool.put_nowait(client)
        latencies[endpoint.name].append(time.perf_counter() - scheduled)
        statuses[endpoint.name][status] += 1

    n = int(rate * seconds)
    tasks = []
    loop_start = time.perf_counter()
    for i in range(n):
        scheduled = loop_start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(rng.choices(mix, weights)[0], scheduled)))
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.perf_counter() - loop_start, "sent": n}


# --- Reporting ----------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {at(0.50):6.1f}  p95 {at(0.95):6.1f}  p99 {at(0.99):6.1f}  max {ordered[-1] * 1000:6.1f}  "
        f"mean {statistics.fmean(ordered) * 1000:6.1f} ms"
    )


def server_times(access_log: Path, since: float, mix: list[Endpoint]) -> dict[str, list[float]]:
    """Per endpoint, the server's own time per request (gunicorn's duration, from the access log)."""
    by_path = {e.path: e.name for e in mix}
    found: dict[str, list[float]] = defaultdict(list)
    pattern = re.compile(r'path="([^"]*)" .*status=(\d+) .*duration_us=(\d+)')
    with access_log.open() as handle:
        lines = handle.readlines()
    for line in lines[int(since) :]:
        match = pattern.search(line)
        if match and match.group(1) in by_path:
            found[by_path[match.group(1)]].append(int(match.group(3)) / 1e6)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second offered")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections of the load generator")
    parser.add_argument("--seed", type=int, default=42, help="the demo world's seed")
    parser.add_argument("--events", type=int, default=None, help="viewer events in the world (seed_demo's default)")
    parser.add_argument("--skip-moderation", action="store_true", help="seed without running the speech models")
    parser.add_argument("--skip-missing", action="store_true", help="leave out endpoints that answer 404")
    parser.add_argument("--only", action="append", default=[], help="measure only endpoints whose name has this")
    parser.add_argument("--reuse", action="store_true", help="reuse the scratch database if it exists")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    for name, value in (("--rate", args.rate), ("--seconds", args.seconds)):
        if value <= 0:
            parser.error(f"{name} must be positive")
    for name, value in (("--workers", args.workers), ("--threads", args.threads), ("--connections", args.connections)):
        if value < 1:
            parser.error(f"{name} must be at least 1")

    url = scratch.django_setup(DATABASE, reuse=args.reuse)
    from django.db import connections

    print(describe(url))
    seconds = seed(world_seed=args.seed, events=args.events, moderation=not args.skip_moderation)
    email, password, video_id, token = demo_credentials()
    connections.close_all()
    print("seeded: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))

    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    port = free_port()
    access_log = work / "access.log"
    env = server_env(url, work / "static", port, args.workers, args.threads, access_log)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    collect_static(env)
    server = start_server(env, port)
    print(f"gunicorn on 127.0.0.1:{port}: production profile, {args.workers} workers x {args.threads} threads "
          "(gthread), WhiteNoise, persistent database connections")  # fmt: skip
    failed = False
    try:
        cookie = asyncio.run(sign_in(port, email, password))
        mix = [e for e in endpoints(video_id) if not args.only or any(o in e.name for o in args.only)]
        auth = "Bearer token" if token else "session cookie (no API token support found)"
        print(f"signed in the demo creator {email}: pages with the session cookie, API with a {auth}")
        statuses = asyncio.run(preflight(port, mix, cookie, token))
        for name, status in statuses.items():
            print(f"  preflight {name:24s} {status}")
        missing = [e for e in mix if statuses[e.name] == 404]
        if missing and args.skip_missing:
            print("LEFT OUT (404, not built yet?): " + ", ".join(e.name for e in missing))
            mix = [e for e in mix if e not in missing]
        if not mix:
            raise SystemExit("no endpoint left to measure")
        asyncio.run(open_loop(port, mix, cookie, token, rate=min(args.rate, 20), seconds=3, connections=8))  # warm up
        log_mark = len(access_log.read_text().splitlines())
        print(f"load average before the measurement: {os.getloadavg()[0]:.2f} (other work on the machine skews "
              "latency: compare runs on a quiet machine)")  # fmt: skip
        cpu_before, machine_before = process_tree_cpu_seconds(server.pid), cpu_times()
        result = asyncio.run(
            open_loop(port, mix, cookie, token, rate=args.rate, seconds=args.seconds, connections=args.connections)
        )
        server_cpu = process_tree_cpu_seconds(server.pid) - cpu_before
        machine_after = cpu_times()
        time.sleep(0.5)  # the access log is written after each response
        served = server_times(access_log, log_mark, mix)

        everything = [v for values in result["latencies"].values() for v in values]
        errors = {
            name: {s: c for s, c in counter.items() if not (isinstance(s, int) and 200 <= s < 300)}
            for name, counter in result["statuses"].items()
        }
        error_count = sum(sum(e.values()) for e in errors.values())
        elapsed = result["elapsed"]
        print(f"\nopen loop, {args.rate:.0f} requests/s offered for {args.seconds:.0f}s: {result['sent']} requests, "
              f"{result['sent'] / elapsed:.1f}/s achieved, {error_count} not 2xx")  # fmt: skip
        print(f"  all endpoints (from scheduled send)   {percentiles(everything)}")
        for endpoint in mix:
            values = result["latencies"].get(endpoint.name)
            if not values:
                continue
            print(f"  {endpoint.name:24s} n={len(values):5d}  {percentiles(values)}")
            if endpoint.name in served:
                print(f"  {'':24s} server   {percentiles(served[endpoint.name])}")
            if errors.get(endpoint.name):
                print(f"  {'':24s} NOT 2xx: {errors[endpoint.name]}")
        busy, total = machine_after[0] - machine_before[0], machine_after[1] - machine_before[1]
        per_request_ms = server_cpu / max(result["sent"], 1) * 1000
        print(f"  server CPU (gunicorn master + workers): {server_cpu:.1f} s in {elapsed:.1f} s = "
              f"{server_cpu / elapsed:.2f} cores; {per_request_ms:.1f} ms per request")  # fmt: skip
        print(f"  machine CPU busy {busy / total:.0%} (all processes: server, PostgreSQL, this load generator); "
              f"{os.cpu_count()} logical cores; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
        p99 = sorted(everything)[min(len(everything) - 1, int(0.99 * len(everything)))] * 1000
        print(f"target: p99 under 200 ms at 100 requests/s on two cores; measured p99 {p99:.1f} ms at "
              f"{result['sent'] / elapsed:.0f}/s")  # fmt: skip
        failed = error_count > 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)  # collected static files and the access log
        if not args.keep:
            scratch.drop(DATABASE)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
