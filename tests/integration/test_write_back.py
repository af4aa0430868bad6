"""Write-back over HTTP: the add-on's conference data on the event survives it."""

from __future__ import annotations

import pytest

from tests.support.scenarios import ALICE, conference_on_event, settle
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_a_write_back_keeps_the_add_ons_script_id_signature_and_solution(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    # What Calendar's editor stores for an add-on's conference: the script id beside the
    # add-on's parameters, and a signature of its own.
    saved = scenario.user.get(ALICE, scenario.event_id)["conferenceData"]
    saved["parameters"]["addOnParameters"]["parameters"]["scriptId"] = "AKfycb-script"
    saved["signature"] = "signed-by-calendar"
    # Saved under an earlier release's logo: a write-back must not restyle the conference.
    saved["conferenceSolution"]["iconUri"] = "https://lh3.googleusercontent.com/earlier-logo"
    scenario.user.save_conference(ALICE, scenario.event_id, saved)
    settle(stack)
    stack.fault("update", "rotate", remaining=1)

    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
    settle(stack)

    written = scenario.user.get(ALICE, scenario.event_id)["conferenceData"]
    assert written["notes"].startswith("New join details")
    assert written["parameters"]["addOnParameters"]["parameters"]["scriptId"] == "AKfycb-script"
    assert written["parameters"]["addOnParameters"]["parameters"]["solutionId"] == "1"
    assert written["signature"] == "signed-by-calendar"
    assert written["conferenceSolution"] == saved["conferenceSolution"]
    assert written["conferenceId"] == saved["conferenceId"]


def patches(stack: Stack) -> int:
    return len(stack.calendar.control.calls("events.patch"))


def test_a_refused_write_back_is_never_tried_again_for_that_event(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1)
    stack.calendar.control.fail_next("events.patch", 403, "forbiddenForNonOrganizer")
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
    settle(stack)
    [record] = stack.docs("conferences")
    assert record["writeBackRefused"] is True
    refused_at = patches(stack)

    stack.fault("update", "rotate", remaining=1)  # new join details once more
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed again"})
    settle(stack)

    assert len(stack.provider_calls("update")) == 2  # the meeting still follows the event
    assert patches(stack) == refused_at  # but no second write-back is tried
    assert stack.docs("syncLeases") == []


def test_with_write_back_off_join_details_are_never_written(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.sync.stop()
    stack.sync.env["WRITE_BACK"] = "off"
    try:
        stack.sync.start()
        before = patches(stack)
        stack.fault("update", "rotate", remaining=1)
        scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
        settle(stack)
        logs = stack.sync.logs()
    finally:
        stack.sync.stop()
        del stack.sync.env["WRITE_BACK"]
        stack.sync.start()

    assert len(stack.provider_calls("update")) == 1
    assert patches(stack) == before
    assert "new join details not written onto the event" in logs
    assert not scenario.user.get(ALICE, scenario.event_id)["conferenceData"].get("notes")
