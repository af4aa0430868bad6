"""Moves and access roles as Google documents them, over HTTP with the real stack.

A moved event leaves a cancelled stub on its source (docs/calendar-behaviour.md#moved-events):
the meeting must follow the event wherever its owner can find it, and only people who
can edit a calendar may create there or read a conference's join details
(docs/calendar-behaviour.md#access-roles).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.google.credentials import CALENDAR_EVENTS_SCOPE, CALENDARS_READONLY_SCOPE
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.scenarios import ALICE, BOB, conference_on_event, mapping, settle
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

TEAM = "team@example.com"
CAROL = "carol@example.com"


def error_of(response: Any) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["conferenceError"]["type"])


# -- moves -----------------------------------------------------------------------------


def test_a_move_where_the_source_keeps_an_attendee_copy_keeps_the_meeting(stack: Stack) -> None:
    stack.calendar.control.create_calendar(TEAM, owner=ALICE, time_zone="Europe/Berlin")
    body = timed_event(
        "Planning",
        "2030-03-04T10:00:00",
        "2030-03-04T11:00:00",
        attendees=[{"email": ALICE}],
    )
    scenario = conference_on_event(stack, body=body)

    scenario.user.move(ALICE, scenario.event_id, TEAM)
    settle(stack)

    assert stack.provider_calls("delete") == []
    assert (
        mapping(stack, TEAM, scenario.event_id)["meetingId"] == scenario.conference["conferenceId"]
    )


def test_a_move_to_a_calendar_the_owner_cannot_write_deletes_the_meeting(stack: Stack) -> None:
    stack.calendar.control.create_calendar(TEAM, owner=BOB, time_zone="Europe/Berlin")
    stack.calendar.control.grant(TEAM, ALICE, "writer")
    scenario = conference_on_event(stack)
    scenario.user.move(ALICE, scenario.event_id, TEAM)
    stack.calendar.control.grant(TEAM, ALICE, "reader")  # then Alice lost write access

    settle(stack)

    assert [c["meetingId"] for c in stack.provider_calls("delete")] == [
        scenario.conference["conferenceId"]
    ]
    assert stack.docs("conferences") == []


def test_a_move_is_not_looked_for_without_the_calendar_list_scope(stack: Stack) -> None:
    stack.calendar.control.create_calendar(TEAM, owner=ALICE, time_zone="Europe/Berlin")
    scenario = conference_on_event(stack)
    calendars_before = sorted(json.dumps(c, default=str) for c in stack.docs("calendars"))
    # The grant lists only today's scopes: calendar-list calls are refused.
    stack.calendar.control.set_scopes(ALICE, [CALENDAR_EVENTS_SCOPE, CALENDARS_READONLY_SCOPE])
    lists_before = len(stack.calendar.control.calls("calendarList.list"))

    scenario.user.move(ALICE, scenario.event_id, TEAM)
    settle(stack)

    assert "https://www.googleapis.com/auth/calendar.calendarlist.readonly" in stack.sync.logs()
    assert len(stack.calendar.control.calls("calendarList.list")) == lists_before + 1
    assert len(stack.provider_calls("delete")) == 1  # as before the search existed
    calendars_after = [c for c in stack.docs("calendars") if c["calendarId"] == ALICE]
    assert calendars_after[0]["setupState"] == "ready"
    assert len(calendars_before) == len(stack.docs("calendars"))


# -- access ----------------------------------------------------------------------------


def event_on_team(stack: Stack, **extra: Any) -> str:
    stack.calendar.control.create_calendar(TEAM, owner=ALICE, time_zone="Europe/Berlin")
    event = CalendarUser(stack.calendar.api_endpoint, ALICE).insert(
        TEAM, timed_event("Team", "2030-03-04T10:00:00", "2030-03-04T11:00:00", **extra)
    )
    return str(event["id"])


@pytest.mark.parametrize("role", ["reader", "freeBusyReader"])
def test_a_reader_may_not_create_and_nothing_is_written(stack: Stack, role: str) -> None:
    event_id = event_on_team(stack)
    stack.calendar.control.grant(TEAM, CAROL, role)

    answer = stack.create_conference(CAROL, TEAM, event_id)

    assert error_of(answer) == "PERMISSION_DENIED"
    assert stack.provider_calls() == []
    assert not stack.state_written()


def test_a_stranger_may_not_create(stack: Stack) -> None:
    event_id = event_on_team(stack)

    assert error_of(stack.create_conference(CAROL, TEAM, event_id)) == "PERMISSION_DENIED"
    assert not stack.state_written()


@pytest.mark.parametrize("role", ["writer", "writerWithoutPrivateAccess", "owner"])
def test_writers_may_create(stack: Stack, role: str) -> None:
    event_id = event_on_team(stack)
    if role != "owner":
        stack.calendar.control.grant(TEAM, CAROL, role)
    creator = ALICE if role == "owner" else CAROL

    answer = stack.create_conference(creator, TEAM, event_id)

    assert "conferenceData" in answer.json()


def test_a_conference_is_handed_out_again_only_to_those_who_may_create(stack: Stack) -> None:
    event_id = event_on_team(stack)
    first = stack.create_conference(ALICE, TEAM, event_id).json()["conferenceData"]
    stack.calendar.control.grant(TEAM, CAROL, "reader")

    assert error_of(stack.create_conference(CAROL, TEAM, event_id)) == "PERMISSION_DENIED"
    stack.calendar.control.grant(TEAM, CAROL, "writer")
    assert stack.create_conference(CAROL, TEAM, event_id).json()["conferenceData"] == first


def test_a_private_event_is_not_for_a_writer_without_private_access(stack: Stack) -> None:
    event_id = event_on_team(stack, visibility="private")
    stack.create_conference(ALICE, TEAM, event_id)
    stack.calendar.control.grant(TEAM, CAROL, "writerWithoutPrivateAccess")

    assert error_of(stack.create_conference(CAROL, TEAM, event_id)) == "PERMISSION_DENIED"
    assert len(stack.provider_calls("create")) == 1


def test_a_stopped_calendar_is_never_handed_to_a_reader(stack: Stack) -> None:
    event_id = event_on_team(stack)
    stack.create_conference(ALICE, TEAM, event_id)
    [doc] = [c for c in stack.docs("calendars") if c["calendarId"] == TEAM]
    ref = stack.db.collection("calendars").document(
        next(s.id for s in stack.db.collection("calendars").stream())
    )
    ref.update({"setupState": "access_revoked"})
    stack.calendar.control.grant(TEAM, CAROL, "reader")

    assert error_of(stack.create_conference(CAROL, TEAM, event_id)) == "PERMISSION_DENIED"
    [after] = [c for c in stack.docs("calendars") if c["calendarId"] == TEAM]
    assert (after["syncUser"], after["setupState"]) == (doc["syncUser"], "access_revoked")


def test_without_the_calendar_list_scope_creation_works_as_before(stack: Stack) -> None:
    event_id = event_on_team(stack)
    stack.calendar.control.set_scopes(ALICE, [CALENDAR_EVENTS_SCOPE, CALENDARS_READONLY_SCOPE])

    answer = stack.create_conference(ALICE, TEAM, event_id)

    assert "conferenceData" in answer.json()
    assert "calendar.calendarlist.readonly" in stack.create.logs()
