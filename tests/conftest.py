"""Shared fixtures, and each test's tier marker. The integration stack is started once per
session (its processes find the emulator through FIRESTORE_EMULATOR_HOST); data is cleared
before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import PROJECT, Stack, start_stack, stop_stack

# The Zoom and BigBlueButton server fixtures (and the Zoom provider's, and the BigBlueButton
# client's) serve tests/unit/providers and tests/fakes.
pytest_plugins = [
    "tests.support.zoom_fixtures",
    "tests.support.bbb_fixtures",
    "tests.support.browser",
]

TESTS = Path(__file__).resolve().parent
#: A test's tier is the folder it is in, directly under tests/; each is also a marker
#: (registered in pyproject.toml). See docs/development.md#tiers-and-markers.
TIERS = ("unit", "fakes", "addon", "deploy", "integration")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test with its folder's tier; a test outside the tier folders is refused."""
    for item in items:
        path = item.path.resolve()
        tier = path.relative_to(TESTS).parts[0] if path.is_relative_to(TESTS) else None
        if tier not in TIERS:
            raise pytest.UsageError(
                f"{item.nodeid}: a test goes in one of tests/{{{','.join(TIERS)}}}/ "
                "(docs/development.md#where-a-new-test-goes)"
            )
        item.add_marker(tier)


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
