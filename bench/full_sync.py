"""Benchmarks 3 and 6: the full sync after a 410, beside its floor; sync_events' memory.

A calendar of 10,000 events, 1,000 of them with our conference (``bench/big_calendar.py``),
in the steady state. Each round, in this order:

- the bare listing: the same pages a full sync reads (``maxResults`` 2500, ``timeMin``),
  nothing done with them: the floor;
- the full sync in this process, with the product's own objects (the sync tokens are
  expired first, so the pass meets a 410 and lists everything), under the lease as the
  webhook runs it;
- end to end: the same through a push message to the served ``sync_events``, answered
  once the sync is done;

and once, the seed approach (``seed_approach`` below): ``events.list`` with
``maxResults=50`` and one Firestore lookup per listed event.

Memory (benchmark 6): the peak RSS (VmHWM) of ``sync_events``' worker through one full
sync by push message, for calendars of 2,500 to 20,000 events, each with the same 1,000
conferences: flat in the number of events when pages are processed as they stream. The
worker is started afresh and warmed (pushes for an unknown channel) first; its peak is
then reset (``/proc/PID/clear_refs``), so the peak is the sync's; the peak since the
process started is printed too.

Run: .venv/bin/python -m bench.full_sync [ROUNDS] [SIZES]   (SIZES e.g. 2500,10000,20000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.big_calendar import BigCalendar, PushSender, seed
from bench.provider import CALLS
from bench.support import (
    BenchStack,
    FirestoreCounter,
    header,
    in_process_runtime,
    median,
    ms,
    peak_rss_mib,
    rss_mib,
    start_bench_stack,
    table,
    worker_pid,
)
from local.ports import free_port
from shared.state.conferences import ConferenceKey
from shared.state.firestore_client import firestore_client

PROVIDER = "bench.provider:make"
MAPPED = 1_000


def window_start(runtime: Any) -> str:
    lookback = timedelta(days=runtime.settings.full_sync_lookback_days)
    return (datetime.now(UTC) - lookback).isoformat()


def bare_listing(runtime: Any, big: BigCalendar) -> tuple[float, int, int]:
    """(seconds, pages, events): the full sync's pages, nothing done with them."""
    api = runtime.calendar_api
    started = time.perf_counter()
    pages = items = 0
    page_token: str | None = None
    time_min = window_start(runtime)
    while True:
        page = api.list_events_page(
            big.owner, big.calendar_id, page_token=page_token, time_min=time_min
        )
        pages += 1
        items += len(page.get("items") or [])
        if page.get("nextSyncToken"):
            return time.perf_counter() - started, pages, items
        page_token = page.get("nextPageToken")


def seed_approach(runtime: Any, big: BigCalendar) -> tuple[float, int, int]:
    """(seconds, pages, lookups): events.list with maxResults=50 and one Firestore
    lookup per listed event (the approach the full sync is measured against)."""
    api = runtime.calendar_api
    store = runtime.conference_store
    started = time.perf_counter()
    pages = lookups = 0
    page_token: str | None = None
    params: dict[str, Any] = {
        "calendarId": big.calendar_id,
        "maxResults": 50,
        "singleEvents": False,
        "timeMin": window_start(runtime),
    }
    while True:
        if page_token:
            params["pageToken"] = page_token
        request = api._resource().events().list(**params)
        page = api._execute(big.owner, request, "events.list", listing=True)
        pages += 1
        for item in page.get("items") or []:
            store.get(ConferenceKey(big.calendar_id, str(item["id"]), "1"))
            lookups += 1
        page_token = page.get("nextPageToken")
        if not page_token:
            return time.perf_counter() - started, pages, lookups


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = (
        [int(s) for s in sys.argv[2].split(",")]
        if len(sys.argv) > 2
        else [2500, 5000, 10000, 20000]
    )
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        try:
            run(stack, rounds, sizes)
        finally:
            stack.stop()


