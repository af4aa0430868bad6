"""events.move and what it leaves on the source calendar.

See docs/calendar-behaviour.md#moved-events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    TEAM,
    reason_of,
    timed_event,
    weekly_series,
)

Service = Callable[[str], Any]
SECOND_MONDAY = "20300114T090000Z"


def insert(calendar: Service, body: dict[str, Any], calendar_id: str = ALICE) -> Any:
    return calendar(ALICE).events().insert(calendarId=calendar_id, body=body).execute()


def sync_token(calendar: Service, calendar_id: str = ALICE) -> str:
    return str(calendar(ALICE).events().list(calendarId=calendar_id).execute()["nextSyncToken"])


def changes(calendar: Service, token: str, calendar_id: str = ALICE) -> list[dict[str, Any]]:
    page = calendar(ALICE).events().list(calendarId=calendar_id, syncToken=token).execute()
    return list(page["items"])


def move(calendar: Service, event_id: str, destination: str = TEAM) -> dict[str, Any]:
    request = (
        calendar(ALICE).events().move(calendarId=ALICE, eventId=event_id, destination=destination)
    )
    return dict(request.execute())


def test_move_keeps_the_id_and_the_destination_becomes_the_organizer(calendar: Service) -> None:
    event = insert(calendar, timed_event())

    moved = move(calendar, event["id"])

    assert moved["id"] == event["id"]
    assert moved["organizer"] == {"email": TEAM, "displayName": "Team", "self": True}
    found = calendar(ALICE).events().get(calendarId=TEAM, eventId=event["id"]).execute()
    assert (found["summary"], found["organizer"]["email"]) == ("Planning", TEAM)


def test_source_incremental_sync_shows_a_minimal_cancelled_item(calendar: Service) -> None:
    event = insert(calendar, timed_event(description="agenda"))
    token = sync_token(calendar)

    move(calendar, event["id"])

    [item] = changes(calendar, token)
    assert item == {
        "kind": "calendar#event",
        "etag": item["etag"],
        "id": event["id"],
        "status": "cancelled",
    }


def test_get_on_the_source_answers_200_cancelled_not_the_moved_event(calendar: Service) -> None:
    event = insert(calendar, timed_event(description="agenda"))

    move(calendar, event["id"])

    seen = calendar(ALICE).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    assert (seen["id"], seen["status"]) == (event["id"], "cancelled")
    for detail in ("summary", "description", "organizer", "start", "end"):
        assert detail not in seen


def test_from_the_source_a_moved_event_looks_like_a_deleted_one(calendar: Service) -> None:
    moved = insert(calendar, timed_event())
    deleted = insert(calendar, timed_event())
    token = sync_token(calendar)
    events = calendar(ALICE).events()

    move(calendar, moved["id"])
    events.delete(calendarId=ALICE, eventId=deleted["id"]).execute()

    got = [events.get(calendarId=ALICE, eventId=e["id"]).execute() for e in (moved, deleted)]
    listed = changes(calendar, token)
    assert [item["status"] for item in got] == ["cancelled", "cancelled"]
    assert [sorted(item) for item in listed] == [["etag", "id", "kind", "status"]] * 2
    # The organizer's own deleted event keeps its details (so it can be restored); the
    # moved one only guarantees its id (discovery, Event.status).
    assert "summary" in got[1]
    assert sorted(got[0]) == ["etag", "id", "kind", "status", "updated"]


def test_a_moved_event_is_gone_from_the_sources_full_listing(calendar: Service) -> None:
    event = insert(calendar, timed_event())

    move(calendar, event["id"])

    assert calendar(ALICE).events().list(calendarId=ALICE).execute()["items"] == []
    shown = calendar(ALICE).events().list(calendarId=ALICE, showDeleted=True).execute()
    assert [(i["id"], i["status"]) for i in shown["items"]] == [(event["id"], "cancelled")]


def test_source_calendar_on_the_attendee_list_keeps_an_attendee_copy(calendar: Service) -> None:
    people = [{"email": ALICE}, {"email": "x@example.com"}]
    event = insert(calendar, timed_event(attendees=people))
    token = sync_token(calendar)

    move(calendar, event["id"])

    left = calendar(ALICE).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    assert left["status"] == "confirmed"
    assert left["organizer"] == {"email": TEAM, "displayName": "Team"}
    assert left["summary"] == "Planning"
    [item] = changes(calendar, token)
    assert (item["id"], item["status"], item["organizer"]["email"]) == (
        event["id"],
        "confirmed",
        TEAM,
    )


def test_destination_sync_shows_the_moved_event_in_full(calendar: Service) -> None:
    event = insert(calendar, timed_event(description="agenda"))
    token = sync_token(calendar, TEAM)

    move(calendar, event["id"])

    [item] = changes(calendar, token, TEAM)
    assert (item["id"], item["status"], item["description"]) == (
        event["id"],
        "confirmed",
        "agenda",
    )
    assert item["organizer"]["self"] is True


def test_a_moved_series_leaves_its_exceptions_cancelled_with_their_series(
    calendar: Service,
) -> None:
    series = insert(calendar, weekly_series())
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    events = calendar(ALICE).events()
    events.patch(calendarId=ALICE, eventId=instance_id, body={"summary": "x"}).execute()
    token = sync_token(calendar)

    move(calendar, series["id"])

    left = {item["id"]: item for item in changes(calendar, token)}
    assert set(left) == {series["id"], instance_id}
    assert left[series["id"]]["status"] == "cancelled"
    assert left[instance_id]["status"] == "cancelled"
    assert left[instance_id]["recurringEventId"] == series["id"]
    assert "originalStartTime" in left[instance_id]
    on_team = events.get(calendarId=TEAM, eventId=instance_id).execute()
    assert (on_team["summary"], on_team["organizer"]["email"]) == ("x", TEAM)


def test_move_needs_write_access_to_the_destination(calendar: Service) -> None:
    event = insert(calendar, timed_event())

    with pytest.raises(HttpError) as failure:
        move(calendar, event["id"], destination=BOB)

    assert reason_of(failure.value) == (404, "notFound")


def test_move_of_an_instance_is_refused(calendar: Service) -> None:
    series = insert(calendar, weekly_series())

    with pytest.raises(HttpError) as failure:
        move(calendar, f"{series['id']}_{SECOND_MONDAY}")

    assert reason_of(failure.value) == (400, "cannotChangeOrganizerOfInstance")


def test_a_moved_event_cannot_be_moved_again_from_the_source(calendar: Service) -> None:
    event = insert(calendar, timed_event())
    move(calendar, event["id"])

    with pytest.raises(HttpError) as failure:
        move(calendar, event["id"])

    assert reason_of(failure.value) == (404, "notFound")
