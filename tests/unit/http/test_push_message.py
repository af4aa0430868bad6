"""Parsing Calendar push messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.http.push_message import PushMessage, ResourceState, parse_push_message

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
        {"X-Goog-Channel-ID": "ch\u00e9"},
        {"X-Goog-Message-Number": "\u00b2"},
        {"X-Goog-Message-Number": "1\u00b2"},
        {"X-Goog-Message-Number": "\u0663"},
        {"X-Goog-Message-Number": "\uff17"},
        {"X-Goog-Message-Number": "+7"},
        {"X-Goog-Message-Number": "7_0"},
        {"X-Goog-Message-Number": "0x7"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 99999999999 01:13:52 GMT"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 10000 01:13:52 GMT"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 01:13:52 +99999999999"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 99999999999:13:52 GMT"},
        {"X-Goog-Channel-Expiration": "Tue, 31 Feb 2030 01:13:52 GMT"},
        {"X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 01:13:52 GMT\u00ff"},
        {"X-Goog-Resource-ID": "r\u00e9sum\u00e9"},
        {"X-Goog-Resource-ID": "res\x00"},
        {"X-Goog-Resource-ID": "res\x7f"},
        {"X-Goog-Resource-ID": "\ud800"},
        {"X-Goog-Resource-State": "exists\x85"},
        {"X-Goog-Resource-URI": "https://example.com/\u00e9"},
        {"X-Goog-Channel-Token": "secret\u00ff"},
        {"X-Goog-Channel-Token": "\udc80"},
    ],
    ids=repr,
)
def test_malformed_headers_are_invalid_input(change: dict[str, str | None]) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}

    with pytest.raises(InvalidInput):
        parse_push_message(headers, b"")


@pytest.mark.parametrize(
    ("number", "expected"),
    [("1", 1), ("0042", 42), ("9" * 20, int("9" * 20)), (" 8 ", 8)],
)
def test_message_numbers_are_ascii_digits(number: str, expected: int) -> None:
    message = parse_push_message({**GOOD, "X-Goog-Message-Number": number}, b"")

    assert message.message_number == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 19 Nov 2030 01:13:52 GMT", datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)),
        ("Tue, 19 Nov 2030 01:13:52 +0000", datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)),
        ("Tue, 19 Nov 2030 01:13:52 -0000", datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)),
        ("Tue, 19 Nov 2030 01:13:52", datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)),
        ("Tue, 19 Nov 2030 02:13:52 +0100", datetime(2030, 11, 19, 1, 13, 52, tzinfo=UTC)),
    ],
)
def test_expirations_are_always_timezone_aware(raw: str, expected: datetime) -> None:
    message = parse_push_message({**GOOD, "X-Goog-Channel-Expiration": raw}, b"")

    assert message.channel_expiration == expected
    assert message.channel_expiration is not None
    assert message.channel_expiration.tzinfo is not None


def test_an_empty_token_is_kept_and_matches_nothing() -> None:
    message = parse_push_message({**GOOD, "X-Goog-Channel-Token": ""}, b"")

    assert message.token == ""


def test_error_messages_never_quote_the_token() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_push_message({**GOOD, "X-Goog-Channel-Token": "secret-token\u00ff"}, b"")

    assert "secret" not in str(raised.value)


def parsed_or_refusal(headers: dict[str, str], body: bytes) -> PushMessage | InvalidInput:
    try:
        return parse_push_message(headers, body)
    except InvalidInput as err:
        return err


HEADER_NAMES = [*GOOD, "X-Goog-Something-Else"]
# Latin-1 text is what a WSGI server hands over for any header bytes; the rest of Unicode
# (surrogates included) checks that the parser does not rely on that.
HEADER_VALUES = st.one_of(
    st.text(),
    st.text(st.characters(max_codepoint=0xFF)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        "{}, {} {} {} {}:{}:{} {}".format,
        st.sampled_from(["Tue", "Xyz", ""]),
        st.integers(min_value=-1, max_value=10**12),
        st.sampled_from(["Nov", "Feb", "Foo"]),
        st.integers(min_value=-1, max_value=10**12),
        *[st.integers(min_value=-1, max_value=10**12)] * 3,
        st.sampled_from(["GMT", "+0000", "-0000", "+9999", "+99999999999", "EST", ""]),
    ),
    st.sampled_from(["", " ", "\u00b2", "sync", "exists", "not_exists", "__x__", "a/b"]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES | st.none(), max_size=8),
    st.binary(max_size=4),
)
def test_any_headers_parse_or_are_invalid_input(change: dict[str, str | None], body: bytes) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}

    message = parsed_or_refusal(headers, body)
    if isinstance(message, InvalidInput):
        assert "secret-token" not in str(message)
        return

    assert message.channel_id.isascii()
    assert message.message_number >= 0
    assert message.channel_expiration is None or message.channel_expiration.tzinfo is not None
    assert message.token is None or message.token.isascii()


def test_a_body_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_push_message(GOOD, b"{}")
