"""Making sure a calendar is set up for sync at each creation: what it reads and writes,
and the instance's memory of calendars seen ready (at most five minutes, ready only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from shared.errors import TransientFailure
from shared.google.calendar_api import CalendarApi
from shared.state.calendars import CalendarState, CalendarStore, SetupState
from shared.state.channels import ChannelStore
from shared.sync.setup import READY_MEMORY_SECONDS, ReadyCalendars, SyncSetup


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeCalendars:
    """The calendar store's methods ensure() uses, recording each call."""

    states: dict[str, SetupState] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_reads: bool = False

    def get_calendar(self, calendar_id: str) -> CalendarState | None:
        self.calls.append("get")
        if self.fail_reads:
            raise TransientFailure("Firestore unavailable")
        state = self.states.get(calendar_id)
        return None if state is None else CalendarState(calendar_id, "alice@x.com", state)

    def claim_calendar(self, calendar_id: str, *args: Any) -> bool:
        self.calls.append("claim")
        if calendar_id in self.states:
            return False
        self.states[calendar_id] = SetupState.PENDING
        return True

    def take_over_stopped(self, calendar_id: str, user: str) -> bool:
        self.calls.append("take_over")
        if self.states.get(calendar_id) in (SetupState.ACCESS_REVOKED, SetupState.WATCH_FAILED):
            self.states[calendar_id] = SetupState.PENDING
            return True
        return False


class SetupUnderTest(SyncSetup):
    """ensure() with the set-up itself recorded instead of run."""

    set_up: list[str]

    def set_up_now(self, calendar_id: str, user: str, budget_seconds: float) -> bool:
        self.set_up.append(calendar_id)
        return True


def make(calendars: FakeCalendars, clock: Clock) -> SetupUnderTest:
    setup = SetupUnderTest(
        calendar_store=cast(CalendarStore, calendars),
        channel_store=cast(ChannelStore, object()),
        calendar_api=cast(CalendarApi, object()),
        webhook_url="https://example.com/sync",
        channel_ttl_seconds=3600,
        clock=clock,
        ready=ReadyCalendars(clock=clock),
    )
    setup.set_up = []
    return setup


# -- ReadyCalendars -------------------------------------------------------------------------
def test_a_calendar_seen_ready_is_remembered() -> None:
    clock = Clock()
    ready = ReadyCalendars(clock=clock)

    ready.note("cal", SetupState.READY)

    assert ready.is_ready("cal")
    assert not ready.is_ready("other")


def test_it_is_forgotten_five_minutes_after_it_was_seen() -> None:
    clock = Clock()
    ready = ReadyCalendars(clock=clock)
    ready.note("cal", SetupState.READY)

    clock.now += READY_MEMORY_SECONDS - 0.001
    still = ready.is_ready("cal")
    clock.now += 0.001

    assert still
    assert not ready.is_ready("cal")
    assert READY_MEMORY_SECONDS == 300.0


@pytest.mark.parametrize(
    "state",
    [None, SetupState.PENDING, SetupState.WATCH_FAILED, SetupState.ACCESS_REVOKED],
)
def test_no_other_state_is_ever_remembered(state: SetupState | None) -> None:
    ready = ReadyCalendars(clock=Clock())

    ready.note("cal", state)

    assert not ready.is_ready("cal")


@pytest.mark.parametrize("state", [None, SetupState.PENDING, SetupState.ACCESS_REVOKED])
def test_another_state_seen_later_forgets_ready(state: SetupState | None) -> None:
    ready = ReadyCalendars(clock=Clock())
    ready.note("cal", SetupState.READY)

    ready.note("cal", state)

    assert not ready.is_ready("cal")


def test_the_oldest_are_forgotten_past_the_size() -> None:
    ready = ReadyCalendars(max_size=2, clock=Clock())

    for name in ("a", "b", "c"):
        ready.note(name, SetupState.READY)

    assert [ready.is_ready(name) for name in ("a", "b", "c")] == [False, True, True]


# -- ensure() -------------------------------------------------------------------------------
def test_a_ready_calendar_costs_one_read_then_none_for_five_minutes() -> None:
    clock = Clock()
    calendars = FakeCalendars({"cal": SetupState.READY})
    setup = make(calendars, clock)

    setup.ensure("cal", "bob@x.com", 5.0)
    clock.now += 299.0
    setup.ensure("cal", "bob@x.com", 5.0)
    first = list(calendars.calls)
    clock.now += 1.0
    setup.ensure("cal", "bob@x.com", 5.0)

    assert first == ["get"]
    assert calendars.calls == ["get", "get"]
    assert setup.set_up == []


def test_a_stopped_calendar_is_taken_over_at_every_creation() -> None:
    clock = Clock()
    calendars = FakeCalendars({"cal": SetupState.ACCESS_REVOKED})
    setup = make(calendars, clock)

    setup.ensure("cal", "bob@x.com", 5.0)
    calendars.states["cal"] = SetupState.WATCH_FAILED
    setup.ensure("cal", "bob@x.com", 5.0)

    assert calendars.calls == ["get", "take_over", "get", "take_over"]
    assert calendars.states["cal"] is SetupState.PENDING


def test_a_pending_calendar_is_read_each_time_and_left_alone() -> None:
    calendars = FakeCalendars({"cal": SetupState.PENDING})
    setup = make(calendars, Clock())

    setup.ensure("cal", "bob@x.com", 5.0)
    setup.ensure("cal", "bob@x.com", 5.0)

    assert calendars.calls == ["get", "get"]
    assert setup.set_up == []


def test_a_new_calendar_is_claimed_and_set_up_once() -> None:
    calendars = FakeCalendars()
    setup = make(calendars, Clock())

    setup.ensure("cal", "bob@x.com", 5.0)
    setup.ensure("cal", "bob@x.com", 5.0)  # still pending: read again, left alone

    assert calendars.calls == ["get", "claim", "get"]
    assert setup.set_up == ["cal"]


def test_a_calendar_claimed_by_someone_else_meanwhile_is_not_set_up_twice() -> None:
    calendars = FakeCalendars()
    setup = make(calendars, Clock())
    original = calendars.get_calendar

    def read_then_lose_the_race(calendar_id: str) -> CalendarState | None:
        found = original(calendar_id)
        calendars.states[calendar_id] = SetupState.PENDING  # another creation claimed it
        return found

    calendars.get_calendar = read_then_lose_the_race  # type: ignore[method-assign]
    setup.ensure("cal", "bob@x.com", 5.0)

    assert calendars.calls == ["get", "claim", "take_over"]
    assert setup.set_up == []


def test_a_failed_read_is_logged_not_raised_and_not_remembered() -> None:
    calendars = FakeCalendars({"cal": SetupState.READY}, fail_reads=True)
    setup = make(calendars, Clock())

    setup.ensure("cal", "bob@x.com", 5.0)
    calendars.fail_reads = False
    setup.ensure("cal", "bob@x.com", 5.0)
    setup.ensure("cal", "bob@x.com", 5.0)

    assert calendars.calls == ["get", "get"]
