"""Stored documents stay what earlier releases wrote: collection names, document ids,
field names, value types and enum values, byte for byte.

``firestore_shapes.json`` was written by this test's scenario on the commit before the
layout restructuring (``REGENERATE_FIRESTORE_SHAPES=1`` rewrites it; do that only for a
deliberate, documented change of the stored format, with a migration). Document ids are
checked against the formulas earlier releases used, written out here on their own.

Fields added since (documents without them stay readable): ``calendars.messagesServed``;
``calendars.accessRetryAt`` and ``calendars.accessRetries`` (written on ``access_revoked``
calendars only and removed when they leave that state, so the scenario's documents, and
the fixture, do not carry them); ``calendars.quotaRetryAt`` (written only when Calendar's
quota ran out, removed when the sweep resumes the calendar); ``conferences.retryAt`` and
``conferences.retryCount`` with the ``state`` values ``retry_pending`` and
``delete_pending`` (written only on a record whose change the provider refused for now;
``retryAt`` None and ``retryCount`` 0 once it is applied), so neither the scenario nor
the fixture carries them. A record read without them is ``ready`` with nothing waiting.

Not stored: ``fixedTime`` (``MeetingSpec.as_record`` holds it only for the covering spec
of a shared meeting, which goes to the provider; a record keeps its own event's spec, so
``conferences.spec`` is as before). A record with followers stores the fingerprint of the
covering spec and its expiry, in the same fields and types.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.calendar_user import timed_event
from tests.support.scenarios import (
    ALICE,
    channel_of,
    conference_on_event,
    push,
    push_headers,
    settle,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SHAPES = Path(__file__).with_name("firestore_shapes.json")
COLLECTIONS = ("conferences", "calendars", "channels", "syncLeases", "syncMessages")
# Fields whose values are closed sets or fixed by the scenario: kept as values.
VALUE_FIELDS = {
    "state",
    "setupState",
    "solutionId",
    "calendarId",
    "syncUser",
    "ownerEmail",
    "attached",
    "placeholder",
    "timeZone",
    "live",
}


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        shapes = sorted({json.dumps(_shape(item), sort_keys=True) for item in value})
        return [json.loads(shape) for shape in shapes]
    if isinstance(value, datetime):
        return "timestamp"
    return type(value).__name__


def _document_shape(data: dict[str, Any]) -> dict[str, Any]:
    return {key: (data[key] if key in VALUE_FIELDS else _shape(data[key])) for key in sorted(data)}


def _digest(*parts: str) -> str:
    """The id formula of ``conferences/`` and ``calendars/`` documents since v1."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _snapshot(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    snapshot: dict[str, list[dict[str, Any]]] = {}
    for name in COLLECTIONS:
        shapes = [
            json.dumps(_document_shape(dict(doc.to_dict() or {})), sort_keys=True)
            for doc in stack.db.collection(name).stream()
        ]
        snapshot[name] = [json.loads(shape) for shape in sorted(shapes)]
    return snapshot


def _ids(stack: Stack, name: str) -> set[str]:
    return {doc.id for doc in stack.db.collection(name).stream()}


def test_documents_keep_the_names_ids_and_values_earlier_releases_wrote(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    copy_id = f"{scenario.event_id}c0de1"
    scenario.user.insert(
        ALICE,
        {
            **timed_event("Copy", "2030-03-11T10:00:00", "2030-03-11T11:00:00"),
            "id": copy_id,
            "conferenceData": scenario.conference,
        },
        conferenceDataVersion=1,
    )
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Planning, renamed"})
    settle(stack)
    pending = scenario.user.insert(
        ALICE, timed_event("Unsaved", "2030-04-01T10:00:00", "2030-04-01T11:00:00")
    )
    assert stack.create_conference(ALICE, ALICE, pending["id"]).status_code == 200
    # A message counted and a lease taken: hold the lease across a push that coalesces.
    assert push(stack, push_headers(channel_of(stack, ALICE), 700)).status_code == 200
    settle(stack)
    assert requests.post(stack.sweep.url, timeout=60).status_code == 200

    snapshot = _snapshot(stack)

    if os.environ.get("REGENERATE_FIRESTORE_SHAPES") == "1":
        SHAPES.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    assert snapshot == json.loads(SHAPES.read_text())
    assert _ids(stack, "calendars") == {_digest("calendar", ALICE)}
    assert _ids(stack, "conferences") == {
        _digest(ALICE, event_id, "1") for event_id in (scenario.event_id, pending["id"])
    }
    assert {channel["id"] for channel in stack.calendar.control.channels()} >= _ids(
        stack, "channels"
    )
    assert all(channel_id.startswith("ch-") for channel_id in _ids(stack, "channels"))
