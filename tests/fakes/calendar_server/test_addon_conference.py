"""An add-on's conference as Calendar's editor saves it, and API writes of it.

See docs/calendar-behaviour.md#writing-add-on-conference-data. ``scriptId`` and the
signature rules on API writes are not documented (the module docstring of the server's
``conference.py`` says which reading it takes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from local.fakes.calendar_server.errors import ApiError
from tests.fakes.calendar_server.conftest import ALICE, BOB, DAVE, reason_of, timed_event

Service = Callable[[str], Any]
SCRIPT_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
ADD_ON = {
    "conferenceId": "123",
    "conferenceSolution": {
        "key": {"type": "addOn"},
        "name": "Example",
        "iconUri": "https://example.com/i.svg",
    },
    "entryPoints": [{"entryPointType": "video", "uri": "https://example.com/j/123"}],
    "notes": "Join",
    "parameters": {"addOnParameters": {"parameters": {"solutionId": "1", "meetingUuid": "u"}}},
}
PHONE = {"entryPointType": "phone", "uri": "tel:+12345678900"}


def insert(calendar: Service, **more: Any) -> dict[str, Any]:
    request = (
        calendar(ALICE)
        .events()
        .insert(calendarId=ALICE, body=timed_event(**more), conferenceDataVersion=1)
    )
    return dict(request.execute())


def patch(calendar: Service, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
    request = (
        calendar(ALICE)
        .events()
        .patch(calendarId=ALICE, eventId=event_id, body=body, conferenceDataVersion=1)
    )
    return dict(request.execute())


def saved_in_editor(server: CalendarServer, calendar: Service) -> dict[str, Any]:
    event = insert(calendar)
    return server.control.save_conference_as_editor(ALICE, event["id"], ADD_ON, script_id=SCRIPT_ID)


def params(event: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = event["conferenceData"]["parameters"]["addOnParameters"]["parameters"]
    return values


def test_the_editor_adds_script_id_beside_the_add_ons_parameters(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)

    assert params(event) == {"solutionId": "1", "meetingUuid": "u", "scriptId": SCRIPT_ID}
    read = calendar(ALICE).events().get(calendarId=ALICE, eventId=event["id"]).execute()
    assert params(read)["scriptId"] == SCRIPT_ID


def test_the_editor_adds_a_server_signature(server: CalendarServer, calendar: Service) -> None:
    event = insert(calendar)
    sent = {**ADD_ON, "signature": "made-up-by-the-client"}

    saved = server.control.save_conference_as_editor(ALICE, event["id"], sent, script_id="s")

    signature = saved["conferenceData"]["signature"]
    assert signature
    assert signature != "made-up-by-the-client"
    conference = {k: v for k, v in saved["conferenceData"].items() if k != "signature"}
    assert conference["entryPoints"] == ADD_ON["entryPoints"]
    assert conference["conferenceId"] == "123"


def test_the_editor_replaces_the_events_conference(
    server: CalendarServer, calendar: Service
) -> None:
    meet = {"createRequest": {"requestId": "r", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    event = insert(calendar, conferenceData=meet)

    saved = server.control.save_conference_as_editor(ALICE, event["id"], ADD_ON, script_id="s")

    assert saved["conferenceData"]["conferenceSolution"]["key"] == {"type": "addOn"}
    assert "createRequest" not in saved["conferenceData"]
    assert "hangoutLink" not in saved


def test_only_writers_can_add_a_conference_in_the_editor(
    server: CalendarServer, calendar: Service
) -> None:
    event = insert(calendar)

    with pytest.raises(ApiError) as reader:
        server.control.save_conference_as_editor(
            ALICE, event["id"], ADD_ON, script_id="s", as_user=BOB
        )
    saved = server.control.save_conference_as_editor(
        ALICE, event["id"], ADD_ON, script_id="s", as_user=DAVE
    )

    assert (reader.value.code, reader.value.reason) == (403, "requiredAccessLevel")
    assert params(saved)["scriptId"] == "s"


def test_the_editor_path_is_for_add_on_conferences(
    server: CalendarServer, calendar: Service
) -> None:
    event = insert(calendar)
    meet = {**ADD_ON, "conferenceSolution": {"key": {"type": "hangoutsMeet"}}}

    with pytest.raises(ValueError, match="addOn"):
        server.control.save_conference_as_editor(ALICE, event["id"], meet, script_id="s")


def test_an_api_write_of_an_add_on_conference_is_accepted_and_signed(calendar: Service) -> None:
    event = insert(calendar, conferenceData=ADD_ON)

    assert event["conferenceData"]["signature"]
    assert params(event) == {"solutionId": "1", "meetingUuid": "u"}


def test_write_back_with_the_signature_unchanged_keeps_it_and_every_parameter(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)
    data = copy.deepcopy(event["conferenceData"])
    data["entryPoints"] = [*data["entryPoints"], PHONE]
    data["notes"] = "Join, or dial in"

    written = patch(calendar, event["id"], {"conferenceData": data})

    assert written["conferenceData"]["signature"] == event["conferenceData"]["signature"]
    assert params(written) == params(event)
    assert written["conferenceData"]["entryPoints"][-1] == PHONE
    assert written["conferenceData"]["notes"] == "Join, or dial in"


def test_a_changed_conference_without_its_signature_is_signed_anew(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)
    data = {k: v for k, v in event["conferenceData"].items() if k != "signature"}
    data["entryPoints"] = [*data["entryPoints"], PHONE]

    written = patch(calendar, event["id"], {"conferenceData": data})

    assert written["conferenceData"]["signature"]
    assert written["conferenceData"]["signature"] != event["conferenceData"]["signature"]
    assert params(written)["scriptId"] == SCRIPT_ID


def test_a_signature_the_server_did_not_give_is_never_stored(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)
    data = {**event["conferenceData"], "signature": "forged", "notes": "changed"}

    written = patch(calendar, event["id"], {"conferenceData": data})

    assert written["conferenceData"]["signature"] not in ("forged", "")
    assert written["conferenceData"]["signature"] != event["conferenceData"]["signature"]


def test_writes_that_leave_the_conference_as_it_was_keep_its_signature(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)
    body = {k: v for k, v in event.items() if k != "conferenceData"}

    renamed = patch(calendar, event["id"], {"summary": "Renamed"})
    resent = patch(calendar, event["id"], {"conferenceData": event["conferenceData"]})
    updated = (
        calendar(ALICE)
        .events()
        .update(calendarId=ALICE, eventId=event["id"], body={**body, "summary": "Again"})
        .execute()
    )

    signature = event["conferenceData"]["signature"]
    assert renamed["conferenceData"]["signature"] == signature
    assert resent["conferenceData"]["signature"] == signature
    assert updated["conferenceData"]["signature"] == signature


def test_a_reader_cannot_write_the_conference_through_the_api(
    server: CalendarServer, calendar: Service
) -> None:
    event = saved_in_editor(server, calendar)

    with pytest.raises(HttpError) as failure:
        calendar(BOB).events().patch(
            calendarId=ALICE,
            eventId=event["id"],
            body={"conferenceData": event["conferenceData"]},
            conferenceDataVersion=1,
        ).execute()

    assert reason_of(failure.value) == (403, "requiredAccessLevel")


def test_editor_save_over_http(server: CalendarServer, calendar: Service) -> None:
    event = insert(calendar)
    route = f"{server.base_url}/_control/calendars/{ALICE}/events/{event['id']}/editor-conference"

    saved = requests.post(route, json={"conferenceData": ADD_ON, "scriptId": "s"}, timeout=10)
    by_reader = requests.post(
        route, json={"conferenceData": ADD_ON, "scriptId": "s", "asUser": BOB}, timeout=10
    )
    missing = requests.post(route, json={"conferenceData": ADD_ON}, timeout=10)

    assert saved.status_code == 200
    assert params(saved.json())["scriptId"] == "s"
    assert reason_of(by_reader) == (403, "requiredAccessLevel")
    assert missing.status_code == 400
