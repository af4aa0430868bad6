"""The integration stack with BigBlueButton enabled beside the counting provider.

``CONFERENCE_PROVIDERS="tests.support.counting_provider:make,bigbluebutton"``: the primary
is the counting provider (named ``jitsi``, solution "1"), the second BigBlueButton
(solutions "bigbluebutton-1" and "bigbluebutton-2"), aimed at a local BigBlueButton in
this process. It shares the session's emulator, Calendar server and token issuer, and
serves its own create_conference, sync_events and sweep (the sync process is the push
address of the channels its create process sets up). :func:`serve_sync` serves one
sync_events process with other settings, for tests that sync what another deployment
wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.fakes.bbb_server import BBBServer
from local.function_process import FunctionProcess
from local.ports import free_port
from shared.conferences.solutions import deployed_solutions
from shared.providers.bigbluebutton.client import BigBlueButtonClient
from shared.providers.bigbluebutton.provider import BigBlueButtonProvider
from tests.support.stack import Stack, function_env

PROVIDERS = "tests.support.counting_provider:make,bigbluebutton"
#: Nothing serves it here (the join function is another branch's); only its form matters.
JOIN_BASE_URL = "http://127.0.0.1:9/join/"


@dataclass
class BBBStack(Stack):
    bbb: BBBServer

    def provider(self) -> BigBlueButtonProvider:
        """The BigBlueButton provider as the functions build it (same server and secret)."""
        client = BigBlueButtonClient(self.bbb.api_url, self.bbb.secret)
        return BigBlueButtonProvider(
            client, secret=self.bbb.secret, join_base_url=JOIN_BASE_URL, logo_url="x"
        )

    def processes(self) -> tuple[FunctionProcess, FunctionProcess, FunctionProcess]:
        return (self.create, self.sync, self.sweep)

    def log_lines(self) -> list[dict[str, Any]]:
        return [
            json.loads(raw)
            for process in self.processes()
            for raw in process.logs().splitlines()
            if raw.startswith("{")
        ]


def bbb_env(base: Stack, webhook_url: str, bbb: BBBServer, **overrides: str) -> dict[str, str]:
    return function_env(
        base.emulator,
        base.calendar,
        base.issuer,
        webhook_url,
        CONFERENCE_PROVIDER="",
        CONFERENCE_PROVIDERS=PROVIDERS,
        BBB_API_URL=bbb.api_url,
        BBB_SECRET=bbb.secret,
        JOIN_BASE_URL=JOIN_BASE_URL,
        **overrides,
    )


def start_bbb_stack(base: Stack, tmp: Path) -> BBBStack:
    bbb = BBBServer(free_port()).start()
    sync = FunctionProcess("sync_events", "sync_events", {}, tmp / "bbb_sync_events.log")
    env = bbb_env(base, sync.url, bbb)
    sync.env.update(env)
    create = FunctionProcess("create_conference", "create_conference", env, tmp / "bbb_create.log")
    sweep = FunctionProcess("sync_events", "sweep", env, tmp / "bbb_sweep.log")
    stack = BBBStack(base.emulator, base.calendar, base.issuer, create, sync, sweep, base.db, bbb)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda process: process.start(), stack.processes()))
    except BaseException:
        stop_bbb_stack(stack)
        raise
    return stack


def stop_bbb_stack(stack: BBBStack) -> None:
    for process in stack.processes():
        process.stop()
    stack.bbb.stop()


def serve_sync(log: Path, make_env: Callable[[str], dict[str, str]]) -> FunctionProcess:
    """One sync_events process whose environment ``make_env(its URL)`` gives (started;
    the caller stops it)."""
    process = FunctionProcess("sync_events", "sync_events", {}, log)
    process.env.update(make_env(process.url))
    return process.start()


BBB_SOLUTIONS = deployed_solutions(["jitsi", "bigbluebutton"])
