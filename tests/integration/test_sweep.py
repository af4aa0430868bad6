"""The sweep entry point over HTTP: renewal, dropped messages, unfinished set-ups,
tear-down, abandoned conferences, access failures, and two sweeps at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.state.calendars import calendar_doc_id
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.scenarios import (
    ALICE,
    calendar,
    channel_of,
    conference_on_event,
    mapping,
    settle,
)
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.integration


def sweep(stack: Stack) -> dict[str, Any]:
    response = requests.post(stack.sweep.url, timeout=120)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def calendar_doc(stack: Stack, calendar_id: str = ALICE) -> dict[str, Any]:
    snapshot = stack.db.collection("calendars").document(calendar_doc_id(calendar_id)).get()
    return dict(snapshot.to_dict() or {})


def age_last_sync(stack: Stack, calendar_id: str = ALICE, seconds: float = 7200) -> None:
    """Pretend the last sync was long ago (the safety-net interval is 1 s in tests)."""
    stack.db.collection("calendars").document(calendar_doc_id(calendar_id)).update(
        {"lastSyncAt": datetime.now(UTC) - timedelta(seconds=seconds)}
    )


def make_renewal_due(stack: Stack, calendar_id: str = ALICE) -> None:
    """Pretend the channel is within the renewal window (a day before it expires)."""
    stack.db.collection("calendars").document(calendar_doc_id(calendar_id)).update(
        {"renewAt": datetime.now(UTC) - timedelta(minutes=1)}
    )


def test_a_failed_renewal_goes_to_the_back_of_the_queue(stack: Stack) -> None:
    conference_on_event(stack)
    make_renewal_due(stack)
    stack.calendar.control.fail_next("events.watch", status=503, reason="backendError", count=2)

    report = sweep(stack)

    assert report["renewed"] == 0
    assert report["failed"] == 1
    assert calendar_doc(stack)["renewAt"] > datetime.now(UTC) + timedelta(minutes=5)


def test_calendars_that_cannot_sync_never_fill_the_renewal_batch(stack: Stack) -> None:
    team = "team@example.com"
    stack.calendar.control.create_calendar(team, owner="owner@example.com", writers=[ALICE])
    conference_on_event_in(stack, team)
    make_renewal_due(stack, team)
    stack.calendar.control.set_access(team, readers=[], writers=[])
    age_last_sync(stack, team)
    sweep(stack)  # the sync finds the access gone

    doc = calendar_doc(stack, team)
    assert doc["setupState"] in {"access_revoked", "watch_failed"}  # renewal or sync found it
    assert "404" in doc["setupError"]
    assert doc["renewAt"] is None
    assert doc["setupDueAt"] is None
    renewals = len(stack.calendar.control.calls("events.watch"))
    sweep(stack)
    assert len(stack.calendar.control.calls("events.watch")) == renewals  # not retried


def test_a_dropped_message_is_caught_by_the_sweep(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.drop_next_messages(ALICE, 1)
    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Renamed quietly"})
    settle(stack)
    assert stack.provider_calls("update") == []
    age_last_sync(stack)

    report = sweep(stack)

    assert report["synced"] == 1
    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == ["Renamed quietly"]
    assert calendar_doc(stack)["lastSyncAt"] > datetime.now(UTC) - timedelta(minutes=1)


def test_a_channel_near_expiry_is_replaced_then_stopped(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    old = channel_of(stack, ALICE)
    assert calendar_doc(stack)["renewAt"] > datetime.now(UTC) + timedelta(days=5)
    make_renewal_due(stack)

    report = sweep(stack)

    assert report["renewed"] == 1
    new = channel_of(stack, ALICE)
    assert new["id"] != old["id"]
    live = {c["id"]: c["live"] for c in stack.calendar.control.channels()}
    assert live[old["id"]] is False
    assert [c["channelId"] for c in stack.docs("channels")] == [new["id"]]
    assert calendar_doc(stack)["activeChannelId"] == new["id"]
    stops = stack.calendar.control.calls("channels.stop")
    watches = stack.calendar.control.calls("events.watch")
    assert len(stops) == 1
    assert watches[-1].time < stops[0].time  # the new channel first, then the stop

    scenario.user.patch(ALICE, scenario.event_id, {"summary": "Through the new channel"})
    settle(stack)
    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == [
        "Through the new channel"
    ]


def test_two_sweeps_at_once_renew_a_channel_once(stack: Stack) -> None:
    conference_on_event(stack)
    make_renewal_due(stack)
    watches_before = len(stack.calendar.control.calls("events.watch"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: sweep(stack), range(2)))

    assert sum(r["renewed"] for r in reports) == 1
    assert len(stack.calendar.control.calls("events.watch")) == watches_before + 1
    assert len(stack.docs("channels")) == 1


def test_an_unfinished_set_up_is_finished_and_catches_up(stack: Stack) -> None:
    user = calendar(stack)
    event = user.insert(ALICE, timed_event("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00"))
    stack.calendar.control.fail_next("events.watch", status=503, reason="backendError", count=5)
    data = stack.create_conference(ALICE, ALICE, event["id"]).json()["conferenceData"]
    assert calendar_doc(stack)["setupState"] == "pending"
    stack.calendar.control.clear_faults()  # Calendar is back
    # Saved and renamed while no channel exists: no message reaches us.
    user.save_conference(ALICE, event["id"], data)
    user.patch(ALICE, event["id"], {"summary": "Renamed before set-up"})

    report = sweep(stack)

    assert report["set_up"] == 1
    doc = calendar_doc(stack)
    assert doc["setupState"] == "ready"
    assert doc["syncToken"]
    assert channel_of(stack, ALICE)["id"] == doc["activeChannelId"]
    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == ["Renamed before set-up"]
    assert mapping(stack, ALICE, event["id"])["attached"] is True


def test_a_calendar_without_conferences_is_torn_down(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    channel = channel_of(stack, ALICE)
    scenario.user.delete(ALICE, scenario.event_id)
    settle(stack)
    assert stack.docs("conferences") == []
    age_last_sync(stack)

    report = sweep(stack)

    assert report["torn_down"] == 1
    assert stack.docs("calendars") == []
    assert stack.docs("channels") == []
    live = {c["id"]: c["live"] for c in stack.calendar.control.channels()}
    assert live[channel["id"]] is False


def test_a_placeholder_whose_event_never_appeared_is_deleted_after_its_age(stack: Stack) -> None:
    calendar(stack)
    stack.create_conference(ALICE, ALICE, "nevercreated0001")
    [placeholder] = stack.docs("conferences")

    # PLACEHOLDER_MAX_AGE_SECONDS is 2 in tests: sweep until it is old enough.
    report = wait_for(lambda: sweep(stack)["abandoned_conferences"] or None, timeout=30)

    assert report == 1
    assert [c["meetingId"] for c in stack.provider_calls("delete")] == [placeholder["meetingId"]]
    assert stack.docs("conferences") == []


def test_a_conference_never_saved_onto_an_existing_event_is_deleted(stack: Stack) -> None:
    user = calendar(stack)
    event = user.insert(ALICE, timed_event("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00"))
    stack.create_conference(ALICE, ALICE, event["id"])  # the user closed the editor

    wait_for(lambda: sweep(stack)["abandoned_conferences"] or None, timeout=30)

    assert len(stack.provider_calls("delete")) == 1
    assert stack.docs("conferences") == []


def test_a_saved_conference_is_not_abandoned(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    assert stack.docs("conferences")[0]["abandonCheckAt"] is None  # cleared once saved
    stack.db.collection("conferences").document(
        next(iter(stack.db.collection("conferences").stream())).id
    ).update({"attached": False, "abandonCheckAt": datetime.now(UTC) - timedelta(days=1)})

    report = sweep(stack)

    assert report["abandoned_conferences"] == 0
    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, scenario.event_id)["attached"] is True


def test_lost_calendar_access_is_recorded_not_retried_in_a_loop(stack: Stack) -> None:
    team = "team@example.com"
    stack.calendar.control.create_calendar(team, owner="owner@example.com", writers=[ALICE])
    conference_on_event_in(stack, team)
    stack.calendar.control.set_access(team, readers=[], writers=[])
    age_last_sync(stack, team)

    first = sweep(stack)
    lists_after_first = len(stack.calendar.control.calls("events.list"))
    second = sweep(stack)

    doc = calendar_doc(stack, team)
    assert doc["setupState"] == "access_revoked"
    assert "404" in doc["setupError"]
    assert first["synced"] == 1
    assert second["synced"] == 0
    assert len(stack.calendar.control.calls("events.list")) == lists_after_first


def conference_on_event_in(stack: Stack, calendar_id: str) -> None:
    user = CalendarUser(stack.calendar.api_endpoint, ALICE)
    event = user.insert(calendar_id, timed_event("t", "2030-01-01T09:00:00", "2030-01-01T10:00:00"))
    data = stack.create_conference(ALICE, calendar_id, event["id"]).json()["conferenceData"]
    user.save_conference(calendar_id, event["id"], data)
    settle(stack)


def test_a_stopped_calendar_is_resumed_by_the_next_user_with_access(stack: Stack) -> None:
    team = "team@example.com"
    carol = "carol@example.com"
    stack.calendar.control.create_calendar(team, owner="owner@example.com", writers=[ALICE])
    conference_on_event_in(stack, team)
    stack.calendar.control.set_access(team, readers=[], writers=[carol])
    age_last_sync(stack, team)
    sweep(stack)
    assert calendar_doc(stack, team)["setupState"] == "access_revoked"
    # Carol, who can reach the calendar, adds a conference to another event of it.
    user = CalendarUser(stack.calendar.api_endpoint, carol)
    event = user.insert(team, timed_event("c", "2030-02-01T09:00:00", "2030-02-01T10:00:00"))
    assert stack.create_conference(carol, team, event["id"]).status_code == 200
    assert calendar_doc(stack, team)["syncUser"] == carol

    report = sweep(stack)

    assert report["set_up"] == 1
    doc = calendar_doc(stack, team)
    assert doc["setupState"] == "ready"
    assert channel_of(stack, team)["owner"] == carol


def test_an_old_channel_that_cannot_be_stopped_does_not_fail_the_renewal(stack: Stack) -> None:
    conference_on_event(stack)
    old = channel_of(stack, ALICE)
    make_renewal_due(stack)
    stack.calendar.control.fail_next("channels.stop", status=403, reason="forbidden")

    report = sweep(stack)

    assert report["renewed"] == 1
    assert report["failed"] == 0
    doc = calendar_doc(stack)
    assert doc["setupState"] == "ready"
    assert doc["activeChannelId"] != old["id"]
    assert [c["channelId"] for c in stack.docs("channels")] == [doc["activeChannelId"]]


def test_a_channel_stop_failing_does_not_fail_the_tear_down(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    scenario.user.delete(ALICE, scenario.event_id)
    settle(stack)
    age_last_sync(stack)
    stack.calendar.control.fail_next("channels.stop", status=503, reason="backendError", count=8)

    report = sweep(stack)

    assert report["torn_down"] == 1
    assert stack.docs("calendars") == []
    assert stack.docs("channels") == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_on_the_sweep_is_405_and_does_nothing(stack: Stack, method: str) -> None:
    conference_on_event(stack)
    make_renewal_due(stack)
    watches = len(stack.calendar.control.calls("events.watch"))

    response = requests.request(method, stack.sweep.url, timeout=10)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == 405
    assert len(stack.calendar.control.calls("events.watch")) == watches
