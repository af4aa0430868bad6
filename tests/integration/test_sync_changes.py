"""How event changes reach meetings: incremental sync over HTTP with the real stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.scenarios import (
    ALICE,
    BOB,
    Scenario,
    calendar,
    channel_of,
    conference_on_event,
    mapping,
    push,
    push_headers,
    settle,
)
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.integration

BERLIN = "Europe/Berlin"


def moved(start: str, end: str) -> dict[str, Any]:
    return {
        "start": {"dateTime": start, "timeZone": BERLIN},
        "end": {"dateTime": end, "timeZone": BERLIN},
    }


def edit(scenario: Scenario, body: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return scenario.user.patch(scenario.calendar_id, event_id or scenario.event_id, body)


# -- single events ---------------------------------------------------------------------


def test_moving_the_event_updates_the_meeting_once(stack: Stack) -> None:
    scenario = conference_on_event(stack)

    edit(scenario, moved("2030-03-05T14:00:00", "2030-03-05T15:30:00"))
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["start"] == "2030-03-05T14:00:00+01:00"
    assert update["spec"]["end"] == "2030-03-05T15:30:00+01:00"
    assert update["meetingId"] == mapping(stack, ALICE, scenario.event_id)["meetingId"]
    assert mapping(stack, ALICE, scenario.event_id)["spec"]["start"] == "2030-03-05T14:00:00+01:00"


def test_the_mapping_expiry_follows_the_moved_event(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    before = mapping(stack, ALICE, scenario.event_id)["expireAt"]

    edit(scenario, moved("2031-09-01T10:00:00", "2031-09-01T11:00:00"))
    settle(stack)

    after = mapping(stack, ALICE, scenario.event_id)["expireAt"]
    assert before < datetime(2030, 5, 1, tzinfo=UTC)
    assert after > datetime(2031, 9, 1, tzinfo=UTC) + timedelta(days=29)


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "A new title"},
        {"description": "A new agenda"},
        {
            "start": {"dateTime": "2030-03-04T10:00:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2030-03-04T11:00:00", "timeZone": "America/New_York"},
        },
    ],
    ids=["title", "description", "time-zone"],
)
def test_changes_the_meeting_is_built_from_update_it(stack: Stack, change: dict[str, Any]) -> None:
    scenario = conference_on_event(stack)

    edit(scenario, change)
    settle(stack)

    assert len(stack.provider_calls("update")) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"colorId": "5"},
        {"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]}},
        {"attendees": [{"email": "carol@example.com", "responseStatus": "accepted"}]},
        {"location": "Room 4"},
    ],
    ids=["colour", "reminders", "attendee-reply", "location"],
)
def test_unrelated_changes_call_no_provider(stack: Stack, change: dict[str, Any]) -> None:
    scenario = conference_on_event(stack)
    syncs_before = len(stack.calendar.control.calls("events.list"))

    edit(scenario, change)
    settle(stack)

    assert len(stack.calendar.control.calls("events.list")) > syncs_before  # it did sync
    assert stack.provider_calls("update") == []
    assert stack.provider_calls("delete") == []


def test_cancelling_the_event_deletes_the_meeting_and_the_mapping(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    meeting_id = mapping(stack, ALICE, scenario.event_id)["meetingId"]

    scenario.user.delete(ALICE, scenario.event_id)
    settle(stack)

    assert [c["meetingId"] for c in stack.provider_calls("delete")] == [meeting_id]
    assert mapping(stack, ALICE, scenario.event_id) == {}


def replace_event(scenario: Scenario, event: dict[str, Any]) -> dict[str, Any]:
    """events.update with conferenceDataVersion=1: what Calendar's editor sends."""
    request = scenario.user.service.events().update(
        calendarId=scenario.calendar_id,
        eventId=scenario.event_id,
        body=event,
        conferenceDataVersion=1,
    )
    return dict(request.execute())


