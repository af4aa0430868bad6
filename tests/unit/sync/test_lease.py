"""The webhook's settle window: when messages keep coming, the lease holder lets the
burst settle before a pass, so that one pass serves them all; a lone message passes at
once (docs/sync-model.md#one-sync-per-calendar)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from shared.state.calendars import CalendarState, CalendarStore, SetupState
from shared.state.leases import NO_FENCE, LeaseFence, LeaseStore, SyncLease
from shared.sync.lease import SETTLE_STEPS, LeasedSync, Outcome
from shared.sync.passes import CalendarSync

CALENDAR = CalendarState("cal", "alice@x.com", SetupState.READY)


@dataclass
class FakeLeases:
    """Message counts scripted per read (the last one repeats); ``own``: the count this
    message's increment made; ``finishes``: what each end of a pass finds (True: done;
    False: more messages, the lease taken again)."""

    counts: list[int]
    own: int | None = None
    finishes: list[bool] = field(default_factory=lambda: [True])
    reads: int = 0
    events: list[str] = field(default_factory=list)

    def message_count(self, calendar_id: str) -> int:
        count = self.counts[min(self.reads, len(self.counts) - 1)]
        self.reads += 1
        self.events.append(f"count {count}")
        return count

    def note_message(self, calendar_id: str) -> int | None:
        self.events.append("note")
        return self.own

    def lease_is_live(self, calendar_id: str) -> bool:
        return False

    def acquire_lease(self, calendar_id: str, lease_seconds: float) -> SyncLease:
        return SyncLease(CALENDAR, "owner", self.message_count(calendar_id), 0)

    def finish_pass(self, lease: SyncLease, lease_seconds: float) -> bool:
        done = self.finishes.pop(0)
        self.events.append("finish" if done else "again")
        if not done:
            lease.seen = self.message_count("cal")
        return done

    def release_lease(self, lease: SyncLease) -> None:
        self.events.append("release")

    def fence(self, lease: SyncLease) -> LeaseFence:
        return NO_FENCE

    def commit_pass(self, lease: SyncLease, changes: dict[str, Any]) -> None:
        self.events.append("commit")


@dataclass
class FakeEngine:
    passes: list[int | None] = field(default_factory=list)
    events: list[str] | None = None

    def run_pass(
        self,
        calendar_id: str,
        messages_seen: int | None = None,
        commit: Callable[[dict[str, Any]], None] | None = None,
        fence: LeaseFence = NO_FENCE,
        calendar_state: CalendarState | None = None,
    ) -> None:
        assert calendar_state is CALENDAR  # as read under the lease: not read again
        self.passes.append(messages_seen)
        if self.events is not None:
            self.events.append(f"pass {messages_seen}")


def leased(leases: FakeLeases, settle: float, sleeps: list[float]) -> tuple[LeasedSync, FakeEngine]:
    engine = FakeEngine(events=leases.events)
    sync = LeasedSync(
        calendar_store=cast(CalendarStore, object()),
        lease_store=cast(LeaseStore, leases),
        engine=cast(CalendarSync, engine),
        function_timeout_seconds=60.0,
        settle_seconds=settle,
        clock=lambda: 0.0,
        sleep=sleeps.append,
    )
    return sync, engine


def test_a_lone_message_passes_at_once() -> None:
    leases = FakeLeases(counts=[5], own=5)
    sleeps: list[float] = []
    sync, _ = leased(leases, 0.1, sleeps)

    outcome = sync.sync_now("cal")

    assert outcome is Outcome.SYNCED
    assert sleeps == []
    assert leases.events == ["note", "count 5", "pass 5", "finish"]


def test_messages_after_the_holders_own_let_the_burst_settle_first() -> None:
    leases = FakeLeases(counts=[4, 9, 12, 12], own=1)
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.1, sleeps)

    sync.sync_now("cal")

    assert sleeps == [0.1] * 3
    assert engine.passes == [12]


def test_when_the_count_the_increment_made_is_unknown_the_holder_settles() -> None:
    leases = FakeLeases(counts=[5], own=None)
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.1, sleeps)

    sync.sync_now("cal")

    assert sleeps == [0.1]
    assert engine.passes == [5]


def test_messages_during_a_pass_settle_before_the_next() -> None:
    leases = FakeLeases(counts=[5, 8, 11, 11], own=5, finishes=[False, True])
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.1, sleeps)

    sync.sync_now("cal")

    assert engine.passes == [5, 11]
    assert sleeps == [0.1, 0.1]
    assert leases.events == [
        "note",
        "count 5",
        "pass 5",
        "again",
        "count 8",
        "count 11",
        "count 11",
        "pass 11",
        "finish",
    ]


def test_the_wait_is_bounded_even_if_messages_never_stop() -> None:
    leases = FakeLeases(counts=list(range(2, 100)), own=1)
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.2, sleeps)

    sync.sync_now("cal")

    assert sleeps == [0.2] * SETTLE_STEPS
    assert engine.passes == [2 + SETTLE_STEPS]


def test_no_settle_window_passes_at_once() -> None:
    leases = FakeLeases(counts=[3], own=1, finishes=[False, True])
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.0, sleeps)

    sync.sync_now("cal")

    assert sleeps == []
    assert engine.passes == [3, 3]


@pytest.mark.parametrize("first_pass", [True, False])
def test_the_sweep_never_waits(first_pass: bool) -> None:
    leases = FakeLeases(counts=[2, 4], finishes=[False, True])
    sleeps: list[float] = []
    sync, engine = leased(leases, 0.5, sleeps)
    lease = SyncLease(CALENDAR, "owner", 2, 0)

    sync.sync_under_lease(lease, first_pass=first_pass)

    assert sleeps == []
    assert engine.passes == ([2, 2] if first_pass else [2])


def test_a_count_read_below_what_the_lease_saw_never_lowers_it() -> None:
    leases = FakeLeases(counts=[6])  # the count document was removed meanwhile
    sleeps: list[float] = []
    sync, _ = leased(leases, 0.1, sleeps)
    lease = SyncLease(CALENDAR, "owner", 7, 0)

    sync.settle(lease)

    assert lease.seen == 7
    assert sleeps == [0.1]
