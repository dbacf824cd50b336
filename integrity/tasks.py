import logging

from celery import shared_task

from .services import closed_window_compute

logger = logging.getLogger(__name__)


@shared_task(name="integrity.compute_closed_window", soft_time_limit=1800, time_limit=1900, acks_late=True)
def compute_closed_window(granularity: str) -> dict[str, object]:
    """Score the window that just closed. Safe to run twice: an unchanged recompute writes nothing."""
    result = closed_window_compute(granularity=granularity)
    return {"windows": result.windows, "written": result.windows_written, "events": result.events}
