"""AML's periodic work. Registered through compliance/tasks.py (what Celery's autodiscovery imports)."""

from celery import shared_task

from .scan import gift_graph_scan


@shared_task(name="compliance.scan_gift_graph", ignore_result=True, soft_time_limit=900, time_limit=960, acks_late=True)
def scan_gift_graph() -> dict:
    """Look for gift circles over the recent graph. Safe to run twice: known circles are not reported again."""
    result = gift_graph_scan()
    return {"gifts": result.gifts, "cycles": result.cycles, "alerts": result.alerts}
