"""Building blocks for sync tests: a calendar with a saved conference, push messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.stack import Stack, wait_for

ALICE = "alice@example.com"
BOB = "bob@example.com"


@dataclass
class Scenario:
    calendar_id: str
    event: dict[str, Any]
    conference: dict[str, Any]
    user: CalendarUser

    @property
    def event_id(self) -> str:
        return str(self.event["id"])


def settle(stack: Stack) -> None:
    """Wait until every push message was delivered and no sync is running any more
    (a delivery can time out while its sync goes on)."""
    stack.calendar.wait_for_deliveries(timeout=60)
    wait_for(
        lambda: not stack.docs("syncLeases"),
        timeout=60,
        what="running syncs to finish",
    )


def calendar(stack: Stack, owner: str = ALICE, **kw: Any) -> CalendarUser:
    kw.setdefault("time_zone", "Europe/Berlin")
    if not stack.calendar.control.has_calendar(owner):
        stack.calendar.control.create_calendar(owner, owner=owner, **kw)
    return CalendarUser(stack.calendar.api_endpoint, owner, stack.calendar.control)


def conference_on_event(
    stack: Stack,
    owner: str = ALICE,
    body: dict[str, Any] | None = None,
    solution_id: str = "1",
) -> Scenario:
    """An event with our conference created and saved onto it, synced once."""
    user = calendar(stack, owner)
    event = user.insert(
        owner,
        body
        or timed_event(
            "Planning", "2030-03-04T10:00:00", "2030-03-04T11:00:00", description="agenda"
        ),
    )
    answer = stack.create_conference(owner, owner, event["id"], solution_id)
    assert answer.status_code == 200, answer.text
    data = answer.json()["conferenceData"]
    saved = user.save_conference(owner, event["id"], data)
    settle(stack)
    wait_for(lambda: mapping(stack, owner, event["id"]).get("attached"), what="attached")
    return Scenario(owner, saved, data, user)


def mapping(stack: Stack, calendar_id: str, event_id: str) -> dict[str, Any]:
    found = [
        m
        for m in stack.docs("conferences")
        if m["calendarId"] == calendar_id and m["eventId"] == event_id
    ]
    return found[0] if found else {}


def channel_of(stack: Stack, calendar_id: str) -> dict[str, Any]:
    live = [
        c for c in stack.calendar.control.channels() if c["calendarId"] == calendar_id and c["live"]
    ]
    assert live, "no live channel"
    return live[-1]


def push_headers(channel: dict[str, Any], number: int = 10, /, **overrides: str) -> dict[str, str]:
    headers = {
        "X-Goog-Channel-ID": str(channel["id"]),
        "X-Goog-Message-Number": str(number),
        "X-Goog-Resource-ID": str(channel["resourceId"]),
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-URI": str(channel["resourceUri"]),
        "X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 01:13:52 GMT",
        "User-Agent": "APIs-Google",
    }
    if channel.get("token"):
        headers["X-Goog-Channel-Token"] = str(channel["token"])
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v != ""}


def push(stack: Stack, headers: dict[str, str], body: bytes = b"") -> requests.Response:
    return requests.post(stack.sync.url, headers=headers, data=body, timeout=60)
