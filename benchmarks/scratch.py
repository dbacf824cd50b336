"""A scratch PostgreSQL database beside DATABASE_URL's, so benchmarks never touch real data."""

import os
import subprocess
import sys
from urllib.parse import urlparse, urlunparse


def _url(base: str, name: str) -> str:
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


def base_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/valuetok")
    if not base.startswith("postgres"):
        sys.exit("This benchmark measures the PostgreSQL path: set DATABASE_URL=postgres://...")
    return base


def _psql(base: str, sql: str) -> str:
    return subprocess.run(
        ["psql", _url(base, "postgres"), "-Atqc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def create(name: str, *, reuse: bool = False) -> str:
    """Create (or, with reuse, keep) the scratch database; returns its URL."""
    base = base_url()
    exists = _psql(base, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608 - our constant
    if not (reuse and exists):
        _psql(base, f"DROP DATABASE IF EXISTS {name}")
        _psql(base, f"CREATE DATABASE {name}")
    return _url(base, name)


def django_setup(name: str, *, reuse: bool = False) -> str:
    """Create (or reuse) the scratch database, point Django at it, set Django up and migrate; returns the URL."""
    url = create(name, reuse=reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valuetok.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def drop(name: str) -> None:
    from django.db import connections

    connections.close_all()
    _psql(base_url(), f"DROP DATABASE IF EXISTS {name}")
