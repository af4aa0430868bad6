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
