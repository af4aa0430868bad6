"""Parsing the create_conference request body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.http.create_request import MAX_ID_LENGTH, CreateRequest, parse_create_request


def body(solution: Any = "1", calendar: Any = "alice@example.com", event: Any = "e1234") -> bytes:
    document = {"solutionId": solution, "eventData": {"calendarId": calendar, "eventId": event}}
    return json.dumps(document).encode()


def test_a_request_is_parsed_and_unknown_fields_ignored() -> None:
    raw = json.dumps(
        {
            "solutionId": "1",
            "eventData": {"calendarId": "alice@example.com", "eventId": "e1234", "x": 1},
            "other": [1, 2],
        }
    ).encode()

    assert parse_create_request(raw) == CreateRequest("1", "alice@example.com", "e1234")


@pytest.mark.parametrize(
    "value",
    [
        "a" * MAX_ID_LENGTH,
        "\U0001f600" * MAX_ID_LENGTH,
        "caf\u00e9",
        "c_classroom1234@group.calendar.google.com",
        "abc_20300304T100000Z",
        "...",
        " x ",
        "\u200b",
        "\ufffe",
    ],
    ids=repr,
)
def test_odd_but_valid_ids_are_accepted(value: str) -> None:
    assert parse_create_request(body(event=value)).event_id == value


def test_a_surrogate_pair_escape_is_one_character() -> None:
    raw = b'{"solutionId": "1", "eventData": {"calendarId": "a", "eventId": "\\ud83d\\ude00"}}'

    assert parse_create_request(raw).event_id == "\U0001f600"


BAD_BODIES: dict[str, bytes] = {
    "not-json": b"{not json",
    "empty": b"",
    "bom": b"\xef\xbb\xbf" + body(),
    "not-utf8": b"\xff\xfe",
    "encoded-surrogate": b'{"solutionId": "\xed\xa0\x80"}',
    "deeply-nested": b"[" * 60_000,
    "huge-integer": b'{"solutionId": ' + b"9" * 5000 + b"}",
    "array": b"[]",
    "null": b"null",
    "no-event-data": json.dumps({"solutionId": "1"}).encode(),
    "event-data-list": json.dumps({"solutionId": "1", "eventData": []}).encode(),
    "solution-number": body(solution=1),
    "solution-bool": body(solution=True),
    "calendar-null": body(calendar=None),
    "calendar-object": body(calendar={"id": "x"}),
    "event-list": body(event=["x"]),
    "empty-event": body(event=""),
    "blank-event": body(event=" \t "),
    "event-too-long": body(event="e" * (MAX_ID_LENGTH + 1)),
    "lone-high-surrogate-calendar": body(calendar="a\ud800"),
    "lone-low-surrogate-event": body(event="\udfff"),
    "lone-surrogate-solution": body(solution="\ud83d"),
    "reversed-pair": body(event="\ude00\ud83d"),
    "nul": body(event="e\x00"),
    "newline": body(calendar="a\nb"),
    "del": body(event="e\x7f"),
    "c1-control": body(event="e\x85"),
    "dot": body(calendar="."),
    "dot-dot": body(event=".."),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_bodies_are_invalid_input(case: str) -> None:
    with pytest.raises(InvalidInput):
        parse_create_request(BAD_BODIES[case])


def test_a_lone_surrogate_gets_a_clear_message_that_does_not_quote_it() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_create_request(body(event="secret\ud800"))

    assert str(raised.value) == "eventData.eventId must be valid Unicode text (a lone surrogate)"


def parsed_or_refusal(raw: bytes) -> CreateRequest | InvalidInput:
    try:
        return parse_create_request(raw)
    except InvalidInput as err:
        return err


# Any code point, lone surrogates included (JSON escapes them, so they reach json.loads).
ODD_TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=()),
        st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),
    ),
    max_size=12,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=6,
)
ID_VALUES = ODD_TEXT | JSON_VALUES | st.sampled_from(["", ".", "..", "a" * 1025, "1"])
DOCUMENTS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {"solutionId": ID_VALUES, "eventData": ID_VALUES | JSON_VALUES},
        optional={"extra": JSON_VALUES},
    ),
    st.fixed_dictionaries(
        {
            "solutionId": ID_VALUES,
            "eventData": st.fixed_dictionaries(
                {"calendarId": ID_VALUES, "eventId": ID_VALUES},
                optional={"extra": JSON_VALUES},
            ),
        }
    ),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(DOCUMENTS)
def test_any_json_parses_to_storable_ids_or_is_invalid_input(document: Any) -> None:
    result = parsed_or_refusal(json.dumps(document).encode())

    if isinstance(result, InvalidInput):
        return
    for value in (result.solution_id, result.calendar_id, result.event_id):
        assert value.strip()
        assert len(value) <= MAX_ID_LENGTH
        value.encode("utf-8")  # storable in Firestore, sendable to Calendar
        assert value not in (".", "..")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_invalid_input(raw: bytes) -> None:
    parsed_or_refusal(raw)
