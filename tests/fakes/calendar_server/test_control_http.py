"""The control API over HTTP (``/_control``), in process and in a standalone server process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.fakes.calendar_server import CalendarServer
from local.ports import free_port
from tests.fakes.calendar_server.conftest import ALICE, Raw, Receiver, timed_event, wait_until

ROOT = Path(__file__).resolve().parents[3]


def control(base: str, method: str, route: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{base}/_control/{route}", json=body, timeout=10)


@pytest.fixture
def process_url() -> Iterator[str]:
    """A ``python -m local.fakes.calendar_server`` process on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.fakes.calendar_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return control(base, "GET", "channels").status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(answers, "the standalone calendar server", timeout=15)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_server_is_driven_over_http(process_url: str) -> None:
    auth = {"Authorization": f"Bearer local-user:{ALICE}"}
    events = f"{process_url}/calendar/v3/calendars/primary/events"
    assert control(process_url, "POST", "calendars", {"id": ALICE}).status_code == 200
    created = requests.post(events, json=timed_event(), headers=auth, timeout=10)
    fault = {"method": "events.list", "status": 503, "reason": "backendError"}
    control(process_url, "POST", "faults", fault)

    failed = requests.get(events, headers=auth, timeout=10)
    listed = requests.get(events, headers=auth, timeout=10)
    calls = control(process_url, "GET", "calls?method=events.list").json()["calls"]
    control(process_url, "POST", "reset")

    assert created.status_code == 200
    assert failed.status_code == 503
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]
    assert [call["status"] for call in calls] == [503, 200]
    assert requests.get(events, headers=auth, timeout=10).status_code == 404


def test_control_routes_set_up_and_steer_the_server(
    server: CalendarServer, raw: Raw, receiver: Receiver
) -> None:
    base = server.base_url
    control(base, "POST", "calendars", {"id": "x@example.com", "readers": [ALICE]})
    control(base, "POST", "calendars/x%40example.com/events", {"events": [timed_event()] * 3})
    control(base, "POST", "calendars/x%40example.com/page-sizes", {"sizes": [1]})
    control(base, "PUT", "settings", {"syncBeforeWatchResponse": True})
    watch = {"id": "ch", "type": "web_hook", "address": receiver.url}

    first = raw.call("GET", "calendars/x@example.com/events").json()
    channel = raw.call("POST", "calendars/x@example.com/events/watch", json=watch)
    waited = control(base, "POST", "deliveries/wait", {"timeout": 5})
    deliveries = control(base, "GET", "deliveries?channelId=ch").json()["deliveries"]
    expired = control(base, "POST", "channels/ch/expire")
    stored = control(base, "GET", "calendars/x%40example.com/events").json()["items"]
    control(base, "POST", "calendars/x%40example.com/expire-sync-tokens")
    control(base, "POST", "fail-next-page-token", {"count": 1})
    paged = raw.call("GET", "calendars/x@example.com/events", params={"pageToken": "p"})

    assert len(first["items"]) == 1
    assert "nextPageToken" in first
    assert channel.status_code == 200
    assert waited.status_code == 200
    assert [(d["resourceState"], d["outcome"]) for d in deliveries] == [("sync", "delivered")]
    assert expired.status_code == 200
    assert not control(base, "GET", "channels").json()["channels"][0]["live"]
    assert len(stored) == 3
    assert paged.status_code == 410


def test_control_answers_404_for_unknown_calendars_and_400_for_bad_input(
    server: CalendarServer,
) -> None:
    base = server.base_url

    unknown = control(base, "POST", "calendars/nobody/expire-sync-tokens")
    missing = control(base, "POST", "faults", {"method": "events.list", "status": 503})
    bad = control(base, "POST", "faults", {"method": "x", "status": "many", "reason": "r"})

    assert unknown.status_code == 404
    assert (missing.status_code, bad.status_code) == (400, 400)
