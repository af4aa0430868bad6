"""A calendar of many events, some of them with our conference, for the sync benchmarks.

The events are inserted in bulk through the local Calendar server's control API; the
conferences are created by the product's own creator (in this process, several at a
time) and saved onto their events as Calendar's editor does. The calendar's push
messages are dropped: the benchmarks send their own. Then one full sync attaches every
record, so that the calendar starts in the steady state (a sync changes nothing).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.support import BenchStack
from shared.http.create_request import CreateRequest
from shared.state.channels import new_channel_secrets
from tests.support.calendar_user import ADDON_SCRIPT_ID

START = datetime(2031, 1, 6, 8, 0)


@dataclass
class BigCalendar:
    calendar_id: str
    event_ids: list[str]
    mapped_ids: list[str]
    unmapped_ids: list[str]
    channel: dict[str, str]  # push headers of a channel of ours for the calendar
    seeded_in: float

    @property
    def owner(self) -> str:
        return self.calendar_id


def event_body(index: int) -> dict[str, Any]:
    start = START + timedelta(hours=index)
    return {
        "summary": f"event {index}",
        "description": "a benchmark event",
        "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
        "end": {
            "dateTime": (start + timedelta(minutes=30)).isoformat(),
            "timeZone": "Europe/Berlin",
        },
    }


def seed(
    stack: BenchStack, runtime: Any, calendar_id: str, events: int, mapped: int, threads: int = 6
) -> BigCalendar:
    started = time.perf_counter()
    control = stack.calendar.control
    control.create_calendar(calendar_id, owner=calendar_id, time_zone="Europe/Berlin")
    control.drop_next_messages(calendar_id, 10**9)
    made = control.insert_events(calendar_id, [event_body(i) for i in range(events)])
    ids = [str(e["id"]) for e in made]
    step = max(1, events // max(1, mapped))
    mapped_ids = ids[::step][:mapped]
    chosen = set(mapped_ids)
    creator = runtime.creator

    def create(event_id: str) -> None:
        outcome = creator.create(CreateRequest("1", calendar_id, event_id), calendar_id)
        if outcome.conference_data is None:
            raise RuntimeError(f"seeding: create refused ({outcome.error})")
        control.save_conference_as_editor(
            calendar_id, event_id, outcome.conference_data, script_id=ADDON_SCRIPT_ID
        )

    if mapped_ids:
        create(mapped_ids[0])  # sets the calendar up for sync
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(create, mapped_ids[1:]))
    channel_id, token = new_channel_secrets()
    runtime.channel_store.save_channel(channel_id, calendar_id, token)
    resource_id = f"res-{channel_id}"
    runtime.channel_store.record_watch(channel_id, resource_id, None)
    control.expire_sync_tokens(calendar_id)
    runtime.leased_sync.sync_now(calendar_id)  # full: every record attached
    runtime.leased_sync.sync_now(calendar_id)
    headers = {
        "X-Goog-Channel-ID": channel_id,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-ID": resource_id,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/{calendar_id}/events",
    }
    return BigCalendar(
        calendar_id,
        ids,
        mapped_ids,
        [i for i in ids if i not in chosen],
        headers,
        time.perf_counter() - started,
    )


class PushSender:
    """Push messages of one channel with increasing message numbers."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers
        self._number = 1000

    def headers(self) -> dict[str, str]:
        self._number += 1
        return {**self._headers, "X-Goog-Message-Number": str(self._number)}
