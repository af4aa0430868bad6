"""Access roles per calendar and user, calendarList.get / list, and OAuth scopes.

See docs/calendar-behaviour.md#access-roles. The session's calendars (conftest): Alice
owns her primary calendar (Bob reads it, Dave writes it) and the team calendar (Dave
writes it); Bob owns his; Carol has access to none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    TEAM,
    Raw,
    error_of,
    reason_of,
    timed_event,
)

Service = Callable[[str], Any]
CALENDARLIST_READONLY = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDARS_READONLY = "https://www.googleapis.com/auth/calendar.calendars.readonly"


def entry(calendar: Service, user: str, calendar_id: str) -> dict[str, Any]:
    return dict(calendar(user).calendarList().get(calendarId=calendar_id).execute())


def listed(calendar: Service, user: str, **query: Any) -> dict[str, Any]:
    return dict(calendar(user).calendarList().list(**query).execute())


def roles(page: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["accessRole"] for item in page["items"]}


def insert(calendar: Service, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = calendar(ALICE).events().insert(calendarId=ALICE, body=body or timed_event())
    return dict(request.execute())


# -- calendarList.get ------------------------------------------------------------------


def test_calendar_list_get_of_primary_is_the_owners_own_entry(calendar: Service) -> None:
    found = entry(calendar, ALICE, "primary")

    assert found["kind"] == "calendar#calendarListEntry"
    assert (found["id"], found["accessRole"], found["primary"]) == (ALICE, "owner", True)
    assert found["etag"]
    assert found["timeZone"] == "UTC"


@pytest.mark.parametrize(
    ("user", "calendar_id", "role"),
    [
        (BOB, ALICE, "reader"),
        (DAVE, ALICE, "writer"),
        (DAVE, TEAM, "writer"),
        (ALICE, TEAM, "owner"),
    ],
)
def test_calendar_list_get_gives_the_users_access_role(
    calendar: Service, user: str, calendar_id: str, role: str
) -> None:
    found = entry(calendar, user, calendar_id)

    assert (found["id"], found["accessRole"]) == (calendar_id, role)
    assert "primary" not in found


def test_calendar_list_get_of_a_calendar_without_access_is_404(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        entry(calendar, CAROL, ALICE)

    assert reason_of(failure.value) == (404, "notFound")


def test_a_calendar_not_on_the_list_is_404_there_but_readable(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.grant(TEAM, CAROL, "reader", listed=False)

    with pytest.raises(HttpError) as failure:
        entry(calendar, CAROL, TEAM)

    assert reason_of(failure.value) == (404, "notFound")
    assert calendar(CAROL).calendars().get(calendarId=TEAM).execute()["id"] == TEAM


@pytest.mark.parametrize(
    "role", ["freeBusyReader", "reader", "writerWithoutPrivateAccess", "writer", "owner"]
)
def test_every_documented_role_can_be_granted(
    server: CalendarServer, calendar: Service, role: str
) -> None:
    server.control.grant(TEAM, CAROL, role)

    assert entry(calendar, CAROL, TEAM)["accessRole"] == role
    page = calendar(CAROL).events().list(calendarId=TEAM).execute()
    assert page["accessRole"] == role


def test_an_unknown_role_and_the_data_owners_role_cannot_be_set(server: CalendarServer) -> None:
    with pytest.raises(ValueError, match="unknown access role"):
        server.control.grant(TEAM, CAROL, "editor")
    with pytest.raises(ValueError, match="data owner"):
        server.control.grant(TEAM, ALICE, "reader")


def test_revoked_access_is_404_everywhere(server: CalendarServer, calendar: Service) -> None:
    server.control.revoke(ALICE, BOB)

    for call in (
        calendar(BOB).calendarList().get(calendarId=ALICE),
        calendar(BOB).calendars().get(calendarId=ALICE),
        calendar(BOB).events().list(calendarId=ALICE),
    ):
        with pytest.raises(HttpError) as failure:
            call.execute()
        assert reason_of(failure.value) == (404, "notFound")


# -- calendarList.list -------------------------------------------------------------------


def test_calendar_list_lists_each_calendar_with_the_users_role(calendar: Service) -> None:
    page = listed(calendar, DAVE)

    assert page["kind"] == "calendar#calendarList"
    assert roles(page) == {ALICE: "writer", TEAM: "writer"}
    assert roles(listed(calendar, ALICE)) == {ALICE: "owner", TEAM: "owner"}
    assert "nextSyncToken" in page
    assert "nextPageToken" not in page


def test_primary_calendar_comes_first(server: CalendarServer, calendar: Service) -> None:
    server.control.grant(TEAM, BOB, "reader")

    items = listed(calendar, BOB)["items"]

    assert [item["id"] for item in items] == [BOB, ALICE, TEAM]
    assert items[0]["primary"] is True


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [
        ("freeBusyReader", {"f@x.com", "r@x.com", "w@x.com", "o@x.com", "p@x.com"}),
        ("reader", {"r@x.com", "w@x.com", "o@x.com", "p@x.com"}),
        ("writerWithoutPrivateAccess", {"w@x.com", "o@x.com", "p@x.com"}),
        ("writer", {"o@x.com", "p@x.com"}),
        ("owner", {"p@x.com"}),
    ],
)
def test_min_access_role_keeps_entries_with_at_least_that_role(
    server: CalendarServer, calendar: Service, minimum: str, expected: set[str]
) -> None:
    for calendar_id, role in (
        ("f@x.com", "freeBusyReader"),
        ("r@x.com", "reader"),
        ("w@x.com", "writerWithoutPrivateAccess"),
        ("o@x.com", "writer"),
        ("p@x.com", "owner"),
    ):
        server.control.create_calendar(calendar_id)
        server.control.grant(calendar_id, CAROL, role)

    assert set(roles(listed(calendar, CAROL, minAccessRole=minimum))) == expected


def test_calendar_list_pages_with_max_results(server: CalendarServer, calendar: Service) -> None:
    for index in range(3):
        server.control.create_calendar(f"c{index}@x.com")
        server.control.grant(f"c{index}@x.com", CAROL, "reader")
    lists = calendar(CAROL).calendarList()

    first = lists.list(maxResults=2).execute()
    second = lists.list(maxResults=2, pageToken=first["nextPageToken"]).execute()

    assert [i["id"] for i in first["items"] + second["items"]] == [
        "c0@x.com",
        "c1@x.com",
        "c2@x.com",
    ]
    assert "nextSyncToken" not in first
    assert "nextPageToken" not in second
    assert "nextSyncToken" in second


def test_calendar_list_page_size_defaults_to_100_and_stops_at_250(
    server: CalendarServer, calendar: Service
) -> None:
    for index in range(260):
        server.control.create_calendar(f"c{index}@x.com")
        server.control.grant(f"c{index}@x.com", CAROL, "reader")

    assert len(listed(calendar, CAROL)["items"]) == 100
    page = listed(calendar, CAROL, maxResults=1000)
    assert len(page["items"]) == 250
    assert "nextPageToken" in page


def test_calendar_list_page_token_of_another_user_is_400(calendar: Service) -> None:
    token = calendar(ALICE).calendarList().list(maxResults=1).execute()["nextPageToken"]

    with pytest.raises(HttpError) as failure:
        calendar(DAVE).calendarList().list(pageToken=token).execute()

    assert reason_of(failure.value) == (400, "invalid")


def test_calendar_list_sync_reports_added_and_removed_entries_only(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.create_calendar("new@x.com")
    token = listed(calendar, BOB)["nextSyncToken"]

    server.control.grant("new@x.com", BOB, "writer")
    server.control.revoke(ALICE, BOB)
    server.control.grant(BOB, DAVE, "reader")  # not Bob's list
    changes = listed(calendar, BOB, syncToken=token)

    by_id = {item["id"]: item for item in changes["items"]}
    assert set(by_id) == {"new@x.com", ALICE}
    assert by_id["new@x.com"]["accessRole"] == "writer"
    assert by_id[ALICE] == {
        "kind": "calendar#calendarListEntry",
        "etag": by_id[ALICE]["etag"],
        "id": ALICE,
        "deleted": True,
    }
    assert "nextSyncToken" in changes


def test_a_role_change_alone_is_not_in_the_list_sync(
    server: CalendarServer, calendar: Service
) -> None:
    token = listed(calendar, BOB)["nextSyncToken"]

    server.control.grant(ALICE, BOB, "writer")

    assert listed(calendar, BOB, syncToken=token)["items"] == []
    assert entry(calendar, BOB, ALICE)["accessRole"] == "writer"


def test_removed_entries_show_only_with_show_deleted(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.revoke(ALICE, BOB)

    assert list(roles(listed(calendar, BOB))) == [BOB]
    shown = listed(calendar, BOB, showDeleted=True)["items"]
    assert [(item["id"], item.get("deleted", False)) for item in shown] == [
        (BOB, False),
        (ALICE, True),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"minAccessRole": "reader"},
        {"showOwnOrganizationOnly": True},
        {"showDeleted": False},
        {"showHidden": False},
    ],
    ids=["minAccessRole", "showOwnOrganizationOnly", "showDeleted-false", "showHidden-false"],
)
def test_calendar_list_sync_token_refuses_these_parameters(
    calendar: Service, query: dict[str, Any]
) -> None:
    token = listed(calendar, BOB)["nextSyncToken"]

    with pytest.raises(HttpError) as failure:
        listed(calendar, BOB, syncToken=token, **query)

    assert reason_of(failure.value) == (400, "invalid")


def test_calendar_list_sync_token_of_another_user_or_before_a_reset_is_410(
    server: CalendarServer, calendar: Service
) -> None:
    token = listed(calendar, BOB)["nextSyncToken"]

    with pytest.raises(HttpError) as other_user:
        listed(calendar, DAVE, syncToken=token)
    server.control.reset()
    server.control.create_calendar(BOB)
    with pytest.raises(HttpError) as after_reset:
        listed(calendar, BOB, syncToken=token)

    assert reason_of(other_user.value) == (410, "fullSyncRequired")
    assert reason_of(after_reset.value) == (410, "fullSyncRequired")


def test_calendar_list_malformed_sync_token_is_400(calendar: Service) -> None:
    with pytest.raises(HttpError) as failure:
        listed(calendar, BOB, syncToken="not a token")

    assert reason_of(failure.value) == (400, "invalid")


# -- what each role may do with events ----------------------------------------------------


def test_reader_reads_the_calendar_and_its_events(calendar: Service) -> None:
    event = insert(calendar, timed_event(description="agenda"))

    assert calendar(BOB).calendars().get(calendarId=ALICE).execute()["id"] == ALICE
    seen = calendar(BOB).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    assert (seen["summary"], seen["description"]) == ("Planning", "agenda")


@pytest.mark.parametrize("role", ["freeBusyReader", "reader"])
def test_reading_roles_get_403_required_access_level_on_writes(
    server: CalendarServer, calendar: Service, role: str
) -> None:
    server.control.grant(TEAM, CAROL, role)

    with pytest.raises(HttpError) as failure:
        calendar(CAROL).events().insert(calendarId=TEAM, body=timed_event()).execute()

    assert reason_of(failure.value) == (403, "requiredAccessLevel")
    assert error_of(failure.value)["message"] == "You need to have writer access to this calendar."


def test_free_busy_reader_sees_times_but_no_details(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.grant(ALICE, CAROL, "freeBusyReader")
    people = [{"email": "x@example.com"}]
    event = insert(calendar, timed_event(description="agenda", attendees=people))
    events = calendar(CAROL).events()

    seen = events.get(calendarId=ALICE, eventId=event["id"]).execute()
    [item] = events.list(calendarId=ALICE).execute()["items"]

    for shown in (seen, item):
        assert (shown["id"], shown["start"], shown["end"]) == (
            event["id"],
            event["start"],
            event["end"],
        )
        for detail in ("summary", "description", "attendees", "organizer", "creator"):
            assert detail not in shown


def test_private_events_hide_their_details_from_readers_not_writers(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.grant(ALICE, CAROL, "writerWithoutPrivateAccess")
    event = insert(calendar, timed_event(visibility="private"))

    by_reader = calendar(BOB).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    by_limited = calendar(CAROL).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    by_writer = calendar(DAVE).events().get(calendarId=ALICE, eventId=event["id"]).execute()

    assert "summary" not in by_reader
    assert "summary" not in by_limited
    assert by_reader["visibility"] == "private"
    assert by_writer["summary"] == "Planning"


def test_writer_without_private_access_writes_all_but_private_events(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.grant(ALICE, CAROL, "writerWithoutPrivateAccess")
    public = insert(calendar)
    private = insert(calendar, timed_event(visibility="private"))
    events = calendar(CAROL).events()

    renamed = events.patch(calendarId=ALICE, eventId=public["id"], body={"summary": "x"})
    created = events.insert(calendarId=ALICE, body=timed_event())

    assert renamed.execute()["summary"] == "x"
    assert created.execute()["organizer"]["email"] == ALICE
    with pytest.raises(HttpError) as failure:
        events.patch(calendarId=ALICE, eventId=private["id"], body={"summary": "x"}).execute()
    assert reason_of(failure.value) == (403, "requiredAccessLevel")


def test_another_owner_can_change_events(server: CalendarServer, calendar: Service) -> None:
    server.control.grant(ALICE, CAROL, "owner")
    event = insert(calendar)

    patched = (
        calendar(CAROL).events().patch(calendarId=ALICE, eventId=event["id"], body={"summary": "x"})
    )

    assert patched.execute()["summary"] == "x"
    assert entry(calendar, CAROL, ALICE)["accessRole"] == "owner"


def test_set_access_replaces_readers_and_keeps_other_roles(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.grant(ALICE, CAROL, "freeBusyReader")

    server.control.set_access(ALICE, readers=[CAROL])

    assert entry(calendar, CAROL, ALICE)["accessRole"] == "reader"
    with pytest.raises(HttpError):
        entry(calendar, BOB, ALICE)
    assert entry(calendar, DAVE, ALICE)["accessRole"] == "writer"


# -- OAuth scopes -----------------------------------------------------------------------


def test_a_token_without_a_calendar_list_scope_gets_403_insufficient_permissions(
    server: CalendarServer, raw: Raw
) -> None:
    server.control.set_scopes(ALICE, [EVENTS, CALENDARS_READONLY])

    answer = raw.call("GET", "users/me/calendarList")

    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["message"] == "Request had insufficient authentication scopes."
    item = {"message": "Insufficient Permission", "domain": "global"}
    assert error["errors"] == [{**item, "reason": "insufficientPermissions"}]
    assert error["status"] == "PERMISSION_DENIED"
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert error["details"][0]["metadata"]["method"] == "calendar.v3.CalendarList.List"


def test_the_events_and_calendars_scopes_still_allow_their_methods(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.set_scopes(ALICE, [EVENTS, CALENDARS_READONLY])

    assert calendar(ALICE).calendars().get(calendarId=ALICE).execute()["id"] == ALICE
    assert calendar(ALICE).events().list(calendarId=ALICE).execute()["items"] == []
    with pytest.raises(HttpError) as failure:
        entry(calendar, ALICE, ALICE)
    assert reason_of(failure.value) == (403, "insufficientPermissions")


@pytest.mark.parametrize(
    "scope", [CALENDARLIST_READONLY, "https://www.googleapis.com/auth/calendar.readonly"]
)
def test_a_calendar_list_scope_or_a_broader_one_allows_the_calls(
    server: CalendarServer, calendar: Service, scope: str
) -> None:
    server.control.set_scopes(ALICE, [scope])

    assert entry(calendar, ALICE, ALICE)["accessRole"] == "owner"
    assert roles(listed(calendar, ALICE))[ALICE] == "owner"


def test_scopes_are_not_checked_unless_set(server: CalendarServer, calendar: Service) -> None:
    server.control.set_scopes(ALICE, [EVENTS])
    server.control.set_scopes(ALICE, None)

    assert entry(calendar, ALICE, ALICE)["id"] == ALICE


def test_access_and_scope_controls_over_http(server: CalendarServer, raw: Raw) -> None:
    base = f"{server.base_url}/_control"

    granted = requests.put(
        f"{base}/calendars/{TEAM}/access/{CAROL}", json={"role": "reader"}, timeout=10
    )
    seen = raw.call("GET", f"users/me/calendarList/{TEAM}", user=CAROL)
    scoped = requests.put(f"{base}/scopes/{CAROL}", json={"scopes": [EVENTS]}, timeout=10)
    refused = raw.call("GET", f"users/me/calendarList/{TEAM}", user=CAROL)
    requests.put(f"{base}/scopes/{CAROL}", json={"scopes": None}, timeout=10)
    revoked = requests.delete(f"{base}/calendars/{TEAM}/access/{CAROL}", timeout=10)
    gone = raw.call("GET", f"users/me/calendarList/{TEAM}", user=CAROL)
    bad = requests.put(f"{base}/calendars/{TEAM}/access/{CAROL}", json={"role": "x"}, timeout=10)

    assert (granted.status_code, scoped.status_code, revoked.status_code) == (200, 200, 200)
    assert seen.json()["accessRole"] == "reader"
    assert reason_of(refused) == (403, "insufficientPermissions")
    assert reason_of(gone) == (404, "notFound")
    assert bad.status_code == 400
