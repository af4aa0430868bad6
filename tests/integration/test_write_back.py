"""Write-back over HTTP: the add-on's conference data on the event survives it; it is a
setting, and a refusal is permanent for that event."""

from __future__ import annotations

import pytest

from tests.support.calendar_user import ADDON_SCRIPT_ID
from tests.support.scenarios import ALICE, conference_on_event, settle
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def write_backs(stack: Stack) -> int:
    """events.patch calls that write conference data (the user's own edits do not)."""
    calls = stack.calendar.control.calls("events.patch")
    return sum(1 for call in calls if call.params.get("conferenceDataVersion") == "1")


def test_a_write_back_keeps_the_add_ons_script_id_signature_and_solution(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    # Saved under an earlier release's logo: a write-back must not restyle the conference.
    earlier = {**scenario.conference}
    earlier["conferenceSolution"] = {
        **earlier["conferenceSolution"],
        "iconUri": "https://lh3.googleusercontent.com/earlier-logo",
    }
    stack.calendar.control.save_conference_as_editor(
        ALICE, scenario.event_id, earlier, script_id=ADDON_SCRIPT_ID
    )
    settle(stack)
    saved = scenario.user.get(ALICE, scenario.event_id)["conferenceData"]
    stack.fault("update", "rotate", remaining=1)

    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
    settle(stack)

    written = scenario.user.get(ALICE, scenario.event_id)["conferenceData"]
    assert written["notes"].startswith("New join details")
    params = written["parameters"]["addOnParameters"]["parameters"]
    assert params["scriptId"] == ADDON_SCRIPT_ID
    assert params == saved["parameters"]["addOnParameters"]["parameters"]
    assert written["conferenceSolution"] == saved["conferenceSolution"]
    assert written["conferenceSolution"]["iconUri"].endswith("earlier-logo")
    assert written["conferenceId"] == saved["conferenceId"]
    assert written["signature"]


def test_a_refused_write_back_is_never_tried_again_for_that_event(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1, delay=1.0)
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
    # The provider call takes a second: the write-back that follows is refused.
    stack.calendar.control.fail_next("events.patch", 403, "forbiddenForNonOrganizer")
    settle(stack)
    [record] = stack.docs("conferences")
    assert record["writeBackRefused"] is True
    assert "write-back refused" in record["lastError"]
    refused_at = write_backs(stack)

    stack.fault("update", "rotate", remaining=1)  # new join details once more
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed again"})
    settle(stack)

    assert len(stack.provider_calls("update")) == 2  # the meeting still follows the event
    assert write_backs(stack) == refused_at  # but no second write-back is tried
    assert stack.docs("syncLeases") == []


def test_with_write_back_off_join_details_are_never_written(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.sync.stop()
    stack.sync.env["WRITE_BACK"] = "off"
    try:
        stack.sync.start()
        before = write_backs(stack)
        stack.fault("update", "rotate", remaining=1)
        scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
        settle(stack)
        logs = stack.sync.logs()
    finally:
        stack.sync.stop()
        del stack.sync.env["WRITE_BACK"]
        stack.sync.start()

    assert len(stack.provider_calls("update")) == 1
    assert write_backs(stack) == before
    assert "new join details not written onto the event" in logs
    assert not scenario.user.get(ALICE, scenario.event_id)["conferenceData"].get("notes")
