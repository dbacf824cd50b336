"""Data generator benchmark: 1 million viewer events into PostgreSQL, timed end to end.

Creates (and afterwards drops) a scratch database next to DATABASE_URL's, migrates it, and runs the
same service as `manage.py seed_demo` with benchmark-sized knobs. Prints events per second, the
stage timings and the machine. Target: 1,000,000 events in under 60 seconds on two cores.

    .venv/bin/python benchmarks/seed_events.py [--events 1000000] [--keep]
"""

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import scratch  # noqa: E402
from benchmarks.machine import describe  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--viewers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    database = "valuetok_bench_seed"
    url = scratch.django_setup(database)
    from simulation.services import demo_world_seed
    from simulation.world import WorldConfig

    stages: dict[str, float] = {}
    mark = [time.perf_counter()]

    def progress(stage: str, n: int) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - mark[0]
        mark[0] = now

    config = WorldConfig(
        seed=args.seed, creators=args.creators, viewers=args.viewers, days=args.days, events=args.events
    )
    started = time.perf_counter()
    mark[0] = started
    outcome = demo_world_seed(config=config, progress=progress)
    elapsed = time.perf_counter() - started
    counts = outcome.run.counts
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(describe(url))
    print(f"knobs: seed={args.seed} creators={args.creators} viewers={args.viewers} days={args.days}")
    print("rows: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"generate (in memory): {outcome.build_seconds:.1f}s")
    stages["users"] -= outcome.build_seconds  # the first stage's clock started before generation
    print("write stages: " + ", ".join(f"{k}={v:.1f}s" for k, v in stages.items()))
    print(
        f"total: {elapsed:.1f}s for {counts['events']:,} events -> {counts['events'] / elapsed:,.0f} events/s "
        f"end to end (generation, all tables, foreign-key validation, commit)"
    )
    print(f"peak memory of this process: {peak_mib:.0f} MiB")
    print(f"target: {args.events:,} events in under 60 s -> {'met' if elapsed < 60 else 'NOT met'}")

    if not args.keep:
        scratch.drop(database)


if __name__ == "__main__":
    main()
