"""Benchmark 2: warm create latency beside its floor, and where the time goes.

The create path runs in this process with the product's own objects (``Runtime``: the
same Calendar client, Firestore client and provider as a served instance), warm, on a
calendar already set up for sync; the local Calendar server runs in its own process.
Beside it, in the same run and with the same clients, the floor: one Calendar read
(``events.get``), one Firestore create and one update. Rounds alternate between the two.
For each create: the wall time spent in Calendar, Firestore and the provider (overlapping
calls counted once), and its round trips. Then the same creates over HTTP, served by
functions-framework (token check and HTTP included). Provider: Jitsi (the default).

Run: .venv/bin/python -m bench.create_latency [N]
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.support import (
    BenchStack,
    FirestoreCounter,
    Intervals,
    header,
    in_process_runtime,
    median,
    ms,
    percentile,
    start_bench_stack,
    table,
    timed,
)
from local.ports import free_port
from local.stack import USER
from shared.http.create_request import CreateRequest
from shared.state.firestore_client import firestore_client

FLOOR_COLLECTION = "benchFloor"


def event_body(index: int) -> dict[str, Any]:
    return {
        "summary": f"bench {index}",
        "start": {"dateTime": "2031-01-01T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2031-01-01T11:00:00", "timeZone": "Europe/Berlin"},
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        try:
            run(stack, count)
        finally:
            stack.stop()


def run(stack: BenchStack, count: int) -> None:
    env = stack.env(f"http://127.0.0.1:{free_port()}/")
    control = stack.calendar.control
    control.create_calendar(USER, owner=USER, time_zone="Europe/Berlin")
    control.drop_next_messages(USER, 10**9)  # no push messages to the unserved webhook
    served = stack.serve("create_conference", "create_conference", env)
    runtime = in_process_runtime(env)
    creator = runtime.creator
    api = runtime.calendar_api
    db = firestore_client(runtime.settings.project)

    intervals = Intervals()
    counter = FirestoreCounter(db, intervals)
    calendar_calls = [0]
    execute = api._execute

    def counted_execute(*args: Any, **kwargs: Any) -> Any:
        calendar_calls[0] += 1
        return execute(*args, **kwargs)

    api._execute = timed(counted_execute, "calendar", intervals)
    provider = runtime.provider
    provider.create = timed(provider.create, "provider", intervals)

    events = control.insert_events(USER, [event_body(i) for i in range(3 * count + 10)])
    ids = [str(e["id"]) for e in events]
    read_ids, ids = ids[:count], ids[count:]  # the floor reads events nobody creates on
    token = stack.token(USER)

    def create_here(event_id: str) -> float:
        started = time.perf_counter()
        outcome = creator.create(CreateRequest("1", USER, event_id), USER)
        elapsed = time.perf_counter() - started
        if outcome.conference_data is None:
            raise RuntimeError(f"create refused: {outcome.error}")
        return elapsed

    def create_over_http(event_id: str) -> float:
        body = {"solutionId": "1", "eventData": {"calendarId": USER, "eventId": event_id}}
        started = time.perf_counter()
        answer = requests.post(
            served.url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        elapsed = time.perf_counter() - started
        if answer.status_code != 200 or "conferenceData" not in answer.json():
            raise RuntimeError(f"create answered {answer.status_code}")
        return elapsed

    def floor(event_id: str) -> float:
        started = time.perf_counter()
        api.get_event(USER, USER, event_id)
        ref = db.collection(FLOOR_COLLECTION).document(secrets.token_hex(16))
        ref.create({"calendarId": USER, "eventId": event_id, "state": "pending"})
        ref.update({"state": "ready", "meetingId": event_id})
        return time.perf_counter() - started

    # Warm-up: the first create sets the calendar up for sync (outside the figures).
    create_here(ids.pop())
    create_over_http(ids.pop())
    for _ in range(3):
        floor(read_ids[0])
        create_here(ids.pop())
        create_over_http(ids.pop())

    floors: list[float] = []
    creates: list[float] = []
    https: list[float] = []
    shares: dict[str, list[float]] = {"calendar": [], "firestore": [], "provider": []}
    trips: list[tuple[int, int]] = []
    for index in range(count):
        steps = ("floor", "create", "http") if index % 2 else ("create", "floor", "http")
        for step in steps:
            if step == "floor":
                floors.append(floor(read_ids[index]))
            elif step == "create":
                intervals.clear()
                counter.reset()
                calendar_calls[0] = 0
                elapsed = create_here(ids.pop())
                creates.append(elapsed)
                for category, values in shares.items():
                    values.append(intervals.covered(category) / elapsed)
                trips.append((calendar_calls[0], counter.total))
            else:
                https.append(create_over_http(ids.pop()))

    header(f"warm create, {count} creates (Jitsi; the calendar already set up)")
    base = median(floors)
    table(
        [
            (
                "floor: events.get + Firestore create + update",
                ms(base),
                ms(percentile(floors, 0.95)),
                "1.00x",
            ),
            (
                "create (in process)",
                ms(median(creates)),
                ms(percentile(creates, 0.95)),
                f"{median(creates) / base:4.2f}x",
            ),
            (
                "create over HTTP (token check, edge)",
                ms(median(https)),
                ms(percentile(https, 0.95)),
                f"{median(https) / base:4.2f}x",
            ),
        ],
        ("figure", "p50", "p95", "p50 / floor"),
    )
    print(
        "   share of a create (median): "
        + ", ".join(f"{name} {median(values) * 100:4.1f}%" for name, values in shares.items())
        + f", other {100 - sum(median(v) for v in shares.values()) * 100:4.1f}%"
    )
    calendar_trips = median([float(c) for c, _ in trips])
    firestore_trips = median([float(f) for _, f in trips])
    print(
        f"   round trips per create (median): Calendar {calendar_trips:.0f} requests,"
        f" Firestore {firestore_trips:.0f} RPCs; floor: 1 and 2"
    )


if __name__ == "__main__":
    main()
