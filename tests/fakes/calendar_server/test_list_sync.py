"""events.list, paging, full and incremental sync, sync-token errors.

See docs/calendar-behaviour.md#incremental-sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    Raw,
    error_of,
    reason_of,
    timed_event,
    weekly_series,
)

Service = Callable[[str], Any]
FULL_SYNC_REQUIRED = {
    "error": {
        "errors": [
            {
                "domain": "calendar",
                "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
                "locationType": "parameter",
                "location": "syncToken",
            }
        ],
        "code": 410,
        "message": "Sync token is no longer valid, a full sync is required.",
    }
}


def seed(server: CalendarServer, count: int, calendar_id: str = ALICE) -> list[dict[str, Any]]:
    bodies = [timed_event(summary=f"e{i}") for i in range(count)]
    return server.control.insert_events(calendar_id, bodies)


def listing(calendar: Service, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = calendar(ALICE).events().list(calendarId="primary", **query).execute()
    return page


def all_pages(calendar: Service, **query: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of a listing (the pageToken repeated with the same query)."""
    pages = [listing(calendar, **query)]
    while "nextPageToken" in pages[-1]:
        pages.append(listing(calendar, pageToken=pages[-1]["nextPageToken"], **query))
    items = [item for page in pages for item in page["items"]]
    return pages, items


def test_max_results_defaults_to_250(server: CalendarServer, calendar: Service) -> None:
    seed(server, 251)

    page = listing(calendar)

    assert len(page["items"]) == 250
    assert "nextPageToken" in page


def test_max_results_above_2500_is_capped(server: CalendarServer, calendar: Service) -> None:
    seed(server, 2501)

    page = listing(calendar, maxResults=5000, fields="items(id),nextPageToken")

    assert len(page["items"]) == 2500
    assert "nextPageToken" in page


def test_pages_may_be_short_or_empty_while_next_page_token_is_set(
    server: CalendarServer, calendar: Service
) -> None:
    created = seed(server, 5)
    server.control.script_page_sizes(ALICE, [0, 1, 0, 2])

    pages, items = all_pages(calendar, maxResults=3)

    assert [len(page["items"]) for page in pages] == [0, 1, 0, 2, 2]
    assert [item["id"] for item in items] == [event["id"] for event in created]


