"""BigBlueButton beside another provider, over HTTP: creating a BigBlueButton conference
through create_conference, sync on its record (edits call nothing; a cancelled event's
meeting is ended and its tombstone written), and records of a provider no longer enabled
left alone with one ERROR."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.state.conferences import ConferenceStore
from shared.sync.changes import NOT_ENABLED_LOG
from tests.support.bbb_stack import BBB_SOLUTIONS, JOIN_BASE_URL, BBBStack
from tests.support.calendar_user import timed_event
from tests.support.scenarios import (
    ALICE,
    calendar,
    channel_of,
    conference_on_event,
    mapping,
    push,
    push_headers,
    settle,
)
from tests.support.stack import wait_for

pytestmark = pytest.mark.integration

CONFERENCE_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def test_create_conference_makes_a_bigbluebutton_conference_without_calling_it(
    bbb_stack: BBBStack,
) -> None:
    user = calendar(bbb_stack)
    event = user.insert(ALICE, timed_event("Class", "2030-03-04T10:00:00", "2030-03-04T11:00:00"))
    other = user.insert(ALICE, timed_event("Sales", "2030-03-05T10:00:00", "2030-03-05T11:00:00"))

    answer = bbb_stack.create_conference(ALICE, ALICE, event["id"], "bigbluebutton-1")
    jitsi = bbb_stack.create_conference(ALICE, ALICE, other["id"], "1")

    assert answer.status_code == 200, answer.text
    data = answer.json()["conferenceData"]
    conference_id = data["conferenceId"]
    assert CONFERENCE_ID.fullmatch(conference_id)
    assert data["entryPoints"][0]["uri"] == JOIN_BASE_URL + conference_id
    assert data["conferenceSolution"]["name"] == "BigBlueButton"
    assert data["parameters"]["addOnParameters"]["parameters"]["solutionId"] == "bigbluebutton-1"
    record = mapping(bbb_stack, ALICE, event["id"])
    assert (record["provider"], record["solutionId"]) == ("bigbluebutton", "bigbluebutton-1")
    assert record["meetingId"] == conference_id
    assert bbb_stack.bbb.calls() == []
    found = ConferenceStore(bbb_stack.db).find_by_join_id(conference_id)
    assert found is not None
    assert found.key.event_id == event["id"]
    assert jitsi.status_code == 200, jitsi.text
    assert mapping(bbb_stack, ALICE, other["id"])["provider"] == "jitsi"
    assert "conferenceData" in jitsi.json()


def test_edits_never_call_bigbluebutton(bbb_stack: BBBStack) -> None:
    scenario = conference_on_event(bbb_stack, solution_id="bigbluebutton-1")

    scenario.user.patch(
        ALICE,
        scenario.event_id,
        {
            "summary": "Moved",
            "start": {"dateTime": "2030-03-06T10:00:00+01:00"},
            "end": {"dateTime": "2030-03-06T12:00:00+01:00"},
        },
    )
    settle(bbb_stack)

    record = wait_for(
        lambda: (
            (m := mapping(bbb_stack, ALICE, scenario.event_id))["spec"]["title"] == "Moved" and m
        ),
        what="the record follows its event",
    )
    assert record["conferenceData"] == scenario.conference
    assert bbb_stack.bbb.calls() == []


def test_a_cancelled_events_meeting_is_ended_and_its_tombstone_written(
    bbb_stack: BBBStack,
) -> None:
    scenario = conference_on_event(bbb_stack, solution_id="bigbluebutton-1")
    conference_id = scenario.conference["conferenceId"]
    meeting_id = bbb_stack.provider().start_meeting(
        conference_id, "Planning", BBB_SOLUTIONS["bigbluebutton-1"]
    )
    bbb_stack.bbb.set_running(meeting_id)
    before = datetime.now(UTC)

    scenario.user.delete(ALICE, scenario.event_id)
    settle(bbb_stack)

    wait_for(lambda: not mapping(bbb_stack, ALICE, scenario.event_id), what="record removed")
    assert bbb_stack.bbb.meeting(meeting_id) is None
    assert meeting_id in [m["meetingID"] for m in bbb_stack.bbb.ended_meetings()]
    [tombstone] = bbb_stack.docs("cancelledConferences")
    assert tombstone["conferenceId"] == conference_id
    assert (tombstone["calendarId"], tombstone["eventId"]) == (ALICE, scenario.event_id)
    retention = tombstone["expireAt"] - before
    assert timedelta(days=29) < retention < timedelta(days=31)
    assert bbb_stack.db.collection("cancelledConferences").document(conference_id).get().exists


def _as_if_written_by(stack: BBBStack, event_id: str, provider: str) -> dict[str, Any]:
    """Give the event's record another provider, as a deployment that had it wrote."""
    [doc] = [
        snap
        for snap in stack.db.collection("conferences").stream()
        if (snap.to_dict() or {}).get("eventId") == event_id
    ]
    doc.reference.update({"provider": provider})
    return dict(doc.reference.get().to_dict() or {})


