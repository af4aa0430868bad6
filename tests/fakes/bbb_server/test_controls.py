"""The local BigBlueButton's controls: faults, people in meetings, the call log, the HTTP
control routes, other paths and methods, and running it as its own process."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from local.fakes.bbb_server import BBBServer
from local.ports import free_port, wait_until
from tests.support.bbb_fixtures import MEETING_ID, RawBBB, meeting_of, signed_url

# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_status_fault_answers_that_status_then_the_server_is_back(
    bbb: BBBServer, raw_bbb: RawBBB, status: int
) -> None:
    bbb.inject("create", "status", status=status)

    failed = raw_bbb.get("create", {"name": "Planning", "meetingID": MEETING_ID})
    made_while_failing = bbb.meetings()
    back = raw_bbb.create()

    assert failed.status_code == status
    assert made_while_failing == []
    assert back.findtext("returncode") == "SUCCESS"
    assert [call.status for call in bbb.calls("create")] == [status, 200]


def test_a_fault_counts_down_and_concerns_its_operation_only(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    bbb.inject("getMeetingInfo", "status", count=2)
    raw_bbb.create()

    statuses = [
        raw_bbb.get("getMeetingInfo", {"meetingID": MEETING_ID}).status_code for _ in range(3)
    ]

    assert statuses == [503, 503, 200]


@pytest.mark.parametrize(
    ("kind", "marker"),
    [("non_xml", b"<html>"), ("dtd", b"<!DOCTYPE"), ("truncated", b"<returncode>SUCC")],
)
def test_body_faults_answer_200_with_a_body_no_client_should_take(
    bbb: BBBServer, raw_bbb: RawBBB, kind: str, marker: bytes
) -> None:
    bbb.inject("*", kind)

    answer = raw_bbb.get("isMeetingRunning", {"meetingID": MEETING_ID})

    assert answer.status_code == 200
    assert marker in answer.content


def test_a_failed_fault_answers_the_chosen_refusal(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    bbb.inject("create", "failed", key="maxParticipantsReached", message="Full.")

    root = raw_bbb.xml("create", {"name": "Planning", "meetingID": MEETING_ID})

    assert root.findtext("returncode") == "FAILED"
    assert (root.findtext("messageKey"), root.findtext("message")) == (
        "maxParticipantsReached",
        "Full.",
    )
    assert bbb.meetings() == []


def test_a_delay_makes_a_client_time_out(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    bbb.inject("create", "delay", delay=30.0)

    with pytest.raises(TimeoutError):
        raw_bbb.get("create", {"name": "Planning", "meetingID": MEETING_ID}, timeout=0.2)
    bbb.reset()  # cuts the delay short: the delayed call is neither made nor logged
    after_reset = raw_bbb.create()

    assert after_reset.findtext("returncode") == "SUCCESS"
    assert [call.status for call in bbb.calls("create")] == [200]


def test_a_delay_shorter_than_the_timeout_answers_normally(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    bbb.inject("create", "delay", delay=0.05)

    root = raw_bbb.create()

    assert root.findtext("returncode") == "SUCCESS"


def test_unknown_faults_are_refused(bbb: BBBServer) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        bbb.inject("create", "explode")
    with pytest.raises(ValueError, match="unknown operation"):
        bbb.inject("createMeeting", "status")


# -- people in meetings ----------------------------------------------------------------------


def test_running_and_ending_can_be_set(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()

    assert bbb.set_running(MEETING_ID)
    running = raw_bbb.xml("isMeetingRunning", {"meetingID": MEETING_ID}).findtext("running")
    assert bbb.end_meeting(MEETING_ID)
    info = raw_bbb.xml("getMeetingInfo", {"meetingID": MEETING_ID})

    assert running == "true"
    assert info.findtext("messageKey") == "notFound"
    assert bbb.ended_meetings()[0]["hasBeenForciblyEnded"] is False
    assert not bbb.set_running(MEETING_ID)


def test_a_registered_user_can_be_made_to_enter(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()
    raw_bbb.join("Ann", role="MODERATOR", userID="ann")

    entered = bbb.enter(MEETING_ID, "ann")

    assert entered
    assert [a["userID"] for a in bbb.attendees(MEETING_ID)] == ["ann"]
    assert not bbb.enter(MEETING_ID, "nobody")


def test_the_call_log_keeps_the_query_as_sent(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.get("create", "name=Team+Meeting&meetingID=m-1")

    [call] = bbb.calls("create")

    assert call.query["name"] == "Team Meeting"
    assert call.raw_query.startswith("name=Team+Meeting&meetingID=m-1&checksum=")
    assert (call.status, call.returncode, call.checksum_algorithm) == (200, "SUCCESS", "sha256")
    assert bbb.wait_for_calls("create", 1, timeout=1)
    assert not bbb.wait_for_calls("create", 2, timeout=0.05)


# -- paths, methods, the control routes ------------------------------------------------------


def test_an_unknown_call_is_a_404_and_post_a_405(bbb: BBBServer) -> None:
    unknown = requests.get(signed_url(bbb, "deleteEverything", "x=1"), timeout=5)
    posted = requests.post(
        f"{bbb.api_url}create", data={"name": "Planning", "meetingID": "m"}, timeout=5
    )

    assert unknown.status_code == 404
    assert posted.status_code == 405


def test_the_control_routes_drive_it_from_another_process(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    control = f"{bbb.base_url}/_control"
    raw_bbb.create(guestPolicy="ASK_MODERATOR")
    raw_bbb.join("Gus", role="VIEWER", userID="gus", guest="true")

    admitted = requests.post(
        f"{control}/admit", json={"meeting_id": MEETING_ID, "user_id": "gus"}, timeout=5
    )
    unknown = requests.post(
        f"{control}/admit", json={"meeting_id": "nope", "user_id": "gus"}, timeout=5
    )
    meetings = requests.get(f"{control}/meetings", timeout=5).json()["meetings"]
    calls = requests.get(f"{control}/calls", timeout=5).json()["calls"]
    fault = requests.post(
        f"{control}/faults", json={"operation": "end", "kind": "status", "status": 502}, timeout=5
    )
    algorithms = requests.post(f"{control}/algorithms", json={"algorithms": ["sha512"]}, timeout=5)

    assert admitted.status_code == 200
    assert unknown.status_code == 404
    assert [a["userID"] for a in meetings[0]["attendees"]] == ["gus"]
    assert [c["operation"] for c in calls] == ["create", "join"]
    assert fault.status_code == 200
    assert raw_bbb.get("end", {"meetingID": MEETING_ID}, algorithm="sha512").status_code == 502
    assert algorithms.status_code == 200
    assert b"checksumError" in raw_bbb.get("getMeetings").content  # sha256 no longer taken
    assert requests.post(f"{control}/running", json={"meeting_id": MEETING_ID}, timeout=5).ok
    assert requests.post(f"{control}/end", json={"meeting_id": MEETING_ID}, timeout=5).ok
    assert requests.post(f"{control}/reset", timeout=5).ok
    assert bbb.meetings() == []
    assert bbb.calls() == []


def test_a_meeting_snapshot_shows_users_and_their_state(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create(guestPolicy="ASK_MODERATOR")
    raw_bbb.enter("Ann", role="MODERATOR", userID="ann")
    raw_bbb.join("Gus", role="VIEWER", userID="gus", guest="true")

    meeting = meeting_of(bbb)

    states = {u["userID"]: (u["guestStatus"], u["inLobby"], u["entered"]) for u in meeting["users"]}
    assert states == {"ann": ("ALLOW", False, True), "gus": ("WAIT", True, False)}


def test_it_runs_standalone() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.fakes.bbb_server", "--port", str(port), "--secret", "s3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: (
                requests.post(f"http://127.0.0.1:{port}/_control/reset", timeout=1).status_code
                == 200
            ),
            20,
            "the standalone BigBlueButton server",
        )
        version = requests.get(f"http://127.0.0.1:{port}/bigbluebutton/api/", timeout=5)
        refused = requests.get(
            f"http://127.0.0.1:{port}/bigbluebutton/api/getMeetings?checksum=00", timeout=5
        )
        assert b"<returncode>SUCCESS</returncode>" in version.content
        assert b"checksumError" in refused.content
    finally:
        process.terminate()
        process.wait(timeout=10)
