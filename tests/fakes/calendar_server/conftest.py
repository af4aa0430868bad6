"""Fixtures of the local Calendar server's conformance suite.

One server runs for the session and is reset before every test, which then finds:

- ``alice@example.com``: her primary calendar (owner Alice; Bob reads, Dave writes);
- ``bob@example.com``: Bob's primary calendar;
- ``team@group.calendar.google.com``: a calendar owned by Alice that Dave can write.

Carol has no access to any of them. Calls go through the real google-api-python-client
(``calendar(email)``) or raw ``requests`` (``raw``) where the client cannot express a
request. Push tests use ``receiver``, a local webhook that records what it gets.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.fakes.calendar_server import CalendarServer

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
DAVE = "dave@example.com"
TEAM = "team@group.calendar.google.com"
WAIT = 5.0

POLL_SECONDS = 0.01


class LocalUserCredentials(Credentials):
    """Sends ``Authorization: Bearer local-user:<email>``; never expires."""

    def __init__(self, email: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.token = f"local-user:{email}"

    def refresh(self, request: Any) -> None:
        return None


def timed_event(
    start: str = "2030-01-07T10:00:00Z", end: str = "2030-01-07T11:00:00Z", **more: Any
) -> dict[str, Any]:
    return {"summary": "Planning", "start": {"dateTime": start}, "end": {"dateTime": end}, **more}


def weekly_series(count: int = 5, **more: Any) -> dict[str, Any]:
    """Mondays 10:00 Stockholm time from 2030-01-07, ``count`` times."""
    return {
        "summary": "Weekly",
        "start": {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Stockholm"},
        "end": {"dateTime": "2030-01-07T10:30:00+01:00", "timeZone": "Europe/Stockholm"},
        "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"],
        **more,
    }


def error_of(failure: HttpError | requests.Response) -> dict[str, Any]:
    """The ``error`` object of a failed call (client exception or raw response)."""
    raw = failure.content
    body: dict[str, Any] = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    error: dict[str, Any] = body["error"]
    return error


def reason_of(failure: HttpError | requests.Response) -> tuple[int, str]:
    error = error_of(failure)
    return int(error["code"]), str(error["errors"][0]["reason"])


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll ``check`` until true; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)  # between checks of a condition with a deadline


class Raw:
    """Plain HTTP calls to the API, for what the client library cannot send."""

    def __init__(self, server: CalendarServer, session: requests.Session) -> None:
        self.server = server
        self.session = session

    def call(
        self,
        method: str,
        path: str,
        user: str | None = ALICE,
        *,
        params: dict[str, Any] | list[tuple[str, str]] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", f"Bearer local-user:{user}")
        return self.session.request(
            method,
            self.server.api_endpoint + path.lstrip("/"),
            params=params,
            json=json,
            data=data,
            headers=sent,
            timeout=10,
        )


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Receiver:
    """A webhook on 127.0.0.1 that records each POST's headers and body."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.messages: list[dict[str, Any]] = []
        self._statuses: deque[int] = deque()
        self._gate = threading.Event()
        self._gate.set()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/notify"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self._gate.wait(WAIT)
        with self._cond:
            status = self._statuses.popleft() if self._statuses else 200
            self.messages.append(
                {
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                    "method": request.method,
                    "status": status,
                }
            )
            self._cond.notify_all()
        return Response(status=status)(environ, start_response)

    def answer_with(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses (then 200)."""
        with self._cond:
            self._statuses.extend(statuses)

    def hold(self) -> None:
        """Keep requests waiting (until :meth:`release`) before they are answered."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def wait_for(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} pushes, got {len(self.messages)}")
            return list(self.messages)

    def reset(self) -> None:
        with self._cond:
            self.messages.clear()
            self._statuses.clear()
        self._gate.set()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def server() -> Iterator[CalendarServer]:
    with CalendarServer(push_retry_base=0.01) as running:
        yield running


@pytest.fixture(autouse=True)
def calendars(server: CalendarServer) -> None:
    server.control.wait_for_deliveries(WAIT)  # nothing of an earlier test still in flight
    server.control.reset()
    server.control.create_calendar(ALICE, readers=[BOB], writers=[DAVE])
    server.control.create_calendar(BOB)
    server.control.create_calendar(TEAM, ALICE, summary="Team", writers=[DAVE])


@pytest.fixture(scope="session")
def _services(server: CalendarServer) -> dict[str, Any]:
    return {}


@pytest.fixture
def calendar(server: CalendarServer, _services: dict[str, Any]) -> Callable[[str], Any]:
    """``calendar(email)``: a Calendar v3 service acting as ``email`` (built once per user)."""

    def service(email: str = ALICE) -> Any:
        if email not in _services:
            _services[email] = build(
                "calendar",
                "v3",
                credentials=LocalUserCredentials(email),
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": server.api_endpoint},
            )
        return _services[email]

    return service


@pytest.fixture(scope="session")
def _session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def raw(server: CalendarServer, _session: requests.Session) -> Raw:
    return Raw(server, _session)


@pytest.fixture(scope="session")
def _receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def receiver(_receiver: Receiver) -> Receiver:
    _receiver.reset()
    return _receiver