def test_a_fully_empty_first_page_still_has_a_next_page_token(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.script_page_sizes(ALICE, [0])

    first = listing(calendar)
    second = listing(calendar, pageToken=first["nextPageToken"])

    assert first["items"] == []
    assert "nextSyncToken" not in first
    assert second["items"] == []
    assert "nextSyncToken" in second


def test_next_page_token_and_next_sync_token_are_exclusive(
    server: CalendarServer, calendar: Service
) -> None:
    seed(server, 5)

    pages, _ = all_pages(calendar, maxResults=2)

    assert [("nextPageToken" in p, "nextSyncToken" in p) for p in pages] == [
        (True, False),
        (True, False),
        (False, True),
    ]


def test_full_sync_with_time_min_returns_a_sync_token_and_filters(calendar: Service) -> None:
    events = calendar(ALICE).events()
    early = events.insert(calendarId="primary", body=timed_event()).execute()
    late = events.insert(
        calendarId="primary",
        body=timed_event(start="2030-02-01T10:00:00Z", end="2030-02-01T11:00:00Z"),
    ).execute()

    page = listing(calendar, timeMin="2030-01-15T00:00:00Z")

    assert [item["id"] for item in page["items"]] == [late["id"]]
    assert "nextSyncToken" in page
    assert early["id"] not in [
        item["id"] for item in listing(calendar, timeMax="2030-01-07T10:00:00Z")["items"]
    ]


def test_full_sync_ordered_by_start_time_has_no_sync_token(calendar: Service) -> None:
    calendar(ALICE).events().insert(calendarId="primary", body=timed_event()).execute()

    page = listing(calendar, singleEvents=True, orderBy="startTime")

    assert len(page["items"]) == 1
    assert "nextSyncToken" not in page


def test_incremental_sync_returns_what_changed_since_the_token(
    server: CalendarServer, calendar: Service
) -> None:
    first, second, _ = seed(server, 3)
    token = listing(calendar)["nextSyncToken"]
    events = calendar(ALICE).events()
    events.patch(calendarId="primary", eventId=second["id"], body={"summary": "x"}).execute()
    added = events.insert(calendarId="primary", body=timed_event()).execute()

    page = listing(calendar, syncToken=token)

    assert [item["id"] for item in page["items"]] == [second["id"], added["id"]]
    assert page["items"][0]["summary"] == "x"
    assert first["id"] not in [item["id"] for item in page["items"]]
    assert listing(calendar, syncToken=page["nextSyncToken"])["items"] == []


def test_incremental_sync_reports_deletions_in_the_minimal_shape(calendar: Service) -> None:
    events = calendar(ALICE).events()
    video = {"entryPointType": "video", "uri": "https://example.com/j/1"}
    data = {"conferenceSolution": {"key": {"type": "addOn"}}, "entryPoints": [video]}
    event = events.insert(
        calendarId="primary", body=timed_event(conferenceData=data), conferenceDataVersion=1
    ).execute()
    token = listing(calendar)["nextSyncToken"]

    events.delete(calendarId="primary", eventId=event["id"]).execute()

    (item,) = listing(calendar, syncToken=token)["items"]
    assert item == {
        "kind": "calendar#event",
        "etag": item["etag"],
        "id": event["id"],
        "status": "cancelled",
    }


def test_cancelled_instance_carries_recurring_event_id_and_original_start(
    calendar: Service,
) -> None:
    events = calendar(ALICE).events()
    series = events.insert(calendarId="primary", body=weekly_series()).execute()
    token = listing(calendar)["nextSyncToken"]

    events.delete(calendarId="primary", eventId=f"{series['id']}_20300114T090000Z").execute()

    (item,) = listing(calendar, syncToken=token)["items"]
    assert set(item) == {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert item["recurringEventId"] == series["id"]
    assert item["originalStartTime"]["dateTime"] == "2030-01-14T10:00:00+01:00"


def test_paging_an_incremental_sync_repeats_the_sync_token(
    server: CalendarServer, calendar: Service
) -> None:
    token = listing(calendar)["nextSyncToken"]
    created = seed(server, 5)

    pages, items = all_pages(calendar, syncToken=token, maxResults=2)

    assert len(pages) == 3
    assert [item["id"] for item in items] == [event["id"] for event in created]
    calls = server.control.calls("events.list")[-3:]
    assert all(call.params["syncToken"] == token for call in calls)


def test_sync_token_counts_from_the_first_page(server: CalendarServer, calendar: Service) -> None:
    seed(server, 3)
    first = listing(calendar, maxResults=2)
    added = calendar(ALICE).events().insert(calendarId="primary", body=timed_event()).execute()

    last = listing(calendar, maxResults=2, pageToken=first["nextPageToken"])

    assert added["id"] not in [item["id"] for item in last["items"]]
    changes = listing(calendar, syncToken=last["nextSyncToken"])["items"]
    assert [item["id"] for item in changes] == [added["id"]]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("iCalUID", "x@google.com"),
        ("orderBy", "updated"),
        ("privateExtendedProperty", "a=b"),
        ("q", "planning"),
        ("sharedExtendedProperty", "a=b"),
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("updatedMin", "2030-01-01T00:00:00Z"),
    ],
)
def test_sync_token_cannot_be_combined_with(calendar: Service, name: str, value: str) -> None:
    token = listing(calendar)["nextSyncToken"]

    with pytest.raises(HttpError) as failure:
        listing(calendar, syncToken=token, **{name: value})

    assert reason_of(failure.value)[0] == 400


def test_show_deleted_false_with_a_sync_token_is_400(calendar: Service) -> None:
    token = listing(calendar)["nextSyncToken"]

    with pytest.raises(HttpError) as failure:
        listing(calendar, syncToken=token, showDeleted=False)

    assert reason_of(failure.value)[0] == 400


def test_expired_sync_token_is_410_with_the_exact_body(
    server: CalendarServer, raw: Raw, calendar: Service
) -> None:
    token = listing(calendar)["nextSyncToken"]
    server.control.expire_sync_tokens(ALICE)

    answer = raw.call("GET", "calendars/primary/events", params={"syncToken": token})

    assert answer.status_code == 410
    assert answer.json() == FULL_SYNC_REQUIRED


def test_sync_token_from_before_a_reset_is_410(server: CalendarServer, calendar: Service) -> None:
    token = listing(calendar)["nextSyncToken"]
    server.control.reset()
    server.control.create_calendar(ALICE)
    server.control.insert_events(ALICE, [timed_event()] * 3)

    with pytest.raises(HttpError) as failure:
        listing(calendar, syncToken=token)

    assert reason_of(failure.value) == (410, "fullSyncRequired")


def test_sync_token_of_another_calendar_is_410(calendar: Service) -> None:
    bobs = calendar(BOB).events().list(calendarId="primary").execute()["nextSyncToken"]

    with pytest.raises(HttpError) as failure:
        listing(calendar, syncToken=bobs)

    assert reason_of(failure.value) == (410, "fullSyncRequired")


