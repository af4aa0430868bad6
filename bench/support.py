"""What the benchmarks share: the local stack, counters, timers and tables.

Benchmarks print figures and assert nothing. Everything here is bench tooling, never
deployed: it reaches into the Firestore client's transport to count round trips, and
into the local Calendar server's state to seed it quickly.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from local.fakes.token_issuer import TokenIssuer
from local.firestore_emulator import FirestoreEmulator
from local.function_process import REPO_ROOT, FunctionProcess
from local.ports import free_port, port_open, wait_until
from local.process_group import stop_group
from local.stack import AUDIENCE, DOMAIN, PROJECT
from local.stack import function_env as local_function_env

#: The Firestore RPCs of google-cloud-firestore's GAPIC client that cross the wire.
FIRESTORE_RPCS = (
    "batch_get_documents",
    "run_query",
    "commit",
    "begin_transaction",
    "rollback",
    "batch_write",
    "list_documents",
    "run_aggregation_query",
    "partition_query",
)
READ_RPCS = frozenset({"batch_get_documents", "run_query", "run_aggregation_query"})


def machine() -> str:
    """One line naming the machine: CPUs, model, Python."""
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import platform

    return f"{os.cpu_count()} CPUs ({model or 'unknown model'}), Python {platform.python_version()}"


def load() -> str:
    """The load averages (1, 5, 15 minutes) as printed beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"   {machine()}; {load()}; {time.strftime('%Y-%m-%d %H:%M:%S')}")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def table(rows: Sequence[Sequence[object]], headings: Sequence[str]) -> None:
    """A plain text table (the first column left-aligned, the others right-aligned)."""
    cells = [[str(h) for h in headings], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headings))]
    for index, row in enumerate(cells):
        line = "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        print("   " + line)
        if index == 0:
            print("   " + "  ".join("-" * w for w in widths))


# -- counting and timing ---------------------------------------------------------------
@dataclass
class Intervals:
    """Wall-time intervals per category; overlapping intervals of one category (parallel
    calls) count once."""

    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, category: str, start: float, end: float) -> None:
        with self.lock:
            self.spans.setdefault(category, []).append((start, end))

    def covered(self, category: str) -> float:
        """The wall time covered by the category's intervals (their union)."""
        with self.lock:
            spans = sorted(self.spans.get(category, []))
        total, current_start, current_end = 0.0, None, None
        for start, end in spans:
            if current_end is None or start > current_end:
                if current_end is not None and current_start is not None:
                    total += current_end - current_start
                current_start, current_end = start, end
            else:
                current_end = max(current_end, end)
        if current_end is not None and current_start is not None:
            total += current_end - current_start
        return total

    def clear(self) -> None:
        with self.lock:
            self.spans.clear()


def timed(call: Callable[..., Any], category: str, intervals: Intervals) -> Callable[..., Any]:
    """``call`` wrapped so that each call's wall time is added to ``category``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            intervals.add(category, started, time.perf_counter())

    return wrapper


class FirestoreCounter:
    """Counts the RPCs (round trips) a Firestore client makes, by method, and times them.

    It wraps the methods of the client's GAPIC layer, so every read, query, transaction
    and write of the product code through that client is counted where it leaves the
    process. Streaming RPCs count once when started.
    """

    def __init__(self, client: Any, intervals: Intervals | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.documents_read = 0
        self._lock = threading.Lock()
        self._intervals = intervals
        api = client._firestore_api  # the GAPIC client, built once per client
        for name in FIRESTORE_RPCS:
            original = getattr(api, name, None)
            if original is not None:
                setattr(api, name, self._wrap(name, original))

    def _wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                if name in READ_RPCS:
                    result = self._counting_stream(result, name, started)
                return result
            finally:
                if self._intervals is not None and name not in READ_RPCS:
                    self._intervals.add("firestore", started, time.perf_counter())

        return counted

    def _counting_stream(self, stream: Any, name: str, started: float) -> Iterator[Any]:
        try:
            for item in stream:
                found: Any = getattr(item, "found", None) or getattr(item, "document", None)
                if found is not None and bool(getattr(found, "name", None)):
                    with self._lock:
                        self.documents_read += 1
                yield item
        finally:
            if self._intervals is not None:
                self._intervals.add("firestore", started, time.perf_counter())

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    @property
    def reads(self) -> int:
        with self._lock:
            return sum(n for name, n in self.calls.items() if name in READ_RPCS)

    def snapshot(self) -> tuple[int, int, int]:
        """(round trips, read RPCs, documents read) so far."""
        with self._lock:
            total = sum(self.calls.values())
            reads = sum(n for name, n in self.calls.items() if name in READ_RPCS)
            return total, reads, self.documents_read

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.documents_read = 0


# -- the local Calendar server, in a process of its own ------------------------------------
class RemoteControl:
    """The Calendar server's control API over HTTP (``/_control``), with the signatures of
    :class:`local.fakes.calendar_server.Control` for what the benchmarks use."""

    def __init__(self, base_url: str) -> None:
        self._base = f"{base_url}/_control"
        self._session = requests.Session()

    def _call(
        self, verb: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        answer = self._session.request(
            verb, self._base + path, json=body, params=params or None, timeout=600
        )
        if answer.status_code != 200:
            raise RuntimeError(f"control {path} answered {answer.status_code}: {answer.text}")
        return answer.json()

    def create_calendar(
        self, calendar_id: str, owner: str | None = None, *, time_zone: str = "UTC"
    ) -> dict[str, Any]:
        body = {"id": calendar_id, "owner": owner, "timeZone": time_zone}
        return dict(self._call("POST", "/calendars", body))

    def insert_events(
        self, calendar_id: str, bodies: Sequence[dict[str, Any]], chunk: int = 1000
    ) -> list[dict[str, Any]]:
        made: list[dict[str, Any]] = []
        for start in range(0, len(bodies), chunk):
            part = list(bodies[start : start + chunk])
            made += self._call("POST", f"/calendars/{calendar_id}/events", {"events": part})[
                "items"
            ]
        return made

    def save_conference_as_editor(
        self, calendar_id: str, event_id: str, conference_data: dict[str, Any], *, script_id: str
    ) -> dict[str, Any]:
        body = {"conferenceData": conference_data, "scriptId": script_id}
        path = f"/calendars/{calendar_id}/events/{event_id}/editor-conference"
        return dict(self._call("POST", path, body))

    def expire_sync_tokens(self, calendar_id: str) -> None:
        self._call("POST", f"/calendars/{calendar_id}/expire-sync-tokens")

    def drop_next_messages(self, calendar_id: str, count: int = 1) -> None:
        self._call("POST", f"/calendars/{calendar_id}/drop-messages", {"count": count})

    def calls(self, method: str | None = None, calendar_id: str | None = None) -> list[Any]:
        params = {k: v for k, v in (("method", method), ("calendarId", calendar_id)) if v}
        return list(self._call("GET", "/calls", params=params)["calls"])

    def clear_calls(self) -> None:
        self._call("DELETE", "/calls")

    def channels(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/channels")["channels"])

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        self._call("POST", "/deliveries/wait", {"timeout": timeout})


class RemoteCalendar:
    """``python -m local.fakes.calendar_server`` as a process of its own, so that its work
    never shares a GIL with what is measured."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_endpoint = f"{self.base_url}/calendar/v3/"
        self.control = RemoteControl(self.base_url)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local.fakes.calendar_server", "--port", str(self.port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: port_open(self.port), 30, "the local Calendar server")

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        self.control.wait_for_deliveries(timeout)

    def stop(self) -> None:
        stop_group(self._process)


