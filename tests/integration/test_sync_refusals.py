"""Faults during sync lose nothing, duplicate nothing and stick no calendar, over HTTP.

A provider's refusal of one meeting waits on that meeting's record (``retry_pending``,
``delete_pending``) while the calendar's other changes go on in the same pass; a failure
of every meeting (the account refused, an outage) stops the pass with its token kept;
Calendar's exhausted quota makes the calendar back off instead of looping.
docs/sync-model.md#failures and #record-states.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.state.calendars import calendar_doc_id
from shared.state.conferences import ConferenceKey
from shared.sync.changes import ACCOUNT_REFUSED_LOG
from tests.support.calendar_user import timed_event
from tests.support.counting_provider import ACCOUNT_SETTING
from tests.support.scenarios import (
    ALICE,
    Scenario,
    channel_of,
    conference_on_event,
    mapping,
    push,
    push_headers,
    settle,
)
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.integration


# -- helpers -----------------------------------------------------------------------------------


def two_conferences(stack: Stack) -> tuple[Scenario, Scenario]:
    first = conference_on_event(stack)
    second = conference_on_event(
        stack, body=timed_event("Second", "2030-04-01T09:00:00", "2030-04-01T10:00:00")
    )
    return first, second


def meeting_of(stack: Stack, scenario: Scenario) -> str:
    return str(mapping(stack, ALICE, scenario.event_id)["meetingId"])


def rename_both_then_push(
    stack: Stack, first: Scenario, second: Scenario, number: int
) -> requests.Response:
    """Both events renamed, then one push message: one pass lists both changes."""
    stack.calendar.control.drop_next_messages(ALICE, 2)
    first.user.patch(ALICE, first.event_id, {"summary": "First renamed"})
    second.user.patch(ALICE, second.event_id, {"summary": "Second renamed"})
    return push(stack, push_headers(channel_of(stack, ALICE), number))


def calendar_doc(stack: Stack) -> dict[str, Any]:
    snapshot = stack.db.collection("calendars").document(calendar_doc_id(ALICE)).get()
    return dict(snapshot.to_dict() or {})


def record_ref(stack: Stack, scenario: Scenario) -> Any:
    key = ConferenceKey(ALICE, scenario.event_id, "1")
    return stack.db.collection("conferences").document(key.doc_id)


def make_due(stack: Stack, scenario: Scenario) -> None:
    """The record's retryAt has passed (instead of waiting minutes for it)."""
    record_ref(stack, scenario).update({"retryAt": datetime.now(UTC) - timedelta(seconds=1)})


def safety_net_due(stack: Stack) -> None:
    stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"lastSyncAt": datetime.now(UTC) - timedelta(hours=2)}
    )


def sweep(stack: Stack) -> dict[str, Any]:
    response = requests.post(stack.sweep.url, timeout=120)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def titles(stack: Stack) -> list[str]:
    return [call["spec"]["title"] for call in stack.provider_calls("update")]


def sync_log_mark(stack: Stack) -> int:
    return len(stack.sync.logs())


def sync_log_lines(stack: Stack, mark: int) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in stack.sync.logs()[mark:].splitlines() if raw.startswith("{")]


def about(when: Any, delay: timedelta) -> bool:
    """``when`` is ``delay`` from now, give or take the test's own run time."""
    expected = datetime.now(UTC) + delay
    return bool(expected - timedelta(minutes=2) <= when <= expected + timedelta(seconds=5))


# -- a refusal of one meeting waits on its record; the others go on -------------------------


@pytest.mark.parametrize(
    ("mode", "retry_after", "wait", "error"),
    [
        pytest.param("busy", 900.0, timedelta(minutes=15), "MeetingBusy", id="meeting-busy"),
        pytest.param(
            "limit", 7200.0, timedelta(hours=2), "HostLimitReached", id="host-daily-limit"
        ),
        pytest.param("refused", None, timedelta(minutes=5), "MeetingRefused", id="4xx-meeting"),
        pytest.param("server", None, timedelta(minutes=5), "MeetingCallFailed", id="5xx-meeting"),
    ],
)
def test_a_meeting_refused_for_now_waits_while_the_other_changes_are_applied(
    stack: Stack, mode: str, retry_after: float | None, wait: timedelta, error: str
) -> None:
    first, second = two_conferences(stack)
    token_before = calendar_doc(stack)["syncToken"]
    stack.fault(
        "update", mode, remaining=100, meeting_id=meeting_of(stack, first), retry_after=retry_after
    )

    response = rename_both_then_push(stack, first, second, 500)

    assert response.status_code == 200, response.text
    assert titles(stack) == ["Second renamed"]
    waiting = mapping(stack, ALICE, first.event_id)
    assert waiting["state"] == "retry_pending"
    assert waiting["retryCount"] == 1
    assert waiting["lastError"].startswith(error)
    assert about(waiting["retryAt"], wait)
    assert waiting["spec"]["title"] == "First renamed"  # it still follows its event
    assert mapping(stack, ALICE, second.event_id)["state"] == "ready"
    assert calendar_doc(stack)["syncToken"] != token_before  # the token moved on


