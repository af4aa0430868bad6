"""The Zoom provider end to end over HTTP: functions-framework processes with
``CONFERENCE_PROVIDER=zoom``, the Firestore emulator, the local Calendar server, the local
token issuer and the local Zoom server, whose call log is the record of what Zoom saw."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.fakes.zoom_server import Call
from local.stack import LOGO_URL
from shared.conferences.conference_data import validate_conference_data
from shared.state.calendars import calendar_doc_id
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.scenarios import (
    ALICE,
    Scenario,
    calendar,
    conference_on_event,
    mapping,
    settle,
)
from tests.support.zoom_stack import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CREATE_RETRY_SECONDS,
    FOREIGN_USER,
    ZoomStack,
    basic_credentials,
)

pytestmark = pytest.mark.integration

BERLIN = "Europe/Berlin"
CAROL = "carol@example.com"  # in the allowed domain, but no user of the Zoom account


def new_event(stack: ZoomStack, owner: str = ALICE, body: dict[str, Any] | None = None) -> str:
    user = calendar(stack, owner)
    event = user.insert(
        owner,
        body
        or timed_event(
            "Planning", "2030-03-04T10:00:00", "2030-03-04T11:00:00", description="agenda"
        ),
    )
    return str(event["id"])


def conference(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "conferenceData" in body, body
    data: dict[str, Any] = body["conferenceData"]
    return data


def conference_error(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "conferenceError" in body, body
    return str(body["conferenceError"]["type"])


def the_meeting(stack: ZoomStack) -> dict[str, Any]:
    [meeting] = stack.zoom.meetings()
    return meeting


def edit(scenario: Scenario, body: dict[str, Any]) -> None:
    scenario.user.patch(scenario.calendar_id, scenario.event_id, body)


def moved(start: str, end: str) -> dict[str, Any]:
    return {
        "start": {"dateTime": start, "timeZone": BERLIN},
        "end": {"dateTime": end, "timeZone": BERLIN},
    }


def trail(calls: list[Call]) -> list[tuple[str, int]]:
    return [(call.operation, call.status) for call in calls]


def nothing_created(stack: ZoomStack) -> bool:
    return not stack.state_written() and stack.zoom.meetings() == [] and not stack.applied("create")


# -- creation --------------------------------------------------------------------------


def test_a_created_event_gets_a_zoom_meeting_with_video_phones_and_more(
    zoom_stack: ZoomStack,
) -> None:
    scenario = conference_on_event(zoom_stack)

    data = scenario.conference
    validate_conference_data(data)
    meeting = the_meeting(zoom_stack)
    meeting_id = str(meeting["id"])
    assert data["conferenceId"] == meeting_id
    assert data["conferenceSolution"]["name"] == "Zoom Meeting"
    assert data["conferenceSolution"]["iconUri"] == LOGO_URL
    assert data["parameters"]["addOnParameters"]["parameters"]["meetingUuid"] == meeting["uuid"]
    entry_points = data["entryPoints"]
    types = [entry["entryPointType"] for entry in entry_points]
    assert types == ["video", "phone", "phone", "phone", "more"]
    video = entry_points[0]
    assert video["uri"] == meeting["join_url"]
    assert video["meetingCode"] == meeting_id
    assert video["passcode"] == meeting["password"]
    # Alice dials in from the US: the toll-free number first, then a toll number.
    tap = f",,{meeting_id}#,,,,*{meeting['pstn_password']}#"
    first, second, third = entry_points[1:4]
    assert first["uri"] == f"tel:+18778535247{tap}"
    assert first["entryPointFeatures"] == ["toll_free"]
    assert second["uri"] == f"tel:+16465588656{tap}"
    assert second["entryPointFeatures"] == ["toll"]
    assert third["uri"] == f"tel:+16699006833{tap}"
    assert {entry["regionCode"] for entry in (first, second, third)} == {"US"}
    assert entry_points[4]["uri"] == "https://us05web.zoom.us/zoomconference"
    # Zoom answered the create with the host's start_url: it goes nowhere.
    [created] = zoom_stack.applied("create")
    assert created.path == f"/v2/users/{ALICE}/meetings"
    assert created.raw_path == "/v2/users/alice%40example.com/meetings"
    for stored in (
        data,
        scenario.user.get(ALICE, scenario.event_id),
        zoom_stack.docs("conferences"),
    ):
        text = json.dumps(stored, default=str)
        assert f"/s/{meeting_id}" not in text
        assert "zak=" not in text
    assert mapping(zoom_stack, ALICE, scenario.event_id)["meetingId"] == meeting_id


def test_the_meeting_is_built_from_the_event(zoom_stack: ZoomStack) -> None:
    event_id = new_event(zoom_stack)

    conference(zoom_stack.create_conference(ALICE, ALICE, event_id))

    [created] = zoom_stack.applied("create")
    assert created.body["topic"] == "Planning"
    assert re.fullmatch(r"agenda\n\ngcal-ref-[0-9a-f]{20}", created.body["agenda"])  # + marker
    assert created.body["type"] == 2
    assert created.body["start_time"] == "2030-03-04T10:00:00"
    assert created.body["timezone"] == BERLIN
    assert created.body["duration"] == 60
    assert created.body["settings"]["auto_recording"] == "none"
    meeting = the_meeting(zoom_stack)
    assert meeting["start_time"] == "2030-03-04T09:00:00Z"
    assert meeting["host_email"] == ALICE


def test_the_recorded_solution_records_in_the_cloud(zoom_stack: ZoomStack) -> None:
    scenario = conference_on_event(zoom_stack, solution_id="2")

    edit(scenario, {"summary": "Recorded and renamed"})
    settle(zoom_stack)

    validate_conference_data(scenario.conference)
    assert scenario.conference["conferenceSolution"]["name"] == "Zoom Meeting (recorded)"
    assert scenario.conference["parameters"]["addOnParameters"]["parameters"]["solutionId"] == "2"
    [created] = zoom_stack.applied("create")
    assert created.body["settings"]["auto_recording"] == "cloud"
    [updated] = zoom_stack.applied("update")
    assert updated.body["settings"]["auto_recording"] == "cloud"  # sync keeps the solution
    assert the_meeting(zoom_stack)["settings"]["auto_recording"] == "cloud"
    assert mapping(zoom_stack, ALICE, scenario.event_id)["solutionId"] == "2"


@pytest.mark.parametrize(
    ("rule", "zoom_type", "recurrence"),
    [
        (
            "RRULE:FREQ=WEEKLY;COUNT=10",
            8,
            {"type": 2, "repeat_interval": 1, "weekly_days": "2", "end_times": 10},
        ),
        ("RRULE:FREQ=WEEKLY", 3, None),  # no end: Zoom's type 8 stops at 50
    ],
    ids=["weekly-ten-times", "endless"],
)
def test_a_recurring_series_gets_a_recurring_meeting(
    zoom_stack: ZoomStack, rule: str, zoom_type: int, recurrence: dict[str, Any] | None
) -> None:
    series = timed_event("Weekly", "2030-03-04T10:00:00", "2030-03-04T11:00:00", recurrence=[rule])

    scenario = conference_on_event(zoom_stack, body=series)

    validate_conference_data(scenario.conference)
    [created] = zoom_stack.applied("create")
    assert created.body["type"] == zoom_type
    assert created.body.get("recurrence") == recurrence
    meeting = the_meeting(zoom_stack)
    assert meeting["type"] == zoom_type
    if zoom_type == 8:
        assert created.body["start_time"] == "2030-03-04T10:00:00"
        assert len(meeting["occurrences"]) == 10
        assert meeting["occurrences"][-1]["start_time"] == "2030-05-06T08:00:00Z"


# -- sync ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "sent", "stored"),
    [
        (
            moved("2030-03-05T14:00:00", "2030-03-05T15:30:00"),
            {"start_time": "2030-03-05T14:00:00", "timezone": BERLIN, "duration": 90},
            {"start_time": "2030-03-05T13:00:00Z", "duration": 90},
        ),
        ({"summary": "A new title"}, {"topic": "A new title"}, {"topic": "A new title"}),
        ({"description": "A new agenda"}, {"agenda": "A new agenda"}, {"agenda": "A new agenda"}),
    ],
    ids=["move", "rename", "new-description"],
)
def test_a_change_patches_the_meeting_exactly_once(
    zoom_stack: ZoomStack, change: dict[str, Any], sent: dict[str, Any], stored: dict[str, Any]
) -> None:
    scenario = conference_on_event(zoom_stack)
    meeting_id = scenario.conference["conferenceId"]

    edit(scenario, change)
    settle(zoom_stack)

    [update] = zoom_stack.applied("update")
    assert {call.status for call in zoom_stack.zoom_calls("update")} <= {204, 401}
    assert update.method == "PATCH"
    assert update.path == f"/v2/meetings/{meeting_id}"
    assert {key: update.body[key] for key in sent} == sent
    meeting = zoom_stack.meeting(meeting_id)
    assert {key: meeting[key] for key in stored} == stored
    assert zoom_stack.zoom_calls("delete") == []
    assert len(zoom_stack.applied("create")) == 1


def test_a_colour_change_patches_nothing(zoom_stack: ZoomStack) -> None:
    scenario = conference_on_event(zoom_stack)
    lists_before = len(zoom_stack.calendar.control.calls("events.list"))

    edit(scenario, {"colorId": "5"})
    settle(zoom_stack)

    assert len(zoom_stack.calendar.control.calls("events.list")) > lists_before  # it did sync
    assert zoom_stack.zoom_calls("update") == []
    assert zoom_stack.zoom_calls("delete") == []


def test_cancelling_the_event_deletes_the_meeting_exactly_once(zoom_stack: ZoomStack) -> None:
    scenario = conference_on_event(zoom_stack)
    meeting_id = scenario.conference["conferenceId"]

    scenario.user.delete(ALICE, scenario.event_id)
    settle(zoom_stack)

    [delete] = zoom_stack.applied("delete")
    assert delete.path == f"/v2/meetings/{meeting_id}"
    assert delete.query == {"schedule_for_reminder": "false"}
    assert {call.status for call in zoom_stack.zoom_calls("delete")} <= {204, 401}
    assert zoom_stack.zoom.meetings() == []
    assert mapping(zoom_stack, ALICE, scenario.event_id) == {}
    assert zoom_stack.zoom_calls("update") == []


def test_an_expired_token_is_replaced_between_two_changes(zoom_stack: ZoomStack) -> None:
    scenario = conference_on_event(zoom_stack)
    edit(scenario, {"summary": "Before expiry"})
    settle(zoom_stack)
    assert len(zoom_stack.applied("update")) == 1
    seen = len(zoom_stack.zoom_calls())

    zoom_stack.zoom.expire_tokens()
    edit(scenario, moved("2030-03-07T09:00:00", "2030-03-07T10:00:00"))
    settle(zoom_stack)

    after = zoom_stack.zoom_calls()[seen:]
    assert trail(after) == [("update", 401), ("token", 200), ("update", 204), ("get", 200)]
    meeting = zoom_stack.meeting(scenario.conference["conferenceId"])
    assert meeting["topic"] == "Before expiry"
    assert meeting["start_time"] == "2030-03-07T08:00:00Z"


# -- a meeting shared by the parts of a split series: docs/sync-model.md#the-covering-spec


def weekly_series(zoom_stack: ZoomStack) -> Scenario:
    """A Monday 10:00 series of ten from 2030-03-04 in Berlin, with its Zoom meeting."""
    body = timed_event(
        "Weekly",
        "2030-03-04T10:00:00",
        "2030-03-04T11:00:00",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=10"],
    )
    return conference_on_event(zoom_stack, body=body)


def split_on_18_march(series: Scenario, changes: dict[str, Any] | None = None) -> str:
    following = series.user.edit_following(ALICE, f"{series.event_id}_20300318T090000Z", changes)
    return str(following["id"])


def test_a_split_series_sharing_its_rule_keeps_one_type_8_meeting_over_both_parts(
    zoom_stack: ZoomStack,
) -> None:
    series = weekly_series(zoom_stack)
    meeting_id = series.conference["conferenceId"]
    following = split_on_18_march(series)
    settle(zoom_stack)
    assert zoom_stack.zoom_calls("update") == []  # both parts are the meeting's ten Mondays

    series.user.patch(ALICE, following, {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=12"]})
    settle(zoom_stack)

    [update] = zoom_stack.applied("update")
    assert update.body["type"] == 8
    assert update.body["start_time"] == "2030-03-04T10:00:00"  # the first part's start
    assert update.body["recurrence"] == {
        "type": 2,
        "repeat_interval": 1,
        "weekly_days": "2",
        "end_times": 14,  # two Mondays before the split, twelve from it
    }
    meeting = zoom_stack.meeting(meeting_id)
    assert meeting["type"] == 8
    assert len(meeting["occurrences"]) == 14
    assert meeting["occurrences"][-1]["start_time"] == "2030-06-03T08:00:00Z"
    assert len(zoom_stack.applied("create")) == 1
    assert zoom_stack.zoom_calls("delete") == []


def test_a_split_that_changes_the_weekday_makes_the_meeting_type_3_until_it_shrinks_back(
    zoom_stack: ZoomStack,
) -> None:
    series = weekly_series(zoom_stack)
    meeting_id = series.conference["conferenceId"]

    following = split_on_18_march(
        series,
        {
            **moved("2030-03-19T10:00:00", "2030-03-19T11:00:00"),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"],
        },
    )
    settle(zoom_stack)

    [shared] = zoom_stack.applied("update")
    assert shared.body["type"] == 3
    assert {"start_time", "duration", "recurrence"}.isdisjoint(shared.body)
    meeting = zoom_stack.meeting(meeting_id)
    assert meeting["type"] == 3
    assert "start_time" not in meeting
    assert "occurrences" not in meeting

    series.user.delete(ALICE, following)  # only the Mondays before the split are left
    settle(zoom_stack)

    shrunk = zoom_stack.applied("update")[-1]
    assert shrunk.body["type"] == 8
    assert shrunk.body["recurrence"]["end_date_time"] == "2030-03-17T22:59:59Z"
    meeting = zoom_stack.meeting(meeting_id)
    assert meeting["type"] == 8
    assert [o["start_time"] for o in meeting["occurrences"]] == [
        "2030-03-04T09:00:00Z",
        "2030-03-11T09:00:00Z",
    ]
    assert zoom_stack.zoom_calls("delete") == []

    series.user.delete(ALICE, series.event_id)  # no part left: the meeting goes
    settle(zoom_stack)

    [delete] = zoom_stack.applied("delete")
    assert delete.path == f"/v2/meetings/{meeting_id}"
    assert zoom_stack.zoom.meetings() == []
    assert zoom_stack.docs("conferences") == []
    assert len(zoom_stack.applied("create")) == 1


def test_when_the_first_part_goes_the_meeting_follows_the_second_part_alone(
    zoom_stack: ZoomStack,
) -> None:
    series = weekly_series(zoom_stack)
    meeting_id = series.conference["conferenceId"]
    following = split_on_18_march(
        series,
        {
            **moved("2030-03-19T10:00:00", "2030-03-19T11:00:00"),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"],
        },
    )
    settle(zoom_stack)

    series.user.delete(ALICE, series.event_id)
    settle(zoom_stack)

    meeting = zoom_stack.meeting(meeting_id)
    assert meeting["type"] == 8
    assert len(meeting["occurrences"]) == 8
    assert meeting["occurrences"][0]["start_time"] == "2030-03-19T09:00:00Z"
    assert zoom_stack.zoom_calls("delete") == []
    assert mapping(zoom_stack, ALICE, following)["meetingId"] == meeting_id


# -- failures at creation --------------------------------------------------------------


def _seconds(now: datetime) -> tuple[str, datetime]:
    return "1", now + timedelta(seconds=1)


def _date(now: datetime) -> tuple[str, datetime]:
    """Zoom's ISO-8601 form, one to two seconds ahead (it has whole seconds only)."""
    at = (now + timedelta(seconds=2)).replace(microsecond=0)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ"), at


