"""create_request: each refusal says what is wrong (the message, never the value)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.errors import InvalidInput
from shared.http.create_request import MAX_ID_LENGTH, CreateRequest, parse_create_request

GOOD: dict[str, Any] = {
    "solutionId": "1",
    "eventData": {"calendarId": "alice@example.com", "eventId": "evt1"},
}


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def with_event_data(**fields: Any) -> dict[str, Any]:
    return {**GOOD, "eventData": {**GOOD["eventData"], **fields}}


def test_a_request_is_parsed() -> None:
    parsed = parse_create_request(body(GOOD))

    assert parsed == CreateRequest(
        solution_id="1", calendar_id="alice@example.com", event_id="evt1"
    )


def test_unknown_fields_are_ignored() -> None:
    document = {**with_event_data(extra=True), "clientVersion": 3}

    assert parse_create_request(body(document)).event_id == "evt1"


def test_an_id_of_the_longest_length_is_accepted() -> None:
    longest = "e" * MAX_ID_LENGTH

    assert parse_create_request(body(with_event_data(eventId=longest))).event_id == longest


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "the body must be JSON"),
        (b"{not json", "the body must be JSON"),
        (b"[" * 100_000, "the body must be JSON"),
        (b"", "the body must be JSON"),
        (body(["solutionId"]), "the body must be a JSON object"),
        (body({"solutionId": "1"}), "eventData must be an object"),
        (body({**GOOD, "eventData": "evt1"}), "eventData must be an object"),
        (body({"eventData": GOOD["eventData"]}), "solutionId is required"),
        (body({**GOOD, "solutionId": 1}), "solutionId must be a string"),
        (body({**GOOD, "solutionId": " "}), "solutionId must not be empty"),
        (body(with_event_data(calendarId=None)), "eventData.calendarId is required"),
        (body(with_event_data(eventId=["evt1"])), "eventData.eventId must be a string"),
        (body(with_event_data(eventId="")), "eventData.eventId must not be empty"),
        (
            body(with_event_data(eventId="e" * (MAX_ID_LENGTH + 1))),
            f"eventData.eventId is longer than {MAX_ID_LENGTH} characters",
        ),
        (
            body(with_event_data(calendarId="alice@example.com\n")),
            "eventData.calendarId must not contain control characters",
        ),
        (
            body(with_event_data(eventId="evt\x7f1")),
            "eventData.eventId must not contain control characters",
        ),
    ],
)
def test_bad_bodies_are_refused_with_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_create_request(raw)

    assert str(refused.value) == message
