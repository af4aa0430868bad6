"""Fixtures of the integration tier: the Zoom-configured stack and the stack with
BigBlueButton enabled beside the counting provider.

Each is started once per session, on top of the session's emulator, Calendar server and
token issuer (``stack_session``), and only when a test asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local.fakes.bbb_server import BBBServer
from tests.support.bbb_stack import BBBStack, start_bbb_stack, stop_bbb_stack
from tests.support.join_stack import JoinStack, start_join_stack
from tests.support.stack import PROJECT, Stack
from tests.support.zoom_stack import ZoomStack, start_zoom_stack, stop_zoom_stack


@pytest.fixture(scope="session")
def zoom_stack_session(
    stack_session: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ZoomStack]:
    zoom_stack = start_zoom_stack(stack_session, tmp_path_factory.mktemp("zoom-stack"))
    try:
        yield zoom_stack
    finally:
        stop_zoom_stack(zoom_stack)


@pytest.fixture
def zoom_stack(zoom_stack_session: ZoomStack) -> Iterator[ZoomStack]:
    """The Zoom stack with Firestore and the Calendar server emptied (as ``stack`` does),
    the Zoom server serving and reset to the canary account and its users, and the log
    positions marked."""
    stack = zoom_stack_session
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.emulator.host
    stack.calendar.wait_for_deliveries(timeout=20)
    stack.emulator.clear(PROJECT)
    stack.calendar.reset()
    stack.zoom_up()
    stack.configure_zoom()
    for process in stack.processes():
        if not process.alive():
            process.start()
    stack.mark_logs()
    yield stack
    stack.calendar.wait_for_deliveries(timeout=20)


@pytest.fixture(scope="session")
def join_stack_session(
    stack_session: Stack, bbb_server: BBBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JoinStack]:
    join_stack = start_join_stack(stack_session, bbb_server, tmp_path_factory.mktemp("join"))
    try:
        yield join_stack
    finally:
        join_stack.process.stop()


@pytest.fixture
def join_stack(join_stack_session: JoinStack, stack: Stack, bbb: BBBServer) -> JoinStack:
    """The join function with Firestore, Calendar and BigBlueButton emptied."""
    join_stack_session.base.issuer.oidc.reset()
    if not join_stack_session.process.alive():
        join_stack_session.process.start()
    return join_stack_session


@pytest.fixture(scope="session")
def bbb_stack_session(
    stack_session: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BBBStack]:
    bbb_stack = start_bbb_stack(stack_session, tmp_path_factory.mktemp("bbb-stack"))
    try:
        yield bbb_stack
    finally:
        stop_bbb_stack(bbb_stack)


@pytest.fixture
def bbb_stack(bbb_stack_session: BBBStack) -> Iterator[BBBStack]:
    """The BigBlueButton stack with Firestore, the Calendar server and the local
    BigBlueButton emptied (as ``stack`` does)."""
    stack = bbb_stack_session
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.emulator.host
    stack.calendar.wait_for_deliveries(timeout=20)
    stack.emulator.clear(PROJECT)
    stack.calendar.reset()
    stack.bbb.reset()
    for process in stack.processes():
        if not process.alive():
            process.start()
    yield stack
    stack.calendar.wait_for_deliveries(timeout=20)
