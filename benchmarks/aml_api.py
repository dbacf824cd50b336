"""Gift decisions through the API on loopback: decisions per second and latency percentiles.

Each sender has its own home address, passed as X-Forwarded-For from 127.0.0.1, which the server
is told to trust (AML_TRUSTED_PROXIES), as it would trust its load balancer.

Creates a scratch PostgreSQL database beside DATABASE_URL's, migrates it, seeds senders (with API
tokens), creators and a week of gift history (default 200,000 gifts, so that every window query
reads real index ranges), then starts the product under gunicorn on 127.0.0.1 and drives
``POST /api/v1/gifts/`` from this process with asyncio over keep-alive connections.

Two phases:
- open loop at a fixed rate (default 200 requests/s for 30 s): requests are sent on a schedule
  whatever the server does, and latency is measured from the scheduled send time, so a stalled
  server cannot hide its queueing (no coordinated omission);
- closed loop (default 16 clients, 15 s), each sending its next request as soon as the last one
  is answered: the most decisions per second the machine sustains.

Target: p99 under 50 ms at 200 decisions/s on two cores. The load generator shares the machine.

    .venv/bin/python benchmarks/aml_api.py [--rate 200] [--seconds 30] [--history 200000] [--keep]
"""

import argparse
import asyncio
import bisect
import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from benchmarks import scratch  # noqa: E402
from benchmarks.machine import describe  # noqa: E402
from benchmarks.serve import free_port, gunicorn_start  # noqa: E402

DATABASE = "valuetok_bench_aml"


