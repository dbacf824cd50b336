import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery

from valuetok.celery import app, route_task_by_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("integrity.compute_window", "integrity"),
        ("moderation.transcribe", "moderation"),
        ("payouts.commit_run", "payouts"),
        ("compliance.screen_gift", "compliance"),
        ("creators.recount_followers", "default"),
        ("valuetok.ping", "default"),
    ],
)
def test_tasks_are_routed_to_the_queue_of_their_app(task_name, queue):
    assert route_task_by_app(task_name, (), {}, {}) == {"queue": queue}
    assert app.amqp.router.route({}, task_name)["queue"].name == queue


def test_every_task_acknowledges_late_and_is_redelivered_when_its_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert {q.name for q in app.conf.task_queues} == {"default", "integrity", "payouts", "moderation", "compliance"}


def test_registered_tasks_have_stable_names():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert {"valuetok.ping", "creators.recount_followers"} <= ours


@pytest.mark.redis
def test_a_real_worker_consumes_a_task_and_returns_its_result(redis_url, tmp_path, monkeypatch):
    """Round trip through Redis: a worker process started here runs valuetok.ping."""
    # Celery lets CELERY_BROKER_URL in the environment override the broker a client names.
    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", redis_url)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "VALUETOK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "valuetok",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery(broker=redis_url, backend=redis_url)
    value, output = None, ""
    try:
        result = client.send_task("valuetok.ping", queue=queue)
        value = result.get(timeout=60)
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        client.close()
        print(output)  # noqa: T201 - pytest shows the worker's log when the test fails
    assert value["pong"] is True
    assert value["pid"] == worker.pid
    assert f"Task valuetok.ping[{result.id}] succeeded" in output
