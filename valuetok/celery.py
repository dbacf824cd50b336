"""The one Celery app. Tasks are routed to a queue per domain app by the prefix of their name."""

import os
import socket

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valuetok.settings")

app = Celery("valuetok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks are named "<app>.<verb>"; each domain app has its own queue so that, say, the moderation
# queue can be consumed only by GPU workers. Anything else goes to "default".
DOMAIN_QUEUES = frozenset({"integrity", "payouts", "moderation", "compliance"})


def route_task_by_app(name: str, args, kwargs, options, task=None, **kw) -> dict[str, str]:
    prefix = name.split(".", 1)[0]
    return {"queue": prefix if prefix in DOMAIN_QUEUES else "default"}


@app.task(name="valuetok.ping", ignore_result=False, soft_time_limit=10, time_limit=15)
def ping() -> dict[str, object]:
    """Round-trip probe: proves a worker consumes the queue and a result comes back."""
    return {"pong": True, "hostname": socket.gethostname(), "pid": os.getpid()}
