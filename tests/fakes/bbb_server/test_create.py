"""Conformance of the local BigBlueButton's ``create``: its answer, idempotency on
meetingID, validation, and what it keeps."""

from __future__ import annotations

import re

import pytest

from local.fakes.bbb_server import BBBServer
from tests.support.bbb_fixtures import MEETING_ID, RawBBB


def test_create_answers_the_new_meeting(raw_bbb: RawBBB) -> None:
    root = raw_bbb.create()

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("meetingID") == MEETING_ID
    create_time = root.findtext("createTime") or ""
    assert create_time.isdigit()
    # internalMeetingID: sha1 of the meetingID, "-", createTime
    assert re.fullmatch(rf"[0-9a-f]{{40}}-{create_time}", root.findtext("internalMeetingID") or "")
    assert root.findtext("parentMeetingID") == "bbb-none"
    assert re.fullmatch(r"[0-9]{5}", root.findtext("voiceBridge") or "")
    assert root.findtext("dialNumber") == "613-555-1234"
    assert root.findtext("hasUserJoined") == "false"
    assert root.findtext("hasBeenForciblyEnded") == "false"
    assert root.findtext("messageKey") is None or root.findtext("messageKey") == ""
    assert len(root.findtext("attendeePW") or "") == 8
    assert len(root.findtext("moderatorPW") or "") == 8


def test_a_second_create_is_a_duplicate_warning_for_the_same_meeting(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    first = raw_bbb.create(name="Planning")

    second = raw_bbb.create(name="Another name", record="true")

    assert second.findtext("returncode") == "SUCCESS"
    assert second.findtext("messageKey") == "duplicateWarning"
    assert second.findtext("message") == (
        "This conference was already in existence and may currently be in progress."
    )
    assert second.findtext("internalMeetingID") == first.findtext("internalMeetingID")
    assert second.findtext("createTime") == first.findtext("createTime")
    [meeting] = bbb.meetings()
    assert meeting["name"] == "Planning"  # nothing is updated
    assert meeting["record"] is False


def test_a_create_with_the_same_passwords_is_a_duplicate(raw_bbb: RawBBB) -> None:
    raw_bbb.create(attendeePW="ap-1", moderatorPW="mp-1")

    again = raw_bbb.create(attendeePW="ap-1", moderatorPW="mp-1")

    assert again.findtext("messageKey") == "duplicateWarning"


def test_a_create_with_other_passwords_is_id_not_unique(raw_bbb: RawBBB) -> None:
    raw_bbb.create(attendeePW="ap-1", moderatorPW="mp-1")

    again = raw_bbb.create(attendeePW="ap-2", moderatorPW="mp-1")

    assert again.findtext("returncode") == "FAILED"
    assert again.findtext("messageKey") == "idNotUnique"


def test_after_the_meeting_ended_the_same_id_makes_a_new_meeting(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    first = raw_bbb.create()
    raw_bbb.xml("end", {"meetingID": MEETING_ID})

    second = raw_bbb.create()

    assert second.findtext("messageKey") in (None, "")
    assert second.findtext("internalMeetingID") != first.findtext("internalMeetingID")
    assert len(bbb.meetings()) == 1
    assert len(bbb.ended_meetings()) == 1


@pytest.mark.parametrize(
    ("meeting_id", "key", "message"),
    [
        (None, "missingParamMeetingID", "You must provide a meeting ID"),
        ("", "missingParamMeetingID", "You must provide a meeting ID"),
        ("a", "validationError", "Meeting ID must be between 2 and 256 characters"),
        ("a" * 257, "validationError", "Meeting ID must be between 2 and 256 characters"),
        ("😀" * 129, "validationError", "Meeting ID must be between 2 and 256 characters"),
        ("a,b", "validationError", "Meeting ID cannot contain ','"),
        ("a\tb", "validationError", "Invalid meeting ID"),
    ],
    ids=["missing", "empty", "short", "long", "long-in-utf16", "comma", "control"],
)
def test_meeting_ids_are_validated(
    bbb: BBBServer, raw_bbb: RawBBB, meeting_id: str | None, key: str, message: str
) -> None:
    params = {"name": "Planning"} | ({} if meeting_id is None else {"meetingID": meeting_id})

    root = raw_bbb.xml("create", params)

    assert root.findtext("returncode") == "FAILED"
    assert (root.findtext("messageKey"), root.findtext("message")) == (key, message)
    assert bbb.meetings() == []


@pytest.mark.parametrize("meeting_id", ["ab", "a" * 256, "😀" * 128, "Room 1 (ä)"])
def test_meeting_ids_within_the_rules_are_taken(raw_bbb: RawBBB, meeting_id: str) -> None:
    root = raw_bbb.create(meeting_id=meeting_id)

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("meetingID") == meeting_id


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (None, "You must provide a meeting name"),
        ("x", "Meeting name must be between 2 and 256 characters"),
        ("x" * 257, "Meeting name must be between 2 and 256 characters"),
    ],
    ids=["missing", "short", "long"],
)
def test_meeting_names_are_validated(raw_bbb: RawBBB, name: str | None, message: str) -> None:
    params = {"meetingID": MEETING_ID} | ({} if name is None else {"name": name})

    root = raw_bbb.xml("create", params)

    assert root.findtext("returncode") == "FAILED"
    assert (root.findtext("messageKey"), root.findtext("message")) == ("validationError", message)


