"""Event fields and write rules: server-set fields, validation, fields=.

See docs/calendar-behaviour.md#event-fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    DAVE,
    TEAM,
    Raw,
    error_of,
    reason_of,
    timed_event,
)

Service = Callable[[str], Any]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def insert(calendar: Service, body: dict[str, Any], calendar_id: str = "primary") -> Any:
    return calendar(ALICE).events().insert(calendarId=calendar_id, body=body).execute()


def test_server_sets_id_etag_times_status_sequence_and_people(calendar: Service) -> None:
    event = insert(calendar, timed_event())

    assert re.fullmatch(r"[a-v0-9]{5,1024}", event["id"])
    assert event["kind"] == "calendar#event"
    assert event["etag"].startswith('"')
    assert event["etag"].endswith('"')
    assert RFC3339.match(event["created"])
    assert RFC3339.match(event["updated"])
    assert event["status"] == "confirmed"
    assert event["sequence"] == 0
    assert event["iCalUID"] == f"{event['id']}@google.com"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert event["creator"] == {"email": ALICE, "self": True}
    assert event["organizer"] == {"email": ALICE, "self": True}


def test_organizer_is_the_calendar_and_creator_the_caller(calendar: Service) -> None:
    event = calendar(DAVE).events().insert(calendarId=TEAM, body=timed_event()).execute()

    assert event["creator"] == {"email": DAVE}
    assert event["organizer"] == {"email": TEAM, "displayName": "Team", "self": True}


def test_client_supplied_id_is_kept_when_valid(calendar: Service) -> None:
    assert insert(calendar, timed_event(id="abcdef0123v"))["id"] == "abcdef0123v"


@pytest.mark.parametrize("bad_id", ["abcd", "ABCDEF", "abcdefw", "abc_def", "x" * 5])
def test_client_supplied_id_must_be_base32hex_5_to_1024(calendar: Service, bad_id: str) -> None:
    with pytest.raises(HttpError) as failure:
        insert(calendar, timed_event(id=bad_id))

    assert reason_of(failure.value) == (400, "invalid")
    assert error_of(failure.value)["message"] == "Invalid resource id value."


def test_taken_id_is_409_duplicate(calendar: Service) -> None:
    insert(calendar, timed_event(id="abcdef0123"))

    with pytest.raises(HttpError) as failure:
        insert(calendar, timed_event(id="abcdef0123"))

    assert reason_of(failure.value) == (409, "duplicate")


def test_etag_and_updated_change_on_every_write(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()

    patched = events.patch(calendarId="primary", eventId=event["id"], body={}).execute()
    again = events.patch(calendarId="primary", eventId=event["id"], body={}).execute()

    assert len({event["etag"], patched["etag"], again["etag"]}) == 3
    assert event["updated"] <= patched["updated"] <= again["updated"]
    assert again["created"] == event["created"]


def test_sequence_goes_up_on_time_changes_only(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()

    renamed = events.patch(calendarId="primary", eventId=event["id"], body={"summary": "x"})
    moved = events.patch(
        calendarId="primary",
        eventId=event["id"],
        body={"end": {"dateTime": "2030-01-07T12:00:00Z"}},
    )

    assert renamed.execute()["sequence"] == 0
    assert moved.execute()["sequence"] == 1


@pytest.mark.parametrize("status", ["tentative", "confirmed"])
def test_status_may_be_set(calendar: Service, status: str) -> None:
    assert insert(calendar, timed_event(status=status))["status"] == status


def test_all_day_event_has_dates_with_exclusive_end(calendar: Service) -> None:
    body = {"summary": "Off", "start": {"date": "2030-01-07"}, "end": {"date": "2030-01-08"}}

    event = insert(calendar, body)

    assert event["start"] == {"date": "2030-01-07"}
    assert event["end"] == {"date": "2030-01-08"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"start": {"dateTime": "2030-01-07T10:00:00Z"}}, (400, "required")),
        ({"end": {"dateTime": "2030-01-07T10:00:00Z"}}, (400, "required")),
        (timed_event(end="2030-01-07T09:00:00Z"), (400, "timeRangeEmpty")),
        (timed_event(start="2030-01-07T10:00:00", end="2030-01-07T11:00:00"), (400, "required")),
        (
            {"start": {"date": "2030-01-07"}, "end": {"dateTime": "2030-01-07T11:00:00Z"}},
            (400, "invalid"),
        ),
        (timed_event(status="gone"), (400, "invalid")),
    ],
    ids=["no-end", "no-start", "end-before-start", "no-offset-no-zone", "mixed", "bad-status"],
)
def test_start_and_end_are_checked(
    calendar: Service, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    with pytest.raises(HttpError) as failure:
        insert(calendar, body)

    assert reason_of(failure.value) == expected


def test_local_time_with_time_zone_is_accepted(calendar: Service) -> None:
    start = {"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Stockholm"}
    end = {"dateTime": "2030-01-07T11:00:00", "timeZone": "Europe/Stockholm"}

    assert insert(calendar, {"start": start, "end": end})["start"] == start


@pytest.mark.parametrize(
    "body",
    [
        {**timed_event(), "colour": "red"},
        {**timed_event(), "start": {"dateTime": "2030-01-07T10:00:00Z", "zone": "UTC"}},
        {**timed_event(), "summary": 5},
        {**timed_event(), "attendees": "alice"},
    ],
    ids=["unknown-field", "unknown-nested-field", "number-for-string", "string-for-array"],
)
def test_body_the_schema_does_not_describe_is_400(raw: Raw, body: dict[str, Any]) -> None:
    answer = raw.call("POST", "calendars/primary/events", json=body)

    assert answer.status_code == 400
    assert error_of(answer)["message"].startswith("Invalid JSON payload received.")


def test_body_that_is_not_json_is_400_parse_error(raw: Raw) -> None:
    answer = raw.call("POST", "calendars/primary/events", data=b"{nope")

    assert reason_of(answer) == (400, "parseError")


def test_read_only_fields_sent_back_are_ignored(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    body = {**event, "summary": "Again", "created": "2000-01-01T00:00:00.000Z", "id": "zzz"}

    updated = calendar(ALICE).events().update(calendarId="primary", eventId=event["id"], body=body)

    result = updated.execute()
    assert (result["id"], result["created"]) == (event["id"], event["created"])
    assert result["summary"] == "Again"


def test_patch_null_clears_a_field(calendar: Service) -> None:
    event = insert(calendar, timed_event(description="notes"))

    patched = (
        calendar(ALICE)
        .events()
        .patch(calendarId="primary", eventId=event["id"], body={"description": None})
    )

    assert "description" not in patched.execute()


def test_deleted_event_stays_readable_as_cancelled(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()

    events.delete(calendarId="primary", eventId=event["id"]).execute()

    fetched = events.get(calendarId="primary", eventId=event["id"]).execute()
    assert fetched["status"] == "cancelled"
    assert fetched["etag"] != event["etag"]


def test_cancelled_event_can_be_restored_by_patching_status(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()
    events.delete(calendarId="primary", eventId=event["id"]).execute()

    restored = events.patch(
        calendarId="primary", eventId=event["id"], body={"status": "confirmed"}
    ).execute()

    assert restored["status"] == "confirmed"


def test_get_of_a_deleted_event_answers_cancelled(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()
    events.delete(calendarId="primary", eventId=event["id"]).execute()

    assert events.get(calendarId="primary", eventId=event["id"]).execute()["status"] == "cancelled"


def test_fields_selects_parts_of_the_answer(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    events = calendar(ALICE).events()

    page = events.list(calendarId="primary", fields="nextPageToken,nextSyncToken").execute()
    items = events.list(calendarId="primary", fields="items(id,status,start)").execute()
    path = events.get(calendarId="primary", eventId=event["id"], fields="start/dateTime,id")

    assert set(page) == {"nextSyncToken"}
    assert items == {"items": [{"id": event["id"], "status": "confirmed", "start": event["start"]}]}
    assert path.execute() == {"id": event["id"], "start": {"dateTime": event["start"]["dateTime"]}}


def test_bad_fields_selector_is_400(raw: Raw) -> None:
    answer = raw.call("GET", "calendars/primary/events", params={"fields": "items(id"})

    assert reason_of(answer) == (400, "invalidParameter")


def test_primary_is_the_callers_own_calendar(calendar: Service) -> None:
    assert calendar(BOB).calendars().get(calendarId="primary").execute()["id"] == BOB


def test_calendars_get_returns_the_calendar_resource(calendar: Service) -> None:
    found = calendar(DAVE).calendars().get(calendarId=TEAM).execute()

    assert found["kind"] == "calendar#calendar"
    assert (found["id"], found["summary"], found["timeZone"]) == (TEAM, "Team", "UTC")
    assert found["etag"]


def test_max_attendees_trims_the_attendee_list(calendar: Service) -> None:
    people = [{"email": f"p{i}@example.com"} for i in range(3)]
    event = insert(calendar, timed_event(attendees=people))

    trimmed = (
        calendar(ALICE).events().get(calendarId="primary", eventId=event["id"], maxAttendees=1)
    )

    result = trimmed.execute()
    assert result["attendees"] == [{"email": "p0@example.com", "responseStatus": "needsAction"}]
    assert result["attendeesOmitted"] is True


def test_updated_is_rfc3339_utc(calendar: Service) -> None:
    event = insert(calendar, timed_event())

    assert datetime.fromisoformat(event["updated"]).utcoffset() is not None
