"""Followers and the meeting they share (docs/sync-model.md#the-covering-spec)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.state.conferences import ConferenceKey, ConferenceRecord, RecordState
from shared.sync.followers import (
    MAX_FOLLOWERS_READ,
    FollowerReading,
    decide_followers,
    decide_gone_copy,
    followers_to_read,
    sharing_records,
)

CAL = "team@example.com"
CONF = "conf-1"


def record(event_id: str = "ev1", **overrides: Any) -> ConferenceRecord:
    base = ConferenceRecord(
        key=ConferenceKey(CAL, event_id, "1"),
        state=RecordState.READY,
        request_key="rk",
        owner_email="owner@example.com",
        conference_id=CONF,
        meeting_id="meeting-1",
        attached=True,
        followers=("f1", "f2"),
    )
    return replace(base, **overrides)


def copy(event_id: str, **overrides: Any) -> dict[str, Any]:
    """A live copy on CAL, organized by CAL, carrying CONF."""
    return {
        "id": event_id,
        "status": "confirmed",
        "organizer": {"email": CAL},
        "conferenceData": {"conferenceId": CONF, "conferenceSolution": {"key": {"type": "addOn"}}},
        **overrides,
    }


@pytest.mark.parametrize(
    ("answer", "shares"),
    [
        pytest.param(copy("f1"), True, id="live-copy"),
        pytest.param(None, False, id="gone-404"),
        pytest.param(copy("f1", status="cancelled"), False, id="cancelled"),
        pytest.param(copy("f1", organizer={"email": "other@example.com"}), False, id="moved"),
        pytest.param(copy("f1", conferenceData=None), False, id="conference-removed"),
        pytest.param(
            copy("f1", conferenceData={"conferenceId": "conf-2"}), False, id="another-conference"
        ),
    ],
)
def test_a_follower_shares_the_meeting_while_it_is_a_live_copy_carrying_it(
    answer: dict[str, Any] | None, shares: bool
) -> None:
    reading = decide_followers(record(followers=("f1",)), CAL, [("f1", answer)])

    expected = FollowerReading((answer,), (), True) if answer and shares else None
    assert reading == (expected or FollowerReading((), ("f1",), complete=True))


def test_followers_keep_their_order_and_the_dropped_are_named() -> None:
    reading = decide_followers(
        record(followers=("f1", "f2", "f3")),
        CAL,
        [("f1", copy("f1")), ("f2", None), ("f3", copy("f3"))],
    )

    assert [event["id"] for event in reading.carrying] == ["f1", "f3"]
    assert reading.dropped == ("f2",)


def test_at_most_the_first_followers_are_read() -> None:
    many = tuple(f"f{index}" for index in range(MAX_FOLLOWERS_READ + 3))
    few = many[:MAX_FOLLOWERS_READ]

    assert followers_to_read(record(followers=many)) == few
    assert followers_to_read(record(followers=few)) == few
    answers = [(follower_id, copy(follower_id)) for follower_id in few]
    assert decide_followers(record(followers=many), CAL, answers).complete is False
    assert decide_followers(record(followers=few), CAL, answers).complete is True


def test_a_copy_concerns_the_ready_records_of_other_events() -> None:
    own = record("ev1")
    other = record("ev2")
    itself = record("copy-1")
    pending = record("ev3", state=RecordState.PENDING)

    assert sharing_records("copy-1", [own, itself, pending, other]) == [own, other]


@pytest.mark.parametrize(
    ("event", "has_record", "look"),
    [
        pytest.param({"id": "c1", "status": "cancelled"}, False, True, id="cancelled"),
        pytest.param({"id": "c1", "status": "cancelled"}, True, False, id="recorded"),
        pytest.param({"id": "c1", "status": "confirmed"}, False, False, id="live"),
        pytest.param(
            {"id": "s_20300304T090000Z", "status": "cancelled", "recurringEventId": "s"},
            False,
            False,
            id="occurrence",
        ),
        pytest.param({"status": "cancelled"}, False, False, id="no-id"),
    ],
)
def test_only_a_cancelled_event_without_a_record_may_have_been_a_follower(
    event: dict[str, Any], has_record: bool, look: bool
) -> None:
    assert decide_gone_copy(event, has_record=has_record) is look
