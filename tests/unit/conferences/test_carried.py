"""Which conference an event carries, and whose copy of the event a calendar holds."""

from __future__ import annotations

from typing import Any

import pytest

from shared.conferences.carried import (
    CarriedConference,
    carried_conference,
    carries,
    is_organizer_copy,
)


def conference(
    conference_id: str | None = "conf-1",
    key_type: str = "addOn",
    solution_id: str | None = "1",
) -> dict[str, Any]:
    data: dict[str, Any] = {"conferenceSolution": {"key": {"type": key_type}}}
    if conference_id is not None:
        data["conferenceId"] = conference_id
    if solution_id is not None:
        data["parameters"] = {"addOnParameters": {"parameters": {"solutionId": solution_id}}}
    return data


def test_an_add_on_conference_is_read() -> None:
    event = {"id": "evt1", "conferenceData": conference()}

    assert carried_conference(event) == CarriedConference(
        conference_id="conf-1", solution_key_type="addOn", solution_id="1"
    )


def test_a_meet_conference_is_read_too_without_a_solution_id() -> None:
    event = {"conferenceData": conference("abc-defg-hij", "hangoutsMeet", solution_id=None)}

    assert carried_conference(event) == CarriedConference(
        conference_id="abc-defg-hij", solution_key_type="hangoutsMeet", solution_id=None
    )


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"conferenceData": None},
        {"conferenceData": "conf-1"},
        {"conferenceData": conference(conference_id=None)},
        {"conferenceData": conference(conference_id="")},
        # A create request still pending has no conferenceId yet.
        {"conferenceData": {"createRequest": {"requestId": "r1"}}},
    ],
)
def test_no_conference_without_a_conference_id(event: dict[str, Any]) -> None:
    assert carried_conference(event) is None


def test_missing_solution_and_parameters_read_as_empty() -> None:
    event = {"conferenceData": {"conferenceId": "conf-1", "conferenceSolution": None}}

    assert carried_conference(event) == CarriedConference(
        conference_id="conf-1", solution_key_type="", solution_id=None
    )


@pytest.mark.parametrize(
    ("event", "conference_id", "expected"),
    [
        ({"conferenceData": conference()}, "conf-1", True),
        ({"status": "confirmed", "conferenceData": conference()}, "conf-1", True),
        ({"status": "cancelled", "conferenceData": conference()}, "conf-1", False),
        ({"conferenceData": conference()}, "conf-2", False),
        ({"conferenceData": conference()}, None, False),
        ({"conferenceData": conference()}, "", False),
        ({"conferenceData": conference("conf-1", "hangoutsMeet")}, "conf-1", False),
        ({}, "conf-1", False),
    ],
)
def test_carries_only_our_live_conference(
    event: dict[str, Any], conference_id: str | None, expected: bool
) -> None:
    assert carries(event, conference_id) is expected


@pytest.mark.parametrize(
    ("organizer", "calendar_id", "expected"),
    [
        ({"email": "alice@example.com"}, "alice@example.com", True),
        ({"email": "Alice@Example.com", "self": False}, "alice@example.com", True),
        ({"email": "team@group.calendar.google.com"}, "team@group.calendar.google.com", True),
        ({"email": "alice@example.com", "self": True}, "bob@example.com", False),
        ({"self": True}, "alice@example.com", True),
        ({"self": False}, "alice@example.com", False),
        ({}, "alice@example.com", False),
        (None, "alice@example.com", False),
    ],
)
def test_the_organizer_copy_is_the_organizers_calendar(
    organizer: dict[str, Any] | None, calendar_id: str, expected: bool
) -> None:
    event = {} if organizer is None else {"organizer": organizer}

    assert is_organizer_copy(event, calendar_id) is expected