@pytest.mark.parametrize("form", [_seconds, _date], ids=["seconds", "iso-date"])
def test_429_at_creation_is_retried_after_retry_after(
    zoom_stack: ZoomStack, form: Callable[[datetime], tuple[str, datetime]]
) -> None:
    event_id = new_event(zoom_stack)
    retry_after, earliest = form(datetime.now(UTC))
    zoom_stack.zoom.inject("create", "rate_limit", retry_after=retry_after)

    data = conference(zoom_stack.create_conference(ALICE, ALICE, event_id))

    assert datetime.now(UTC) >= earliest  # it waited as told, not its own short backoff
    validate_conference_data(data)
    statuses = [call.status for call in zoom_stack.zoom_calls("create")]
    assert statuses[0] == 429
    assert statuses.count(201) == 1
    assert data["conferenceId"] == str(the_meeting(zoom_stack)["id"])


@pytest.mark.parametrize(
    "options",
    [{"retry_after": "3600"}, {"daily": True}],
    ids=["an-hour", "daily-limit-date"],
)
def test_429_longer_than_the_retry_budget_is_temporary_at_once(
    zoom_stack: ZoomStack, options: dict[str, Any]
) -> None:
    event_id = new_event(zoom_stack)
    zoom_stack.zoom.inject("create", "rate_limit", **options)

    started = time.monotonic()
    answer = zoom_stack.create_conference(ALICE, ALICE, event_id)

    assert conference_error(answer) == "TEMPORARY"
    assert time.monotonic() - started < CREATE_RETRY_SECONDS
    assert [call.status for call in zoom_stack.zoom_calls("create")] == [429]
    assert nothing_created(zoom_stack)


