"""The settings profiles, each loaded in a fresh interpreter with a controlled environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, 'media': str(settings.MEDIA_ROOT), "
    "'secure_cookies': getattr(settings, 'SESSION_COOKIE_SECURE', False)}))"
)


def load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "valuetok.settings",
        "VALUETOK_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_no_environment_runs_on_sqlite_with_eager_tasks(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(tmp_path / "var" / "valuetok.sqlite3")
    assert loaded["eager"] is True
    assert loaded["debug"] is True
    assert loaded["media"] == str(tmp_path / "var" / "media")
    assert (tmp_path / "var" / "media").is_dir()


def test_database_and_broker_urls_switch_to_postgres_and_real_workers(tmp_path):
    result = load_settings(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/valuetok",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://127.0.0.1:6379/0"


PRODUCTION = {
    "VALUETOK_PROFILE": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "valuetok.example",
    "IP_HASH_SECRET": "another-long-random-secret",
}


def test_production_profile_starts_when_fully_configured(tmp_path):
    result = load_settings(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["secure_cookies"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DEBUG": "true"}, "refuses to start with DEBUG on"),
        ({"SECRET_KEY": ""}, "needs SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "needs ALLOWED_HOSTS"),
        ({"IP_HASH_SECRET": ""}, "needs IP_HASH_SECRET"),
        ({"SECRET_KEY": "insecure-development-key-do-not-use-in-production"}, "refuses the development SECRET_KEY"),
    ],
)
def test_production_profile_refuses_unsafe_configuration(tmp_path, change, message):
    env = {**PRODUCTION, **change}
    env = {k: v for k, v in env.items() if v != ""}
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_unknown_profile_is_refused(tmp_path):
    result = load_settings(tmp_path, VALUETOK_PROFILE="staging")
    assert result.returncode != 0
    assert "VALUETOK_PROFILE must be" in result.stderr