def run(stack: BenchStack, rounds: int, sizes: list[int]) -> None:
    env = stack.env(f"http://127.0.0.1:{free_port()}/", provider=PROVIDER)
    runtime = in_process_runtime(env)
    counter = FirestoreCounter(firestore_client(runtime.settings.project))
    control = stack.calendar.control
    calendars = {
        size: seed(stack, runtime, f"big{size}@example.com", size, min(size, MAPPED))
        for size in sorted(set(sizes) | {10_000})
    }
    big = calendars[10_000]
    print(f"   seeded {len(calendars)} calendars; 10,000 events in {big.seeded_in:.0f} s")
    sync = stack.serve("sync_events", "sync_events", env)

    def full_here() -> tuple[float, int, int, int]:
        control.expire_sync_tokens(big.calendar_id)
        control.clear_calls()
        counter.reset()
        before = sum(CALLS.values())
        started = time.perf_counter()
        outcome = runtime.leased_sync.sync_now(big.calendar_id)
        elapsed = time.perf_counter() - started
        if outcome.value != "synced":
            raise RuntimeError(f"full sync: {outcome}")
        return elapsed, len(control.calls()), counter.total, sum(CALLS.values()) - before

    def full_over_http(process: Any, sender: PushSender) -> float:
        control.expire_sync_tokens(big.calendar_id)
        started = time.perf_counter()
        answer = requests.post(process.url, headers=sender.headers(), timeout=300)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200 or answer.json().get("outcome") != "synced":
            raise RuntimeError(f"push answered {answer.status_code}: {answer.text[:200]}")
        return elapsed

    sender = PushSender(big.channel)
    full_over_http(sync, sender)  # warm the served instance
    bares: list[float] = []
    heres: list[float] = []
    overs: list[float] = []
    counts: list[tuple[int, int, int]] = []
    for _ in range(rounds):
        seconds, pages, listed = bare_listing(runtime, big)
        bares.append(seconds)
        elapsed, calendar_requests, firestore_trips, provider_calls = full_here()
        heres.append(elapsed)
        counts.append((calendar_requests, firestore_trips, provider_calls))
        overs.append(full_over_http(sync, sender))
    seed_seconds, seed_pages, lookups = seed_approach(runtime, big)

    header(f"full sync after a 410: 10,000 events, 1,000 with conferences ({rounds} rounds)")
    floor = median(bares)
    rows = [
        ("bare listing (floor)", f"{floor:7.2f} s", f"{pages} pages", "1.00x", ""),
        (
            "seed approach (maxResults 50, a lookup per event)",
            f"{seed_seconds:7.2f} s",
            f"{seed_pages} pages, {lookups} lookups",
            f"{seed_seconds / floor:5.2f}x",
            "1.0x",
        ),
        (
            "full sync, in process",
            f"{median(heres):7.2f} s",
            f"{counts[-1][0]} Calendar, {counts[-1][1]} Firestore RPCs",
            f"{median(heres) / floor:5.2f}x",
            f"{seed_seconds / median(heres):5.1f}x",
        ),
        (
            "full sync end to end (push to answer)",
            f"{median(overs):7.2f} s",
            "",
            f"{median(overs) / floor:5.2f}x",
            f"{seed_seconds / median(overs):5.1f}x",
        ),
    ]
    table(rows, ("figure", "median", "cost", "/ floor", "faster than seed"))
    print(f"   listed {listed} events; provider calls in a full sync: {counts[-1][2]}")

    header("memory: sync_events' peak RSS through one full sync (1,000 conferences each)")
    memory_rows = []
    for size in sorted(sizes):
        calendar = calendars[size]
        sync.restart()
        unknown = {
            **calendar.channel,
            "X-Goog-Channel-ID": "ch-unknown",
            "X-Goog-Message-Number": "1",
        }
        for _ in range(2):  # up, and warm: the push path's modules and clients are built
            requests.post(sync.url, headers=unknown, timeout=60)
        pid = worker_pid(sync)
        if pid is None:
            raise RuntimeError("no worker process")
        since_start = peak_rss_mib(pid)
        reset_peak(pid)
        idle = rss_mib(pid)
        started = time.perf_counter()
        control.expire_sync_tokens(calendar.calendar_id)
        answer = requests.post(
            sync.url, headers=PushSender(calendar.channel).headers(), timeout=300
        )
        elapsed = time.perf_counter() - started
        if answer.json().get("outcome") != "synced":
            raise RuntimeError(f"memory run: {answer.text[:200]}")
        peak = peak_rss_mib(pid)
        memory_rows.append(
            (
                f"{size:,} events",
                f"{idle:6.1f} MiB",
                f"{peak:6.1f} MiB",
                f"{peak - idle:6.1f} MiB",
                f"{max(peak, since_start):6.1f} MiB",
                ms(elapsed),
            )
        )
    table(
        memory_rows,
        ("calendar", "RSS before", "peak in sync", "growth", "peak since start", "full sync"),
    )


def reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


if __name__ == "__main__":
    main()
