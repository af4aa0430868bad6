"""Conformance of the local BigBlueButton's ``isMeetingRunning``, ``getMeetingInfo``,
``getMeetings`` and ``end``."""

from __future__ import annotations

import pytest

from local.fakes.bbb_server import BBBServer
from tests.support.bbb_fixtures import MEETING_ID, RawBBB


def test_a_new_meeting_is_not_running_until_someone_enters(raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    before = raw_bbb.xml("isMeetingRunning", {"meetingID": MEETING_ID})
    raw_bbb.enter("Ann", role="MODERATOR")
    after = raw_bbb.xml("isMeetingRunning", {"meetingID": MEETING_ID})

    assert before.findtext("returncode") == "SUCCESS"
    assert before.findtext("running") == "false"
    assert after.findtext("running") == "true"


def test_an_unknown_meeting_is_not_running_rather_than_not_found(raw_bbb: RawBBB) -> None:
    root = raw_bbb.xml("isMeetingRunning", {"meetingID": "never-created"})

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("running") == "false"


@pytest.mark.parametrize("call", ["isMeetingRunning", "getMeetingInfo", "end"])
def test_the_meeting_id_is_required(raw_bbb: RawBBB, call: str) -> None:
    root = raw_bbb.xml(call, "")

    assert root.findtext("returncode") == "FAILED"
    assert root.findtext("messageKey") == "missingParamMeetingID"


@pytest.mark.parametrize("call", ["getMeetingInfo", "end"])
def test_an_unknown_meeting_is_not_found(raw_bbb: RawBBB, call: str) -> None:
    root = raw_bbb.xml(call, {"meetingID": "never-created"})

    assert root.findtext("returncode") == "FAILED"
    assert root.findtext("messageKey") == "notFound"
    assert root.findtext("message") == "A meeting with that ID does not exist"


def test_meeting_info_lists_the_attendees_but_not_the_lobby(raw_bbb: RawBBB) -> None:
    raw_bbb.create(name="Budget review", guestPolicy="ASK_MODERATOR")
    raw_bbb.enter("Ann", role="MODERATOR", userID="ann")
    raw_bbb.enter("Bo", role="VIEWER", userID="bo", guest="false")
    raw_bbb.join("Gus", role="VIEWER", userID="gus", guest="true")

    root = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("meetingName") == "Budget review"
    assert root.findtext("meetingID") == MEETING_ID
    assert root.findtext("running") == "true"
    assert root.findtext("hasUserJoined") == "true"
    assert root.findtext("participantCount") == "2"
    assert root.findtext("moderatorCount") == "1"
    attendees = [
        (a.findtext("userID"), a.findtext("fullName"), a.findtext("role"))
        for a in root.findall("attendees/attendee")
    ]
    assert attendees == [("ann", "Ann", "MODERATOR"), ("bo", "Bo", "VIEWER")]


def test_get_meetings_lists_every_meeting(raw_bbb: RawBBB) -> None:
    empty = raw_bbb.xml("getMeetings")
    raw_bbb.create(meeting_id="m-1")
    raw_bbb.create(meeting_id="m-2")

    root = raw_bbb.xml("getMeetings")

    assert empty.findtext("returncode") == "SUCCESS"
    assert empty.findtext("messageKey") == "noMeetings"
    assert [m.findtext("meetingID") for m in root.findall("meetings/meeting")] == ["m-1", "m-2"]


def test_end_ends_the_meeting_and_it_is_gone(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()
    raw_bbb.enter("Ann", role="MODERATOR", userID="ann")

    ended = raw_bbb.xml("end", {"meetingID": MEETING_ID})
    running = raw_bbb.xml("isMeetingRunning", {"meetingID": MEETING_ID})
    info = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})
    again = raw_bbb.xml("end", {"meetingID": MEETING_ID})

    assert ended.findtext("returncode") == "SUCCESS"
    assert ended.findtext("messageKey") == "sentEndMeetingRequest"
    assert running.findtext("running") == "false"
    assert info.findtext("messageKey") == "notFound"
    assert again.findtext("messageKey") == "notFound"
    [gone] = bbb.ended_meetings()
    assert gone["hasBeenForciblyEnded"] is True
    assert gone["attendees"] == []


def test_end_with_a_wrong_moderator_password_is_refused(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    created = raw_bbb.create()

    refused = raw_bbb.xml("end", {"meetingID": MEETING_ID, "password": "wrong"})
    accepted = raw_bbb.xml(
        "end", {"meetingID": MEETING_ID, "password": created.findtext("moderatorPW") or ""}
    )

    assert refused.findtext("messageKey") == "invalidPassword"
    assert accepted.findtext("returncode") == "SUCCESS"
    assert bbb.meetings() == []


def test_a_join_url_of_an_ended_meeting_is_not_found(raw_bbb: RawBBB) -> None:
    raw_bbb.create()
    raw_bbb.xml("end", {"meetingID": MEETING_ID})

    answer = raw_bbb.join("Ann", role="MODERATOR", redirect="false")

    assert answer.status_code == 200
    assert b"<messageKey>notFound</messageKey>" in answer.content
