"""Bounded retries with jittered exponential backoff, on an injected clock and sleep."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.errors import PermanentFailure, TransientFailure
from shared.retries import retry_transient


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def flaky(failures: list[Exception], result: str = "done") -> Callable[[], str]:
    def call() -> str:
        if failures:
            raise failures.pop(0)
        return result

    return call


def test_transient_failures_are_retried_until_success() -> None:
    time = FakeTime()
    call = flaky([TransientFailure("a"), TransientFailure("b")])

    result = retry_transient(
        call,
        what="t",
        budget_seconds=10,
        clock=time.clock,
        sleep=time.sleep,
        rand=lambda: 1.0,
    )

    assert result == "done"
    assert time.sleeps == [0.25, 0.5]  # full jitter at its top: base x 2^n


def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    call = flaky([TransientFailure("429", retry_after=1.5)])

    retry_transient(
        call,
        what="t",
        budget_seconds=10,
        clock=time.clock,
        sleep=time.sleep,
    )

    assert time.sleeps == [1.5]


def test_a_wait_beyond_the_budget_gives_up_at_once() -> None:
    time = FakeTime()
    call = flaky([TransientFailure("429", retry_after=30)])

    with pytest.raises(TransientFailure) as failure:
        retry_transient(
            call,
            what="t",
            budget_seconds=5,
            clock=time.clock,
            sleep=time.sleep,
        )

    assert failure.value.retry_after == 30
    assert time.sleeps == []


def test_the_budget_bounds_the_total_wait() -> None:
    time = FakeTime()
    failures: list[Exception] = [TransientFailure(str(n)) for n in range(100)]

    with pytest.raises(TransientFailure):
        retry_transient(
            flaky(failures),
            what="t",
            budget_seconds=3,
            clock=time.clock,
            sleep=time.sleep,
            rand=lambda: 1.0,
        )

    assert sum(time.sleeps) <= 3
    assert max(time.sleeps) <= 4.0


def test_permanent_failures_are_not_retried() -> None:
    time = FakeTime()
    call = flaky([PermanentFailure("no")])

    with pytest.raises(PermanentFailure):
        retry_transient(
            call,
            what="t",
            budget_seconds=10,
            clock=time.clock,
            sleep=time.sleep,
        )

    assert time.sleeps == []
