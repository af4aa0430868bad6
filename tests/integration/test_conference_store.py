"""The conference store against the Firestore emulator: completing a reservation in one
write while nobody touched it, and a sync page's record updates written together."""

from __future__ import annotations

import pytest

from shared.state.conferences import (
    COLLECTION,
    ConferenceKey,
    ConferenceStore,
    LeaseLost,
    RecordState,
)
from shared.state.leases import LeaseNoLongerHeld
from tests.support.stack import Stack

KEY = ConferenceKey("team@example.com", "event-1", "1")
OTHER = ConferenceKey("team@example.com", "event-2", "1")


def stored(stack: Stack, key: ConferenceKey) -> dict[str, object] | None:
    """The document as Firestore holds it (read past the store)."""
    snapshot = stack.db.collection(COLLECTION).document(key.doc_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def test_a_reservation_nobody_touched_is_completed(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    reservation = store.reserve(KEY, "alice@example.com", 60)

    record = store.complete(
        reservation.record, {"meetingId": "m-1"}, written_at=reservation.written_at
    )

    assert reservation.won
    assert reservation.written_at is not None
    assert record.state is RecordState.READY
    assert record.meeting_id == "m-1"
    document = stored(stack, KEY)
    assert document is not None
    assert document["state"] == "ready"
    assert document["leaseOwner"] is None
    assert document["requestKey"] == reservation.record.request_key


def test_a_reservation_taken_over_meanwhile_is_lost(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    reservation = store.reserve(KEY, "alice@example.com", 60)
    store.expire_reservation(reservation.record)
    assert store.take_over(KEY, "bob@example.com", 60) is not None

    with pytest.raises(LeaseLost):
        store.complete(reservation.record, {"meetingId": "m-1"}, written_at=reservation.written_at)

    document = stored(stack, KEY)
    assert document is not None
    assert document["state"] == "pending"


def test_a_reservation_changed_but_still_ours_is_completed(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    reservation = store.reserve(KEY, "alice@example.com", 60)
    store.update(KEY, {"lastError": "noted"})  # changes it; the lease is still ours

    record = store.complete(
        reservation.record, {"meetingId": "m-1"}, written_at=reservation.written_at
    )

    assert record.state is RecordState.READY
    document = stored(stack, KEY)
    assert document is not None
    assert document["state"] == "ready"
    assert document["lastError"] == "noted"


def test_a_removed_reservation_is_lost(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    reservation = store.reserve(KEY, "alice@example.com", 60)
    store.delete(KEY)

    with pytest.raises(LeaseLost):
        store.complete(reservation.record, {"meetingId": "m-1"}, written_at=reservation.written_at)

    assert stored(stack, KEY) is None


def test_deferred_updates_are_written_together_at_the_end(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    for key in (KEY, OTHER):
        store.reserve(key, "alice@example.com", 60)

    with store.deferred_updates():
        store.update(KEY, {"lastError": "one"})
        store.update(OTHER, {"lastError": "two"})
        before = [stored(stack, key) for key in (KEY, OTHER)]

    assert [doc and doc.get("lastError") for doc in before] == [None, None]
    assert [(stored(stack, key) or {}).get("lastError") for key in (KEY, OTHER)] == ["one", "two"]


def test_the_store_reads_its_deferred_updates(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)

    with store.deferred_updates():
        store.update(KEY, {"lastError": "seen"})
        record = store.get(KEY)

    assert record is not None
    assert record.last_error == "seen"


def test_updates_of_one_record_keep_their_order(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)

    with store.deferred_updates():
        store.update(KEY, {"lastError": "first", "fingerprint": "f1"})
        store.update(KEY, {"lastError": "second"})

    document = stored(stack, KEY)
    assert document is not None
    assert (document["lastError"], document["fingerprint"]) == ("second", "f1")


def test_a_record_removed_meanwhile_stays_removed_and_the_others_are_written(
    stack: Stack,
) -> None:
    store = ConferenceStore(stack.db)
    for key in (KEY, OTHER):
        store.reserve(key, "alice@example.com", 60)

    with store.deferred_updates():
        store.update(KEY, {"lastError": "gone"})
        store.update(OTHER, {"lastError": "kept"})
        stack.db.collection(COLLECTION).document(KEY.doc_id).delete()  # by someone else

    assert stored(stack, KEY) is None
    assert (stored(stack, OTHER) or {}).get("lastError") == "kept"


def test_what_was_queued_is_written_when_the_block_fails(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)

    def page_that_fails() -> None:
        with store.deferred_updates():
            store.update(KEY, {"lastError": "kept"})
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        page_that_fails()

    assert (stored(stack, KEY) or {}).get("lastError") == "kept"


def test_outside_the_block_updates_are_written_at_once(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)

    store.update(KEY, {"lastError": "now"})

    assert (stored(stack, KEY) or {}).get("lastError") == "now"


class Fence:
    """A lease fence's check: counts its calls, raises once the lease is lost."""

    def __init__(self) -> None:
        self.calls = 0
        self.lost = False

    def __call__(self) -> None:
        self.calls += 1
        if self.lost:
            raise LeaseNoLongerHeld("lost")


def test_deferred_updates_are_written_only_after_the_fence_passed(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)
    fence = Fence()

    with store.deferred_updates(fence):
        store.update(KEY, {"lastError": "fenced"})
        assert fence.calls == 0

    assert fence.calls == 1
    assert (stored(stack, KEY) or {}).get("lastError") == "fenced"


def test_a_holder_that_lost_its_lease_writes_none_of_its_deferred_updates(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    for key in (KEY, OTHER):
        store.reserve(key, "alice@example.com", 60)
    fence = Fence()

    def page() -> None:
        with store.deferred_updates(fence):
            store.update(KEY, {"lastError": "queued"})
            fence.lost = True  # lost during a later provider call
            store.update(OTHER, {"lastError": "queued"})

    with pytest.raises(LeaseNoLongerHeld):
        page()

    assert [(stored(stack, key) or {}).get("lastError") for key in (KEY, OTHER)] == [None, None]


def test_a_read_inside_the_block_is_fenced_before_it_writes_the_queue(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    store.reserve(KEY, "alice@example.com", 60)
    fence = Fence()

    def page() -> None:
        with store.deferred_updates(fence):
            store.update(KEY, {"lastError": "queued"})
            fence.lost = True
            store.get(KEY)

    with pytest.raises(LeaseNoLongerHeld):
        page()

    assert (stored(stack, KEY) or {}).get("lastError") is None


def test_writes_are_tracked_within_the_block(stack: Stack) -> None:
    store = ConferenceStore(stack.db)
    for key in (KEY, OTHER):
        store.reserve(key, "alice@example.com", 60)
    moved = ConferenceKey("team@example.com", "event-3", "1")

    with store.tracking_writes() as written:
        store.get(KEY)
        with store.deferred_updates():
            store.update(KEY, {"lastError": "queued"})
        record = store.get(OTHER)
        assert record is not None
        store.move(record, moved, {})
    store.update(OTHER, {"lastError": "after the block"})

    assert written == {KEY.doc_id, OTHER.doc_id, moved.doc_id}
