"""Benchmark 1: cold start of each function, beside a bare functions-framework function.

For every function: the time from process start (``Popen``) to its first answer (a
``PUT /``, which every entry point refuses with 405 before doing any work, and which the
bare function answers 200), and for ``create_conference`` the time from process start to
the first conference created (the first answer, then a create for a new event on a
calendar already set up: a 200 with ``conferenceData``; the event is inserted before the
process starts, so the test user's own Calendar call is not timed). ``sync_events`` also gets a push
message for an unknown channel (a real answer: a Firestore read). The bare function
(``bench/bare/main.py``) is served the same way in the same run; rounds are interleaved
so that load falls on all alike. Prints medians and their ratio to the bare function.

Run: .venv/bin/python -m bench.cold_start [ROUNDS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.support import BenchStack, header, median, ms, start_bench_stack, table
from local.ports import free_port
from local.process_group import stop_group
from local.stack import USER
from tests.support.calendar_user import CalendarUser, timed_event

REPO = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.002


def launch(source: Path, target: str, env: dict[str, str], log: Path) -> tuple[Any, str, float]:
    """Start functions-framework as FunctionProcess does; return (process, url, t0)."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    executable = Path(sys.executable).with_name("functions-framework")
    command = [str(executable), "--source", str(source), "--target", target]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with open(log, "ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}/", started


def first_answer(process: Any, url: str, deadline: float = 60.0) -> float:
    """perf_counter time of the first HTTP answer to ``PUT /`` (any status)."""
    end = time.monotonic() + deadline
    while True:
        try:
            requests.put(url, timeout=30)
            return time.perf_counter()
        except requests.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(f"the function exited with {process.returncode}") from None
            if time.monotonic() > end:
                raise
            time.sleep(POLL_SECONDS)


def measure(
    stack: BenchStack,
    folder: str,
    target: str,
    env: dict[str, str],
    then: Callable[[str], None] | None = None,
) -> tuple[float, float | None]:
    """(start to first answer, start to the end of ``then``) for one fresh process."""
    source = REPO / "functions" / folder / "main.py"
    if not source.exists():
        source = REPO / "bench" / folder / "main.py"
    process, url, started = launch(source, target, env, stack.folder / f"{target}.log")
    try:
        answered = first_answer(process, url)
        finished = None
        if then is not None:
            then(url)
            finished = time.perf_counter()
        return answered - started, (finished - started if finished is not None else None)
    finally:
        stop_group(process)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        try:
            run(stack, rounds)
        finally:
            stack.stop()


def run(stack: BenchStack, rounds: int) -> None:
    sync_url = f"http://127.0.0.1:{free_port()}/"  # only stored on channels here
    env = stack.env(sync_url)
    stack.calendar.control.create_calendar(USER, owner=USER, time_zone="Europe/Berlin")
    user = CalendarUser(stack.calendar.api_endpoint, USER)
    token = stack.token(USER)

    events: list[str] = []

    def new_event() -> None:
        event = user.insert(USER, timed_event("cold", "2031-01-01T10:00:00", "2031-01-01T11:00:00"))
        events.append(str(event["id"]))

    def create(url: str) -> None:
        # The event was inserted before the process started: what is timed is the
        # function's work (and the request), not the test user's Calendar call.
        body = {"solutionId": "1", "eventData": {"calendarId": USER, "eventId": events.pop()}}
        answer = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        if answer.status_code != 200 or "conferenceData" not in answer.json():
            raise RuntimeError(f"create answered {answer.status_code}: {answer.text[:200]}")

    def unknown_push(url: str) -> None:
        headers = {
            "X-Goog-Channel-ID": "ch-unknown",
            "X-Goog-Message-Number": "1",
            "X-Goog-Resource-ID": "r",
            "X-Goog-Resource-State": "exists",
            "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/x/events",
        }
        answer = requests.post(url, headers=headers, timeout=60)
        if answer.status_code != 200:
            raise RuntimeError(f"push answered {answer.status_code}: {answer.text[:200]}")

    # The calendar is set up for sync once (first conference), outside the figures.
    new_event()
    measure(stack, "create_conference", "create_conference", env, then=create)
    figures: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, folder, target, then in (
            ("bare", "bare", "bare", None),
            ("create_conference", "create_conference", "create_conference", create),
            ("sync_events", "sync_events", "sync_events", unknown_push),
            ("sweep", "sync_events", "sweep", None),
        ):
            if then is create:
                new_event()
            answer, done = measure(stack, folder, target, env, then)
            figures.setdefault(f"{name}: first answer", []).append(answer)
            if done is not None:
                label = "first conference" if name == "create_conference" else "first push"
                figures.setdefault(f"{name}: {label}", []).append(done)

    header(f"cold start, {rounds} rounds (medians; process start to ...)")
    bare = median(figures["bare: first answer"])
    rows = []
    for label, values in figures.items():
        rows.append(
            (
                label,
                ms(median(values)),
                ms(min(values)),
                ms(max(values)),
                f"{median(values) / bare:5.2f}x",
            )
        )
    table(rows, ("figure", "median", "min", "max", "/ bare"))


if __name__ == "__main__":
    main()
