"""What a benchmark ran on, printed with its figures."""

import os
import platform
import subprocess
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _postgres_version(database_url: str | None) -> str:
    if not database_url or not database_url.startswith("postgres"):
        return "n/a"
    try:
        out = subprocess.run(
            ["psql", database_url, "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe(database_url: str | None = None) -> str:
    return (
        f"machine: {_cpu_model()}, {os.cpu_count()} logical cores, {_memory_gib()} RAM, "
        f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}, "
        f"PostgreSQL {_postgres_version(database_url)}"
    )
