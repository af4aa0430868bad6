"""A "this and following" edit (control API) and the ``_R`` series it makes.

See docs/calendar-behaviour.md#recurring-events. Evidence, not documented by Google.
The weekly series starts on Monday 2030-01-07 10:00 Stockholm time (09:00 UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from local.fakes.calendar_server.errors import ApiError
from tests.fakes.calendar_server.conftest import ALICE, BOB, DAVE, reason_of, weekly_series

Service = Callable[[str], Any]
THIRD = "20300121T090000Z"  # Monday 2030-01-21 10:00 Stockholm
CONFERENCE = {
    "conferenceId": "123",
    "conferenceSolution": {"key": {"type": "addOn"}, "name": "Example"},
    "entryPoints": [{"entryPointType": "video", "uri": "https://example.com/j/123"}],
    "parameters": {"addOnParameters": {"parameters": {"solutionId": "1"}}},
}


def insert(calendar: Service, body: dict[str, Any]) -> dict[str, Any]:
    request = calendar(ALICE).events().insert(calendarId=ALICE, body=body, conferenceDataVersion=1)
    return dict(request.execute())


def get(calendar: Service, event_id: str) -> dict[str, Any]:
    return dict(calendar(ALICE).events().get(calendarId=ALICE, eventId=event_id).execute())


def ids(calendar: Service, **query: Any) -> list[str]:
    page = calendar(ALICE).events().list(calendarId=ALICE, **query).execute()
    return [item["id"] for item in page["items"]]


@pytest.fixture
def series(calendar: Service) -> dict[str, Any]:
    return insert(calendar, weekly_series(count=5, conferenceData=CONFERENCE))


def split(server: CalendarServer, series: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return server.control.split_series(ALICE, f"{series['id']}_{THIRD}", **kw)


def test_the_original_ends_the_day_before_in_its_zone_as_utc(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    split(server, series)

    original = get(calendar, series["id"])
    # The end of Sunday 2030-01-20 in Stockholm (UTC+1), as UTC; COUNT gives way to it.
    assert original["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300120T225959Z"]
    assert original["sequence"] == series["sequence"] + 1
    assert original["conferenceData"] == series["conferenceData"]


def test_the_new_series_is_named_series_id_r_and_the_utc_start(
    server: CalendarServer, series: dict[str, Any]
) -> None:
    following = split(server, series)

    assert following["id"] == f"{series['id']}_R20300121T090000"
    assert following["iCalUID"] == f"{following['id']}@google.com"
    assert "recurringEventId" not in following
    assert following["start"] == {
        "dateTime": "2030-01-21T10:00:00+01:00",
        "timeZone": "Europe/Stockholm",
    }
    assert following["end"]["dateTime"] == "2030-01-21T10:30:00+01:00"


def test_the_new_series_copies_the_data_and_the_conference(
    server: CalendarServer, series: dict[str, Any]
) -> None:
    following = split(server, series)

    assert following["conferenceData"] == series["conferenceData"]
    assert following["summary"] == series["summary"]
    assert following["organizer"] == series["organizer"]
    assert following["created"] == series["created"]
    # The 5 occurrences: 2 stay with the original, 3 come with the new series.
    assert following["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]


def test_the_edits_apply_to_the_new_series_only(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    following = split(server, series, changes={"summary": "Renamed", "description": "new"})

    assert (following["summary"], following["description"]) == ("Renamed", "new")
    assert get(calendar, series["id"])["summary"] == "Weekly"
    assert following["conferenceData"] == series["conferenceData"]


def test_an_r_id_is_a_series_for_get_and_list(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    following = split(server, series)

    found = get(calendar, following["id"])
    assert (found["id"], found["recurrence"]) == (following["id"], following["recurrence"])
    assert "recurringEventId" not in found
    assert ids(calendar) == [series["id"], following["id"]]


def test_single_events_lists_each_slot_once(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    following = split(server, series)

    assert ids(calendar, singleEvents=True) == [
        f"{series['id']}_20300107T090000Z",
        f"{series['id']}_20300114T090000Z",
        f"{following['id']}_20300121T090000Z",
        f"{following['id']}_20300128T090000Z",
        f"{following['id']}_20300204T090000Z",
    ]


def test_instances_of_the_r_series_are_its_own(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    following = split(server, series)
    events = calendar(ALICE).events()

    page = events.instances(calendarId=ALICE, eventId=following["id"]).execute()
    instance = get(calendar, f"{following['id']}_20300128T090000Z")

    assert [item["recurringEventId"] for item in page["items"]] == [following["id"]] * 3
    assert page["items"][0]["id"] == f"{following['id']}_20300121T090000Z"
    assert page["items"][0]["conferenceData"] == series["conferenceData"]
    assert instance["recurringEventId"] == following["id"]
    old = events.instances(calendarId=ALICE, eventId=series["id"]).execute()["items"]
    assert len(old) == 2


def test_an_instance_of_the_r_series_takes_an_exception(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    following = split(server, series)
    instance_id = f"{following['id']}_20300128T090000Z"

    calendar(ALICE).events().patch(
        calendarId=ALICE, eventId=instance_id, body={"summary": "Once"}
    ).execute()

    exception = get(calendar, instance_id)
    assert (exception["summary"], exception["recurringEventId"]) == ("Once", following["id"])
    assert get(calendar, following["id"])["summary"] == "Weekly"


def test_incremental_sync_shows_the_shortened_and_the_new_series(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    token = calendar(ALICE).events().list(calendarId=ALICE).execute()["nextSyncToken"]

    following = split(server, series)

    page = calendar(ALICE).events().list(calendarId=ALICE, syncToken=token).execute()
    by_id = {item["id"]: item for item in page["items"]}
    assert set(by_id) == {series["id"], following["id"]}
    assert by_id[series["id"]]["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300120T225959Z"]
    assert by_id[following["id"]]["status"] == "confirmed"
    assert by_id[following["id"]]["conferenceData"] == series["conferenceData"]


def test_incremental_single_events_sync_lists_the_new_instances(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    events = calendar(ALICE).events()
    token = events.list(calendarId=ALICE, singleEvents=True).execute()["nextSyncToken"]

    following = split(server, series)

    items = events.list(calendarId=ALICE, singleEvents=True, syncToken=token).execute()["items"]
    new = [i["id"] for i in items if i.get("recurringEventId") == following["id"]]
    days = ("20300121", "20300128", "20300204")
    assert new == [f"{following['id']}_{day}T090000Z" for day in days]


def test_an_unbounded_series_keeps_no_end_on_the_new_series(
    server: CalendarServer, calendar: Service
) -> None:
    body = weekly_series()
    body["recurrence"] = ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
    series = insert(calendar, body)

    following = split(server, series)

    assert following["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
    assert get(calendar, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300120T225959Z"
    ]


def test_an_all_day_series_splits_on_dates(server: CalendarServer, calendar: Service) -> None:
    body = {
        "summary": "Daily",
        "start": {"date": "2030-01-07"},
        "end": {"date": "2030-01-08"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=4"],
    }
    series = insert(calendar, body)

    following = server.control.split_series(ALICE, f"{series['id']}_20300109")

    assert following["id"] == f"{series['id']}_R20300109"
    assert following["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=2"]
    assert get(calendar, series["id"])["recurrence"] == ["RRULE:FREQ=DAILY;UNTIL=20300108"]


def test_the_originals_exceptions_from_the_split_on_are_cancelled(
    server: CalendarServer, calendar: Service, series: dict[str, Any]
) -> None:
    events = calendar(ALICE).events()
    earlier = f"{series['id']}_20300114T090000Z"
    later = f"{series['id']}_20300128T090000Z"
    for instance_id in (earlier, later):
        events.patch(calendarId=ALICE, eventId=instance_id, body={"summary": "x"}).execute()

    split(server, series)

    assert get(calendar, earlier)["status"] == "confirmed"
    assert get(calendar, later)["status"] == "cancelled"


def test_splitting_an_r_series_again_names_the_new_one_after_the_first_series(
    server: CalendarServer, series: dict[str, Any]
) -> None:
    following = split(server, series)

    again = server.control.split_series(ALICE, f"{following['id']}_20300204T090000Z")

    assert again["id"] == f"{series['id']}_R20300204T090000"


def test_the_first_occurrence_or_no_occurrence_cannot_be_split(
    server: CalendarServer, series: dict[str, Any]
) -> None:
    with pytest.raises(ApiError) as first:
        server.control.split_series(ALICE, f"{series['id']}_20300107T090000Z")
    with pytest.raises(ApiError) as missing:
        server.control.split_series(ALICE, f"{series['id']}_20300122T090000Z")
    with pytest.raises(ApiError) as single:
        server.control.split_series(ALICE, series["id"])

    assert (first.value.code, first.value.reason) == (400, "invalid")
    assert (missing.value.code, single.value.code) == (404, 404)


def test_only_a_writer_can_split(server: CalendarServer, series: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as reader:
        split(server, series, as_user=BOB)

    assert (reader.value.code, reader.value.reason) == (403, "requiredAccessLevel")
    assert split(server, series, as_user=DAVE)["id"].endswith("_R20300121T090000")


def test_split_over_http(server: CalendarServer, calendar: Service, series: dict[str, Any]) -> None:
    route = f"{server.base_url}/_control/calendars/{ALICE}/events/{series['id']}_{THIRD}/split"

    answer = requests.post(route, json={"changes": {"summary": "New"}}, timeout=10)
    again = requests.post(route, json={}, timeout=10)

    assert answer.status_code == 200
    assert (answer.json()["id"], answer.json()["summary"]) == (
        f"{series['id']}_R20300121T090000",
        "New",
    )
    assert reason_of(again) == (404, "notFound")  # that occurrence is past the series' end


def test_a_client_cannot_create_an_r_id_itself(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        insert(calendar, weekly_series(id="abcdef0123_R20300121T090000"))

    assert reason_of(failure.value) == (400, "invalid")
