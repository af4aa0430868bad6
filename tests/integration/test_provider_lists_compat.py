"""Documents written by the previous release (one provider per deployment) keep working
when the deployment lists several providers: a Jitsi deployment that adds BigBlueButton
(``jitsi,bigbluebutton``), a Zoom deployment that adds Jitsi (``zoom,jitsi``). The first
provider keeps its solution ids, so no conference document is re-keyed; a record written
before records named their provider belongs to the first provider.

The documents are written by the session's stacks as configured before (the counting
provider, named ``jitsi``; ``CONFERENCE_PROVIDER=zoom``: the stored shapes of
``firestore_shapes.json``); then a sync_events process with the new list syncs them.
Calendar's own push deliveries (to the old stacks' sync process) are dropped, and the
message goes to the new process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local.function_process import FunctionProcess
from tests.support.bbb_stack import serve_sync
from tests.support.calendar_user import timed_event
from tests.support.scenarios import (
    ALICE,
    channel_of,
    conference_on_event,
    mapping,
    push_headers,
    settle,
)
from tests.support.stack import Stack, function_env
from tests.support.zoom_stack import ZoomStack, zoom_env

pytestmark = pytest.mark.integration


def _digest(*parts: str) -> str:
    """The id formula of ``conferences/`` documents since v1."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _ids(stack: Stack) -> set[str]:
    return {doc.id for doc in stack.db.collection("conferences").stream()}


@pytest.fixture
def new_sync(tmp_path: Path) -> Iterator[list[FunctionProcess]]:
    started: list[FunctionProcess] = []
    yield started
    for process in started:
        process.stop()


def _push_to(process: FunctionProcess, stack: Stack, number: int) -> requests.Response:
    headers = push_headers(channel_of(stack, ALICE), number)
    return requests.post(process.url, headers=headers, timeout=60)


def test_a_jitsi_deployment_that_adds_bigbluebutton_keeps_its_records(
    stack: Stack, tmp_path: Path, new_sync: list[FunctionProcess]
) -> None:
    named = conference_on_event(stack)
    unnamed = conference_on_event(
        stack, body=timed_event("Review", "2030-03-05T10:00:00", "2030-03-05T11:00:00")
    )
    for snap in stack.db.collection("conferences").stream():
        if (snap.to_dict() or {}).get("eventId") == unnamed.event_id:
            snap.reference.update({"provider": None})  # as before records named it
    ids = _ids(stack)
    sync = serve_sync(
        tmp_path / "sync.log",
        lambda url: function_env(
            stack.emulator,
            stack.calendar,
            stack.issuer,
            url,
            CONFERENCE_PROVIDER="",
            CONFERENCE_PROVIDERS="jitsi,bigbluebutton",
            BBB_API_URL="http://127.0.0.1:9/bigbluebutton/api/",
            BBB_SECRET="never-used",
            JOIN_BASE_URL="http://127.0.0.1:9/join/",
        ),
    )
    new_sync.append(sync)
    stack.calendar.control.drop_next_messages(ALICE, 2)

    named.user.patch(ALICE, named.event_id, {"summary": "Named, renamed"})
    unnamed.user.patch(ALICE, unnamed.event_id, {"summary": "Unnamed, renamed"})
    answer = _push_to(sync, stack, 800)
    settle(stack)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "synced"}
    assert (
        _ids(stack)
        == ids
        == {
            _digest(ALICE, named.event_id, "1"),
            _digest(ALICE, unnamed.event_id, "1"),
        }
    )
    for scenario, title in ((named, "Named, renamed"), (unnamed, "Unnamed, renamed")):
        record = mapping(stack, ALICE, scenario.event_id)
        assert record["spec"]["title"] == title
        assert (record["solutionId"], record["state"]) == ("1", "ready")
        assert record["conferenceData"] == scenario.conference
        assert record["lastError"] is None
    assert "left alone" not in sync.logs()


def test_a_zoom_deployment_that_adds_jitsi_keeps_its_records(
    zoom_stack: ZoomStack, tmp_path: Path, new_sync: list[FunctionProcess]
) -> None:
    scenario = conference_on_event(zoom_stack, solution_id="2")
    ids = _ids(zoom_stack)
    updates = len(zoom_stack.applied("update"))
    sync = serve_sync(
        tmp_path / "sync.log",
        lambda url: {
            **zoom_env(zoom_stack, url, zoom_stack.zoom),
            "CONFERENCE_PROVIDER": "",
            "CONFERENCE_PROVIDERS": "zoom,jitsi",
        },
    )
    new_sync.append(sync)
    zoom_stack.calendar.control.drop_next_messages(ALICE, 1)

    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Planning, renamed"})
    answer = _push_to(sync, zoom_stack, 800)
    settle(zoom_stack)

    assert answer.status_code == 200, answer.text
    assert _ids(zoom_stack) == ids == {_digest(ALICE, scenario.event_id, "2")}
    record = mapping(zoom_stack, ALICE, scenario.event_id)
    assert (record["provider"], record["solutionId"], record["state"]) == ("zoom", "2", "ready")
    assert record["spec"]["title"] == "Planning, renamed"
    assert record["lastError"] is None
    assert len(zoom_stack.applied("update")) == updates + 1
    meeting = zoom_stack.meeting(record["meetingId"])
    assert meeting["topic"] == "Planning, renamed"
