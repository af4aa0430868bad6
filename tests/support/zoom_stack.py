"""The integration stack with ``CONFERENCE_PROVIDER=zoom``.

It shares the session's Firestore emulator, Calendar server and token issuer with the
Jitsi :class:`~tests.support.stack.Stack`, and adds a local Zoom server (in this process)
and its own three entry points (create_conference, sync_events, sweep), each served by
functions-framework as its own process. The Zoom sync process is the push address of the
channels the Zoom create process sets up.

The app credentials are canary values, so a test can search every log for them. The
create process gets a longer provider retry budget than the tests' usual 0.5 s, so that a
``Retry-After`` of a second or two can be honoured; sync and sweep keep 0.5 s so that a
failing push delivery answers 503 well within the Calendar server's push timeout.
"""

from __future__ import annotations

import base64
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.fakes.zoom_server import Call, ZoomServer
from local.function_process import FunctionProcess
from local.ports import free_port
from shared.structured_logging import JsonFormatter
from tests.support.stack import Stack, function_env

ACCOUNT_ID = "acct-canary-41d9e7"
CLIENT_ID = "client-canary-7c3a55"
CLIENT_SECRET = "canary-secret-8f2e1c"
OTHER_ACCOUNT_ID = "acct-other-2b1f"
OTHER_CLIENT_ID = "client-other-2b1f"
#: The Zoom users of the canary account and their dial-in countries (home country first).
ZOOM_USERS: dict[str, tuple[str, ...]] = {
    "alice@example.com": ("US",),
    "bob@example.com": ("GB", "US"),
}
#: A user of another Zoom account (Zoom answers code 1010 for them).
FOREIGN_USER = "dave@example.com"
CREATE_RETRY_SECONDS = 3.0
#: Loggers of the in-process Zoom server (its Flask app, and werkzeug's request errors).
SERVER_LOGGERS = ("local.fakes.zoom_server", "werkzeug")


def basic_credentials() -> str:
    """The HTTP Basic value the provider sends to the token endpoint (must never leak)."""
    return base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode("ascii")