def test_record_must_be_a_boolean(raw_bbb: RawBBB) -> None:
    refused = raw_bbb.create(record="yes")
    taken = raw_bbb.create(record="TRUE")
    info = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})

    assert refused.findtext("message") == "Record must be a boolean value (true or false)"
    assert taken.findtext("returncode") == "SUCCESS"
    assert info.findtext("recording") == "true"


def test_passwords_must_have_2_to_64_characters(raw_bbb: RawBBB) -> None:
    root = raw_bbb.create(moderatorPW="x")

    assert root.findtext("messageKey") == "invalidPassword"


def test_metadata_names_are_lowercased_and_odd_ones_dropped(raw_bbb: RawBBB) -> None:
    raw_bbb.create(**{"meta_Origin-Server": "calendar", "meta_1bad": "x", "meta_a_b": "y"})

    info = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})

    metadata = info.find("metadata")
    assert metadata is not None
    assert {child.tag: child.text for child in metadata} == {"origin-server": "calendar"}


def test_what_create_was_given_is_kept(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create(
        name="Budget\x07 review",
        guestPolicy="ASK_MODERATOR",
        welcome="Hello %%CONFNAME%% on %%CONFNUM%%",
        logoutURL="https://example.com/bye",
        meetingExpireIfNoUserJoinedInMinutes="15",
    )

    meeting = bbb.meeting(MEETING_ID)

    assert meeting is not None
    assert meeting["name"] == "Budget review"  # control characters stripped
    assert meeting["guestPolicy"] == "ASK_MODERATOR"
    assert meeting["welcome"] == f"Hello Budget review on {meeting['voiceBridge']}"
    assert meeting["logoutURL"] == "https://example.com/bye"
    assert meeting["meetingExpireIfNoUserJoinedInMinutes"] == 15
    assert "checksum" not in meeting["params"]
    assert meeting["params"]["guestPolicy"] == "ASK_MODERATOR"


def test_defaults_of_a_plain_create(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    meeting = bbb.meeting(MEETING_ID)

    assert meeting is not None
    assert meeting["guestPolicy"] == "ALWAYS_ACCEPT"
    assert meeting["meetingExpireIfNoUserJoinedInMinutes"] == 5
    assert meeting["logoutURL"] == bbb.base_url
    assert meeting["welcome"] == f"Welcome to <b>{meeting['name']}</b>!"
    assert meeting["running"] is False
