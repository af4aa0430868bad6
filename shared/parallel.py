"""Calls started on another thread, so that a request waits for two things at once.

:class:`Helpers` is a small pool of threads shared by an instance's requests. A call
started on it is run on the caller's own thread instead when no helper had taken it up by
the time its result is needed (all of them busy with other requests): a request never
waits in a queue behind others. Nothing is left running after a request: callers take
every result, or call :meth:`Started.settle` on the way out.

The Calendar client gives each thread its own transport, and the Firestore client is
thread-safe, so either can be called from a helper.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class Started(Generic[T]):
    """A call started on a helper thread (or waiting for one)."""

    def __init__(self, future: Future[T], call: Callable[[], T]) -> None:
        self._future = future
        self._call = call
        self._inline: Future[T] | None = None

    def result(self) -> T:
        """The call's result (or its exception, raised here); run here if not started."""
        if self._inline is None and self._future.cancel():
            self._inline = Future()
            try:
                self._inline.set_result(self._call())
            except Exception as err:  # noqa: BLE001 - kept, and raised just below
                self._inline.set_exception(err)
        return (self._inline or self._future).result()

    def settle(self) -> None:
        """Make sure the call is over (not started: never runs), ignoring its outcome."""
        if self._inline is None and not self._future.cancel():
            with contextlib.suppress(BaseException):
                self._future.result()


class Helpers:
    """Up to ``size`` helper threads, created on first use."""

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self, call: Callable[[], T]) -> Started[T]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._size, self._name)
            return Started(self._pool.submit(call), call)
