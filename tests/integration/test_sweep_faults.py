"""The sweep under faults: nothing holds its batches, no message is left unserved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore

from shared.state.calendars import calendar_doc_id
from tests.integration.test_sweep import calendar_doc, sweep
from tests.support.scenarios import ALICE, conference_on_event
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.integration


def test_a_calendar_that_fails_permanently_still_moves_its_due_time(stack: Stack) -> None:
    conference_on_event(stack)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"lastSyncAt": long_ago}
    )
    stack.calendar.control.fail_next("events.list", 400, "badRequest", count=1)

    sweep(stack)

    doc = calendar_doc(stack)
    assert doc["lastSyncError"]
    assert doc["lastSyncAt"] > datetime.now(UTC) - timedelta(minutes=1)


def test_a_message_a_cut_off_holder_left_unserved_is_served_by_the_sweep(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.drop_next_messages(ALICE, 1)
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed while cut off"})
    doc_id = calendar_doc_id(ALICE)
    # The message was counted and coalesced into a holder that Cloud Run then stopped:
    # its lease is left behind, expired, and no pass served the message.
    stack.db.collection("syncMessages").document(doc_id).set(
        {"count": firestore.Increment(1)}, merge=True
    )
    stack.db.collection("syncLeases").document(doc_id).set(
        {"calendarId": ALICE, "owner": "cut-off", "expiresAt": datetime.now(UTC)}
    )
    # The sweep comes for the renewal only (no safety-net sync is due).
    stack.db.collection("calendars").document(doc_id).update(
        {
            "renewAt": datetime.now(UTC) - timedelta(minutes=1),
            "lastSyncAt": datetime.now(UTC) + timedelta(hours=1),
        }
    )

    report = sweep(stack)

    assert report["renewed"] == 1
    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == ["Renamed while cut off"]
    assert stack.docs("syncLeases") == []


def test_a_sweep_past_its_time_budget_takes_no_more_work(stack: Stack) -> None:
    conference_on_event(stack)
    stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"renewAt": datetime.now(UTC) - timedelta(minutes=1)}
    )
    watches = len(stack.calendar.control.calls("events.watch"))
    stack.sweep.stop()
    stack.sweep.env["SWEEP_BUDGET_SECONDS"] = "0.001"
    try:
        stack.sweep.start()
        report = sweep(stack)
    finally:
        stack.sweep.stop()
        del stack.sweep.env["SWEEP_BUDGET_SECONDS"]
        stack.sweep.start()

    assert report["renewed"] == 0
    assert report["deferred"] >= 1
    assert len(stack.calendar.control.calls("events.watch")) == watches
    assert stack.docs("syncLeases") == []
    assert sweep(stack)["renewed"] == 1  # still due: the next sweep with time renews it


def test_a_holder_that_lost_its_lease_never_stores_its_sync_token(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    token_before = calendar_doc(stack)["syncToken"]
    stack.fault("update", "slow", remaining=1, delay=3.0)  # the pass spends 3 s in Zoom

    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed"})
    wait_for(lambda: stack.docs("syncLeases"), what="the pass to take the lease")
    # Meanwhile the lease passes to another holder (it expired, and was taken over).
    lease = stack.db.collection("syncLeases").document(calendar_doc_id(ALICE))
    lease.set(
        {
            "calendarId": ALICE,
            "owner": "next-holder",
            "expiresAt": datetime.now(UTC) + timedelta(hours=1),
        }
    )
    wait_for(lambda: stack.provider_calls("update"), timeout=30, what="the provider call")
    stack.calendar.wait_for_deliveries(timeout=60)

    assert calendar_doc(stack)["syncToken"] == token_before
    assert (lease.get().to_dict() or {})["owner"] == "next-holder"  # not released by the old
    lease.delete()
