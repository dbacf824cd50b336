"""Celery tasks of the moderation queue (GPU workers; they also run on CPU).

``moderation.evaluate`` is thin: it takes an evaluation id and calls ``evaluation_run``, which is
safe to run twice (a done or failed evaluation is returned unchanged, a run in progress is taken
over by attempt number). It retries only on transient errors (network, database), with backoff
and a cap, and then stores the failure.

A worker that consumes the moderation queue loads the speech and text models once per pool
process at start (``worker_process_init``), so the first task does not pay for it; other workers
and the web process never import torch.
"""

import logging

from celery import shared_task
from celery.signals import worker_init, worker_process_init
from django.conf import settings

from moderation.services import TransientEvaluationError, evaluation_fail, evaluation_run

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
QUEUE = "moderation"
_preload_in_children = False


@shared_task(
    name="moderation.evaluate",
    queue=QUEUE,
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.MODERATION_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.MODERATION_TASK_TIME_LIMIT,
)
def evaluate(self, evaluation_id: int) -> None:
    try:
        evaluation_run(evaluation_id=evaluation_id, retry_transient=True)
    except TransientEvaluationError as exc:
        # Run eagerly (no broker: the embedded defaults) there is no worker to retry later, and a
        # retry would hold the web request through the backoff: the failure is stored at once.
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            logger.warning("evaluation_gave_up evaluation_id=%s code=%s", evaluation_id, exc.code)
            evaluation_fail(evaluation_id=evaluation_id, code=exc.code, message=exc.message)
            return
        # 30 s, 60 s, 120 s: long enough for a flaky host or a database failover to recover.
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@worker_init.connect
def _moderation_worker_detect(sender=None, **kwargs) -> None:
    """In the worker's main process: does it consume the moderation queue? (No -Q means all queues.)"""
    global _preload_in_children
    app = getattr(sender, "app", None)
    if app is not None and QUEUE in app.amqp.queues.consume_from:
        _preload_in_children = True


@worker_process_init.connect
def _moderation_models_preload(**kwargs) -> None:
    """In each pool process forked from a moderation worker: load the models before the first task."""
    if not _preload_in_children:
        return
    from moderation.services import moderation_models_preload

    try:
        moderation_models_preload()
    except Exception:
        # The first task loads them lazily (and stores a clear failure if they are missing).
        logger.exception("moderation_models_preload_failed")
