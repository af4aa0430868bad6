"""What the join function reads from Firestore: a bigbluebutton record found by its
conference id on any calendar, and the tombstones of cancelled conferences (real
emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.errors import PermanentFailure
from shared.state.cancelled import COLLECTION, CancelledConference, CancelledConferenceStore
from shared.state.conferences import ConferenceKey, ConferenceRecord, ConferenceStore
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
T0 = datetime(2030, 1, 7, 9, tzinfo=UTC)


def seed(
    stack: Stack, calendar_id: str, event_id: str, solution_id: str, **fields: Any
) -> ConferenceRecord:
    store = ConferenceStore(stack.db)
    reservation = store.reserve(ConferenceKey(calendar_id, event_id, solution_id), ALICE, 60)
    if fields.pop("pending", False):
        return reservation.record
    return store.complete(reservation.record, fields)


def test_a_join_id_finds_the_bigbluebutton_record_on_any_calendar(stack: Stack) -> None:
    seed(
        stack,
        "team@example.com",
        "e1",
        "bigbluebutton-1",
        conferenceId="Abc",
        provider="bigbluebutton",
    )
    seed(stack, ALICE, "e2", "1", conferenceId="Other", provider="bigbluebutton")

    found = ConferenceStore(stack.db).find_by_join_id("Abc")

    assert found is not None
    assert found.key == ConferenceKey("team@example.com", "e1", "bigbluebutton-1")


@pytest.mark.parametrize(
    "fields",
    [
        {"conferenceId": "Abc", "provider": "jitsi"},  # a Jitsi room named the same
        {"conferenceId": "Abc"},  # an old record without its provider (the primary's)
        {"conferenceId": "Abc", "provider": "bigbluebutton", "pending": True},
        {"conferenceId": "Xyz", "provider": "bigbluebutton"},
    ],
)
def test_anything_else_is_not_a_join_id(stack: Stack, fields: dict[str, Any]) -> None:
    seed(stack, ALICE, "e1", "1", **fields)

    assert ConferenceStore(stack.db).find_by_join_id("Abc") is None
    assert ConferenceStore(stack.db).find_by_join_id("") is None


def test_a_tombstone_is_written_once_and_read_until_its_retention_ends(stack: Stack) -> None:
    record = seed(
        stack, ALICE, "e1", "bigbluebutton-1", conferenceId="Abc", provider="bigbluebutton"
    )
    now = [T0]
    store = CancelledConferenceStore(stack.db, clock=lambda: now[0])

    store.record(record, retention_days=30)
    now[0] = T0 + timedelta(hours=1)
    store.record(record, retention_days=30)  # a retry: the first one stands

    expected = CancelledConference("Abc", ALICE, "e1", T0, T0 + timedelta(days=30))
    assert store.get("Abc") == expected
    assert [doc.id for doc in stack.db.collection(COLLECTION).stream()] == ["Abc"]
    now[0] = T0 + timedelta(days=30)
    assert store.get("Abc") is None
    assert store.get("Nope") is None
    assert store.get("a/b") is None


def test_a_record_without_a_conference_id_has_no_tombstone(stack: Stack) -> None:
    record = seed(stack, ALICE, "e1", "bigbluebutton-1", pending=True)

    with pytest.raises(PermanentFailure):
        CancelledConferenceStore(stack.db).record(record, retention_days=30)
