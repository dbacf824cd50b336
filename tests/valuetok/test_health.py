import copy

import pytest
from django.db import connections
from django.db.utils import ConnectionHandler

from valuetok import health

pytestmark = pytest.mark.django_db


def broken_database_connection():
    """A real connection object aimed at a port where nothing listens (or a path that cannot exist)."""
    config = copy.deepcopy(connections["default"].settings_dict)
    if config["ENGINE"].endswith("sqlite3"):
        config["NAME"] = "/nonexistent-directory/valuetok.sqlite3"
    else:
        config.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    return ConnectionHandler({"default": config})["default"]


@pytest.mark.redis
def test_healthz_is_ok_when_database_and_broker_answer(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "detail": "redis://127.0.0.1:6379"}


def test_healthz_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.HEALTHZ_BROKER_TIMEOUT_SECONDS = 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "Connection" in body["checks"]["broker"]["detail"] or "refused" in body["checks"]["broker"]["detail"]


def test_healthz_names_the_database_when_it_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "memory://"
    broken = broken_database_connection()
    monkeypatch.setattr(health, "database_connection", lambda: broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["database"]["detail"]


def test_healthz_never_echoes_broker_credentials():
    assert health._redact("redis://user:s3cret@cache.internal:6379/0") == "redis://cache.internal:6379"


def test_healthz_is_not_cached(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
