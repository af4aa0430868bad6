"""The integration stack: real Firestore emulator, local Calendar server, local token
issuer, and the entry points served by functions-framework, each as its own process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from google.cloud import firestore

from local.fakes.calendar_server import CalendarServer
from local.fakes.token_issuer import TokenIssuer
from local.firestore_emulator import FirestoreEmulator
from local.function_process import FunctionProcess
from local.stack import PROJECT as LOCAL_PROJECT
from local.stack import function_env as local_function_env
from tests.support.counting_provider import CALLS, FAULTS

PROJECT = LOCAL_PROJECT
AUDIENCE = "test-addon.apps.googleusercontent.com"
DOMAIN = "example.com"

POLL_SECONDS = 0.05


def function_env(
    emulator: FirestoreEmulator,
    calendar: CalendarServer,
    issuer: TokenIssuer,
    webhook_url: str,
    **overrides: str,
) -> dict[str, str]:
    env = local_function_env(
        emulator=emulator,
        calendar=calendar,
        issuer=issuer,
        webhook_url=webhook_url,
        provider="tests.support.counting_provider:make",
        audience=AUDIENCE,
        domain=DOMAIN,
    )
    env.update(
        {
            "RESERVATION_LEASE_SECONDS": "3",
            "CREATE_WAIT_SECONDS": "8",
            "PROVIDER_RETRY_SECONDS": "0.5",
            "FUNCTION_TIMEOUT_SECONDS": "30",
            "PLACEHOLDER_MAX_AGE_SECONDS": "2",
            "SAFETY_SYNC_INTERVAL_SECONDS": "1",
            "THREADS": "16",
            # The served functions outlive each test's Firestore, which is cleared before
            # every test: an instance must not remember calendars it saw ready.
            "READY_MEMORY_SECONDS": "0",
        }
    )
    env.update(overrides)
    return env


@dataclass
class Stack:
    emulator: FirestoreEmulator
    calendar: CalendarServer
    issuer: TokenIssuer
    create: FunctionProcess
    sync: FunctionProcess
    sweep: FunctionProcess
    db: firestore.Client

    # -- create_conference -------------------------------------------------------------
    def token(self, email: str, **options: Any) -> str:
        options.setdefault("hd", DOMAIN)
        return self.issuer.mint(email, AUDIENCE, **options)

    def create_conference(
        self,
        email: str,
        calendar_id: str,
        event_id: str,
        solution_id: str = "1",
        *,
        token: str | None = None,
        timeout: float = 30,
    ) -> requests.Response:
        body = {
            "solutionId": solution_id,
            "eventData": {"calendarId": calendar_id, "eventId": event_id},
        }
        headers = {"Authorization": f"Bearer {token or self.token(email)}"}
        return requests.post(self.create.url, json=body, headers=headers, timeout=timeout)

    # -- Firestore views ---------------------------------------------------------------
    def docs(self, collection: str) -> list[dict[str, Any]]:
        return [dict(s.to_dict() or {}) for s in self.db.collection(collection).stream()]

    def everything(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every document of every top-level collection, by collection and id (to show
        that a request wrote nothing)."""
        return {
            collection.id: {s.id: dict(s.to_dict() or {}) for s in collection.stream()}
            for collection in self.db.collections()
        }

    def provider_calls(self, op: str | None = None) -> list[dict[str, Any]]:
        calls = sorted(self.docs(CALLS), key=lambda call: float(call["at"]))
        return [c for c in calls if op is None or c["op"] == op]

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
        """Script the counting provider (modes: ``tests/support/counting_provider.py``);
        ``meeting_id``: only that meeting's calls; ``retry_after``: a refusal's hint."""
        fault: dict[str, Any] = {"mode": mode, "remaining": remaining}
        if meeting_id is not None:
            fault["meetingId"] = meeting_id
        if retry_after is not None:
            fault["retryAfter"] = retry_after
        # The op's fault is replaced whole (merge=True would keep an earlier meetingId).
        ref = self.db.collection(FAULTS[0]).document(FAULTS[1])
        ref.set({"delay": delay}, merge=True)
        ref.update({op: fault})

    def state_written(self) -> bool:
        """True when any product state exists (conferences, calendars, channels)."""
        return any(self.docs(name) for name in ("conferences", "calendars", "channels"))

    # -- logs ----------------------------------------------------------------------------
    def log_lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for process in (self.create, self.sync, self.sweep):
            for raw in process.logs().splitlines():
                if raw.startswith("{"):
                    lines.append(json.loads(raw))
        return lines

    def all_logs(self) -> str:
        return "\n".join(p.logs() for p in (self.create, self.sync, self.sweep))


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)  # between checks of a condition with a deadline


def start_stack(tmp: Path) -> Stack:
    emulator = FirestoreEmulator(log_path=tmp / "emulator.log").start()
    issuer = TokenIssuer().start()
    calendar = CalendarServer().start()
    sync = FunctionProcess("sync_events", "sync_events", {}, tmp / "sync_events.log")
    env = function_env(emulator, calendar, issuer, sync.url)
    sync.env.update(env)
    create = FunctionProcess("create_conference", "create_conference", env, tmp / "create.log")
    sweep = FunctionProcess("sync_events", "sweep", env, tmp / "sweep.log")
    for process in (sync, create, sweep):
        process.start()
    import os

    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    db = firestore.Client(project=PROJECT)
    return Stack(emulator, calendar, issuer, create, sync, sweep, db)


def stop_stack(stack: Stack) -> None:
    for stop in (
        stack.create.stop,
        stack.sync.stop,
        stack.sweep.stop,
        stack.calendar.stop,
        stack.issuer.stop,
        stack.emulator.stop,
    ):
        stop()
