"""Shared fixtures. The integration stack is started once per session (its processes
find the emulator through FIRESTORE_EMULATOR_HOST); data is cleared before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.stack import PROJECT, Stack, start_stack, stop_stack

# The Zoom server and provider fixtures serve tests/unit/providers/zoom and tests/fakes.
pytest_plugins = ["tests.support.zoom_fixtures"]


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def stack_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    stack = None
    try:
        # The test process reads the emulator too (assertions on stored state).
        from local.firestore_emulator import FirestoreEmulator  # noqa: F401

        stack = start_stack(tmp)
        os.environ["FIRESTORE_EMULATOR_HOST"] = stack.emulator.host
        yield stack
    finally:
        if stack is not None:
            stop_stack(stack)
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved


@pytest.fixture
def stack(stack_session: Stack) -> Iterator[Stack]:
    """The running stack, with Firestore and the Calendar server emptied first."""
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack_session.emulator.host
    stack_session.calendar.wait_for_deliveries(timeout=20)
    stack_session.emulator.clear(PROJECT)
    stack_session.calendar.reset()
    for process in (stack_session.create, stack_session.sync, stack_session.sweep):
        if not process.alive():
            process.start()
    yield stack_session
    stack_session.calendar.wait_for_deliveries(timeout=20)
