"""Benchmark 5: a burst of 100 push messages within one second, one real change in it.

One calendar with a conference on one of its events, synced; ``sync_events`` served by
functions-framework (``THREADS=16``, as deployed) with the counting test provider. 100
push messages of its channel are sent within one second, each on its own connection:
spread evenly over the second (one every 10 ms), then, in a second run, all at once. Just
before message 50, the event with the conference is renamed (the one real change).
Counted: list passes (``events.list`` calls), provider calls, the time to acknowledge
each message (p50, p99), and the proof that the change was applied (the provider's
update carries the new title, and so does the record).

Run: .venv/bin/python -m bench.sync_burst [MESSAGES]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.big_calendar import BigCalendar, seed
from bench.support import (
    BenchStack,
    header,
    in_process_runtime,
    median,
    ms,
    percentile,
    start_bench_stack,
    table,
)
from local.ports import free_port
from shared.state.conferences import ConferenceKey
from tests.support.calendar_user import CalendarUser
from tests.support.counting_provider import CALLS

PROVIDER = "tests.support.counting_provider:make"


def burst(
    stack: BenchStack, big: BigCalendar, url: str, messages: int, spacing: float, title: str
) -> tuple[list[float], list[int], float]:
    """Send the burst; return (acknowledgement times, statuses, first to last send)."""
    user = CalendarUser(stack.calendar.api_endpoint, big.owner)
    latencies: list[float] = [0.0] * messages
    statuses: list[int] = [0] * messages
    sent_at: list[float] = [0.0] * messages
    sessions = threading.local()
    start = time.perf_counter() + 0.2

    def send(number: int) -> None:
        session = getattr(sessions, "session", None) or requests.Session()
        sessions.session = session
        if number == messages // 2:
            user.patch(big.calendar_id, big.mapped_ids[0], {"summary": title})
        delay = start + number * spacing - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        headers = {**big.channel, "X-Goog-Message-Number": str(10_000 + number)}
        # A new connection per message, as Calendar's deliveries come.
        sent = sent_at[number] = time.perf_counter()
        answer = requests.post(url, headers=headers, timeout=60)
        latencies[number] = time.perf_counter() - sent
        statuses[number] = answer.status_code

    with ThreadPoolExecutor(max_workers=messages) as pool:
        list(pool.map(send, range(messages)))
    return latencies, statuses, max(sent_at) - min(sent_at)


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        try:
            run(stack, messages)
        finally:
            stack.stop()


def run(stack: BenchStack, messages: int) -> None:
    env = stack.env(f"http://127.0.0.1:{free_port()}/", provider=PROVIDER)
    runtime = in_process_runtime(env)
    big = seed(stack, runtime, "burst@example.com", 20, 1)
    sync = stack.serve("sync_events", "sync_events", env)
    # A served instance that has answered a push already (warm), as in steady use.
    for number in range(3):
        headers = {**big.channel, "X-Goog-Message-Number": str(number + 1)}
        requests.post(sync.url, headers=headers, timeout=60).raise_for_status()
    control = stack.calendar.control
    db = runtime.conference_store._client
    key = ConferenceKey(big.calendar_id, big.mapped_ids[0], "1")
    rows = []
    for label, spacing in (("spread over 1 s", 1.0 / messages), ("all at once", 0.0)):
        for doc in db.collection(CALLS).stream():
            doc.reference.delete()
        control.clear_calls()
        title = f"renamed ({label})"
        latencies, statuses, took = burst(stack, big, sync.url, messages, spacing, title)
        lists = len(control.calls("events.list", big.calendar_id))
        updates = [
            snap.to_dict() or {}
            for snap in db.collection(CALLS).stream()
            if (snap.to_dict() or {}).get("op") == "update"
        ]
        record = runtime.conference_store.get(key)
        applied = (
            record is not None
            and record.spec.get("title") == title
            and any(u.get("spec", {}).get("title") == title for u in updates)
        )
        rows.append(
            (
                label,
                f"{took:5.2f} s",
                str(lists),
                str(len(updates)),
                ms(median(latencies)),
                ms(percentile(latencies, 0.99)),
                ms(max(latencies)),
                ",".join(str(s) for s in sorted(set(statuses))),
                "yes" if applied else "NO",
            )
        )
    header(f"burst of {messages} push messages, one real change in the middle")
    table(
        rows,
        (
            "burst",
            "sent over",
            "list passes",
            "provider calls",
            "ack p50",
            "ack p99",
            "ack max",
            "answers",
            "change applied",
        ),
    )


if __name__ == "__main__":
    main()
