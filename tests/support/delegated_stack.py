"""Entry points that get their Calendar tokens from the local token endpoint.

The session's stack calls Calendar with ``local-user:`` tokens (``CALENDAR_CREDENTIALS=
anonymous``) and never fetches a token. These three processes (create_conference,
sync_events, sweep) run with ``CALENDAR_CREDENTIALS=delegated`` instead: they sign
JWT-bearer assertions with a local key the session's token issuer trusts
(:func:`local.stack.local_delegation`) and exchange them at its token endpoint, whose
faults the tests set. They share the session's emulator, Calendar server and issuer; the
delegated sync process is the push address of the channels the delegated create process
sets up. Started only by the tests that need them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local.function_process import FunctionProcess
from local.stack import local_delegation
from tests.support.stack import Stack, function_env

#: Shorter than google-auth's refresh margin (3 min 45 s): every Calendar call fetches a
#: token, so a fault of the token endpoint meets the next call.
TOKEN_LIFETIME_SECONDS = 60


def start_delegated_stack(base: Stack, tmp: Path) -> Stack:
    sync = FunctionProcess("sync_events", "sync_events", {}, tmp / "delegated_sync_events.log")
    env = function_env(
        base.emulator, base.calendar, base.issuer, sync.url, **local_delegation(base.issuer, tmp)
    )
    sync.env.update(env)
    create = FunctionProcess(
        "create_conference", "create_conference", env, tmp / "delegated_create.log"
    )
    sweep = FunctionProcess("sync_events", "sweep", env, tmp / "delegated_sweep.log")
    stack = Stack(base.emulator, base.calendar, base.issuer, create, sync, sweep, base.db)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda process: process.start(), (create, sync, sweep)))
    except BaseException:
        stop_delegated_stack(stack)
        raise
    return stack


def stop_delegated_stack(stack: Stack) -> None:
    """Stop the three processes (the shared servers keep running)."""
    for process in (stack.create, stack.sync, stack.sweep):
        process.stop()
