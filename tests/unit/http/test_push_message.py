"""Parsing Calendar push messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import InvalidInput
from shared.http.push_message import ResourceState, parse_push_message

GOOD = {
    "X-Goog-Channel-ID": "ch-abc_123",
    "X-Goog-Message-Number": "7",
    "X-Goog-Resource-ID": "res-1",
    "X-Goog-Resource-State": "exists",
    "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/x/events",
    "X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 01:13:52 GMT",
    "X-Goog-Channel-Token": "secret-token",
}


def test_a_message_is_parsed_with_any_header_case() -> None:
    message = parse_push_message({k.lower(): v for k, v in GOOD.items()}, b"")

    assert message.channel_id == "ch-abc_123"
    assert message.message_number == 7
    assert message.resource_state is ResourceState.EXISTS
    assert message.channel_expiration == datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)
    assert message.token == "secret-token"


def test_the_token_is_not_in_the_repr() -> None:
    assert "secret-token" not in repr(parse_push_message(GOOD, b""))


def test_optional_headers_may_be_absent() -> None:
    headers = {k: v for k, v in GOOD.items() if "Expiration" not in k and "Token" not in k}

    message = parse_push_message(headers, b"")

    assert message.token is None
    assert message.channel_expiration is None


@pytest.mark.parametrize(
    "change",
    [
        {"X-Goog-Channel-ID": None},
        {"X-Goog-Message-Number": None},
        {"X-Goog-Resource-ID": None},
        {"X-Goog-Resource-State": None},
        {"X-Goog-Channel-ID": "x" * 65},
        {"X-Goog-Channel-ID": "a b"},
        {"X-Goog-Message-Number": "1.5"},
        {"X-Goog-Message-Number": "9" * 21},
        {"X-Goog-Resource-State": "gone"},
        {"X-Goog-Channel-Expiration": "tomorrow"},
        {"X-Goog-Channel-Token": "t" * 257},
    ],
)
def test_malformed_headers_are_invalid_input(change: dict[str, str | None]) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}

    with pytest.raises(InvalidInput):
        parse_push_message(headers, b"")


def test_a_body_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_push_message(GOOD, b"{}")
