"""Delivery of push messages: a worker thread, a due-time queue, retries, a record of all.

A message is a POST with no body to the channel's address. 200, 201, 202, 204 and 102
are successes; 500, 502, 503 and 504 (and an unreachable address) are retried with
exponential backoff (``retry_base * 2**(attempt-1)`` seconds) up to ``max_attempts``;
anything else is a failed message. Every attempt and every dropped message is recorded as
a :class:`Delivery`. Submitting never blocks: the API call that caused a message returns
while the worker delivers it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

SUCCESS = frozenset({200, 201, 202, 204, 102})
RETRIED = frozenset({500, 502, 503, 504})
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    channel_id: str
    calendar_id: str
    number: int
    state: str
    address: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """One attempt (or the drop) of one message; ``outcome``: delivered, retrying,
    failed or dropped."""

    channel_id: str
    calendar_id: str
    number: int
    state: str
    attempt: int
    status: int | None
    outcome: str
    time: float
    headers: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "channelId": self.channel_id,
            "calendarId": self.calendar_id,
            "messageNumber": self.number,
            "resourceState": self.state,
            "attempt": self.attempt,
            "status": self.status,
            "outcome": self.outcome,
            "time": self.time,
            "headers": self.headers,
        }

    def __getitem__(self, key: str) -> Any:
        """The record read like its JSON form (``delivery["outcome"]``)."""
        return self.as_json()[key]


@dataclass(order=True)
class _Pending:
    due: float
    order: int
    generation: int
    attempt: int
    message: Message
    done: threading.Event


class PushDispatcher:
    """Delivers messages on one worker thread; :meth:`wait_idle` waits for it to drain."""

    def __init__(self, retry_base: float = 0.05, max_attempts: int = 4, timeout: float = 5.0):
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._order = itertools.count()
        self._in_flight = 0
        self._generation = 0
        self._records: list[Delivery] = []
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="calendar-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)

    def clear(self) -> None:
        """Forget queued messages and records (messages in flight are not recorded)."""
        with self._cond:
            self._generation += 1
            for pending in self._queue:
                pending.done.set()
            self._queue.clear()
            self._records.clear()
            self._cond.notify_all()

    def submit(self, message: Message) -> threading.Event:
        """Queue ``message`` now; the returned event is set once its outcome is final."""
        done = threading.Event()
        with self._cond:
            pending = _Pending(
                time.monotonic(), next(self._order), self._generation, 1, message, done
            )
            heapq.heappush(self._queue, pending)
            self._cond.notify_all()
        return done

    def record_dropped(self, message: Message) -> None:
        with self._cond:
            self._records.append(self._record(message, 1, None, "dropped"))

    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._records)

    def wait_idle(self, timeout: float) -> None:
        """Wait until nothing is queued or in flight; TimeoutError after ``timeout``."""
        with self._cond:
            idle = self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)
        if not idle:
            raise TimeoutError(f"push deliveries still pending after {timeout:g}s")

    @staticmethod
    def _record(message: Message, attempt: int, status: int | None, outcome: str) -> Delivery:
        return Delivery(
            message.channel_id,
            message.calendar_id,
            message.number,
            message.state,
            attempt,
            status,
            outcome,
            time.time(),
            dict(message.headers),
        )

    def _next(self) -> _Pending | None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    self._in_flight += 1
                    return heapq.heappop(self._queue)
                wait = self._queue[0].due - now if self._queue else None
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        with requests.Session() as session:
            while (pending := self._next()) is not None:
                status = self._post(session, pending.message)
                self._finish(pending, status)

    def _post(self, session: requests.Session, message: Message) -> int | None:
        try:
            answer = session.post(
                message.address,
                data=b"",
                headers=message.headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
            answer.close()
            return int(answer.status_code)
        except requests.RequestException as err:
            logger.info("push to channel %s failed: %s", message.channel_id, type(err).__name__)
            return None

    def _finish(self, pending: _Pending, status: int | None) -> None:
        with self._cond:
            self._in_flight -= 1
            if pending.generation == self._generation:
                retry = status is None or status in RETRIED
                if retry and pending.attempt < self.max_attempts:
                    outcome = "retrying"
                    delay = self.retry_base * 2 ** (pending.attempt - 1)
                    heapq.heappush(
                        self._queue,
                        _Pending(
                            time.monotonic() + delay,
                            next(self._order),
                            pending.generation,
                            pending.attempt + 1,
                            pending.message,
                            pending.done,
                        ),
                    )
                else:
                    outcome = "delivered" if status in SUCCESS else "failed"
                    pending.done.set()
                self._records.append(
                    self._record(pending.message, pending.attempt, status, outcome)
                )
            else:
                pending.done.set()
            self._cond.notify_all()
