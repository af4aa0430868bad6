"""Benchmark: create_conference latency over HTTP on the local stack, and cold imports.

Prints figures; asserts nothing. Run: .venv/bin/python -m bench.create_latency [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.stack import PROJECT, start_stack, stop_stack


def cold_import_seconds(module: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            stack.emulator.clear(PROJECT)
            owner = "bench@example.com"
            stack.calendar.control.create_calendar(owner, owner=owner, time_zone="UTC")
            user = CalendarUser(stack.calendar.api_endpoint, owner)
            first: list[float] = []
            repeat: list[float] = []
            for index in range(count):
                event = user.insert(
                    owner,
                    timed_event(f"bench {index}", "2031-01-01T10:00:00", "2031-01-01T11:00:00"),
                )
                started = time.perf_counter()
                answer = stack.create_conference(owner, owner, event["id"])
                first.append(time.perf_counter() - started)
                assert answer.status_code == 200
                started = time.perf_counter()
                stack.create_conference(owner, owner, event["id"])
                repeat.append(time.perf_counter() - started)
            stack.calendar.wait_for_deliveries(timeout=60)
        finally:
            stop_stack(stack)

    def describe(name: str, values: list[float]) -> None:
        ordered = sorted(values)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        print(
            f"{name:<28} n={len(values):<4} median={statistics.median(values) * 1000:7.1f} ms"
            f"  p95={p95 * 1000:7.1f} ms  max={ordered[-1] * 1000:7.1f} ms"
        )

    describe("create (first, incl. set-up)", first[:1])
    describe("create (new event)", first[1:])
    describe("create (retry, same event)", repeat)
    for module in ("functions_framework", "shared.runtime"):
        print(f"cold import {module:<22} {cold_import_seconds(module) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