def test_malformed_sync_token_is_400_invalid(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        listing(calendar, syncToken="not a token")

    assert reason_of(failure.value) == (400, "invalid")
    assert error_of(failure.value)["message"] == "Invalid sync token value."


def test_410_in_the_middle_of_paging(server: CalendarServer, raw: Raw, calendar: Service) -> None:
    seed(server, 3)
    first = listing(calendar, maxResults=2)
    server.control.fail_next_page_token()

    answer = raw.call(
        "GET",
        "calendars/primary/events",
        params={"maxResults": 2, "pageToken": first["nextPageToken"]},
    )

    assert answer.status_code == 410
    assert answer.json() == FULL_SYNC_REQUIRED


def test_full_sync_omits_cancelled_events_unless_show_deleted(
    server: CalendarServer, calendar: Service
) -> None:
    kept, gone = seed(server, 2)
    calendar(ALICE).events().delete(calendarId="primary", eventId=gone["id"]).execute()

    plain = listing(calendar)["items"]
    with_deleted = listing(calendar, showDeleted=True)["items"]

    assert [item["id"] for item in plain] == [kept["id"]]
    assert with_deleted[1] == {
        "kind": "calendar#event",
        "etag": with_deleted[1]["etag"],
        "id": gone["id"],
        "status": "cancelled",
    }


def test_cancelled_exceptions_of_a_live_series_stay_in_a_plain_full_list(
    calendar: Service,
) -> None:
    events = calendar(ALICE).events()
    series = events.insert(calendarId="primary", body=weekly_series()).execute()
    instance_id = f"{series['id']}_20300114T090000Z"
    events.delete(calendarId="primary", eventId=instance_id).execute()

    plain = listing(calendar)["items"]
    single = listing(calendar, singleEvents=True)["items"]

    assert [(item["id"], item["status"]) for item in plain] == [
        (series["id"], "confirmed"),
        (instance_id, "cancelled"),
    ]
    assert instance_id not in [item["id"] for item in single]


def test_updated_min_brings_in_deletions(server: CalendarServer, calendar: Service) -> None:
    (event,) = seed(server, 1)
    since = calendar(ALICE).events().get(calendarId="primary", eventId=event["id"]).execute()
    calendar(ALICE).events().delete(calendarId="primary", eventId=event["id"]).execute()

    page = listing(calendar, updatedMin=since["updated"])

    assert [(item["id"], item["status"]) for item in page["items"]] == [(event["id"], "cancelled")]


def test_order_by_start_time_needs_single_events(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        listing(calendar, orderBy="startTime")

    assert reason_of(failure.value)[0] == 400


def test_empty_time_range_is_400(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        listing(calendar, timeMin="2030-01-02T00:00:00Z", timeMax="2030-01-01T00:00:00Z")

    assert reason_of(failure.value) == (400, "timeRangeEmpty")


def test_order_by_start_time_sorts_instances(calendar: Service) -> None:
    events = calendar(ALICE).events()
    late = events.insert(
        calendarId="primary",
        body=timed_event(start="2030-03-01T10:00:00Z", end="2030-03-01T11:00:00Z"),
    ).execute()
    series = events.insert(calendarId="primary", body=weekly_series(count=2)).execute()

    page = listing(calendar, singleEvents=True, orderBy="startTime")

    assert [item["id"] for item in page["items"]] == [
        f"{series['id']}_20300107T090000Z",
        f"{series['id']}_20300114T090000Z",
        late["id"],
    ]


def test_q_and_private_extended_property_filter(server: CalendarServer, calendar: Service) -> None:
    tagged = timed_event(summary="Board", extendedProperties={"private": {"ours": "1"}})
    board, _ = server.control.insert_events(ALICE, [tagged, timed_event(summary="Lunch")])

    by_text = listing(calendar, q="board")["items"]
    by_property = listing(calendar, privateExtendedProperty="ours=1")["items"]

    assert [item["id"] for item in by_text] == [board["id"]]
    assert [item["id"] for item in by_property] == [board["id"]]


def test_incremental_sync_of_a_deleted_series_with_single_events(calendar: Service) -> None:
    events = calendar(ALICE).events()
    series = events.insert(calendarId="primary", body=weekly_series(count=2)).execute()
    token = listing(calendar, singleEvents=True)["nextSyncToken"]

    events.delete(calendarId="primary", eventId=series["id"]).execute()

    items = listing(calendar, singleEvents=True, syncToken=token)["items"]
    assert [(item["id"], item["status"]) for item in items] == [
        (f"{series['id']}_20300107T090000Z", "cancelled"),
        (f"{series['id']}_20300114T090000Z", "cancelled"),
    ]


def test_a_get_whose_url_is_too_long_is_sent_as_an_override_and_served(
    server: CalendarServer, calendar: Service
) -> None:
    seed(server, 3)
    long_query = "x" * 2100  # google-api-python-client then sends POST + X-HTTP-Method-Override

    page = calendar(ALICE).events().list(calendarId=ALICE, q=long_query).execute()

    assert page["items"] == []  # served as the GET it stands for: no event matches
    [call] = server.control.calls("events.list")[-1:]
    assert call.params.get("q") == long_query