@pytest.mark.parametrize("outage", ["503", "unreachable"])
def test_zoom_down_at_creation_is_temporary_and_keeps_only_its_reservation(
    zoom_stack: ZoomStack, outage: str
) -> None:
    event_id = new_event(zoom_stack)
    if outage == "503":
        zoom_stack.zoom.inject("*", "status", status=503, count=10_000)
    else:
        zoom_stack.zoom_down()

    started = time.monotonic()
    answer = zoom_stack.create_conference(ALICE, ALICE, event_id)
    elapsed = time.monotonic() - started
    zoom_stack.zoom_up()
    zoom_stack.zoom.clear_faults()

    assert conference_error(answer) == "TEMPORARY"
    # Retried, within a bound: the provider's budget, inside the creation's own.
    assert 0.5 < elapsed < 2 * CREATE_RETRY_SECONDS + 1
    if outage == "503":
        assert len(zoom_stack.zoom_calls()) >= 2
    assert zoom_stack.zoom.meetings() == []
    # A create that may have reached Zoom keeps its reservation (and request key) for the
    # retry to look for its meeting; nothing else is written.
    assert [doc["state"] for doc in zoom_stack.docs("conferences")] in ([], ["pending"])
    assert zoom_stack.docs("calendars") == zoom_stack.docs("channels") == []

    data = conference(zoom_stack.create_conference(ALICE, ALICE, event_id))
    [meeting] = zoom_stack.zoom.meetings()
    assert data["conferenceId"] == str(meeting["id"])


