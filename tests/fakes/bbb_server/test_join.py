"""Conformance of the local BigBlueButton's ``join``: roles, the guest lobby under each
guest policy, redirects and their errors, and what a browser does with the join URL."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.fakes.bbb_server import BBBServer
from tests.support.bbb_fixtures import MEETING_ID, RawBBB, Sent, meeting_of, xml_of


def _location(answer: Sent) -> str:
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _errors(answer: Sent) -> list[dict[str, str]]:
    query = parse_qs(urlsplit(_location(answer)).query)
    errors: list[dict[str, str]] = json.loads(query["errors"][0])
    return errors


def test_a_moderator_is_sent_to_the_client_and_enters_on_loading_it(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    raw_bbb.create()

    answer = raw_bbb.join("Ann Moderator", role="MODERATOR", userID="ann")
    location = _location(answer)
    registered_only = bbb.attendees(MEETING_ID)
    page = requests.get(location, timeout=5)

    assert location.startswith(f"{bbb.base_url}/html5client/join?sessionToken=")
    assert registered_only == []
    assert page.status_code == 200
    [attendee] = bbb.attendees(MEETING_ID)
    assert (attendee["userID"], attendee["fullName"], attendee["role"]) == (
        "ann",
        "Ann Moderator",
        "MODERATOR",
    )
    assert meeting_of(bbb)["running"] is True


@pytest.mark.parametrize("role", ["viewer", "Viewer", "VIEWER"])
def test_the_role_is_case_insensitive(bbb: BBBServer, raw_bbb: RawBBB, role: str) -> None:
    raw_bbb.create()

    raw_bbb.enter("Bo", role=role, userID="bo")

    assert [a["role"] for a in bbb.attendees(MEETING_ID)] == ["VIEWER"]


def test_the_deprecated_passwords_still_give_roles(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    created = raw_bbb.create()

    raw_bbb.enter("Mo", password=created.findtext("moderatorPW") or "", userID="mo")
    raw_bbb.enter("Vi", password=created.findtext("attendeePW") or "", userID="vi")

    roles = {a["userID"]: a["role"] for a in bbb.attendees(MEETING_ID)}
    assert roles == {"mo": "MODERATOR", "vi": "VIEWER"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {},
            "You must either send the valid role of the user, or the password, sould the "
            "meeting has one.",
        ),
        (
            {"role": "ADMIN"},
            "You must either send the valid role of the user, or the "
            "password, sould the meeting has one.",
        ),
        ({"password": "nope"}, "You must enter a valid password"),
    ],
    ids=["nothing", "unknown-role", "wrong-password"],
)
def test_without_a_role_join_answers_xml_even_when_redirecting(
    bbb: BBBServer, raw_bbb: RawBBB, params: dict[str, str], message: str
) -> None:
    raw_bbb.create()

    root = xml_of(raw_bbb.join("Ann", **params))

    assert root.findtext("returncode") == "FAILED"
    assert root.findtext("messageKey") == "Params required"
    assert root.findtext("message") == message
    assert meeting_of(bbb)["users"] == []


def test_redirect_false_answers_the_session_as_xml(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    root = xml_of(raw_bbb.join("Ann", role="MODERATOR", userID="ann", redirect="false"))

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("messageKey") == "successfullyJoined"
    assert root.findtext("guestStatus") == "ALLOW"
    [user] = meeting_of(bbb)["users"]
    assert root.findtext("user_id") == user["internalUserID"]
    assert root.findtext("meeting_id") == meeting_of(bbb)["internalMeetingID"]
    session_token = root.findtext("session_token") or ""
    assert len(session_token) == 16
    assert root.findtext("url") == f"{bbb.base_url}/html5client/join?sessionToken={session_token}"
    assert requests.get(root.findtext("url") or "", timeout=5).status_code == 200
    assert [a["userID"] for a in bbb.attendees(MEETING_ID)] == ["ann"]


def test_without_a_user_id_the_internal_one_is_shown(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    raw_bbb.enter("Ann", role="MODERATOR")

    [attendee] = bbb.attendees(MEETING_ID)
    assert attendee["userID"] == attendee["internalUserID"]
    assert attendee["userID"].startswith("w_")


# -- the guest lobby -------------------------------------------------------------------------


def test_under_ask_moderator_a_guest_waits_in_the_lobby_until_admitted(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    raw_bbb.create(guestPolicy="ASK_MODERATOR")

    location = _location(raw_bbb.join("Gus", role="VIEWER", userID="gus", guest="true"))
    waiting = requests.get(location, timeout=5, allow_redirects=False)
    lobby = [u["userID"] for u in bbb.lobby(MEETING_ID)]
    attendees_while_waiting = bbb.attendees(MEETING_ID)
    admitted = bbb.admit(MEETING_ID, "gus")
    after = requests.get(location, timeout=5, allow_redirects=False)

    assert location.startswith(f"{bbb.base_url}/html5client/guestWait?sessionToken=")
    assert waiting.status_code == 200
    assert lobby == ["gus"]
    assert attendees_while_waiting == []
    assert admitted
    assert bbb.lobby(MEETING_ID) == []
    assert [a["userID"] for a in bbb.attendees(MEETING_ID)] == ["gus"]
    assert after.status_code == 302
    assert "/html5client/join?sessionToken=" in after.headers["Location"]


def test_a_refused_guest_is_turned_away(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create(guestPolicy="ASK_MODERATOR")
    location = _location(raw_bbb.join("Gus", role="VIEWER", userID="gus", guest="true"))

    refused = bbb.admit(MEETING_ID, "gus", allow=False)

    assert refused
    assert bbb.lobby(MEETING_ID) == []
    assert bbb.attendees(MEETING_ID) == []
    assert requests.get(location, timeout=5, allow_redirects=False).status_code == 403
    assert not bbb.admit(MEETING_ID, "gus")  # no longer waiting


@pytest.mark.parametrize(
    ("policy", "params", "status"),
    [
        # calcGuestStatus: moderators and guest=false are always let in
        ("ASK_MODERATOR", {"role": "MODERATOR", "guest": "true"}, "ALLOW"),
        ("ASK_MODERATOR", {"role": "VIEWER", "guest": "false"}, "ALLOW"),
        # a join without guest counts as authenticated, which ASK_MODERATOR holds back
        ("ASK_MODERATOR", {"role": "VIEWER"}, "WAIT"),
        ("ASK_MODERATOR", {"role": "VIEWER", "guest": "true"}, "WAIT"),
        ("ALWAYS_ACCEPT", {"role": "VIEWER", "guest": "true"}, "ALLOW"),
        ("ALWAYS_ACCEPT_AUTH", {"role": "VIEWER", "guest": "true"}, "WAIT"),
        ("ALWAYS_ACCEPT_AUTH", {"role": "VIEWER"}, "ALLOW"),
        ("ALWAYS_DENY", {"role": "MODERATOR"}, "ALLOW"),
        ("ALWAYS_DENY", {"role": "VIEWER", "guest": "false"}, "ALLOW"),
    ],
)
def test_the_guest_status_follows_the_policy(
    bbb: BBBServer, raw_bbb: RawBBB, policy: str, params: dict[str, str], status: str
) -> None:
    raw_bbb.create(guestPolicy=policy)

    root = xml_of(raw_bbb.join("Someone", redirect="false", **params))

    assert root.findtext("returncode") == "SUCCESS"
    assert root.findtext("guestStatus") == status
    assert root.findtext("messageKey") == (
        "guestWait" if status == "WAIT" else "successfullyJoined"
    )


@pytest.mark.parametrize("params", [{"role": "VIEWER"}, {"role": "VIEWER", "guest": "true"}])
def test_always_deny_turns_viewers_away(
    bbb: BBBServer, raw_bbb: RawBBB, params: dict[str, str]
) -> None:
    raw_bbb.create(guestPolicy="ALWAYS_DENY")

    root = xml_of(raw_bbb.join("Someone", redirect="false", **params))

    assert root.findtext("messageKey") == "guestDeniedAccess"
    assert meeting_of(bbb)["users"] == []


def test_without_authenticated_guests_only_the_guest_flag_counts() -> None:
    server = BBBServer(authenticated_guest=False).start()
    try:
        other = RawBBB(server)
        other.create(guestPolicy="ASK_MODERATOR")

        viewer = xml_of(other.join("V", role="VIEWER", redirect="false"))
        moderator_guest = xml_of(other.join("M", role="MODERATOR", guest="true", redirect="false"))
    finally:
        server.stop()

    assert viewer.findtext("guestStatus") == "ALLOW"
    assert moderator_guest.findtext("guestStatus") == "WAIT"


# -- errors ----------------------------------------------------------------------------------


def test_an_unknown_meeting_redirects_to_the_logout_url_with_the_error(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    answer = raw_bbb.join("Ann", role="MODERATOR")

    assert _location(answer).startswith(bbb.base_url)
    assert _errors(answer) == [
        {"key": "notFound", "message": "A meeting with that ID does not exist"}
    ]


def test_errors_redirect_to_error_redirect_url(raw_bbb: RawBBB) -> None:
    answer = raw_bbb.join(
        "Ann", role="MODERATOR", errorRedirectUrl="https://app.example/oops?from=bbb"
    )

    location = _location(answer)
    assert location.startswith("https://app.example/oops?from=bbb&errors=")
    assert _errors(answer)[0]["key"] == "notFound"


def test_with_redirect_false_errors_are_xml(raw_bbb: RawBBB) -> None:
    root = xml_of(raw_bbb.join("Ann", role="MODERATOR", redirect="false"))

    assert root.findtext("returncode") == "FAILED"
    assert root.findtext("messageKey") == "notFound"


def test_a_checksum_error_on_join_redirects_too(raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    answer = raw_bbb.get(
        "join", {"fullName": "Ann", "meetingID": MEETING_ID, "role": "VIEWER"}, secret="bad"
    )

    assert _errors(answer) == [{"key": "checksumError", "message": "Checksums do not match"}]


def test_a_missing_full_name_is_refused(raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    root = xml_of(
        raw_bbb.get("join", {"meetingID": MEETING_ID, "role": "VIEWER", "redirect": "false"})
    )

    assert root.findtext("message") == "You must provide your name"


def test_create_time_binds_a_join_url_to_one_meeting(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    first = raw_bbb.create()
    create_time = first.findtext("createTime") or ""

    accepted = xml_of(
        raw_bbb.join("Ann", role="MODERATOR", createTime=create_time, redirect="false")
    )
    raw_bbb.xml("end", {"meetingID": MEETING_ID})
    raw_bbb.create()
    stale = xml_of(raw_bbb.join("Ann", role="MODERATOR", createTime=create_time, redirect="false"))

    assert accepted.findtext("returncode") == "SUCCESS"
    assert stale.findtext("messageKey") == "mismatchCreateTimeParam"


def test_guest_must_be_a_boolean(raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    root = xml_of(raw_bbb.join("Ann", role="VIEWER", guest="maybe", redirect="false"))

    assert root.findtext("message") == "Guest must be a boolean value (true or false)"


def test_max_participants_are_enforced_on_join(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create(maxParticipants="1")
    raw_bbb.enter("Ann", role="MODERATOR")

    root = xml_of(raw_bbb.join("Bo", role="VIEWER", guest="false", redirect="false"))

    assert root.findtext("messageKey") == "maxParticipantsReached"


def test_names_lose_control_characters(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    raw_bbb.enter("Ann\x00 Example", role="MODERATOR")

    assert [a["fullName"] for a in bbb.attendees(MEETING_ID)] == ["Ann Example"]


def test_user_data_is_kept_and_shown(raw_bbb: RawBBB) -> None:
    raw_bbb.create()
    raw_bbb.enter("Ann", role="MODERATOR", userID="ann", **{"userdata-bbb_locale": "sv"})

    info = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})

    assert info.findtext("attendees/attendee/customdata/bbb_locale") == "sv"