def seed(*, senders: int, creators: int, history: int) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """Accounts, tokens and gift history; returns (token, device, ip, "") per sender, and the creator handles."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from compliance.models import GiftRequest
    from creators.accounts.tokens import api_token_build
    from creators.models import ApiToken, CreatorProfile, User
    from integrity.network import network_origin
    from payouts import ledger
    from valuetok.bulk import copy_rows

    rng = random.Random(7)
    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        owners = User.objects.bulk_create([
            User(email=f"bench.creator{n}@example.com", password=password, country="GB",
                 date_joined=now - timedelta(days=400)) for n in range(creators)
        ])  # fmt: skip
        profiles = CreatorProfile.objects.bulk_create([
            CreatorProfile(user=u, handle=f"bench_creator_{n}", display_name=f"Creator {n}", country="GB")
            for n, u in enumerate(owners)
        ])  # fmt: skip
        people = User.objects.bulk_create([
            User(email=f"bench.viewer{n}@example.com", password=password, country="GB",
                 date_joined=now - timedelta(days=rng.uniform(31, 700))) for n in range(senders)
        ])  # fmt: skip
        # Bulk path of creators.accounts.tokens: one insert for every sender's token, keys kept here.
        built = [api_token_build(user=u, name="aml benchmark", created_by=None) for u in people]
        ApiToken.objects.bulk_create([token for token, _ in built])
        keys = [key for _, key in built]
        identity = []
        for n, person in enumerate(people):
            first = rng.choice([24, 50, 73, 81, 86, 90, 98, 176, 189])
            ip = f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{n % 250 + 1}"
            identity.append((keys[n], f"{rng.getrandbits(64):016x}", ip, person.pk))
        origins = {ip: network_origin(ip) for _, _, ip, _ in identity}
        joined = {p.pk: p.date_joined for p in people}
        fields = ["public_id", "idempotency_key", "request_hash", "sender_id", "sender_joined_at", "receiver_id",
                  "receiver_user_id",
                  "amount_cents", "currency", "device_id", "ip_hash", "ip_prefix_hash", "country",
                  "is_hosting_network", "created_at", "decision", "rule_hits", "risk_score", "config_version",
                  "decision_ms"]  # fmt: skip

        def rows():
            for n in range(history):
                _, device, ip, sender = identity[rng.randrange(senders)]
                profile = profiles[popular(rng, creators)]
                origin = origins[ip]
                at = now - timedelta(seconds=rng.uniform(60, 7 * 86_400))
                yield (uuid.uuid4(), f"hist-{n}", "0" * 64, sender, joined[sender], profile.pk, profile.user_id,
                       rng.choice([100, 200, 500, 1000]), "USD", device, origin.ip_hash, origin.ip_prefix_hash, "GB",
                       False, at, "allow", "[]", 0, "history", 0.0)  # fmt: skip

        with connection.cursor() as cursor:
            copy_rows(cursor, GiftRequest._meta.db_table, fields, rows())
        # A gift spends the sender's wallet: fund every wallet through the ledger, in one bulk post.
        outside = ledger.account_for(kind=ledger.AccountKind.EXTERNAL)
        ledger.entries_post(entries=[
            ledger.EntrySpec(kind="wallet_topup", idempotency_key=f"bench-topup-{person.pk}",
                             legs=[(outside, -1_000_000_00),
                                   (ledger.account_for(kind=ledger.AccountKind.VIEWER_WALLET, owner=person),
                                    1_000_000_00)])
            for person in people
        ])  # fmt: skip
    with connection.cursor() as cursor:  # outside the transaction: VACUUM sets the visibility map for index-only scans
        cursor.execute(f"VACUUM ANALYZE {GiftRequest._meta.db_table}")
        cursor.execute("CHECKPOINT")  # so that the seeding's writes are not flushed during the measurement
    return [(token, device, ip, "") for token, device, ip, _ in identity], [p.handle for p in profiles]


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, every process included (ours and anyone else's)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def machine_busy(before: tuple[int, int], after: tuple[int, int]) -> str:
    busy, total = after[0] - before[0], after[1] - before[1]
    load = os.getloadavg()[0]
    return f"machine CPU busy {busy / total:.0%} during the phase (all processes); load average {load:.2f}"


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING",
           "API_THROTTLE_USER": "100000/min", "DJANGO_SETTINGS_MODULE": "valuetok.settings",
           # The load generator plays the load balancer: it says which client each request is from.
           "AML_TRUSTED_PROXIES": "127.0.0.1"}  # fmt: skip
    # "-c /dev/null": gunicorn would otherwise load ./gunicorn.conf.py (the production profile's, with
    # an access line per request); this benchmark keeps the bare settings its figures were taken with.
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "/dev/null", "valuetok.wsgi:application",
               "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
               "--keep-alive", "75", "--log-level", "warning"]  # fmt: skip
    return gunicorn_start(command, env=env, port=port, wait_seconds=30)


class Client:
    """One keep-alive HTTP/1.1 connection that posts gifts and reads the answers."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, token: str, key: str, body: bytes, ip: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (f"POST /api/v1/gifts/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Idempotency-Key: {key}\r\nX-Forwarded-For: {ip}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1]), payload


SKEW = [0.8]  # Zipf exponent of creator popularity (--skew)


def popular(rng: random.Random, n: int) -> int:
    """A creator's rank, drawn with Zipf weights (1/rank^skew): with 0.8 and 300 creators the top one gets 7%."""
    if n not in _ZIPF:
        _ZIPF[n] = list(itertools.accumulate(1 / rank ** SKEW[0] for rank in range(1, n + 1)))
    weights = _ZIPF[n]
    return min(bisect.bisect_left(weights, rng.random() * weights[-1]), n - 1)


_ZIPF: dict[int, list[float]] = {}


def request_body(rng: random.Random, handles: list[str], device: str) -> bytes:
    handle = handles[popular(rng, len(handles))]
    amount = rng.choice([100, 200, 300, 500, 1000, 2000])
    return orjson.dumps({"receiver": handle, "amount_cents": amount, "currency": "USD", "device_id": device})


async def open_loop(port: int, senders, handles, *, rate: float, seconds: float, connections: int) -> dict:
    rng = random.Random(11)
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Client(port))
    latencies: list[float] = []
    outcomes: Counter = Counter()

    async def one(scheduled: float) -> None:
        token, device, ip, _ = senders[rng.randrange(len(senders))]
        body = request_body(rng, handles, device)
        client = await pool.get()
        try:
            status, payload = await client.post(token, str(uuid.uuid4()), body, ip)
            outcomes[orjson.loads(payload).get("decision", status) if status == 201 else status] += 1
        except (OSError, asyncio.IncompleteReadError):
            client.writer = None
            outcomes["error"] += 1
        finally:
            pool.put_nowait(client)
        latencies.append(time.perf_counter() - scheduled)

    loop_start = time.perf_counter()
    tasks = []
    n = int(rate * seconds)
    for i in range(n):
        scheduled = loop_start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - loop_start
    return {"latencies": latencies, "outcomes": outcomes, "elapsed": elapsed, "sent": n}


