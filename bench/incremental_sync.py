"""Benchmark 4: incremental sync of k edits on a calendar of 10,000 events.

The calendar of ``bench/big_calendar.py`` (1,000 of its 10,000 events with our
conference), in the steady state. For k = 1, 100, 1,000 and 10,000: k events are edited
through the Calendar API, a tenth of them (at least one) events with a conference whose
title changes (relevant to the meeting), the others events without one; then one
incremental pass runs in this process, under the lease as the webhook runs it. Counted:
Calendar requests (and the pages the server returns at ``maxResults`` 2500, the floor),
Firestore round trips (RPCs) in all and per page, provider calls (the floor: the relevant
changes), wall time. No edit is a cancellation; the calls that cancellations cause
(confirming with ``events.get``, looking for a moved event) are measured apart, on 10
cancelled events with conferences among 100 edits.

Run: .venv/bin/python -m bench.incremental_sync [K,K,...]
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.big_calendar import BigCalendar, seed
from bench.provider import CALLS
from bench.support import (
    BenchStack,
    FirestoreCounter,
    header,
    in_process_runtime,
    ms,
    start_bench_stack,
    table,
)
from local.ports import free_port
from shared.state.firestore_client import firestore_client
from tests.support.calendar_user import CalendarUser

PROVIDER = "bench.provider:make"
PAGE = 2500
THREADS = 6


def edit(
    stack: BenchStack, big: BigCalendar, changes: list[tuple[str, dict[str, Any] | None]]
) -> None:
    """Apply (event id, patch) pairs through the API; a None patch deletes the event."""
    per_thread = [changes[i::THREADS] for i in range(THREADS)]

    def work(part: list[tuple[str, dict[str, Any] | None]]) -> None:
        user = CalendarUser(stack.calendar.api_endpoint, big.owner)
        for event_id, patch in part:
            if patch is None:
                user.delete(big.calendar_id, event_id)
            else:
                user.patch(big.calendar_id, event_id, patch)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(work, per_thread))


def main() -> None:
    ks = [int(k) for k in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1, 100, 1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        try:
            run(stack, ks)
        finally:
            stack.stop()


def run(stack: BenchStack, ks: list[int]) -> None:
    env = stack.env(f"http://127.0.0.1:{free_port()}/", provider=PROVIDER)
    runtime = in_process_runtime(env)
    counter = FirestoreCounter(firestore_client(runtime.settings.project))
    control = stack.calendar.control
    big = seed(stack, runtime, "incremental@example.com", 10_000, 1_000)

    def one_pass() -> tuple[float, Counter[str], int, int]:
        control.clear_calls()
        counter.reset()
        before = Counter(CALLS)
        started = time.perf_counter()
        outcome = runtime.leased_sync.sync_now(big.calendar_id)
        elapsed = time.perf_counter() - started
        if outcome.value != "synced":
            raise RuntimeError(f"pass: {outcome}")
        methods = Counter(str(call["method"]) for call in control.calls())
        provider = sum((CALLS - before).values())
        return elapsed, methods, counter.total, provider

    rows = []
    for round_number, k in enumerate(ks):
        relevant = math.ceil(k / 10)
        changes: list[tuple[str, dict[str, Any] | None]] = [
            (event_id, {"summary": f"edited {round_number} {event_id}"})
            for event_id in big.mapped_ids[:relevant]
        ]
        changes += [
            (event_id, {"description": f"edited {round_number}"})
            for event_id in big.unmapped_ids[: k - relevant]
        ]
        edit(stack, big, changes)
        elapsed, methods, firestore_trips, provider = one_pass()
        pages = max(1, math.ceil(k / PAGE))
        lists = methods["events.list"]
        rows.append(
            (
                f"{k:,}",
                f"{lists} (floor {pages})",
                str(sum(methods.values()) - lists),
                str(firestore_trips),
                f"{firestore_trips / lists:5.1f}",
                f"{provider} (floor {relevant})",
                ms(elapsed),
            )
        )

    # Cancellations, apart: 10 events with conferences cancelled among 100 edits.
    cancelled = big.mapped_ids[-10:]
    changes = [(event_id, None) for event_id in cancelled]
    changes += [(event_id, {"description": "edited again"}) for event_id in big.unmapped_ids[:90]]
    edit(stack, big, changes)
    elapsed, methods, firestore_trips, provider = one_pass()

    header("incremental sync of k edits (a tenth relevant to a meeting), one pass each")
    table(
        rows,
        (
            "k edits",
            "events.list",
            "other Calendar",
            "Firestore RPCs",
            "per list page",
            "provider calls",
            "wall time",
        ),
    )
    others = ", ".join(
        f"{name} {n}" for name, n in sorted(methods.items()) if name != "events.list"
    )
    print(
        f"   cancellations, apart: 10 cancelled events with conferences among 100 edits:"
        f" events.list {methods['events.list']}, {others}; Firestore {firestore_trips} RPCs;"
        f" provider calls {provider} (deletes); {ms(elapsed).strip()}"
    )


if __name__ == "__main__":
    main()
