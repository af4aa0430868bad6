"""Benchmark 7: the sweep at scale: 10,000 calendars whose channels are due for renewal.

10,000 calendars, ready for sync, each with a channel whose renewal is due, are written
to the emulator in bulk (and made on the local Calendar server, whose push messages go
to a stub that answers 200). The sweep runs in this process with the product's own
objects: once with the default settings (``SWEEP_BATCH_SIZE`` 50), then once with a
batch of ``BIG_BATCH`` to measure the rate. Printed: renewals per run and per minute,
Firestore round trips and reads per renewal, Calendar calls per renewal, the time one
run takes, and how many calendars one sweep every 5 minutes keeps renewed (channels
live 7 days and are renewed a day before they expire: N/6 renewals a day).

Run: .venv/bin/python -m bench.sweep_scale [CALENDARS] [BIG_BATCH]
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.support import (
    BenchStack,
    FirestoreCounter,
    header,
    in_process_runtime,
    start_bench_stack,
    table,
)
from local.serving import BackgroundServer
from shared.state.calendars import CALENDARS, calendar_doc_id
from shared.state.channels import CHANNELS
from shared.state.firestore_client import firestore_client

RUNS_PER_DAY = 24 * 60 // 5


def stub_webhook(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def seed(stack: BenchStack, db: Any, count: int) -> list[str]:
    ids = [f"c{i:05d}@example.com" for i in range(count)]
    control = stack.calendar.control
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda c: control.create_calendar(c, owner=c), ids))
    now = datetime.now(UTC)
    for start in range(0, count, 250):
        batch = db.batch()
        for index, calendar_id in enumerate(ids[start : start + 250], start):
            channel_id = f"ch-old-{index:05d}"
            batch.set(
                db.collection(CALENDARS).document(calendar_doc_id(calendar_id)),
                {
                    "calendarId": calendar_id,
                    "syncUser": calendar_id,
                    "timeZone": "UTC",
                    "setupState": "ready",
                    "setupError": None,
                    "setupDueAt": None,
                    "syncToken": "token",
                    "activeChannelId": channel_id,
                    "channelExpiresAt": now + timedelta(hours=12),
                    "renewAt": now - timedelta(minutes=1) + timedelta(milliseconds=index),
                    "lastSyncAt": now,
                    "messagesServed": 0,
                    "createdAt": now,
                    "updatedAt": now,
                },
            )
            batch.set(
                db.collection(CHANNELS).document(channel_id),
                {
                    "channelId": channel_id,
                    "calendarId": calendar_id,
                    "tokenHash": hashlib.sha256(b"old").hexdigest(),
                    "resourceId": f"res-{index}",
                    "expiration": now + timedelta(hours=12),
                    "stopped": False,
                    "createdAt": now,
                },
            )
        batch.commit()
    return ids


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    big_batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_bench_stack(Path(tmp))
        webhook = BackgroundServer(stub_webhook, name="stub-webhook")
        webhook.start()
        try:
            run(stack, f"{webhook.base_url}/", count, big_batch)
        finally:
            webhook.stop()
            stack.stop()


def run(stack: BenchStack, webhook_url: str, count: int, big_batch: int) -> None:
    base = stack.env(webhook_url)
    db = firestore_client(base["GOOGLE_CLOUD_PROJECT"])
    counter = FirestoreCounter(db)
    started = time.perf_counter()
    seed(stack, db, count)
    print(f"   seeded {count:,} calendars in {time.perf_counter() - started:.0f} s")
    control = stack.calendar.control
    rows = []
    figures: dict[str, tuple[int, float]] = {}
    for label, batch in (("default settings", 50), (f"batch of {big_batch:,}", big_batch)):
        sweep = in_process_runtime({**base, "SWEEP_BATCH_SIZE": str(batch)}).sweep
        control.clear_calls()
        counter.reset()
        started = time.perf_counter()
        report = sweep.do_due_work()
        elapsed = time.perf_counter() - started
        renewed = report["renewed"]
        trips, reads, documents = counter.snapshot()
        calls = Counter(str(call["method"]) for call in control.calls())
        calendar_calls = sum(calls.values())
        figures[label] = (renewed, elapsed)
        per = max(1, renewed)
        rows.append(
            (
                f"{label} (SWEEP_BATCH_SIZE {batch})",
                f"{renewed:,}",
                f"{elapsed:7.2f} s",
                f"{renewed / elapsed * 60:7.0f}",
                f"{trips / per:5.1f}",
                f"{reads / per:5.1f}",
                f"{documents / per:5.1f}",
                f"{calendar_calls / per:4.1f}",
            )
        )
    header(f"sweep: {count:,} calendars whose channels are due")
    table(
        rows,
        (
            "run",
            "renewed",
            "one run",
            "renewals/min",
            "Firestore RPCs/renewal",
            "read RPCs",
            "docs read",
            "Calendar calls",
        ),
    )
    per_run, _ = figures["default settings"]
    renewed, elapsed = figures[f"batch of {big_batch:,}"]
    rate = renewed / elapsed
    kept = per_run * RUNS_PER_DAY * 6
    budget = base.get("SWEEP_BUDGET_SECONDS") or "240"
    by_time = int(rate * float(budget))
    print(
        f"   arithmetic: one sweep every 5 minutes = {RUNS_PER_DAY} runs a day; channels are"
        f" renewed every 6 days, so N calendars need N/6 renewals a day."
    )
    print(
        f"   with SWEEP_BATCH_SIZE 50: {per_run} renewals a run x {RUNS_PER_DAY} = "
        f"{per_run * RUNS_PER_DAY:,} a day, enough for N = {kept:,} calendars."
    )
    print(
        f"   at the measured {rate * 60:,.0f} renewals a minute, one run's budget of {budget} s"
        f" renews about {by_time:,}: a batch that large would keep"
        f" N = {by_time * RUNS_PER_DAY * 6:,} calendars renewed (if the renewal query is not"
        f" the limit)."
    )


if __name__ == "__main__":
    main()