def test_records_of_a_provider_no_longer_enabled_are_left_alone_with_one_error(
    bbb_stack: BBBStack,
) -> None:
    first = conference_on_event(bbb_stack)
    second = conference_on_event(
        bbb_stack,
        body=timed_event("Review", "2030-03-05T10:00:00", "2030-03-05T11:00:00"),
    )
    kept = [_as_if_written_by(bbb_stack, s.event_id, "zoom") for s in (first, second)]
    calls_before = len(bbb_stack.provider_calls())
    bbb_stack.calendar.control.drop_next_messages(ALICE, 2)

    first.user.patch(ALICE, first.event_id, {"summary": "Secret title"})
    second.user.delete(ALICE, second.event_id)
    answer = push(bbb_stack, push_headers(channel_of(bbb_stack, ALICE), 900))
    settle(bbb_stack)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "synced"}
    assert mapping(bbb_stack, ALICE, first.event_id) == {
        **kept[0],
        "updatedAt": kept[0]["updatedAt"],
    }
    assert mapping(bbb_stack, ALICE, second.event_id)["state"] == "ready"
    assert len(bbb_stack.provider_calls()) == calls_before
    errors = [line for line in bbb_stack.log_lines() if line.get("message") == NOT_ENABLED_LOG]
    assert len(errors) == 1
    assert errors[0]["severity"] == "ERROR"
    assert errors[0]["provider"] == "zoom"
    assert "Secret title" not in bbb_stack.sync.logs()
    assert bbb_stack.docs("cancelledConferences") == []


def test_the_sweep_deletes_nothing_of_a_provider_no_longer_enabled(bbb_stack: BBBStack) -> None:
    waiting = conference_on_event(bbb_stack)
    unsaved = calendar(bbb_stack).insert(
        ALICE, timed_event("Unsaved", "2030-04-01T10:00:00", "2030-04-01T11:00:00")
    )
    assert bbb_stack.create_conference(ALICE, ALICE, unsaved["id"]).status_code == 200
    past = datetime.now(UTC) - timedelta(minutes=5)
    for snap in bbb_stack.db.collection("conferences").stream():
        event_id = (snap.to_dict() or {}).get("eventId")
        changes: dict[str, Any] = {"provider": "zoom"}
        if event_id == waiting.event_id:
            changes.update(state="delete_pending", retryAt=past, retryCount=1)
        else:
            changes.update(abandonCheckAt=past)
        snap.reference.update(changes)
    calls_before = len(bbb_stack.provider_calls())

    answer = requests.post(bbb_stack.sweep.url, timeout=60)

    assert answer.status_code == 200, answer.text
    kept = mapping(bbb_stack, ALICE, waiting.event_id)
    assert kept["state"] == "delete_pending"
    assert kept["retryAt"] > datetime.now(UTC)  # put off, not tried
    assert mapping(bbb_stack, ALICE, unsaved["id"])["abandonCheckAt"] > datetime.now(UTC)
    assert len(bbb_stack.provider_calls()) == calls_before