@pytest.mark.parametrize(
    ("host", "zoom_code"),
    [(CAROL, 1001), (FOREIGN_USER, 1010)],
    ids=["unknown-to-zoom", "user-of-another-account"],
)
def test_a_host_unknown_to_the_zoom_account_is_permission_denied(
    zoom_stack: ZoomStack, host: str, zoom_code: int
) -> None:
    event_id = new_event(zoom_stack, owner=host)

    answer = zoom_stack.create_conference(host, host, event_id)

    assert conference_error(answer) == "PERMISSION_DENIED"
    assert nothing_created(zoom_stack)
    assert zoom_stack.zoom_calls("create")[-1].path == f"/v2/users/{host}/meetings"
    [refusal] = [
        line
        for line in zoom_stack.recent_log_lines(zoom_stack.create)
        if line["message"] == "conference not created"
    ]
    assert refusal["error"] == "PERMISSION_DENIED"
    assert "not a user of the Zoom account" in refusal["reason"]
    assert f"Zoom code {zoom_code}" in refusal["reason"]


def test_wrong_zoom_credentials_are_permanent_with_an_error_log(zoom_stack: ZoomStack) -> None:
    event_id = new_event(zoom_stack)
    # The app's secret was rotated on Zoom; the deployment still has the old one.
    zoom_stack.zoom.add_account(ACCOUNT_ID, CLIENT_ID, "rotated-secret-0d4a")

    answer = zoom_stack.create_conference(ALICE, ALICE, event_id)

    assert conference_error(answer) == "PERMANENT"
    assert nothing_created(zoom_stack)
    assert [call.status for call in zoom_stack.zoom_calls("token")] == [400]
    lines = zoom_stack.recent_log_lines(zoom_stack.create)
    [operator] = [line for line in lines if line["severity"] == "ERROR"]
    assert operator["message"] == "zoom refused the app credentials"
    assert operator["oauth_error"] == "invalid_client"
    [refusal] = [line for line in lines if line["message"] == "conference not created"]
    assert "ZOOM_CLIENT_SECRET" in refusal["reason"]


