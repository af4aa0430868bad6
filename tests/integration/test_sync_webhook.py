"""sync_events' answer table and message coalescing, over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.scenarios import (
    channel_of,
    conference_on_event,
    mapping,
    push,
    push_headers,
    settle,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def snapshot(stack: Stack) -> tuple[Any, ...]:
    """Everything a message could touch: Firestore state and Calendar calls."""
    docs = tuple(
        sorted(
            str(d) for name in ("conferences", "calendars", "channels") for d in stack.docs(name)
        )
    )
    return docs, len(stack.calendar.control.calls())


def test_wrong_method_is_405(stack: Stack) -> None:
    response = requests.get(stack.sync.url, timeout=10)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == 405


@pytest.mark.parametrize(
    "change",
    [
        {"X-Goog-Channel-ID": ""},
        {"X-Goog-Message-Number": ""},
        {"X-Goog-Resource-ID": ""},
        {"X-Goog-Resource-State": ""},
        {"X-Goog-Channel-ID": "bad channel id!"},
        {"X-Goog-Message-Number": "twelve"},
        {"X-Goog-Message-Number": "-3"},
        {"X-Goog-Resource-State": "deleted"},
        {"X-Goog-Channel-Expiration": "not a date"},
        {"X-Goog-Message-Number": "\u00b2"},
        {"X-Goog-Message-Number": "1\u00b2"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 99999999999 01:13:52 GMT"},
    ],
    ids=lambda change: "-".join(f"{k}={v}" for k, v in change.items()),
)
def test_malformed_headers_are_400_and_touch_nothing(stack: Stack, change: dict[str, str]) -> None:
    scenario = conference_on_event(stack)
    before = snapshot(stack)

    response = push(stack, push_headers(channel_of(stack, scenario.calendar_id), **change))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400
    assert snapshot(stack) == before


def test_a_body_is_400(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    before = snapshot(stack)

    response = push(stack, push_headers(channel_of(stack, scenario.calendar_id)), b'{"x": 1}')

    assert response.status_code == 400
    assert snapshot(stack) == before


def test_unknown_channel_is_200_and_touches_nothing(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    before = snapshot(stack)
    headers = push_headers(
        channel_of(stack, scenario.calendar_id), **{"X-Goog-Channel-ID": "ch-nobody"}
    )

    response = push(stack, headers)

    assert response.status_code == 200
    assert snapshot(stack) == before


@pytest.mark.parametrize("channel_id", ["a/b", "/", "a//b", "__x__", "____"])
def test_a_channel_id_firestore_cannot_store_is_an_unknown_channel(
    stack: Stack, channel_id: str
) -> None:
    """Calendar's alphabet allows ids that cannot be Firestore document ids."""
    scenario = conference_on_event(stack)
    before = snapshot(stack)
    headers = push_headers(
        channel_of(stack, scenario.calendar_id), **{"X-Goog-Channel-ID": channel_id}
    )

    response = push(stack, headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"outcome": "unknown_channel"}
    assert snapshot(stack) == before


@pytest.mark.parametrize(
    "change",
    [
        {"X-Goog-Channel-Token": "forged-token"},
        {"X-Goog-Channel-Token": ""},
        {"X-Goog-Resource-ID": "another-resource"},
    ],
    ids=["wrong-token", "no-token", "wrong-resource-id"],
)
def test_wrong_token_or_resource_is_401_and_touches_nothing(
    stack: Stack, change: dict[str, str]
) -> None:
    scenario = conference_on_event(stack)
    before = snapshot(stack)

    response = push(stack, push_headers(channel_of(stack, scenario.calendar_id), **change))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401
    assert snapshot(stack) == before


def test_sync_message_is_200_without_a_calendar_call(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    calls = len(stack.calendar.control.calls())

    response = push(
        stack,
        push_headers(
            channel_of(stack, scenario.calendar_id), 1, **{"X-Goog-Resource-State": "sync"}
        ),
    )

    assert response.status_code == 200
    assert len(stack.calendar.control.calls()) == calls


def test_sync_message_before_watch_returned_records_the_resource_id(stack: Stack) -> None:
    stack.calendar.control.set_sync_before_watch_response(True)

    scenario = conference_on_event(stack)

    sync_deliveries = [
        d
        for d in stack.calendar.control.deliveries(calendar_id=scenario.calendar_id)
        if d.state == "sync"
    ]
    assert [d.status for d in sync_deliveries] == [200]
    [channel] = stack.docs("channels")
    assert channel["resourceId"] == channel_of(stack, scenario.calendar_id)["resourceId"]


def test_a_change_is_synced_before_the_answer(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.drop_next_messages(scenario.calendar_id, 1)
    scenario.user.patch(scenario.calendar_id, scenario.event_id, {"summary": "Renamed"})
    assert stack.provider_calls("update") == []

    response = push(stack, push_headers(channel_of(stack, scenario.calendar_id), 50))

    assert response.status_code == 200
    assert response.json() == {"outcome": "synced"}
    [update] = stack.provider_calls("update")
    assert update["spec"]["title"] == "Renamed"


def test_not_exists_state_is_treated_like_exists(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.drop_next_messages(scenario.calendar_id, 1)
    scenario.user.patch(scenario.calendar_id, scenario.event_id, {"summary": "Renamed"})

    response = push(
        stack,
        push_headers(
            channel_of(stack, scenario.calendar_id), 51, **{"X-Goog-Resource-State": "not_exists"}
        ),
    )

    assert response.status_code == 200
    assert len(stack.provider_calls("update")) == 1


def test_transient_failure_is_503_and_keeps_the_sync_token(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    [calendar] = stack.docs("calendars")
    stack.fault("update", "transient", remaining=1000)
    stack.calendar.control.drop_next_messages(scenario.calendar_id, 1)
    scenario.user.patch(scenario.calendar_id, scenario.event_id, {"summary": "Renamed"})

    response = push(stack, push_headers(channel_of(stack, scenario.calendar_id), 60))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == 503
    [after] = stack.docs("calendars")
    assert after["syncToken"] == calendar["syncToken"]
    assert stack.docs("syncLeases") == []


def test_a_burst_of_100_messages_costs_a_handful_of_listings(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    channel = channel_of(stack, scenario.calendar_id)
    stack.calendar.control.clear_calls()
    stack.fault("update", "none", remaining=0, delay=0.2)

    def message(number: int) -> int:
        if number == 50:
            scenario.user.patch(
                scenario.calendar_id,
                scenario.event_id,
                {
                    "start": {"dateTime": "2030-03-04T15:00:00", "timeZone": "Europe/Berlin"},
                    "end": {"dateTime": "2030-03-04T16:00:00", "timeZone": "Europe/Berlin"},
                },
            )
        return push(stack, push_headers(channel, 100 + number)).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(message, range(100)))
    settle(stack)

    assert set(statuses) == {200}
    lists = stack.calendar.control.calls("events.list")
    assert 1 <= len(lists) <= 12
    updates = stack.provider_calls("update")
    assert len(updates) == 1
    assert updates[0]["spec"]["start"].startswith("2030-03-04T15:00:00")
    assert mapping(stack, scenario.calendar_id, scenario.event_id)["spec"]["start"].startswith(
        "2030-03-04T15:00:00"
    )
    assert stack.docs("syncLeases") == []