def test_the_sweep_tries_a_waiting_change_again_from_the_event_as_it_is_then(
    stack: Stack,
) -> None:
    first, second = two_conferences(stack)
    stack.fault("update", "busy", remaining=100, meeting_id=meeting_of(stack, first))
    assert rename_both_then_push(stack, first, second, 500).status_code == 200
    # Edited again before its retry is due: stored on the record, no provider call yet.
    first.user.patch(ALICE, first.event_id, {"summary": "First renamed again"})
    settle(stack)
    assert titles(stack) == ["Second renamed"]
    assert mapping(stack, ALICE, first.event_id)["spec"]["title"] == "First renamed again"
    stack.fault("update", "none", remaining=0)  # the meeting has ended
    make_due(stack, first)

    report = sweep(stack)

    assert report["retried"] == 1
    assert titles(stack) == ["Second renamed", "First renamed again"]
    done = mapping(stack, ALICE, first.event_id)
    assert (done["state"], done["retryAt"], done["lastError"]) == ("ready", None, None)
    assert sweep(stack)["retried"] == 0  # it left the queue


def test_a_waiting_change_refused_again_backs_off_longer(stack: Stack) -> None:
    first, second = two_conferences(stack)
    stack.fault("update", "refused", remaining=100, meeting_id=meeting_of(stack, first))
    assert rename_both_then_push(stack, first, second, 500).status_code == 200
    make_due(stack, first)

    report = sweep(stack)

    assert report["retried"] == 1
    waiting = mapping(stack, ALICE, first.event_id)
    assert (waiting["state"], waiting["retryCount"]) == ("retry_pending", 2)
    assert about(waiting["retryAt"], timedelta(minutes=10))
    assert titles(stack) == ["Second renamed"]


@pytest.mark.parametrize("obstacle", ["calendar-not-ready", "event-unreadable"])
def test_a_waiting_change_that_cannot_be_tried_now_never_holds_the_queue(
    stack: Stack, obstacle: str
) -> None:
    first, second = two_conferences(stack)
    stack.fault("update", "busy", remaining=100, meeting_id=meeting_of(stack, first))
    assert rename_both_then_push(stack, first, second, 500).status_code == 200
    stack.fault("update", "none", remaining=0)
    make_due(stack, first)
    if obstacle == "calendar-not-ready":
        stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
            {"setupState": "watch_failed"}
        )
    else:
        stack.calendar.control.fail_next("events.get", 400, "badRequest", calendar_id=ALICE)

    report = sweep(stack)

    waiting = mapping(stack, ALICE, first.event_id)
    assert (waiting["state"], waiting["retryCount"]) == ("retry_pending", 1)  # no attempt
    assert about(waiting["retryAt"], timedelta(minutes=10))  # out of this batch
    assert report["failed"] == (obstacle == "event-unreadable")
    assert titles(stack) == ["Second renamed"]


def test_5xx_on_two_meetings_in_a_row_stops_the_pass_and_keeps_its_token(stack: Stack) -> None:
    first, second = two_conferences(stack)
    token_before = calendar_doc(stack)["syncToken"]
    stack.fault("update", "server", remaining=100)  # every meeting

    response = rename_both_then_push(stack, first, second, 500)

    assert response.status_code == 503
    assert calendar_doc(stack)["syncToken"] == token_before
    assert titles(stack) == []

    stack.fault("update", "none", remaining=0)  # the service is back
    assert push(stack, push_headers(channel_of(stack, ALICE), 501)).status_code == 200
    for scenario in (first, second):
        if mapping(stack, ALICE, scenario.event_id)["state"] == "retry_pending":
            make_due(stack, scenario)  # the first one had been put off: its retry is due
    sweep(stack)
    assert sorted(titles(stack)) == ["First renamed", "Second renamed"]
    assert {mapping(stack, ALICE, s.event_id)["state"] for s in (first, second)} == {"ready"}