# -- failures during sync --------------------------------------------------------------


def test_zoom_down_during_sync_answers_503_then_applies_the_change(zoom_stack: ZoomStack) -> None:
    scenario = conference_on_event(zoom_stack)
    meeting_id = scenario.conference["conferenceId"]
    zoom_stack.zoom_down()

    edit(scenario, moved("2030-03-06T09:00:00", "2030-03-06T10:00:00"))
    settle(zoom_stack)
    zoom_stack.zoom_up()

    statuses = [d.status for d in zoom_stack.calendar.control.deliveries(calendar_id=ALICE)]
    assert 503 in statuses
    assert zoom_stack.zoom_calls("update") == []
    assert zoom_stack.meeting(meeting_id)["start_time"] == "2030-03-04T09:00:00Z"

    edit(scenario, {"colorId": "3"})  # any later message brings the kept change
    settle(zoom_stack)

    [update] = zoom_stack.applied("update")
    assert update.body["start_time"] == "2030-03-06T09:00:00"
    assert zoom_stack.meeting(meeting_id)["start_time"] == "2030-03-06T08:00:00Z"
    assert (
        mapping(zoom_stack, ALICE, scenario.event_id)["spec"]["start"]
        == "2030-03-06T09:00:00+01:00"
    )


def second_conference(stack: ZoomStack) -> Scenario:
    return conference_on_event(
        stack, body=timed_event("Review", "2030-03-05T10:00:00", "2030-03-05T11:00:00")
    )