async def closed_loop(port: int, senders, handles, *, clients: int, seconds: float) -> dict:
    rng = random.Random(13)
    latencies: list[float] = []
    outcomes: Counter = Counter()
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        client = Client(port)
        while time.perf_counter() < stop:
            token, device, ip, _ = senders[rng.randrange(len(senders))]
            started = time.perf_counter()
            try:
                body = request_body(rng, handles, device)
                status, payload = await client.post(token, str(uuid.uuid4()), body, ip)
                outcomes[orjson.loads(payload).get("decision", status) if status == 201 else status] += 1
            except (OSError, asyncio.IncompleteReadError):
                client.writer = None
                outcomes["error"] += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return {"latencies": latencies, "outcomes": outcomes, "elapsed": time.perf_counter() - started,
            "sent": len(latencies)}  # fmt: skip


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (f"p50 {at(0.50):.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms, "
            f"mean {statistics.fmean(ordered) * 1000:.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients (0 skips the phase)")
    parser.add_argument("--closed-seconds", type=float, default=15.0)
    parser.add_argument("--senders", type=int, default=5_000)
    parser.add_argument("--creators", type=int, default=300)
    parser.add_argument("--history", type=int, default=200_000, help="gifts in the week before")
    parser.add_argument("--skew", type=float, default=0.8, help="Zipf exponent of creator popularity")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64, help="open-loop keep-alive connections")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    SKEW[0] = args.skew

    url = scratch.django_setup(DATABASE)
    from django.db import connections

    started = time.perf_counter()
    senders, handles = seed(senders=args.senders, creators=args.creators, history=args.history)
    connections.close_all()
    print(describe(url))
    print(f"seeded {args.senders} senders, {args.creators} creators (Zipf {args.skew}), {args.history} gifts of "
          f"history in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    port = free_port()
    server = start_server(url, port, args.workers, args.threads)
    print(f"gunicorn on 127.0.0.1:{port}: {args.workers} workers x {args.threads} threads (gthread), "
          "persistent database connections")  # fmt: skip
    try:
        asyncio.run(open_loop(port, senders, handles, rate=20, seconds=3, connections=8))  # warm up
        print(f"load average before the measurement: {os.getloadavg()[0]:.2f} (other work on the machine skews "
              "latency: compare runs on a quiet machine)")  # fmt: skip
        before = cpu_times()
        result = asyncio.run(open_loop(port, senders, handles, rate=args.rate, seconds=args.seconds,
                                       connections=args.connections))  # fmt: skip
        busy = machine_busy(before, cpu_times())
        achieved = result["sent"] / result["elapsed"]
        print(f"open loop, {args.rate:.0f} requests/s offered for {args.seconds:.0f}s: {result['sent']} decisions, "
              f"{achieved:.0f}/s achieved")  # fmt: skip
        print(f"  latency from scheduled send: {percentiles(result['latencies'])}")
        print(f"  answers: {dict(result['outcomes'])}")
        print(f"  {busy}")
        if args.clients:
            result = asyncio.run(closed_loop(port, senders, handles, clients=args.clients,
                                             seconds=args.closed_seconds))  # fmt: skip
            print(f"closed loop, {args.clients} clients for {args.closed_seconds:.0f}s: "
                  f"{result['sent'] / result['elapsed']:.0f} decisions/s")  # fmt: skip
            print(f"  latency: {percentiles(result['latencies'])}")
            print(f"  answers: {dict(result['outcomes'])}")
        print("target: p99 under 50 ms at 200 decisions/s on two cores")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            scratch.drop(DATABASE)


if __name__ == "__main__":
    main()