# -- the provider's account refused: every meeting's failure, not one event's ---------------


def test_an_account_refusal_stops_the_pass_with_one_error_and_loses_no_change(
    stack: Stack,
) -> None:
    first, second = two_conferences(stack)
    token_before = calendar_doc(stack)["syncToken"]
    stack.fault("update", "account", remaining=1000)
    mark = sync_log_mark(stack)

    response = rename_both_then_push(stack, first, second, 500)

    assert response.status_code == 503
    assert calendar_doc(stack)["syncToken"] == token_before
    assert calendar_doc(stack)["setupState"] == "ready"
    for scenario in (first, second):  # no event blamed for it
        record = mapping(stack, ALICE, scenario.event_id)
        assert (record["state"], record.get("lastError")) == ("ready", None)
    errors = [line for line in sync_log_lines(stack, mark) if line["severity"] == "ERROR"]
    assert [line["message"] for line in errors] == [ACCOUNT_REFUSED_LOG]
    assert errors[0]["setting"] == ACCOUNT_SETTING

    stack.fault("update", "none", remaining=0)  # the operator fixed the credentials
    safety_net_due(stack)
    report = sweep(stack)  # the safety net's pass, from the kept token

    assert report["synced"] == 1
    assert sorted(titles(stack)) == ["First renamed", "Second renamed"]


def test_an_account_refusal_at_a_delete_stops_the_sweep_and_changes_nothing(
    stack: Stack,
) -> None:
    first = conference_on_event(stack)
    stack.fault("delete", "account", remaining=1000)
    token_before = calendar_doc(stack)["syncToken"]
    stack.calendar.control.drop_next_messages(ALICE, 1)
    first.user.delete(ALICE, first.event_id)
    safety_net_due(stack)

    response = requests.post(stack.sweep.url, timeout=120)

    assert response.status_code == 503
    assert calendar_doc(stack)["syncToken"] == token_before
    assert mapping(stack, ALICE, first.event_id)["state"] == "ready"
    stack.fault("delete", "none", remaining=0)
    assert sweep(stack)["synced"] == 1  # still due: the run after the fix does it
    assert mapping(stack, ALICE, first.event_id) == {}
    assert len(stack.provider_calls("delete")) == 1


# -- deletes refused for now are tried again, never dropped ----------------------------------


def test_a_delete_of_a_meeting_in_progress_waits_and_is_tried_again_until_done(
    stack: Stack,
) -> None:
    first, second = two_conferences(stack)
    stack.fault(
        "delete", "busy", remaining=100, meeting_id=meeting_of(stack, first), retry_after=900
    )
    stack.calendar.control.drop_next_messages(ALICE, 2)
    first.user.delete(ALICE, first.event_id)
    second.user.patch(ALICE, second.event_id, {"summary": "Second renamed"})

    response = push(stack, push_headers(channel_of(stack, ALICE), 500))

    assert response.status_code == 200
    waiting = mapping(stack, ALICE, first.event_id)
    assert (waiting["state"], waiting["retryCount"]) == ("delete_pending", 1)
    assert about(waiting["retryAt"], timedelta(minutes=15))
    assert titles(stack) == ["Second renamed"]
    assert stack.provider_calls("delete") == []

    make_due(stack, first)
    assert sweep(stack)["retried"] == 1  # still in progress
    again = mapping(stack, ALICE, first.event_id)
    assert (again["state"], again["retryCount"]) == ("delete_pending", 2)

    stack.fault("delete", "none", remaining=0)  # the meeting is over
    make_due(stack, first)
    assert sweep(stack)["retried"] == 1
    assert mapping(stack, ALICE, first.event_id) == {}
    assert [call["meetingId"] for call in stack.provider_calls("delete")] == [
        first.conference["conferenceId"]
    ]


def replace_event(scenario: Scenario, event: dict[str, Any]) -> None:
    """events.update with conferenceDataVersion=1: what Calendar's editor sends."""
    scenario.user.service.events().update(
        calendarId=ALICE, eventId=scenario.event_id, body=event, conferenceDataVersion=1
    ).execute()