def make_due(stack: ZoomStack, scenario: Scenario) -> None:
    key_fields = mapping(stack, ALICE, scenario.event_id)
    [doc] = [
        d
        for d in stack.db.collection("conferences").stream()
        if (d.to_dict() or {}).get("eventId") == key_fields["eventId"]
    ]
    doc.reference.update({"retryAt": datetime.now(UTC) - timedelta(seconds=1)})


def break_account(stack: ZoomStack, how: str) -> None:
    if how == "credentials":  # the app's secret rotated on Zoom, or the app deactivated
        stack.zoom.add_account(ACCOUNT_ID, CLIENT_ID, "rotated-secret-0d4a")
        stack.zoom.expire_tokens()
    elif how == "scope":  # the app lost a scope (Zoom code 4711)
        stack.zoom.set_scopes(CLIENT_ID, ("meeting:read:admin", "user:read:admin"))
    else:  # every token refused as soon as issued (401, code 124, again)
        stack.zoom.set_token_ttl(0)
        stack.zoom.expire_tokens()


def fix_account(stack: ZoomStack, how: str) -> None:
    if how == "credentials":
        stack.zoom.add_account(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
    elif how == "scope":
        stack.zoom.set_scopes(CLIENT_ID, ("meeting:write:admin", "meeting:read:admin"))
    else:
        stack.zoom.set_token_ttl(3600)


@pytest.mark.parametrize(
    ("how", "setting"),
    [
        pytest.param("credentials", "ZOOM_CLIENT_SECRET", id="invalid-client"),
        pytest.param("scope", "meeting:update:meeting:admin", id="scope-missing"),
        pytest.param("token", "ZOOM_API_BASE", id="persistent-124"),
    ],
)
def test_an_account_level_zoom_failure_pauses_sync_and_loses_no_change(
    zoom_stack: ZoomStack, how: str, setting: str
) -> None:
    scenario = conference_on_event(zoom_stack)
    meeting_id = scenario.conference["conferenceId"]
    token_before = zoom_stack.docs("calendars")[0]["syncToken"]
    break_account(zoom_stack, how)

    edit(scenario, moved("2030-03-06T09:00:00", "2030-03-06T10:00:00"))
    settle(zoom_stack)

    deliveries = zoom_stack.calendar.control.deliveries(calendar_id=ALICE)
    refused = [d for d in deliveries if d.status == 503]
    assert refused  # Calendar's retries answered 503 too: the token is kept
    assert zoom_stack.docs("calendars")[0]["syncToken"] == token_before
    record = mapping(zoom_stack, ALICE, scenario.event_id)
    assert (record["state"], record.get("lastError")) == ("ready", None)  # no event blamed
    lines = zoom_stack.recent_log_lines(zoom_stack.sync)
    paused = [
        line
        for line in lines
        if line["message"] == "conferencing account refused for every meeting; sync paused"
    ]
    assert len(paused) == len(refused)  # one ERROR per pass, not one per event
    assert all(line["severity"] == "ERROR" and setting in line["setting"] for line in paused)
    assert not [line for line in lines if line["message"] == "change not applied to the meeting"]
    assert zoom_stack.applied("update") == []

    fix_account(zoom_stack, how)
    zoom_stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"lastSyncAt": datetime.now(UTC) - timedelta(hours=2)}
    )
    assert sweep(zoom_stack)["synced"] == 1  # the sweep tries again, from the kept token

    [update] = zoom_stack.applied("update")
    assert update.body["start_time"] == "2030-03-06T09:00:00"
    assert zoom_stack.meeting(meeting_id)["start_time"] == "2030-03-06T08:00:00Z"


