"""events.watch, push messages and their delivery, channels.stop.

See docs/calendar-behaviour.md#push-notifications.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    CAROL,
    TEAM,
    Raw,
    Receiver,
    reason_of,
    timed_event,
)

Service = Callable[[str], Any]
WEEK_MS = 604_800_000
RETRY_BASE = 0.01  # the suite's server: CalendarServer(push_retry_base=0.01)
RFC1123 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


def watch(
    calendar: Service,
    receiver: Receiver,
    channel_id: str = "channel-1",
    user: str = ALICE,
    calendar_id: str = "primary",
    query: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    body = {"id": channel_id, "type": "web_hook", "address": receiver.url, **more}
    request = calendar(user).events().watch(calendarId=calendar_id, body=body, **(query or {}))
    channel: dict[str, Any] = request.execute()
    return channel


def change(calendar: Service, calendar_id: str = "primary") -> dict[str, Any]:
    event: dict[str, Any] = (
        calendar(ALICE).events().insert(calendarId=calendar_id, body=timed_event()).execute()
    )
    return event


def headers_of(message: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in message["headers"].items()}


def test_watch_answers_the_channel_with_expiration_as_a_string(
    calendar: Service, receiver: Receiver
) -> None:
    before = int(time.time() * 1000)

    channel = watch(calendar, receiver, token="secret")

    assert set(channel) == {"kind", "id", "resourceId", "resourceUri", "token", "expiration"}
    assert (channel["kind"], channel["id"], channel["token"]) == (
        "api#channel",
        "channel-1",
        "secret",
    )
    assert isinstance(channel["expiration"], str)
    assert before + WEEK_MS <= int(channel["expiration"]) <= before + WEEK_MS + 5000
    assert channel["resourceUri"].startswith("https://www.googleapis.com/calendar/v3/calendars/")


def test_params_ttl_sets_the_lifetime(calendar: Service, receiver: Receiver) -> None:
    before = int(time.time() * 1000)

    channel = watch(calendar, receiver, params={"ttl": "3600"})

    assert before + 3_600_000 <= int(channel["expiration"]) <= before + 3_605_000


@pytest.mark.parametrize(
    "channel_id",
    ["", "x" * 65, "has space", "semi;colon"],
    ids=["missing", "longer-than-64", "space", "semicolon"],
)
def test_channel_id_is_required_short_and_of_the_allowed_characters(
    calendar: Service, receiver: Receiver, channel_id: str
) -> None:
    with pytest.raises(HttpError) as failure:
        watch(calendar, receiver, channel_id=channel_id)

    assert failure.value.resp.status == 400


def test_channel_id_may_use_all_allowed_characters(calendar: Service, receiver: Receiver) -> None:
    channel_id = "Az09-_+/=" + "x" * 55

    assert watch(calendar, receiver, channel_id=channel_id)["id"] == channel_id


def test_channel_id_must_be_unique_among_live_channels(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)

    with pytest.raises(HttpError) as failure:
        watch(calendar, receiver, calendar_id=TEAM)

    assert reason_of(failure.value) == (400, "channelIdNotUnique")
    server.control.expire_channel("channel-1")
    assert watch(calendar, receiver)["id"] == "channel-1"


def test_channel_type_must_be_web_hook(calendar: Service, receiver: Receiver) -> None:
    with pytest.raises(HttpError) as failure:
        watch(calendar, receiver, type="email")

    assert failure.value.resp.status == 400


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("https://hooks.example.com/calendar", True),
        ("http://hooks.example.com/calendar", False),
        ("http://localhost:9/calendar", True),
        ("ftp://hooks.example.com/calendar", False),
    ],
)
def test_address_must_be_https_except_loopback(
    raw: Raw, server: CalendarServer, address: str, accepted: bool
) -> None:
    body = {"id": "c1", "type": "web_hook", "address": address}
    server.control.drop_next_messages(ALICE, 1)  # no sync message to a non-local address

    answer = raw.call("POST", "calendars/primary/events/watch", json=body)

    assert (answer.status_code == 200) is accepted
    if not accepted:
        assert reason_of(answer) == (400, "push.webhookUrlNotHttps")


def test_token_is_at_most_256_characters(calendar: Service, receiver: Receiver) -> None:
    assert watch(calendar, receiver, token="t" * 256)["token"] == "t" * 256
    with pytest.raises(HttpError) as failure:
        watch(calendar, receiver, channel_id="channel-2", token="t" * 257)
    assert failure.value.resp.status == 400


def test_same_calendar_and_parameters_give_the_same_resource_id(
    calendar: Service, receiver: Receiver
) -> None:
    first = watch(calendar, receiver, channel_id="a")
    again = watch(calendar, receiver, channel_id="b", calendar_id=ALICE)
    other_calendar = watch(calendar, receiver, channel_id="c", calendar_id=TEAM)
    other_params = watch(calendar, receiver, channel_id="d", query={"singleEvents": True})

    assert first["resourceId"] == again["resourceId"]
    assert len({first["resourceId"], other_calendar["resourceId"], other_params["resourceId"]}) == 3


def test_sync_message_is_number_1_and_can_arrive_before_the_watch_answer(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    server.control.set_sync_before_watch_response(True)

    channel = watch(calendar, receiver, token="secret")

    assert len(receiver.messages) == 1  # delivered before the answer came back
    sync = headers_of(receiver.messages[0])
    assert sync["x-goog-resource-state"] == "sync"
    assert sync["x-goog-message-number"] == "1"
    assert sync["x-goog-channel-id"] == channel["id"]
    assert sync["x-goog-resource-id"] == channel["resourceId"]


def test_change_sends_an_exists_message_with_googles_headers(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    channel = watch(calendar, receiver, token="secret")

    change(calendar)

    server.control.wait_for_deliveries()
    message = receiver.wait_for(2)[1]
    headers = headers_of(message)
    assert message["method"] == "POST"
    assert message["body"] == b""
    assert headers["x-goog-channel-id"] == "channel-1"
    assert headers["x-goog-resource-state"] == "exists"
    assert headers["x-goog-resource-id"] == channel["resourceId"]
    assert headers["x-goog-resource-uri"] == channel["resourceUri"]
    assert headers["x-goog-channel-token"] == "secret"
    assert headers["user-agent"].startswith("APIs-Google")
    assert RFC1123.match(headers["x-goog-channel-expiration"])
    expires = parsedate_to_datetime(headers["x-goog-channel-expiration"]).timestamp()
    assert abs(expires * 1000 - int(channel["expiration"])) < 1000


def test_no_token_header_without_a_token(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)

    server.control.wait_for_deliveries()

    assert "x-goog-channel-token" not in headers_of(receiver.wait_for(1)[0])


def test_message_numbers_increase(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)
    for _ in range(3):
        change(calendar)

    server.control.wait_for_deliveries()

    numbers = sorted(int(headers_of(m)["x-goog-message-number"]) for m in receiver.wait_for(4))
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 1


def test_every_live_channel_of_the_calendar_gets_the_message(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver, channel_id="old")
    watch(calendar, receiver, channel_id="new")
    watch(calendar, receiver, channel_id="elsewhere", calendar_id=TEAM)

    change(calendar)

    server.control.wait_for_deliveries()
    exists = [headers_of(m) for m in receiver.wait_for(4)]
    got = sorted(h["x-goog-channel-id"] for h in exists if h["x-goog-resource-state"] == "exists")
    assert got == ["new", "old"]


def test_delivery_does_not_hold_up_the_api_call(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)
    server.control.wait_for_deliveries()
    receiver.hold()

    started = time.monotonic()
    change(calendar)
    elapsed = time.monotonic() - started

    receiver.release()
    server.control.wait_for_deliveries()
    assert elapsed < 1.0
    assert len(receiver.wait_for(2)) == 2


def test_5xx_answers_are_retried_with_backoff(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    receiver.answer_with(503, 500)

    watch(calendar, receiver)

    server.control.wait_for_deliveries()
    attempts = server.control.deliveries("channel-1")
    assert [(d.attempt, d.status, d.outcome) for d in attempts] == [
        (1, 503, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    gaps = [b.time - a.time for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= RETRY_BASE
    assert gaps[1] >= 2 * RETRY_BASE


def test_retries_give_up_after_the_last_attempt(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    receiver.answer_with(502, 504, 503, 500, 503)

    watch(calendar, receiver)

    server.control.wait_for_deliveries()
    outcomes = [d.outcome for d in server.control.deliveries("channel-1")]
    assert outcomes == ["retrying", "retrying", "retrying", "failed"]


@pytest.mark.parametrize("status", [400, 404, 410, 301])
def test_other_answers_are_failures_without_retry(
    server: CalendarServer, calendar: Service, receiver: Receiver, status: int
) -> None:
    receiver.answer_with(status)

    watch(calendar, receiver)

    server.control.wait_for_deliveries()
    (delivery,) = server.control.deliveries("channel-1")
    assert (delivery.status, delivery.outcome) == (status, "failed")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_success_answers(
    server: CalendarServer, calendar: Service, receiver: Receiver, status: int
) -> None:
    receiver.answer_with(status)

    watch(calendar, receiver)

    server.control.wait_for_deliveries()
    (delivery,) = server.control.deliveries("channel-1")
    assert delivery.outcome == "delivered"


def test_messages_can_be_dropped(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)
    server.control.drop_next_messages(ALICE, 1)

    change(calendar)
    change(calendar)

    server.control.wait_for_deliveries()
    numbers = [int(headers_of(m)["x-goog-message-number"]) for m in receiver.wait_for(2)]
    assert numbers == [1, 3]
    dropped = [d.number for d in server.control.deliveries() if d.outcome == "dropped"]
    assert dropped == [2]


def test_stopped_channel_gets_no_more_messages(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    channel = watch(calendar, receiver)
    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}

    assert calendar(ALICE).channels().stop(body=stop).execute() == ""
    change(calendar)

    server.control.wait_for_deliveries()
    assert [headers_of(m)["x-goog-resource-state"] for m in receiver.messages] == ["sync"]


def test_stopping_an_unknown_channel_is_404(calendar: Service, receiver: Receiver) -> None:
    channel = watch(calendar, receiver)

    with pytest.raises(HttpError) as failure:
        calendar(ALICE).channels().stop(body={"id": channel["id"], "resourceId": "nope"}).execute()

    assert reason_of(failure.value) == (404, "notFound")


def test_only_the_creator_can_stop_a_channel(calendar: Service, receiver: Receiver) -> None:
    channel = watch(calendar, receiver, calendar_id=ALICE)
    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}

    with pytest.raises(HttpError) as failure:
        calendar(BOB).channels().stop(body=stop).execute()

    assert failure.value.resp.status == 403


def test_expired_channel_gets_no_messages(
    server: CalendarServer, calendar: Service, receiver: Receiver
) -> None:
    watch(calendar, receiver)
    server.control.wait_for_deliveries()
    server.control.expire_channel("channel-1")

    change(calendar)

    server.control.wait_for_deliveries()
    assert len(receiver.messages) == 1


def test_a_reader_may_watch_and_a_stranger_may_not(calendar: Service, receiver: Receiver) -> None:
    assert watch(calendar, receiver, user=BOB, calendar_id=ALICE)["id"] == "channel-1"

    with pytest.raises(HttpError) as failure:
        watch(calendar, receiver, channel_id="c2", user=CAROL, calendar_id=ALICE)

    assert failure.value.resp.status == 404