def test_a_conference_put_back_before_its_delete_keeps_its_meeting(stack: Stack) -> None:
    first = conference_on_event(stack)
    stack.fault("delete", "busy", remaining=100)
    event = first.user.get(ALICE, first.event_id)
    replace_event(first, {k: v for k, v in event.items() if k != "conferenceData"})
    settle(stack)
    assert mapping(stack, ALICE, first.event_id)["state"] == "delete_pending"

    current = first.user.get(ALICE, first.event_id)
    replace_event(first, {**current, "conferenceData": event["conferenceData"]})  # undone
    settle(stack)

    restored = mapping(stack, ALICE, first.event_id)
    assert (restored["state"], restored["retryAt"]) == ("ready", None)
    assert sweep(stack)["retried"] == 0
    assert stack.provider_calls("delete") == []


# -- Calendar's quota exhausted: a long back-off, not a loop --------------------------------


def test_an_exhausted_calendar_quota_backs_off_for_an_hour_then_resumes(stack: Stack) -> None:
    first = conference_on_event(stack)
    token_before = calendar_doc(stack)["syncToken"]
    stack.calendar.control.drop_next_messages(ALICE, 1)
    first.user.patch(ALICE, first.event_id, {"summary": "Renamed under quota"})
    stack.calendar.control.fail_next("events.list", 403, "quotaExceeded", calendar_id=ALICE)
    mark = sync_log_mark(stack)

    refused = push(stack, push_headers(channel_of(stack, ALICE), 500))
    lists = len(stack.calendar.control.calls("events.list"))
    later = [push(stack, push_headers(channel_of(stack, ALICE), n)) for n in (501, 502)]
    report = sweep(stack)  # the safety net leaves a calendar that backs off alone

    assert refused.status_code == 503
    assert [(r.status_code, r.json()["outcome"]) for r in later] == [(200, "backing_off")] * 2
    assert len(stack.calendar.control.calls("events.list")) == lists  # no call meanwhile
    assert report["synced"] == report["quota_resumed"] == 0
    doc = calendar_doc(stack)
    assert about(doc["quotaRetryAt"], timedelta(hours=1))
    assert doc["syncToken"] == token_before
    logged = sync_log_lines(stack, mark)
    backing_off = [line for line in logged if "quota" in line["message"]]
    assert [line["message"] for line in backing_off] == [
        "Calendar quota exhausted; the calendar backs off"  # once, not once per message
    ]
    assert not [line for line in logged if line["severity"] == "ERROR"]
    assert titles(stack) == []

    stack.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"quotaRetryAt": datetime.now(UTC) - timedelta(seconds=1)}
    )
    resumed = sweep(stack)

    assert resumed["quota_resumed"] == 1
    assert titles(stack) == ["Renamed under quota"]
    assert "quotaRetryAt" not in calendar_doc(stack)
    assert stack.docs("syncLeases") == []


# -- a holder that lost its lease writes nothing more ----------------------------------------


def test_a_holder_that_lost_its_lease_makes_no_provider_call_nor_record_write(
    stack: Stack,
) -> None:
    first, second = two_conferences(stack)
    before = {s.event_id: mapping(stack, ALICE, s.event_id) for s in (first, second)}
    token_before = calendar_doc(stack)["syncToken"]
    stack.fault("update", "slow", remaining=2, delay=3.0)  # each update spends 3 s in Zoom
    lease = stack.db.collection("syncLeases").document(calendar_doc_id(ALICE))

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(rename_both_then_push, stack, first, second, 500)
        wait_for(lambda: lease.get().exists, what="the pass to take the lease")
        # During the first (slow) provider call the lease passes to another holder.
        lease.set(
            {
                "calendarId": ALICE,
                "owner": "next-holder",
                "expiresAt": datetime.now(UTC) + timedelta(hours=1),
            }
        )
        response = answer.result(timeout=60)

    assert response.status_code == 503
    assert len(stack.provider_calls("update")) == 1  # the one under way; none after it
    for scenario in (first, second):
        after = mapping(stack, ALICE, scenario.event_id)
        assert after["fingerprint"] == before[scenario.event_id]["fingerprint"]
        assert after["spec"] == before[scenario.event_id]["spec"]
    assert calendar_doc(stack)["syncToken"] == token_before
    assert (lease.get().to_dict() or {})["owner"] == "next-holder"
    lease.delete()