def test_a_meeting_in_progress_is_updated_once_it_ends_while_the_others_go_on(
    zoom_stack: ZoomStack,
) -> None:
    live = conference_on_event(zoom_stack)
    other = second_conference(zoom_stack)
    zoom_stack.zoom.set_meeting_state(live.conference["conferenceId"], "started")
    zoom_stack.calendar.control.drop_next_messages(ALICE, 1)
    edit(live, {"summary": "Live renamed"})
    edit(other, {"summary": "Review renamed"})
    settle(zoom_stack)

    updates = {(c.status, c.body.get("topic")) for c in zoom_stack.zoom_calls("update")} - {
        (401, "Live renamed"),
        (401, "Review renamed"),
    }  # a token refreshed on the way
    assert updates == {(400, "Live renamed"), (204, "Review renamed")}  # in one pass
    waiting = mapping(zoom_stack, ALICE, live.event_id)
    assert (waiting["state"], waiting["retryCount"]) == ("retry_pending", 1)
    assert "3002" in waiting["lastError"]
    deliveries = zoom_stack.calendar.control.deliveries(calendar_id=ALICE)
    assert all(d.status == 200 for d in deliveries if d.outcome != "dropped")  # no 503 loop

    zoom_stack.zoom.set_meeting_state(live.conference["conferenceId"], "waiting")
    make_due(zoom_stack, live)
    assert sweep(zoom_stack)["retried"] == 1

    assert zoom_stack.meeting(live.conference["conferenceId"])["topic"] == "Live renamed"
    assert mapping(zoom_stack, ALICE, live.event_id)["state"] == "ready"


