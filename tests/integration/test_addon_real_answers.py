"""The add-on shim fed with answers the real create_conference gave over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.addon.test_addon_shim import assert_node_passed, run_node_shim_tests
from tests.support.calendar_user import timed_event
from tests.support.scenarios import ALICE, BOB, calendar
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def captured(name: str, solution_id: str, response: requests.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return {"name": name, "solutionId": solution_id, "status": response.status_code, "body": body}


def test_the_shim_turns_real_answers_into_what_calendar_expects(
    stack: Stack, tmp_path: Path
) -> None:
    user = calendar(stack)
    calendar(stack, BOB)
    event = user.insert(ALICE, timed_event("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00"))
    answers = [
        captured("conference", "1", stack.create_conference(ALICE, ALICE, event["id"])),
        # (as from an add-on older than the deployment: fed to solution 1's function)
        captured("forbidden", "1", stack.create_conference(ALICE, ALICE, event["id"], "9")),
        captured("denied", "1", stack.create_conference(ALICE, BOB, "bobsevent01")),
    ]
    stack.fault("create", "transient", remaining=1000)
    answers.append(captured("temporary", "1", stack.create_conference(ALICE, ALICE, "other0001")))
    stack.fault("create", "permanent", remaining=1)
    answers.append(captured("permanent", "1", stack.create_conference(ALICE, ALICE, "other0002")))
    body = json.dumps({"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "e1"}})
    answers += [
        captured("unauthenticated", "1", requests.post(stack.create.url, data=body, timeout=10)),
        captured(
            "malformed",
            "1",
            requests.post(
                stack.create.url,
                data="[]",
                headers={"Authorization": f"Bearer {stack.token(ALICE)}"},
                timeout=10,
            ),
        ),
        captured("method", "1", requests.get(stack.create.url, timeout=10)),
    ]
    assert [a["status"] for a in answers] == [200, 200, 200, 200, 200, 401, 400, 405]
    assert "conferenceData" in answers[0]["body"]

    result = run_node_shim_tests("jitsi", answers, tmp_path)

    assert_node_passed(result)
    assert result.stdout.count("\nok ") + result.stdout.count("\n    ok ") >= len(answers)