def test_switching_the_event_to_meet_deletes_our_meeting(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    event = scenario.user.get(ALICE, scenario.event_id)
    event["conferenceData"] = {
        "createRequest": {
            "requestId": "switch-1",
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
    }

    replaced = replace_event(scenario, event)
    settle(stack)

    assert replaced["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert len(stack.provider_calls("delete")) == 1
    assert mapping(stack, ALICE, scenario.event_id) == {}


def test_removing_the_conference_deletes_the_meeting(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    event = scenario.user.get(ALICE, scenario.event_id)
    event.pop("conferenceData")

    replace_event(scenario, event)  # an update without the field clears it
    settle(stack)

    assert len(stack.provider_calls("delete")) == 1
    assert mapping(stack, ALICE, scenario.event_id) == {}


def test_a_conference_not_yet_saved_onto_its_event_is_left_alone(stack: Stack) -> None:
    user = calendar(stack)
    event = user.insert(ALICE, timed_event("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00"))
    assert stack.create_conference(ALICE, ALICE, event["id"]).status_code == 200

    user.patch(ALICE, event["id"], {"summary": "edited before saving the conference"})
    settle(stack)

    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, event["id"])["attached"] is False


def test_placeholder_is_filled_in_once_the_event_is_saved(stack: Stack) -> None:
    user = calendar(stack)
    answer = stack.create_conference(ALICE, ALICE, "placeholder00001")
    data = answer.json()["conferenceData"]
    assert mapping(stack, ALICE, "placeholder00001")["placeholder"] is True

    user.insert(
        ALICE,
        {
            **timed_event("Saved later", "2030-06-01T09:00:00", "2030-06-01T10:00:00"),
            "id": "placeholder00001",
            "conferenceData": data,
        },
        conferenceDataVersion=1,
    )
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["title"] == "Saved later"
    stored = mapping(stack, ALICE, "placeholder00001")
    assert stored["placeholder"] is False
    assert stored["attached"] is True


# -- write-back ------------------------------------------------------------------------


def test_new_join_details_are_written_back_without_a_second_update(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1)

    edit(scenario, {"summary": "Renamed"})
    settle(stack)

    event = scenario.user.get(ALICE, scenario.event_id)
    assert event["conferenceData"]["notes"].startswith("New join details")
    assert event["summary"] == "Renamed"
    assert len(stack.provider_calls("update")) == 1
    patches = stack.calendar.control.calls("events.patch")
    assert patches[-1].params.get("conferenceDataVersion") == "1"
    assert (
        mapping(stack, ALICE, scenario.event_id)["conferenceData"]["notes"]
        == event["conferenceData"]["notes"]
    )


def test_write_back_racing_a_user_edit_keeps_both_edits(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1, delay=1.5)
    lists_before = len(stack.calendar.control.calls("events.list"))

    edit(scenario, {"summary": "Renamed"})
    # While the provider call is in flight (it takes 1.5 s), the user edits again.
    wait_for(
        lambda: len(stack.calendar.control.calls("events.list")) > lists_before,
        what="the sync pass to start",
    )
    edit(scenario, {"location": "Room 12"})
    settle(stack)

    statuses = [c.status for c in stack.calendar.control.calls("events.patch")]
    assert 412 in statuses
    assert statuses[-1] == 200
    event = scenario.user.get(ALICE, scenario.event_id)
    assert event["location"] == "Room 12"
    assert event["summary"] == "Renamed"
    assert event["conferenceData"]["notes"].startswith("New join details")
    assert len(stack.provider_calls("update")) == 1


def test_new_join_details_survive_a_write_back_that_fails_for_now(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1, delay=1.0)

    edit(scenario, {"summary": "Renamed"})
    # The provider call takes a second; meanwhile Calendar starts failing writes, for the
    # whole first phase (each redelivered message's pass updates again and fails again).
    stack.calendar.control.fail_next("events.patch", 503, "backendError", count=1000)
    settle(stack)
    assert "conferenceData" in scenario.user.get(ALICE, scenario.event_id)
    assert not scenario.user.get(ALICE, scenario.event_id)["conferenceData"].get("notes")

    # Calendar is back (failures the first phase did not use up are dropped, so the test
    # does not depend on how many retries fit in it); any message retries.
    stack.calendar.control.clear_faults()
    stack.fault("update", "rotate", remaining=1)
    edit(scenario, {"colorId": "2"})
    settle(stack)

    event = scenario.user.get(ALICE, scenario.event_id)
    assert event["conferenceData"]["notes"].startswith("New join details")
    assert event["summary"] == "Renamed"


def test_write_back_refused_is_recorded_and_does_not_block(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "rotate", remaining=1, delay=1.0)

    edit(scenario, {"summary": "Renamed"})
    # The provider call takes a second: the write-back that follows is refused.
    stack.calendar.control.fail_next("events.patch", 403, "forbiddenForNonOrganizer")
    settle(stack)

    assert "write-back refused" in mapping(stack, ALICE, scenario.event_id)["lastError"]
    assert stack.docs("syncLeases") == []

    edit(scenario, {"colorId": "4"})  # unrelated: the refusal left nothing to redo
    settle(stack)
    assert len(stack.provider_calls("update")) == 1
    deliveries = stack.calendar.control.deliveries(calendar_id=ALICE)
    assert all(d.status == 200 for d in deliveries if d.outcome == "delivered")


# -- failures --------------------------------------------------------------------------


def test_provider_outage_during_sync_loses_no_change(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.fault("update", "transient", remaining=10_000)

    edit(scenario, moved("2030-03-06T09:00:00", "2030-03-06T10:00:00"))
    settle(stack)
    assert stack.provider_calls("update") == []
    assert any(d.status == 503 for d in stack.calendar.control.deliveries(calendar_id=ALICE))

    stack.fault("update", "none", remaining=0)  # the provider recovers
    edit(scenario, {"colorId": "3"})  # any later message brings the kept change
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["start"] == "2030-03-06T09:00:00+01:00"


def test_a_permanent_refusal_does_not_block_the_next_changes(stack: Stack) -> None:
    first = conference_on_event(stack)
    second = conference_on_event(
        stack, body=timed_event("Second", "2030-04-01T09:00:00", "2030-04-01T10:00:00")
    )
    stack.fault("update", "permanent", remaining=1)
    stack.calendar.control.drop_next_messages(ALICE, 2)
    edit(first, {"summary": "First renamed"})
    edit(second, {"summary": "Second renamed"})

    response = push(stack, push_headers(channel_of(stack, ALICE), 500))

    assert response.status_code == 200
    assert "refused" in mapping(stack, ALICE, first.event_id)["lastError"]
    titles = [c["spec"]["title"] for c in stack.provider_calls("update")]
    assert titles == ["Second renamed"]

    edit(first, {"summary": "First renamed again"})
    settle(stack)
    assert [c["spec"]["title"] for c in stack.provider_calls("update")][-1] == "First renamed again"


# -- paging and 410 --------------------------------------------------------------------


def test_short_and_empty_pages_lose_no_change(stack: Stack) -> None:
    scenarios = [
        conference_on_event(
            stack,
            body=timed_event(f"E{i}", f"2030-05-0{i + 1}T09:00:00", f"2030-05-0{i + 1}T10:00:00"),
        )
        for i in range(3)
    ]
    stack.calendar.control.drop_next_messages(ALICE, 3)
    for index, scenario in enumerate(scenarios):
        edit(scenario, {"summary": f"Renamed {index}"})
    stack.calendar.control.script_page_sizes(ALICE, [0, 1, 0, 0, 1, 1, 0])

    response = push(stack, push_headers(channel_of(stack, ALICE), 700))

    assert response.status_code == 200
    titles = sorted(c["spec"]["title"] for c in stack.provider_calls("update"))
    assert titles == ["Renamed 0", "Renamed 1", "Renamed 2"]
    page_tokens = [
        c for c in stack.calendar.control.calls("events.list") if c.params.get("pageToken")
    ]
    assert len(page_tokens) >= 5  # six pages, three of them empty


def test_410_in_the_middle_of_paging_resyncs_and_leaves_old_events_alone(stack: Stack) -> None:
    now = datetime.now(UTC)
    old_day = (now - timedelta(days=20)).strftime("%Y-%m-%d")
    old = conference_on_event(
        stack, body=timed_event("Old", f"{old_day}T09:00:00", f"{old_day}T10:00:00")
    )
    kept = conference_on_event(
        stack, body=timed_event("Kept", "2030-07-01T09:00:00", "2030-07-01T10:00:00")
    )
    gone = conference_on_event(
        stack, body=timed_event("Gone", "2030-07-02T09:00:00", "2030-07-02T10:00:00")
    )
    stack.calendar.control.drop_next_messages(ALICE, 2)
    edit(kept, {"summary": "Kept renamed"})
    gone.user.delete(ALICE, gone.event_id)
    stack.calendar.control.script_page_sizes(ALICE, [1, 1, 1])
    stack.calendar.control.fail_next_page_token(1)

    response = push(stack, push_headers(channel_of(stack, ALICE), 800))

    assert response.status_code == 200
    deleted = [c["meetingId"] for c in stack.provider_calls("delete")]
    assert deleted == [gone.conference["conferenceId"]]
    assert mapping(stack, ALICE, gone.event_id) == {}
    assert mapping(stack, ALICE, old.event_id)  # outside the window: left alone
    assert "Kept renamed" in [c["spec"]["title"] for c in stack.provider_calls("update")]
    full_lists = [c for c in stack.calendar.control.calls("events.list") if c.params.get("timeMin")]
    assert full_lists
    assert all("syncToken" not in c.params for c in full_lists)
    confirmations = [
        c for c in stack.calendar.control.calls("events.get") if c.path.endswith(gone.event_id)
    ]
    assert confirmations  # confirmed with events.get before the meeting was deleted


def test_an_expired_sync_token_means_a_full_sync(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.expire_sync_tokens(ALICE)

    edit(scenario, {"summary": "After expiry"})
    settle(stack)

    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == ["After expiry"]
    [calendar_doc] = stack.docs("calendars")
    assert calendar_doc["syncToken"]


# -- recurring series ------------------------------------------------------------------


def weekly(summary: str = "Weekly") -> dict[str, Any]:
    return timed_event(
        summary,
        "2030-03-04T10:00:00",
        "2030-03-04T11:00:00",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=10"],
    )


def test_cancelling_one_occurrence_keeps_the_series_meeting(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())

    series.user.delete(ALICE, f"{series.event_id}_20300311T090000Z")
    settle(stack)

    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, series.event_id)


def test_moving_one_occurrence_keeps_the_series_meeting(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())

    edit(
        series,
        moved("2030-03-12T15:00:00", "2030-03-12T16:00:00"),
        f"{series.event_id}_20300311T090000Z",
    )
    settle(stack)

    assert stack.provider_calls("delete") == []
    assert stack.provider_calls("update") == []
    assert mapping(stack, ALICE, series.event_id)


def test_deleting_the_series_deletes_its_meeting(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())

    series.user.delete(ALICE, series.event_id)
    settle(stack)

    assert len(stack.provider_calls("delete")) == 1
    assert mapping(stack, ALICE, series.event_id) == {}


def test_this_and_following_split_keeps_the_meeting_with_its_carriers(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())
    following = series.user.edit_following(ALICE, occurrence(series, "20300318T090000Z"))
    settle(stack)
    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, series.event_id)["followers"] == [following["id"]]

    series.user.delete(ALICE, series.event_id)  # the old part goes: the new one keeps it
    settle(stack)
    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, following["id"])["meetingId"] == series.conference["conferenceId"]

    series.user.delete(ALICE, following["id"])  # no event carries it any more
    settle(stack)
    assert len(stack.provider_calls("delete")) == 1
    assert stack.docs("conferences") == []


# -- shared meetings: docs/sync-model.md#the-covering-spec ------------------------------


def occurrence(series: Scenario, stamp: str) -> str:
    return f"{series.event_id}_{stamp}"


def on_tuesdays(start: str = "2030-03-19") -> dict[str, Any]:
    """A "this and following" edit moving the series to Tuesdays."""
    return {
        **moved(f"{start}T10:00:00", f"{start}T11:00:00"),
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"],
    }


def test_a_split_keeps_one_meeting_covering_both_parts(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())

    following = series.user.edit_following(
        ALICE, occurrence(series, "20300318T090000Z"), {"summary": "Weekly, new room"}
    )
    settle(stack)

    # One meeting: neither deleted nor made again, and nothing to update, since the
    # two parts together are the series the meeting was made for.
    assert following["id"] == f"{series.event_id}_R20300318T090000"
    assert len(stack.provider_calls("create")) == 1
    assert stack.provider_calls("delete") == []
    assert stack.provider_calls("update") == []
    record = mapping(stack, ALICE, series.event_id)
    assert record["followers"] == [following["id"]]
    assert record["spec"]["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300317T225959Z"]
    assert record["expireAt"] is None

    edit(series, {"summary": "Weekly, renamed"})
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["title"] == "Weekly, renamed"
    assert update["spec"]["start"] == "2030-03-04T10:00:00+01:00"
    assert update["spec"]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=10"]  # both parts
    assert "fixedTime" not in update["spec"]


def test_a_change_to_the_following_part_alone_updates_the_shared_meeting(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())
    following = series.user.edit_following(ALICE, occurrence(series, "20300318T090000Z"))
    settle(stack)
    assert stack.provider_calls("update") == []

    series.user.patch(ALICE, following["id"], {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=12"]})
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=14"]
    assert update["spec"]["start"] == "2030-03-04T10:00:00+01:00"
    assert update["spec"]["title"] == "Weekly"  # the recorded event's


def test_an_unrelated_change_to_the_following_part_calls_no_provider(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())
    following = series.user.edit_following(
        ALICE, occurrence(series, "20300318T090000Z"), on_tuesdays()
    )
    settle(stack)
    assert len(stack.provider_calls("update")) == 1
    gets_before = len(stack.calendar.control.calls("events.get"))

    series.user.patch(ALICE, following["id"], {"colorId": "5", "summary": "Tuesdays"})
    settle(stack)

    assert len(stack.provider_calls("update")) == 1
    # The recorded event and its one follower are read: two calls, no more.
    assert len(stack.calendar.control.calls("events.get")) - gets_before == 2


def test_a_split_that_changes_the_rule_shares_a_meeting_with_no_fixed_time(
    stack: Stack,
) -> None:
    series = conference_on_event(stack, body=weekly())

    following = series.user.edit_following(
        ALICE, occurrence(series, "20300318T090000Z"), on_tuesdays()
    )
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["fixedTime"] is False
    assert update["spec"]["start"] == "2030-03-04T10:00:00+01:00"  # the earliest start
    assert (update["spec"]["end"], update["spec"]["recurrence"]) == (None, [])
    assert update["spec"]["title"] == "Weekly"
    assert mapping(stack, ALICE, series.event_id)["followers"] == [following["id"]]
    assert stack.provider_calls("delete") == []

    series.user.delete(ALICE, following["id"])  # the meeting shrinks back to the first part
    settle(stack)

    shrunk = stack.provider_calls("update")[-1]["spec"]
    assert len(stack.provider_calls("update")) == 2
    assert shrunk["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300317T225959Z"]
    assert "fixedTime" not in shrunk
    assert mapping(stack, ALICE, series.event_id)["followers"] == []
    assert stack.provider_calls("delete") == []

    series.user.delete(ALICE, series.event_id)
    settle(stack)

    assert len(stack.provider_calls("delete")) == 1
    assert stack.docs("conferences") == []


def test_a_refusal_while_a_copys_change_is_applied_is_kept_on_the_record(stack: Stack) -> None:
    series = conference_on_event(stack, body=weekly())
    stack.fault("update", "permanent", remaining=1)

    following = series.user.edit_following(
        ALICE, occurrence(series, "20300318T090000Z"), on_tuesdays()
    )
    settle(stack)

    assert "refused" in mapping(stack, ALICE, series.event_id)["lastError"]
    assert mapping(stack, ALICE, series.event_id)["followers"] == [following["id"]]

    series.user.patch(ALICE, following["id"], {"summary": "Tuesdays"})  # the next change
    settle(stack)

    assert stack.provider_calls("update")[-1]["spec"]["fixedTime"] is False
    assert mapping(stack, ALICE, series.event_id)["lastError"] is None


def test_when_the_first_part_goes_the_meeting_shrinks_to_the_following_part(
    stack: Stack,
) -> None:
    series = conference_on_event(stack, body=weekly())
    following = series.user.edit_following(
        ALICE, occurrence(series, "20300318T090000Z"), on_tuesdays()
    )
    settle(stack)

    series.user.delete(ALICE, series.event_id)
    settle(stack)

    shrunk = stack.provider_calls("update")[-1]
    assert shrunk["meetingId"] == series.conference["conferenceId"]
    assert shrunk["spec"]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"]
    assert shrunk["spec"]["start"] == "2030-03-19T10:00:00+01:00"
    assert stack.provider_calls("delete") == []
    record = mapping(stack, ALICE, following["id"])
    assert (record["followers"], record["meetingId"]) == ([], series.conference["conferenceId"])


def test_a_copy_at_another_time_spans_the_meeting_and_its_expiry(stack: Stack) -> None:
    scenario = conference_on_event(stack)  # 2030-03-04 10:00-11:00 in Berlin
    copy_id = f"{scenario.event_id}c0de2"

    scenario.user.insert(
        ALICE,
        {
            **timed_event("Copy", "2030-04-01T15:00:00", "2030-04-01T16:00:00"),
            "id": copy_id,
            "conferenceData": scenario.conference,
        },
        conferenceDataVersion=1,
    )
    settle(stack)

    [update] = stack.provider_calls("update")
    assert update["spec"]["fixedTime"] is False
    assert update["spec"]["start"] == "2030-03-04T10:00:00+01:00"
    assert update["spec"]["end"] == "2030-04-01T16:00:00+02:00"
    # The record's expiry follows the copy's end (16:00 in Berlin, plus 30 days).
    assert mapping(stack, ALICE, scenario.event_id)["expireAt"] == datetime(
        2030, 5, 1, 14, 0, tzinfo=UTC
    )


# -- other calendars -------------------------------------------------------------------


def test_a_copy_seen_in_the_same_pass_as_the_originals_deletion_keeps_the_meeting(
    stack: Stack,
) -> None:
    scenario = conference_on_event(stack)
    stack.calendar.control.drop_next_messages(ALICE, 2)
    copy_id = f"{scenario.event_id}c0de1"  # base32hex, as ids must be
    scenario.user.insert(
        ALICE,
        {
            **timed_event("Copy", "2030-03-11T10:00:00", "2030-03-11T11:00:00"),
            "id": copy_id,
            "conferenceData": scenario.conference,
        },
        conferenceDataVersion=1,
    )
    scenario.user.delete(ALICE, scenario.event_id)

    response = push(stack, push_headers(channel_of(stack, ALICE), 900))

    assert response.status_code == 200
    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, copy_id)["meetingId"] == scenario.conference["conferenceId"]


def test_an_attendees_copy_never_acts_on_the_meeting(stack: Stack) -> None:
    scenario = conference_on_event(stack)
    conference_on_event(stack, owner=BOB)  # Bob's calendar is synced too
    bob = CalendarUser(stack.calendar.api_endpoint, BOB)
    copy = {**scenario.user.get(ALICE, scenario.event_id)}
    for key in (
        "etag",
        "htmlLink",
        "iCalUID",
        "created",
        "updated",
        "creator",
        "organizer",
        "kind",
        "sequence",
    ):
        copy.pop(key, None)
    bob.insert(BOB, copy, conferenceDataVersion=1)
    settle(stack)

    bob.patch(BOB, scenario.event_id, moved("2030-03-09T09:00:00", "2030-03-09T10:00:00"))
    bob.delete(BOB, scenario.event_id)
    settle(stack)

    assert stack.provider_calls("update") == []
    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, scenario.event_id)


def test_an_event_moved_to_another_calendar_keeps_its_meeting(stack: Stack) -> None:
    team = "team@example.com"
    stack.calendar.control.create_calendar(team, owner=ALICE, time_zone="America/New_York")
    scenario = conference_on_event(stack)

    scenario.user.move(ALICE, scenario.event_id, team)
    settle(stack)

    [team_doc] = [c for c in stack.docs("calendars") if c["calendarId"] == team]
    assert team_doc["timeZone"] == "America/New_York"  # its own zone, not the source's

    assert stack.provider_calls("delete") == []
    assert mapping(stack, ALICE, scenario.event_id) == {}
    moved_mapping = mapping(stack, team, scenario.event_id)
    assert moved_mapping["meetingId"] == scenario.conference["conferenceId"]
    assert any(c["calendarId"] == team for c in stack.docs("calendars"))

    scenario.user.patch(team, scenario.event_id, {"summary": "On the team calendar"})
    settle(stack)
    assert [c["spec"]["title"] for c in stack.provider_calls("update")] == ["On the team calendar"]