def test_a_delete_zoom_refuses_in_progress_is_retried_and_done_once_the_meeting_ended(
    zoom_stack: ZoomStack,
) -> None:
    scenario = conference_on_event(zoom_stack)
    meeting_id = scenario.conference["conferenceId"]
    zoom_stack.zoom.set_meeting_state(meeting_id, "started")

    scenario.user.delete(ALICE, scenario.event_id)
    settle(zoom_stack)

    waiting = mapping(zoom_stack, ALICE, scenario.event_id)
    assert (waiting["state"], waiting["retryCount"]) == ("delete_pending", 1)
    assert waiting["retryAt"] > datetime.now(UTC) + timedelta(minutes=14)  # Zoom's busy hint
    assert all(d.status == 200 for d in zoom_stack.calendar.control.deliveries(calendar_id=ALICE))
    make_due(zoom_stack, scenario)
    assert sweep(zoom_stack)["retried"] == 1  # still in progress: never dropped
    assert mapping(zoom_stack, ALICE, scenario.event_id)["retryCount"] == 2

    zoom_stack.zoom.set_meeting_state(meeting_id, "ended")
    make_due(zoom_stack, scenario)
    assert sweep(zoom_stack)["retried"] == 1

    assert mapping(zoom_stack, ALICE, scenario.event_id) == {}
    answered = [c.status for c in zoom_stack.zoom_calls("delete") if c.status != 401]
    assert answered == [400, 400, 400]  # 3002, 3002, then 3007: ended, counted as deleted
    assert zoom_stack.meeting(meeting_id)["status"] == "waiting"  # Zoom keeps an ended one


# -- secrets ---------------------------------------------------------------------------


def sweep(stack: ZoomStack) -> dict[str, Any]:
    response = requests.post(stack.sweep.url, timeout=120)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_logs_never_carry_the_client_secret_or_an_access_token(zoom_stack: ZoomStack) -> None:
    # A run through every path that handles a credential: first token, create, update,
    # refresh after expiry, a sweep's own token, delete, refused credentials.
    scenario = conference_on_event(zoom_stack)
    edit(scenario, {"summary": "Renamed"})
    settle(zoom_stack)
    zoom_stack.zoom.expire_tokens()
    edit(scenario, moved("2030-03-08T09:00:00", "2030-03-08T10:00:00"))
    settle(zoom_stack)
    zoom_stack.calendar.control.drop_next_messages(ALICE, 1)
    edit(scenario, {"summary": "Renamed quietly"})
    settle(zoom_stack)
    zoom_stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"lastSyncAt": datetime.now(UTC) - timedelta(hours=2)}
    )
    assert sweep(zoom_stack)["synced"] == 1
    scenario.user.delete(ALICE, scenario.event_id)
    settle(zoom_stack)
    zoom_stack.zoom.add_account(ACCOUNT_ID, CLIENT_ID, "rotated-secret-0d4a")
    zoom_stack.zoom.expire_tokens()
    other = CalendarUser(zoom_stack.calendar.api_endpoint, ALICE).insert(
        ALICE, timed_event("Later", "2030-04-01T09:00:00", "2030-04-01T10:00:00")
    )
    assert conference_error(zoom_stack.create_conference(ALICE, ALICE, other["id"])) == "PERMANENT"
    assert trail(zoom_stack.applied("update")) == [("update", 204)] * 3
    assert trail(zoom_stack.applied("delete")) == [("delete", 204)]

    zoom_stack.remember_tokens()
    tokens = zoom_stack.issued_tokens
    logs = zoom_stack.all_logs() + "\n" + zoom_stack.zoom_server_logs()
    stored = json.dumps(
        [zoom_stack.docs(name) for name in ("conferences", "calendars", "channels")], default=str
    )

    assert len(tokens) >= 3  # create's, sync's and its refresh, sweep's
    assert "zoom access token issued" in logs
    assert "zoom refused the app credentials" in logs
    for text in (logs, stored):
        assert CLIENT_SECRET not in text
        assert basic_credentials() not in text
        assert not [token for token in tokens if token in text]
