"""Bounded retries with jittered exponential backoff that honour ``Retry-After``."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from shared.errors import TransientFailure
from shared.structured_logging import fields

T = TypeVar("T")
logger = logging.getLogger(__name__)


def retry_transient(
    call: Callable[[], T],
    *,
    what: str,
    budget_seconds: float,
    base_delay: float = 0.25,
    max_delay: float = 4.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """Run ``call``; on TransientFailure wait and retry while the budget allows.

    The wait is ``retry_after`` when the failure carries one, otherwise full-jitter
    exponential backoff. When the next wait would overrun the budget, the last failure
    is raised.
    """
    deadline = clock() + budget_seconds
    attempt = 0
    while True:
        try:
            return call()
        except TransientFailure as failure:
            attempt += 1
            if failure.retry_after is not None:
                delay = max(0.0, failure.retry_after)
            else:
                delay = rand() * min(max_delay, base_delay * (2 ** (attempt - 1)))
            if clock() + delay > deadline:
                raise
            logger.info(
                "retrying after a transient failure",
                extra=fields(what=what, attempt=attempt, delay_seconds=round(delay, 3)),
            )
            sleep(delay)
