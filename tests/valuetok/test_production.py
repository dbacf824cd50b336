"""The production profile as `make prod` runs it: WhiteNoise behind gunicorn, the Procfile, gunicorn.conf.py.

That the production settings refuse a missing secret, DEBUG on or the development key is tested in
test_settings.py; these tests start real processes (collectstatic, gunicorn) with production settings.
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
PRODUCTION = {
    "VALUETOK_PROFILE": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "IP_HASH_SECRET": "another-long-random-secret",
}


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "valuetok.settings",
        "VALUETOK_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        **PRODUCTION,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}: {server.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not open its port")


def gunicorn_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """gunicorn.conf.py as gunicorn itself loads it (its Config object), printed as JSON."""
    probe = (
        "import json, sys; sys.argv = ['gunicorn', '-c', 'gunicorn.conf.py']; "
        "from gunicorn.app.wsgiapp import WSGIApplication; cfg = WSGIApplication('%(prog)s').cfg; "
        "print(json.dumps({k: cfg.settings[k].get() for k in ('bind', 'workers', 'threads', 'worker_class', "
        "'timeout', 'graceful_timeout', 'preload_app', 'accesslog', 'access_log_format', 'wsgi_app', "
        "'max_requests')}, default=str))"
    )
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


# --- WhiteNoise -------------------------------------------------------------------------------------


def test_whitenoise_runs_right_after_the_security_middleware():
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def test_development_and_tests_keep_the_plain_static_storage():
    # No collectstatic in development or in the test suite: the manifest storage would refuse every
    # {% static %} of a file it has not collected.
    assert settings.STORAGES["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_gunicorn_serves_collected_static_files_hashed_compressed_and_cached_for_ever(tmp_path):
    env = production_env(tmp_path)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/valuetok.css"]
    assert re.fullmatch(r"css/valuetok\.[0-9a-f]{12}\.css", hashed)
    assert (tmp_path / "static" / f"{hashed}.gz").is_file()

    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py"],
        cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/static/{hashed}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            assert response.status == 200
            assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Content-Type"].startswith("text/css")
        # The unhashed name is served too, but only briefly cached: it changes with every release.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/valuetok.css", timeout=10) as response:
            assert "immutable" not in response.headers["Cache-Control"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/not-there.css", timeout=10)
        assert missing.value.code == 404
    finally:
        os.killpg(server.pid, 15)
        output, _ = server.communicate(timeout=30)
    access = [line for line in output.splitlines() if "logger=gunicorn.access" in line]
    assert any(f'path="/static/{hashed}"' in line and "status=200" in line for line in access), output
    assert all(re.search(r"method=GET .*status=\d{3} bytes=\S+ duration_us=\d+", line) for line in access)


# --- The Procfile --------------------------------------------------------------------------------------


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        assert re.fullmatch(r"[A-Za-z0-9_-]+", name), line
        assert name not in processes, f"{name} twice"
        processes[name] = shlex.split(command)
    return processes


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_procfile_runs_web_beat_and_exactly_one_worker_per_configured_queue():
    processes = procfile()
    queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    workers = {name: argv for name, argv in processes.items() if argv[:4] == ["celery", "-A", "valuetok", "worker"]}
    consumed = sorted(option(argv, "-Q") for argv in workers.values())
    assert consumed == sorted(queues)  # each worker one queue (no commas), every queue once
    assert set(processes) == {"web", "beat", *workers}
    assert processes["web"][:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert processes["beat"][:4] == ["celery", "-A", "valuetok", "beat"]
    for name, argv in workers.items():
        assert name == f"worker_{option(argv, '-Q')}"
        assert option(argv, "-n").startswith(f"{option(argv, '-Q')}@")  # distinct node names on one host


def test_the_moderation_worker_consumes_only_its_queue_one_task_at_a_time():
    argv = procfile()["worker_moderation"]
    assert option(argv, "-Q") == "moderation"
    assert option(argv, "--concurrency") == "1"


def test_the_procfile_parses_for_honcho():
    from honcho.environ import parse_procfile

    parsed = parse_procfile((ROOT / "Procfile").read_text())
    assert set(parsed.processes) == set(procfile())


# --- gunicorn.conf.py ------------------------------------------------------------------------------------


def test_gunicorn_config_loads_with_its_defaults(tmp_path):
    result = gunicorn_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    cores = os.cpu_count() or 1
    assert loaded["bind"] == ["0.0.0.0:8000"]
    assert loaded["workers"] == min(2 * cores + 1, 8)
    assert loaded["worker_class"] == "gthread"
    assert loaded["threads"] == 4
    assert loaded["preload_app"] is True
    assert loaded["wsgi_app"] == "valuetok.wsgi:application"
    assert loaded["accesslog"] == "-"
    assert "status=%(s)s" in loaded["access_log_format"]


def test_gunicorn_config_reads_port_bind_and_concurrency_from_the_environment(tmp_path):
    loaded = json.loads(gunicorn_settings(tmp_path, PORT="9123", WEB_CONCURRENCY="3").stdout)
    assert loaded["bind"] == ["0.0.0.0:9123"]
    assert loaded["workers"] == 3
    loaded = json.loads(gunicorn_settings(tmp_path, BIND="127.0.0.1:9000, unix:/tmp/vt.sock", PORT="1").stdout)
    assert loaded["bind"] == ["127.0.0.1:9000", "unix:/tmp/vt.sock"]


def test_gunicorn_config_refuses_a_malformed_number(tmp_path):
    result = gunicorn_settings(tmp_path, GUNICORN_THREADS="lots")
    assert result.returncode != 0
    assert "GUNICORN_THREADS must be a whole number, not 'lots'" in result.stderr + result.stdout