# -- the stack ---------------------------------------------------------------------------
@dataclass
class BenchStack:
    """The Firestore emulator, the local Calendar server and token issuer; functions are
    served on demand with :meth:`serve`."""

    folder: Path
    emulator: FirestoreEmulator
    calendar: RemoteCalendar
    issuer: TokenIssuer
    served: list[FunctionProcess] = field(default_factory=list)

    def env(self, webhook_url: str, provider: str = "jitsi", **overrides: str) -> dict[str, str]:
        """The product's settings on this stack: product defaults (not the tests'), with
        ``THREADS=16``, what deploy.sh sets (its default concurrency)."""
        env = local_function_env(
            emulator=self.emulator,
            calendar=self.calendar,  # type: ignore[arg-type]  # only api_endpoint is read
            issuer=self.issuer,
            webhook_url=webhook_url,
            provider=provider,
        )
        env["THREADS"] = "16"
        env.update(overrides)
        return env

    def serve(
        self, folder: str, target: str, env: dict[str, str], *, name: str | None = None
    ) -> FunctionProcess:
        process = FunctionProcess(folder, target, env, self.folder / f"{name or target}.log")
        process.start()
        self.served.append(process)
        return process

    def token(self, email: str) -> str:
        return self.issuer.mint(email, AUDIENCE, hd=DOMAIN)

    def use_emulator_here(self) -> None:
        """Point this process's Firestore clients at the emulator."""
        os.environ["FIRESTORE_EMULATOR_HOST"] = self.emulator.host
        os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT)

    def stop(self) -> None:
        for process in reversed(self.served):
            with contextlib.suppress(Exception):
                process.stop()
        self.calendar.stop()
        self.issuer.stop()
        self.emulator.stop()


def start_bench_stack(folder: Path) -> BenchStack:
    # The product's log lines in this process (warnings such as "full sync") stay out of
    # the tables; the served functions log to their own files.
    import logging

    logging.getLogger("shared").setLevel(logging.ERROR)
    emulator = FirestoreEmulator(log_path=folder / "emulator.log").start()
    issuer = TokenIssuer().start()
    calendar = RemoteCalendar(folder / "calendar.log")
    stack = BenchStack(folder, emulator, calendar, issuer)
    stack.use_emulator_here()
    return stack


def worker_pid(process: FunctionProcess) -> int | None:
    """The gunicorn worker serving a function (the child of its master process)."""
    master = process._process.pid if process._process is not None else None
    if master is None:
        return None
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
    return None


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the product in this process ---------------------------------------------------------
def in_process_runtime(env: dict[str, str]) -> Any:
    """The product's per-instance objects, built in this process from ``env``."""
    from shared.config import load_settings
    from shared.runtime import Runtime

    return Runtime(load_settings({**os.environ, **env}))