@dataclass
class ZoomStack(Stack):
    """A :class:`Stack` whose create, sync and sweep processes use the local Zoom.

    ``provider_calls`` and ``fault`` belong to the counting provider, which this stack
    does not run: use :meth:`zoom_calls`, :meth:`applied` and ``zoom.inject``.
    """

    zoom: ZoomServer
    zoom_log: Path
    issued_tokens: set[str] = field(default_factory=set)
    _log_marks: dict[str, int] = field(default_factory=dict)
    server_log_handler: logging.Handler | None = None

    # -- the Zoom server -------------------------------------------------------------
    def configure_zoom(self) -> None:
        """Reset the Zoom server to the canary account, its users and another account."""
        self.remember_tokens()
        self.zoom.reset()
        self.zoom.add_account(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        for email, countries in ZOOM_USERS.items():
            self.zoom.add_user(ACCOUNT_ID, email, dial_in_countries=countries)
        self.zoom.add_account(OTHER_ACCOUNT_ID, OTHER_CLIENT_ID, "other-secret-5d0e")
        self.zoom.add_user(OTHER_ACCOUNT_ID, FOREIGN_USER)

    def remember_tokens(self) -> None:
        """Keep every access token issued so far (a reset forgets them)."""
        with self.zoom.store.lock:
            self.issued_tokens.update(self.zoom.store.tokens)

    def zoom_down(self) -> None:
        """Zoom unreachable: connections are refused until :meth:`zoom_up`."""
        self.zoom.stop()

    def zoom_up(self) -> None:
        """Serve again on the same port, with the same meetings, tokens and call log."""
        if not self.zoom_running:
            self.zoom.start()

    @property
    def zoom_running(self) -> bool:
        try:
            return self.zoom.port > 0
        except RuntimeError:
            return False

    def zoom_calls(self, operation: str | None = None) -> list[Call]:
        """Every call the Zoom server answered, refused ones included, oldest first."""
        return self.zoom.calls(operation)

    def applied(self, operation: str) -> list[Call]:
        """The calls of ``operation`` that Zoom carried out (a 2xx answer)."""
        return [call for call in self.zoom.calls(operation) if call.status < 300]

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        found = self.zoom.meeting(meeting_id)
        assert found is not None, f"no Zoom meeting {meeting_id}"
        return found

    # -- not for this stack ----------------------------------------------------------
    def provider_calls(self, op: str | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError("the Zoom stack has no counting provider: use zoom_calls()")

    def fault(
        self,
        op: str,
        mode: str,
        remaining: int = 1,
        delay: float = 0.0,
        *,
        meeting_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        raise NotImplementedError("the Zoom stack has no counting provider: use zoom.inject()")

    # -- logs ------------------------------------------------------------------------
    def processes(self) -> tuple[FunctionProcess, FunctionProcess, FunctionProcess]:
        return (self.create, self.sync, self.sweep)

    def mark_logs(self) -> None:
        """Remember where each process's log ends (see :meth:`recent_log_lines`)."""
        self._log_marks = {p.target: len(p.logs()) for p in self.processes()}

    def recent_log_lines(self, process: FunctionProcess | None = None) -> list[dict[str, Any]]:
        """The JSON log lines written since :meth:`mark_logs` (of one process if given)."""
        lines: list[dict[str, Any]] = []
        for each in self.processes():
            if process is not None and each is not process:
                continue
            for raw in each.logs()[self._log_marks.get(each.target, 0) :].splitlines():
                if raw.startswith("{"):
                    lines.append(json.loads(raw))
        return lines

    def zoom_server_logs(self) -> str:
        """What the Zoom server logged, and its call log (paths, queries and bodies)."""
        logged = self.zoom_log.read_text(encoding="utf-8") if self.zoom_log.exists() else ""
        calls = json.dumps([call.as_json() for call in self.zoom.calls()])
        return logged + "\n" + calls


def _capture_server_logs(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    for name in SERVER_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("local.fakes.zoom_server").setLevel(logging.DEBUG)
    return handler


def _release_server_logs(handler: logging.Handler) -> None:
    for name in SERVER_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    logging.getLogger("local.fakes.zoom_server").setLevel(logging.NOTSET)
    handler.close()


def start_zoom_stack(base: Stack, tmp: Path) -> ZoomStack:
    """Start the Zoom server and the three Zoom-configured entry points (in parallel)."""
    zoom_log = tmp / "zoom_server.log"
    handler = _capture_server_logs(zoom_log)
    zoom = ZoomServer(free_port()).start()  # a fixed port: zoom_up() serves there again
    sync = FunctionProcess("sync_events", "sync_events", {}, tmp / "zoom_sync_events.log")
    env = zoom_env(base, sync.url, zoom)
    sync.env.update(env)
    create_env = {
        **env,
        "PROVIDER_RETRY_SECONDS": str(CREATE_RETRY_SECONDS),
        "RESERVATION_LEASE_SECONDS": "10",  # longer than a creation's retries
    }
    create = FunctionProcess(
        "create_conference", "create_conference", create_env, tmp / "zoom_create.log"
    )
    sweep = FunctionProcess("sync_events", "sweep", env, tmp / "zoom_sweep.log")
    stack = ZoomStack(
        base.emulator,
        base.calendar,
        base.issuer,
        create,
        sync,
        sweep,
        base.db,
        zoom=zoom,
        zoom_log=zoom_log,
        server_log_handler=handler,
    )
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda process: process.start(), stack.processes()))
    except BaseException:
        stop_zoom_stack(stack)
        raise
    return stack


def zoom_env(base: Stack, webhook_url: str, zoom: ZoomServer) -> dict[str, str]:
    """``function_env`` with the Zoom provider aimed at the local Zoom."""
    return function_env(
        base.emulator,
        base.calendar,
        base.issuer,
        webhook_url,
        CONFERENCE_PROVIDER="zoom",
        ZOOM_ACCOUNT_ID=ACCOUNT_ID,
        ZOOM_CLIENT_ID=CLIENT_ID,
        ZOOM_CLIENT_SECRET=CLIENT_SECRET,
        ZOOM_API_BASE=zoom.api_base,
        ZOOM_OAUTH_URL=zoom.oauth_url,
    )


def stop_zoom_stack(stack: ZoomStack) -> None:
    """Stop what :func:`start_zoom_stack` started (the shared servers keep running)."""
    for process in stack.processes():
        process.stop()
    stack.zoom.stop()
    if stack.server_log_handler is not None:
        _release_server_logs(stack.server_log_handler)
        stack.server_log_handler = None
