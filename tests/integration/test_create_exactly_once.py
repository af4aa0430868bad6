"""Exactly one meeting per conference when an answer is lost, a holder is cut off, or a
provider answers with data Calendar cannot show (over HTTP, the real stack)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.test_create_conference import ALICE, conference, make_event
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def error_of(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return str(body["conferenceError"]["type"])


def test_a_create_whose_answer_was_lost_is_looked_for_not_repeated(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "unconfirmed", remaining=1)

    # Within its retry budget the creation tries again at once; past it, the answer is
    # TEMPORARY with the reservation kept (not released: its meeting may exist), and the
    # add-on's retry takes it over. Either way, every later try looks first.
    first = stack.create_conference(ALICE, ALICE, event["id"])
    if "conferenceError" in first.json():
        assert error_of(first) == "TEMPORARY"
        [kept] = stack.docs("conferences")
        assert kept["state"] == "pending"
        data = conference(stack.create_conference(ALICE, ALICE, event["id"]))
    else:
        data = conference(first)

    creates = stack.provider_calls("create")
    assert [call["mayExist"] for call in creates] == [False] + [True] * (len(creates) - 1)
    assert len(creates) >= 2
    assert {call["meetingId"] for call in creates} == {data["conferenceId"]}
    [record] = stack.docs("conferences")
    assert record["state"] == "ready"


def test_a_reservation_taken_over_after_a_crash_looks_for_its_meeting(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "crash", remaining=1)
    with pytest.raises(requests.ConnectionError):
        stack.create_conference(ALICE, ALICE, event["id"])
    stack.create.wait_exit(timeout=10)
    stack.create.start()

    conference(stack.create_conference(ALICE, ALICE, event["id"]))

    [create] = stack.provider_calls("create")
    assert create["mayExist"] is True


def test_conference_data_calendar_cannot_show_deletes_its_meeting(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "invalid", remaining=1)

    answer = stack.create_conference(ALICE, ALICE, event["id"])

    assert error_of(answer) in {"PERMANENT", "UNKNOWN"}
    [create] = stack.provider_calls("create")
    assert [call["meetingId"] for call in stack.provider_calls("delete")] == [create["meetingId"]]
    assert stack.docs("conferences") == []
