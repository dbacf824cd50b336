"""How long each step of a run's compute and commit (and of the ledger's bulk path) took, logged at
DEBUG under "payouts.split.steps" (the benchmark collects them; like ``integrity.eis.sql.step``)."""

import logging
import time
from contextlib import contextmanager

logger = logging.getLogger("payouts.split.steps")


@contextmanager
def step(name: str):
    """Log the seconds the block took, with the step's name."""
    began = time.perf_counter()
    try:
        yield
    finally:
        logger.debug("%s %.2fs", name, time.perf_counter() - began)
