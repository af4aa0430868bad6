"""Benchmark: a burst of push messages for one calendar on the local stack.

Prints how long the burst took, webhook latencies, and how many events.list calls and
provider updates it cost; asserts nothing.
Run: .venv/bin/python -m bench.sync_burst [MESSAGES] [CONCURRENCY]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.scenarios import channel_of, conference_on_event, push, push_headers, settle
from tests.support.stack import PROJECT, start_stack, stop_stack


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            stack.emulator.clear(PROJECT)
            scenario = conference_on_event(stack)
            channel = channel_of(stack, scenario.calendar_id)
            stack.calendar.control.clear_calls()
            latencies: list[float] = []

            def send(number: int) -> int:
                if number == messages // 2:
                    scenario.user.patch(scenario.calendar_id, scenario.event_id, {"summary": "x"})
                started = time.perf_counter()
                status = push(stack, push_headers(channel, 1000 + number)).status_code
                latencies.append(time.perf_counter() - started)
                return status

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                statuses = list(pool.map(send, range(messages)))
            settle(stack)
            elapsed = time.perf_counter() - started
            lists = len(stack.calendar.control.calls("events.list"))
            updates = len(stack.provider_calls("update"))
        finally:
            stop_stack(stack)

    ordered = sorted(latencies)
    print(f"messages            {messages} ({concurrency} at a time)")
    print(f"burst took          {elapsed:6.2f} s  ({messages / elapsed:6.1f} messages/s)")
    print(
        f"webhook latency     median {statistics.median(ordered) * 1000:6.1f} ms"
        f"  p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:6.1f} ms"
        f"  max {ordered[-1] * 1000:6.1f} ms"
    )
    print(f"answers             {sorted(set(statuses))}")
    print(f"events.list calls   {lists}")
    print(f"provider updates    {updates}")


if __name__ == "__main__":
    main()
