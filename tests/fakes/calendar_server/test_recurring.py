"""docs/calendar-behaviour.md#recurring-events: recurring events, their instances and exceptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.fakes.calendar_server.conftest import ALICE, reason_of, weekly_series

Service = Callable[[str], Any]
SECOND_MONDAY = "20300114T090000Z"  # 2030-01-14 10:00 Stockholm


def insert(calendar: Service, body: dict[str, Any]) -> Any:
    return calendar(ALICE).events().insert(calendarId="primary", body=body).execute()


def instance_ids(calendar: Service, **query: Any) -> list[str]:
    page = calendar(ALICE).events().list(calendarId="primary", singleEvents=True, **query)
    return [item["id"] for item in page.execute()["items"]]


def test_instance_ids_are_series_id_and_utc_start(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=3))

    assert instance_ids(calendar) == [
        f"{series['id']}_20300107T090000Z",
        f"{series['id']}_20300114T090000Z",
        f"{series['id']}_20300121T090000Z",
    ]


def test_all_day_instance_ids_are_series_id_and_date(calendar: Service) -> None:
    body = {
        "start": {"date": "2030-01-07"},
        "end": {"date": "2030-01-08"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
    }
    series = insert(calendar, body)

    assert instance_ids(calendar) == [f"{series['id']}_20300107", f"{series['id']}_20300108"]


def test_get_of_an_instance_id_gives_the_instance(calendar: Service) -> None:
    series = insert(calendar, weekly_series())

    found = (
        calendar(ALICE)
        .events()
        .get(calendarId="primary", eventId=f"{series['id']}_{SECOND_MONDAY}")
        .execute()
    )

    assert found["recurringEventId"] == series["id"]
    assert found["start"] == {
        "dateTime": "2030-01-14T10:00:00+01:00",
        "timeZone": "Europe/Stockholm",
    }
    assert found["originalStartTime"] == found["start"]
    assert "recurrence" not in found


@pytest.mark.parametrize(
    "suffix",
    ["20300114T100000Z", "20300211T090000Z", "20300114", "garbage"],
    ids=["wrong-time", "after-count", "date-for-timed", "malformed"],
)
def test_instance_id_that_is_no_occurrence_is_404(calendar: Service, suffix: str) -> None:
    series = insert(calendar, weekly_series(count=5))

    with pytest.raises(HttpError) as failure:
        calendar(ALICE).events().get(
            calendarId="primary", eventId=f"{series['id']}_{suffix}"
        ).execute()

    assert reason_of(failure.value) == (404, "notFound")


def test_patch_of_an_instance_stores_an_exception(calendar: Service) -> None:
    series = insert(calendar, weekly_series())
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    events = calendar(ALICE).events()

    events.patch(calendarId="primary", eventId=instance_id, body={"summary": "Moved"}).execute()

    listed = events.list(calendarId="primary").execute()["items"]
    assert [item["id"] for item in listed] == [series["id"], instance_id]
    exception = listed[1]
    assert exception["summary"] == "Moved"
    assert exception["recurringEventId"] == series["id"]
    assert exception["originalStartTime"]["dateTime"] == "2030-01-14T10:00:00+01:00"


def test_update_of_an_instance_keeps_its_identity(calendar: Service) -> None:
    series = insert(calendar, weekly_series())
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    events = calendar(ALICE).events()
    instance = events.get(calendarId="primary", eventId=instance_id).execute()
    new_end = {"dateTime": "2030-01-14T11:00:00+01:00", "timeZone": "Europe/Stockholm"}
    body = {"start": instance["start"], "end": new_end}

    updated = events.update(calendarId="primary", eventId=instance_id, body=body).execute()

    assert updated["id"] == instance_id
    assert updated["recurringEventId"] == series["id"]
    assert updated["originalStartTime"] == instance["originalStartTime"]
    assert updated["sequence"] == instance["sequence"] + 1


def test_delete_of_an_instance_leaves_a_cancelled_exception(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=3))
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    events = calendar(ALICE).events()

    events.delete(calendarId="primary", eventId=instance_id).execute()

    assert events.get(calendarId="primary", eventId=instance_id).execute()["status"] == "cancelled"
    assert instance_id not in instance_ids(calendar)
    with pytest.raises(HttpError) as failure:
        events.delete(calendarId="primary", eventId=instance_id).execute()
    assert reason_of(failure.value) == (410, "deleted")


def test_delete_of_a_series_cancels_it_and_its_exceptions(calendar: Service) -> None:
    series = insert(calendar, weekly_series())
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    events = calendar(ALICE).events()
    events.patch(calendarId="primary", eventId=instance_id, body={"summary": "x"}).execute()

    events.delete(calendarId="primary", eventId=series["id"]).execute()

    for event_id in (series["id"], instance_id):
        assert events.get(calendarId="primary", eventId=event_id).execute()["status"] == "cancelled"
    assert events.list(calendarId="primary").execute()["items"] == []
    assert instance_ids(calendar) == []


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        (
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20300130T000000Z",
            "2030-01-07",
            ["20300107", "20300109", "20300121", "20300123"],
        ),
        (
            "RRULE:FREQ=DAILY;COUNT=4;BYDAY=MO,TU",
            "2030-01-07",
            ["20300107", "20300108", "20300114", "20300115"],
        ),
        (
            "RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20300113",
            "2030-01-07",
            ["20300107", "20300110", "20300113"],
        ),
        ("RRULE:FREQ=MONTHLY;COUNT=3", "2030-01-31", ["20300131", "20300331", "20300531"]),
    ],
    ids=["weekly-interval-byday-until", "daily-byday-count", "daily-interval", "monthly-31st"],
)
def test_rules_expand_like_rfc5545(
    calendar: Service, rule: str, start: str, expected: list[str]
) -> None:
    body = {
        "start": {"dateTime": f"{start}T10:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": f"{start}T11:00:00Z", "timeZone": "UTC"},
        "recurrence": [rule],
    }
    series = insert(calendar, body)

    ids = instance_ids(calendar)

    assert ids == [f"{series['id']}_{day}T100000Z" for day in expected]


def test_exdate_removes_an_occurrence(calendar: Service) -> None:
    body = weekly_series(count=3)
    body["recurrence"] = body["recurrence"] + ["EXDATE;TZID=Europe/Stockholm:20300114T100000"]
    series = insert(calendar, body)

    assert instance_ids(calendar) == [
        f"{series['id']}_20300107T090000Z",
        f"{series['id']}_20300121T090000Z",
    ]


def test_series_keeps_wall_time_across_daylight_saving(calendar: Service) -> None:
    body = {
        "start": {"dateTime": "2030-03-25T10:00:00+01:00", "timeZone": "Europe/Stockholm"},
        "end": {"dateTime": "2030-03-25T11:00:00+01:00", "timeZone": "Europe/Stockholm"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
    }
    series = insert(calendar, body)

    ids = instance_ids(calendar)

    assert ids == [f"{series['id']}_20300325T090000Z", f"{series['id']}_20300401T080000Z"]


def test_single_events_lists_instances_in_the_window(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=5))

    ids = instance_ids(calendar, timeMin="2030-01-10T00:00:00Z", timeMax="2030-01-22T00:00:00Z")

    assert ids == [f"{series['id']}_20300114T090000Z", f"{series['id']}_20300121T090000Z"]


def test_recurring_event_needs_a_start_time_zone(calendar: Service) -> None:
    body = weekly_series()
    body["start"] = {"dateTime": "2030-01-07T10:00:00+01:00"}

    with pytest.raises(HttpError) as failure:
        insert(calendar, body)

    assert reason_of(failure.value) == (400, "required")


@pytest.mark.parametrize("rule", ["RRULE:FREQ=SOMETIMES", "RRULE:COUNT=2", "XRULE:FREQ=DAILY"])
def test_invalid_recurrence_is_400(calendar: Service, rule: str) -> None:
    with pytest.raises(HttpError) as failure:
        insert(calendar, weekly_series() | {"recurrence": [rule]})

    assert reason_of(failure.value) == (400, "invalid")


def instances(calendar: Service, event_id: str, **query: Any) -> list[dict[str, Any]]:
    page = calendar(ALICE).events().instances(calendarId="primary", eventId=event_id, **query)
    return list(page.execute()["items"])


def test_instances_lists_the_series_occurrences_with_exceptions_in_place(
    calendar: Service,
) -> None:
    series = insert(calendar, weekly_series(count=3))
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    calendar(ALICE).events().patch(
        calendarId="primary", eventId=instance_id, body={"summary": "Moved"}
    ).execute()

    found = instances(calendar, series["id"])

    assert [item["id"] for item in found] == [
        f"{series['id']}_20300107T090000Z",
        instance_id,
        f"{series['id']}_20300121T090000Z",
    ]
    assert [item["summary"] for item in found] == ["Weekly", "Moved", "Weekly"]
    assert {item["recurringEventId"] for item in found} == {series["id"]}


def test_instances_filters_by_window_and_original_start(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=5))

    windowed = instances(
        calendar, series["id"], timeMin="2030-01-10T00:00:00Z", timeMax="2030-01-22T00:00:00Z"
    )
    original = instances(calendar, series["id"], originalStart="2030-01-14T10:00:00+01:00")

    assert [item["id"] for item in windowed] == [
        f"{series['id']}_20300114T090000Z",
        f"{series['id']}_20300121T090000Z",
    ]
    assert [item["id"] for item in original] == [f"{series['id']}_{SECOND_MONDAY}"]


def test_instances_shows_cancelled_occurrences_only_with_show_deleted(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=3))
    instance_id = f"{series['id']}_{SECOND_MONDAY}"
    calendar(ALICE).events().delete(calendarId="primary", eventId=instance_id).execute()

    hidden = instances(calendar, series["id"])
    shown = instances(calendar, series["id"], showDeleted=True)

    assert instance_id not in [item["id"] for item in hidden]
    assert [(item["id"], item["status"]) for item in shown if item["id"] == instance_id] == [
        (instance_id, "cancelled")
    ]


def test_instances_pages_with_max_results(calendar: Service) -> None:
    series = insert(calendar, weekly_series(count=3))
    events = calendar(ALICE).events()

    first = events.instances(calendarId="primary", eventId=series["id"], maxResults=2).execute()
    rest = events.instances(
        calendarId="primary", eventId=series["id"], pageToken=first["nextPageToken"]
    ).execute()

    assert len(first["items"]) == 2
    assert [item["id"] for item in rest["items"]] == [f"{series['id']}_20300121T090000Z"]
    assert "nextPageToken" not in rest


def test_instances_of_an_unknown_event_is_404(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        instances(calendar, "abcdef0123")

    assert reason_of(failure.value) == (404, "notFound")


def test_instances_of_a_single_event_is_that_event(calendar: Service) -> None:
    body = weekly_series()
    body.pop("recurrence")
    event = insert(calendar, body)

    assert [item["id"] for item in instances(calendar, event["id"])] == [event["id"]]
