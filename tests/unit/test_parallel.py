"""Calls started on helper threads: their results and errors, and the caller running a
call itself when every helper is busy."""

from __future__ import annotations

import threading

import pytest

from shared.parallel import Helpers


def test_a_call_runs_on_a_helper_and_gives_its_result() -> None:
    helpers = Helpers(2, "test")
    caller = threading.get_ident()

    started = helpers.start(threading.get_ident)

    assert started.result() != caller


def test_its_error_is_raised_to_the_caller() -> None:
    helpers = Helpers(1, "test")

    def fails() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        helpers.start(fails).result()


def test_the_end_of_an_iterator_reaches_the_caller() -> None:
    pages = iter([1])
    helpers = Helpers(1, "test")

    assert helpers.start(lambda: next(pages)).result() == 1
    with pytest.raises(StopIteration):
        helpers.start(lambda: next(pages)).result()


def test_when_every_helper_is_busy_the_caller_runs_the_call_itself() -> None:
    helpers = Helpers(1, "test")
    release = threading.Event()
    busy = helpers.start(lambda: release.wait(10))
    caller = threading.get_ident()

    queued = helpers.start(threading.get_ident)
    ran_on = queued.result()
    release.set()

    assert ran_on == caller
    assert busy.result() is True
    assert queued.result() == caller  # asked again: the same result, not run again


def test_a_settled_call_that_never_started_never_runs() -> None:
    helpers = Helpers(1, "test")
    release = threading.Event()
    busy = helpers.start(lambda: release.wait(10))
    ran: list[int] = []

    queued = helpers.start(lambda: ran.append(1))
    queued.settle()
    release.set()
    busy.result()

    assert ran == []


def test_settling_waits_for_a_running_call_and_ignores_its_error() -> None:
    helpers = Helpers(1, "test")
    entered = threading.Event()
    done: list[str] = []

    def slow_failure() -> None:
        entered.set()
        threading.Event().wait(0.05)
        done.append("over")
        raise RuntimeError("ignored")

    started = helpers.start(slow_failure)
    entered.wait(5)
    started.settle()

    assert done == ["over"]
