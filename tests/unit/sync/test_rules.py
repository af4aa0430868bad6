"""The sync rules, one table per rule of docs/sync-model.md#sync-rules."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.conferences.meeting_spec import MeetingSpec, spec_from_event
from shared.errors import (
    AccessDenied,
    BundleError,
    HostLimitReached,
    InvalidConferenceData,
    MeetingBusy,
    MeetingCallFailed,
    MeetingRefused,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.state.conferences import ConferenceKey, ConferenceRecord, RecordState
from shared.sync import rules
from shared.sync.rules import (
    BACK_TO_READY,
    CONFERENCE_REPLACED,
    EVENT_GONE,
    MAX_UPDATE_ATTEMPTS,
    BecomeFollower,
    BringUpToDate,
    ConfirmGone,
    Defer,
    Delete,
    Follow,
    FollowMove,
    HandOver,
    Lost,
    Refused,
    RetryLater,
    Skip,
    StopPass,
    Update,
    Wait,
    decide_confirmed,
    decide_copy,
    decide_found,
    decide_listed_change,
    decide_lost,
    decide_move,
    decide_refusal,
    decide_search,
    decide_update,
    retry_delay,
)

CAL = "team@example.com"
OTHER = "other@example.com"
EVENT = "ev1"
SOLUTION = "1"
CONF = "conf-1"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

PROPERTIES = settings(deadline=None, derandomize=True, max_examples=100)


def record(**overrides: Any) -> ConferenceRecord:
    """A ready, attached record of (CAL, EVENT, SOLUTION) carrying CONF."""
    base = ConferenceRecord(
        key=ConferenceKey(CAL, EVENT, SOLUTION),
        state=RecordState.READY,
        request_key="rk",
        owner_email="owner@example.com",
        conference_id=CONF,
        meeting_id="meeting-1",
        conference_data={"conferenceId": CONF, "entryPoints": [{"uri": "https://a"}]},
        fingerprint="fp-old",
        attached=True,
    )
    return replace(base, **overrides)


def conference(conference_id: str | None = CONF, key_type: str = "addOn") -> dict[str, Any]:
    data: dict[str, Any] = {"conferenceSolution": {"key": {"type": key_type}}}
    if conference_id is not None:
        data["conferenceId"] = conference_id
    return data


def event(
    *,
    event_id: str = EVENT,
    status: str = "confirmed",
    organizer: dict[str, Any] | None = None,
    conference_data: dict[str, Any] | None = None,
    carrying: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A live event of CAL, organized by CAL, carrying CONF unless told otherwise."""
    body: dict[str, Any] = {
        "id": event_id,
        "status": status,
        "organizer": {"email": CAL} if organizer is None else organizer,
        **extra,
    }
    if conference_data is not None:
        body["conferenceData"] = conference_data
    elif carrying:
        body["conferenceData"] = conference()
    return body


CANCELLED_STUB = {"id": EVENT, "status": "cancelled"}
LATER = NOW + timedelta(minutes=10)
RETRYING = record(state=RecordState.RETRY_PENDING, retry_at=LATER, retry_count=1)
DELETING = record(state=RecordState.DELETE_PENDING, retry_at=LATER, retry_count=1)


# -- decide_listed_change -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("listed", "rec", "expected"),
    [
        pytest.param(event(), record(state=RecordState.PENDING), Skip(), id="reservation-skip"),
        pytest.param(
            CANCELLED_STUB, record(state=RecordState.PENDING), Skip(), id="reservation-cancel"
        ),
        pytest.param(CANCELLED_STUB, record(), ConfirmGone(), id="cancelled-confirm"),
        pytest.param(
            CANCELLED_STUB, record(attached=False), ConfirmGone(), id="cancelled-unattached"
        ),
        pytest.param(event(carrying=False), record(attached=False), Wait(), id="not-saved-yet"),
        pytest.param(
            event(carrying=False), record(), Lost(CONFERENCE_REPLACED), id="conference-removed"
        ),
        pytest.param(
            event(conference_data=conference(CONF, "hangoutsMeet")),
            record(),
            Lost(CONFERENCE_REPLACED),
            id="switched-to-meet",
        ),
        pytest.param(
            event(conference_data=conference("conf-other")),
            record(),
            Lost(CONFERENCE_REPLACED),
            id="another-conference-id",
        ),
        pytest.param(
            event(conference_data=conference(None)),
            record(),
            Lost(CONFERENCE_REPLACED),
            id="conference-without-id",
        ),
        pytest.param(event(), record(), BringUpToDate(event()), id="carrying-update"),
        pytest.param(
            event(), record(attached=False), BringUpToDate(event()), id="first-seen-carrying"
        ),
        # docs/sync-model.md#record-states: an update waiting still follows its event ...
        pytest.param(event(), RETRYING, BringUpToDate(event()), id="retry-pending-follows"),
        pytest.param(CANCELLED_STUB, RETRYING, ConfirmGone(), id="retry-pending-cancelled"),
        pytest.param(
            event(carrying=False),
            RETRYING,
            Lost(CONFERENCE_REPLACED),
            id="retry-pending-conference-removed",
        ),
        # ... a delete waiting keeps the meeting only if its event carries it again.
        pytest.param(CANCELLED_STUB, DELETING, Defer(), id="delete-pending-cancelled-waits"),
        pytest.param(event(carrying=False), DELETING, Defer(), id="delete-pending-not-carrying"),
        pytest.param(
            event(organizer={"email": OTHER}), DELETING, Defer(), id="delete-pending-attendee-copy"
        ),
        pytest.param(event(), DELETING, BringUpToDate(event()), id="delete-pending-restored"),
    ],
)
def test_decide_listed_change(
    listed: dict[str, Any], rec: ConferenceRecord, expected: object
) -> None:
    assert decide_listed_change(listed, rec) == expected


def test_a_listed_change_brings_up_to_date_from_the_listed_event() -> None:
    listed = event(summary="new title")

    decision = decide_listed_change(listed, record())

    assert isinstance(decision, BringUpToDate)
    assert decision.event is listed


# -- decide_confirmed ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "rec", "expected"),
    [
        pytest.param(None, record(), Lost(EVENT_GONE), id="404-lost"),
        pytest.param(None, record(attached=False), Wait(), id="404-never-attached"),
        pytest.param(CANCELLED_STUB, record(), Lost(EVENT_GONE), id="cancelled-lost"),
        pytest.param(CANCELLED_STUB, record(attached=False), Wait(), id="cancelled-unattached"),
        pytest.param(
            event(organizer={"email": OTHER}),
            record(),
            FollowMove(event(organizer={"email": OTHER})),
            id="moved-to-another-organizer",
        ),
        pytest.param(
            event(organizer={"email": OTHER}, carrying=False),
            record(attached=False),
            FollowMove(event(organizer={"email": OTHER}, carrying=False)),
            id="moved-before-attached-still-decide-move",
        ),
        pytest.param(event(), record(), BringUpToDate(event()), id="live-carrying"),
        pytest.param(
            event(organizer={"email": CAL.upper()}),
            record(),
            BringUpToDate(event(organizer={"email": CAL.upper()})),
            id="organizer-email-case-insensitive",
        ),
        pytest.param(
            event(organizer={"self": True}),
            record(),
            BringUpToDate(event(organizer={"self": True})),
            id="organizer-self-without-email",
        ),
        pytest.param(
            event(organizer={"self": False}),
            record(),
            FollowMove(event(organizer={"self": False})),
            id="no-organizer-email-not-self",
        ),
        pytest.param(
            event(carrying=False), record(), Lost(EVENT_GONE), id="live-conference-removed"
        ),
        pytest.param(
            event(carrying=False), record(attached=False), Wait(), id="live-not-saved-yet"
        ),
        pytest.param(None, RETRYING, Lost(EVENT_GONE), id="retry-pending-404-lost"),
        pytest.param(None, DELETING, Defer(), id="delete-pending-404-waits"),
        pytest.param(CANCELLED_STUB, DELETING, Defer(), id="delete-pending-cancelled-waits"),
        pytest.param(event(), DELETING, BringUpToDate(event()), id="delete-pending-restored"),
    ],
)
def test_decide_confirmed(
    current: dict[str, Any] | None, rec: ConferenceRecord, expected: object
) -> None:
    assert decide_confirmed(current, rec, CAL) == expected


# -- decide_move ----------------------------------------------------------------------------
def test_decide_move_follows_a_carrying_event_to_its_new_organizer() -> None:
    decision = decide_move(event(organizer={"email": OTHER}), record())

    assert decision == Follow(ConferenceKey(OTHER, EVENT, SOLUTION))
    assert isinstance(decision, Follow)
    assert decision.destination == OTHER
    assert decision.changes == {"followers": []}


@pytest.mark.parametrize(
    "moved",
    [
        pytest.param(event(organizer={}), id="no-organizer"),
        pytest.param(event(organizer={"email": ""}), id="empty-organizer-email"),
        pytest.param(event(organizer={"email": OTHER}, carrying=False), id="not-carrying"),
        pytest.param(
            event(organizer={"email": OTHER}, conference_data=conference("conf-other")),
            id="another-conference",
        ),
        pytest.param(event(organizer={"email": OTHER}, status="cancelled"), id="cancelled"),
    ],
)
def test_decide_move_loses_the_meeting_otherwise(moved: dict[str, Any]) -> None:
    assert decide_move(moved, record()) == Lost(EVENT_GONE)


# -- decide_lost ----------------------------------------------------------------------------
def follower(event_id: str, *, carrying: bool = True) -> tuple[str, dict[str, Any]]:
    return event_id, event(event_id=event_id, carrying=carrying)


@pytest.mark.parametrize(
    ("followers", "expected_follower"),
    [
        pytest.param([], None, id="no-follower-delete"),
        pytest.param([("f1", None)], None, id="follower-404-delete"),
        pytest.param([follower("f1", carrying=False)], None, id="follower-not-carrying"),
        pytest.param(
            [("f1", event(event_id="f1", status="cancelled"))], None, id="follower-cancelled"
        ),
        pytest.param([follower("f1")], "f1", id="follower-carrying-hand-over"),
        pytest.param([("f1", None), follower("f2")], "f2", id="skips-404"),
        pytest.param(
            [follower("f1", carrying=False), follower("f2")], "f2", id="skips-not-carrying"
        ),
        pytest.param([follower("f1"), follower("f2")], "f1", id="first-carrier-wins"),
    ],
)
def test_decide_lost(
    followers: list[tuple[str, dict[str, Any] | None]], expected_follower: str | None
) -> None:
    decision = decide_lost(record(), CAL, followers)

    if expected_follower is None:
        assert decision == Delete()
    else:
        assert isinstance(decision, HandOver)
        assert decision.follower_id == expected_follower
        assert decision.new_key == ConferenceKey(CAL, expected_follower, SOLUTION)
        assert decision.event == dict(followers)[expected_follower]
        assert decision.changes == {"attached": True}


def test_decide_lost_reads_no_follower_after_the_one_it_hands_over_to() -> None:
    read: list[str] = []

    def lazily() -> Iterator[tuple[str, dict[str, Any] | None]]:
        for event_id in ("f1", "f2", "f3"):
            read.append(event_id)
            yield follower(event_id, carrying=event_id != "f1")

    decision = decide_lost(record(), CAL, lazily())

    assert isinstance(decision, HandOver)
    assert decision.follower_id == "f2"
    assert read == ["f1", "f2"]


# -- decide_update --------------------------------------------------------------------------
TIMED = spec_from_event(
    {
        "summary": "Standup",
        "start": {"dateTime": "2030-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-03-04T10:30:00+01:00", "timeZone": "Europe/Berlin"},
    },
    "UTC",
)
SERIES = replace(TIMED, recurrence=("RRULE:FREQ=WEEKLY",))


def test_decide_update_with_nothing_changed_does_nothing() -> None:
    update = decide_update(
        record(spec=TIMED.as_record()), TIMED, "fp-old", retention_days=30, now=NOW
    )

    assert update == Update(call_provider=False, changes={})


def test_decide_update_attaches_a_record_seen_carrying_for_the_first_time() -> None:
    rec = record(spec=TIMED.as_record(), attached=False)

    update = decide_update(rec, TIMED, "fp-old", retention_days=30, now=NOW)

    assert update == Update(call_provider=False, changes={"attached": True, "abandonCheckAt": None})


def test_the_spec_and_expiry_follow_the_event_without_a_provider_call() -> None:
    rec = record(spec={"title": "old"}, placeholder=True)

    update = decide_update(rec, TIMED, "fp-old", retention_days=30, now=NOW)

    assert update.call_provider is False
    assert TIMED.end is not None
    assert update.changes == {
        "spec": TIMED.as_record(),
        "placeholder": False,
        "expireAt": TIMED.end + timedelta(days=30),
    }


def test_a_series_has_no_expiry() -> None:
    update = decide_update(record(), SERIES, "fp-old", retention_days=30, now=NOW)

    assert update.changes["expireAt"] is None


def test_a_placeholder_expires_from_now() -> None:
    placeholder = MeetingSpec("", "", None, None, "UTC", placeholder=True)

    update = decide_update(record(), placeholder, "fp-old", retention_days=2, now=NOW)

    assert update.changes["expireAt"] == NOW + timedelta(days=2)
    assert update.changes["placeholder"] is True


@pytest.mark.parametrize(
    ("covering", "expected"),
    [
        pytest.param(replace(TIMED, end=None, fixed_time=False), None, id="covers-a-series"),
        pytest.param(
            replace(TIMED, end=datetime(2030, 4, 1, 10, tzinfo=UTC), fixed_time=False),
            datetime(2030, 5, 1, 10, tzinfo=UTC),
            id="covers-a-later-copy",
        ),
    ],
)
def test_with_followers_the_expiry_follows_the_covering_spec(
    covering: MeetingSpec, expected: datetime | None
) -> None:
    rec = record(spec=TIMED.as_record(), expire_at=TIMED.end)

    update = decide_update(rec, TIMED, "fp-old", retention_days=30, now=NOW, covering=covering)

    assert update.call_provider is False
    assert update.changes == {
        "spec": TIMED.as_record(),  # what the record knows of its own event
        "placeholder": False,
        "expireAt": expected,
    }


def test_with_followers_an_expiry_already_right_is_not_written_again() -> None:
    assert TIMED.end is not None
    covering = replace(TIMED, end=TIMED.end + timedelta(days=3), fixed_time=False)
    rec = record(spec=TIMED.as_record(), expire_at=TIMED.end + timedelta(days=33))

    update = decide_update(rec, TIMED, "fp-old", retention_days=30, now=NOW, covering=covering)

    assert update == Update(call_provider=False, changes={})


def test_a_changed_fingerprint_calls_the_provider_and_stores_it_before_the_write_back() -> None:
    rec = record(spec=TIMED.as_record(), attached=False)

    update = decide_update(rec, TIMED, "fp-new", retention_days=30, now=NOW)

    assert update.call_provider is True
    assert update.changes == {
        "attached": True,
        "abandonCheckAt": None,
        "fingerprint": "fp-new",
        "lastError": None,
    }
    assert update.restore == {"fingerprint": "fp-old"}


def test_a_record_without_fingerprint_restores_none() -> None:
    update = decide_update(
        record(spec=TIMED.as_record(), fingerprint=None), TIMED, "fp", retention_days=1, now=NOW
    )

    assert update.call_provider is True
    assert update.restore == {"fingerprint": None}


@pytest.mark.parametrize(
    ("answered", "expected"),
    [
        pytest.param(record().conference_data, False, id="same-details-no-write-back"),
        pytest.param({"conferenceId": CONF}, True, id="new-details-write-back"),
        pytest.param({"conferenceId": "conf-2"}, True, id="new-conference-id-write-back"),
    ],
)
def test_a_write_back_is_needed_only_for_new_join_details(
    answered: dict[str, Any], expected: bool
) -> None:
    update = decide_update(
        record(spec=TIMED.as_record()), TIMED, "fp-new", retention_days=30, now=NOW
    )

    assert update.needs_write_back(answered) is expected


def test_a_record_without_join_details_writes_back() -> None:
    update = decide_update(
        record(spec=TIMED.as_record(), conference_data=None),
        TIMED,
        "fp-new",
        retention_days=30,
        now=NOW,
    )

    assert update.needs_write_back({"conferenceId": CONF}) is True


@pytest.mark.parametrize(
    ("rec", "fingerprint", "call_provider", "deferred", "back_to_ready"),
    [
        pytest.param(RETRYING, "fp-new", False, True, False, id="retry-pending-not-due-waits"),
        pytest.param(
            replace(RETRYING, retry_at=NOW), "fp-new", True, False, True, id="retry-pending-due"
        ),
        pytest.param(
            replace(RETRYING, retry_at=None), "fp-new", True, False, True, id="retry-pending-no-due"
        ),
        pytest.param(RETRYING, "fp-old", False, False, True, id="retry-pending-nothing-left"),
        pytest.param(DELETING, "fp-new", True, False, True, id="delete-pending-restored-updates"),
        pytest.param(DELETING, "fp-old", False, False, True, id="delete-pending-restored-same"),
        pytest.param(record(), "fp-new", True, False, False, id="ready-updates"),
    ],
)
def test_decide_update_of_a_record_that_waits(
    rec: ConferenceRecord,
    fingerprint: str,
    call_provider: bool,
    deferred: bool,
    back_to_ready: bool,
) -> None:
    update = decide_update(
        replace(rec, spec=TIMED.as_record()), TIMED, fingerprint, retention_days=30, now=NOW
    )

    assert update.call_provider is call_provider
    assert update.deferred is deferred
    assert ("fingerprint" in update.changes) is call_provider
    assert (update.changes.items() >= BACK_TO_READY.items()) is back_to_ready


def test_what_the_record_learns_of_the_event_is_kept_apart_for_a_refused_update() -> None:
    rec = record(spec={"title": "old"}, attached=False)

    update = decide_update(rec, TIMED, "fp-new", retention_days=30, now=NOW)

    assert TIMED.end is not None
    assert update.follow == {
        "attached": True,
        "abandonCheckAt": None,
        "spec": TIMED.as_record(),
        "placeholder": False,
        "expireAt": TIMED.end + timedelta(days=30),
    }
    assert update.changes.items() >= update.follow.items()
    assert "fingerprint" not in update.follow


def test_a_waiting_update_still_stores_what_the_event_says() -> None:
    update = decide_update(RETRYING, TIMED, "fp-new", retention_days=30, now=NOW)

    assert update.deferred is True
    assert update.changes["spec"] == TIMED.as_record()
    assert "state" not in update.changes  # still waiting for its retryAt


def test_after_the_write_back_the_record_stores_the_new_details_and_their_id() -> None:
    data = {"conferenceId": "conf-2", "entryPoints": []}

    assert Update.after_write_back(data) == {"conferenceData": data, "conferenceId": "conf-2"}


# -- decide_copy ----------------------------------------------------------------------------
COPY = "copy-1"


@pytest.mark.parametrize(
    ("listed", "has_record", "expected"),
    [
        pytest.param(event(event_id=COPY), False, BecomeFollower(COPY, CONF), id="organizer-copy"),
        pytest.param(
            event(event_id=COPY, organizer={"self": True}),
            False,
            BecomeFollower(COPY, CONF),
            id="organizer-self",
        ),
        pytest.param(
            event(event_id=COPY, conference_data=conference("conf-unknown")),
            False,
            BecomeFollower(COPY, "conf-unknown"),
            id="any-add-on-conference-id",
        ),
        pytest.param(event(event_id=COPY), True, None, id="has-its-own-record"),
        pytest.param(
            {"id": COPY, "status": "cancelled", "conferenceData": conference()},
            False,
            None,
            id="cancelled",
        ),
        pytest.param(
            event(event_id=COPY, recurringEventId="series-1"), False, None, id="occurrence"
        ),
        pytest.param(event(event_id=COPY, carrying=False), False, None, id="no-conference"),
        pytest.param(
            event(event_id=COPY, conference_data=conference(CONF, "hangoutsMeet")),
            False,
            None,
            id="meet-conference",
        ),
        pytest.param(
            event(event_id=COPY, conference_data=conference(None)),
            False,
            None,
            id="conference-without-id",
        ),
        pytest.param(
            event(event_id=COPY, organizer={"email": OTHER}), False, None, id="attendees-copy"
        ),
    ],
)
def test_decide_copy(listed: dict[str, Any], has_record: bool, expected: object) -> None:
    assert decide_copy(listed, CAL, has_record=has_record) == expected


def test_a_copy_joins_only_the_records_that_do_not_know_it() -> None:
    original = record()
    knows_it = record(key=ConferenceKey(CAL, "ev2", SOLUTION), followers=(COPY,))
    other = record(key=ConferenceKey(CAL, "ev3", SOLUTION), followers=("x",))
    itself = record(key=ConferenceKey(CAL, COPY, SOLUTION))

    joined = BecomeFollower(COPY, CONF).records_to_join([original, knows_it, other, itself])

    assert joined == [original, other]


# -- properties -----------------------------------------------------------------------------
conference_data = st.one_of(
    st.none(),
    st.builds(
        conference,
        conference_id=st.sampled_from([CONF, "conf-2", None]),
        key_type=st.sampled_from(["addOn", "hangoutsMeet", "eventNamedHangout", ""]),
    ),
)
events = st.builds(
    lambda event_id, status, organizer, data, occurrence: {
        "id": event_id,
        "status": status,
        "organizer": organizer,
        **({"conferenceData": data} if data is not None else {}),
        **({"recurringEventId": "series-1"} if occurrence else {}),
    },
    event_id=st.sampled_from([EVENT, COPY, "ev2"]),
    status=st.sampled_from(["confirmed", "tentative", "cancelled"]),
    organizer=st.sampled_from(
        [{"email": CAL}, {"email": CAL.upper()}, {"email": OTHER}, {"self": True}, {}]
    ),
    data=conference_data,
    occurrence=st.booleans(),
)
records = st.builds(
    record,
    state=st.sampled_from(list(RecordState)),
    attached=st.booleans(),
    conference_id=st.sampled_from([CONF, "conf-2", None]),
    followers=st.lists(st.sampled_from(["f1", "f2", COPY]), max_size=3, unique=True).map(tuple),
)


@PROPERTIES
@given(listed=events)
def test_an_attendees_copy_never_acts_on_a_meeting(listed: dict[str, Any]) -> None:
    attendee_copy = {**listed, "organizer": {"email": OTHER}}

    assert decide_copy(attendee_copy, CAL, has_record=False) is None


@PROPERTIES
@given(listed=events)
def test_an_occurrence_never_acts_on_the_series_record(listed: dict[str, Any]) -> None:
    occurrence = {**listed, "recurringEventId": EVENT}

    assert decide_copy(occurrence, CAL, has_record=False) is None


@PROPERTIES
@given(listed=events, rec=records)
def test_a_reservation_is_always_skipped(listed: dict[str, Any], rec: ConferenceRecord) -> None:
    reservation = replace(rec, state=RecordState.PENDING)

    assert decide_listed_change(listed, reservation) == Skip()


@PROPERTIES
@given(listed=events, rec=records)
def test_a_listed_change_never_deletes_what_was_never_attached(
    listed: dict[str, Any], rec: ConferenceRecord
) -> None:
    decision = decide_listed_change(listed, replace(rec, attached=False))

    assert not isinstance(decision, Lost)


@PROPERTIES
@given(current=st.one_of(st.none(), events), rec=records)
def test_a_confirmed_event_is_lost_only_if_it_was_attached(
    current: dict[str, Any] | None, rec: ConferenceRecord
) -> None:
    decision = decide_confirmed(current, rec, CAL)

    if isinstance(decision, Lost):
        assert rec.attached
    if isinstance(decision, BringUpToDate):
        assert decision.event is current
        assert current is not None
        assert current["organizer"] in ({"email": CAL}, {"email": CAL.upper()}, {"self": True})


@PROPERTIES
@given(
    rec=records,
    followers=st.lists(
        st.tuples(st.sampled_from(["f1", "f2", "f3"]), st.one_of(st.none(), events)), max_size=4
    ),
)
def test_decide_lost_hands_over_to_the_first_carrier_else_deletes(
    rec: ConferenceRecord, followers: list[tuple[str, dict[str, Any] | None]]
) -> None:
    carriers = [
        (follower_id, body)
        for follower_id, body in followers
        if body is not None
        and body["status"] != "cancelled"
        and rec.conference_id is not None
        and body.get("conferenceData", {}).get("conferenceId") == rec.conference_id
        and body["conferenceData"]["conferenceSolution"]["key"]["type"] == "addOn"
    ]

    decision = decide_lost(rec, CAL, followers)

    if carriers:
        assert decision == HandOver(
            carriers[0][0], carriers[0][1], ConferenceKey(CAL, carriers[0][0], SOLUTION)
        )
    else:
        assert decision == Delete()


specs = st.builds(
    MeetingSpec,
    title=st.sampled_from(["", "a", "b"]),
    description=st.sampled_from(["", "d"]),
    start=st.one_of(st.none(), st.just(NOW)),
    end=st.one_of(st.none(), st.just(NOW + timedelta(hours=1))),
    time_zone=st.sampled_from([None, "UTC", "Europe/Berlin"]),
    recurrence=st.sampled_from([(), ("RRULE:FREQ=DAILY",)]),
    placeholder=st.booleans(),
)
fingerprints = st.sampled_from([None, "fp-a", "fp-b"])


@PROPERTIES
@given(
    rec=records,
    stored_spec=st.one_of(st.just({}), specs.map(MeetingSpec.as_record)),
    spec=specs,
    stored=fingerprints,
    new=fingerprints.filter(lambda fp: fp is not None),
)
def test_decide_update_calls_the_provider_iff_the_fingerprint_changed(
    rec: ConferenceRecord,
    stored_spec: dict[str, Any],
    spec: MeetingSpec,
    stored: str | None,
    new: str,
) -> None:
    rec = replace(rec, spec=stored_spec, fingerprint=stored)

    update = decide_update(rec, spec, new, retention_days=30, now=NOW)

    assert update.call_provider is (new != stored)
    assert ("fingerprint" in update.changes) is update.call_provider
    if update.call_provider:
        assert update.changes["fingerprint"] == new
        assert update.restore == {"fingerprint": stored}
    assert ("spec" in update.changes) is (spec.as_record() != stored_spec)
    assert ("expireAt" in update.changes) is (spec.as_record() != stored_spec)
    assert ("attached" in update.changes) is (not rec.attached)


# -- layering -------------------------------------------------------------------------------
ALLOWED_IMPORTS = (
    "__future__",
    "shared.conferences",
    "shared.providers.base",
    "shared.state.conferences",
    "shared.errors",
)


def test_the_rules_import_no_client_nor_store() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else []
        )
    ]

    ours = [name for name in imported if name.split(".")[0] == "shared"]
    assert ours, "the rules read the record type and the conference helpers"
    assert [name for name in ours if not name.startswith(ALLOWED_IMPORTS)] == []
    others = [name for name in imported if name.split(".")[0] != "shared"]
    assert [name for name in others if name.split(".")[0] not in sys.stdlib_module_names] == []


# -- decide_search / decide_found (moves seen from the source calendar) ---------------------


@pytest.mark.parametrize(
    ("current", "attached", "search"),
    [
        pytest.param(None, True, True, id="gone-404"),
        pytest.param(CANCELLED_STUB, True, True, id="cancelled-as-a-move-leaves-it"),
        pytest.param(None, False, False, id="never-attached"),
        pytest.param(event(), True, False, id="live"),
        pytest.param(event(carrying=False), True, False, id="live-without-our-conference"),
    ],
)
def test_decide_search(current: dict[str, Any] | None, attached: bool, search: bool) -> None:
    assert decide_search(current, record(attached=attached)) is search


def test_decide_found_follows_the_event_to_the_calendar_it_was_found_on() -> None:
    found = event(organizer={"email": OTHER})

    follow = decide_found(record(), OTHER, found)

    assert isinstance(follow, Follow)
    assert follow.new_key == ConferenceKey(OTHER, EVENT, SOLUTION)
    assert follow.destination == OTHER
    assert follow.changes == {"followers": []}


@pytest.mark.parametrize(
    ("calendar_id", "found"),
    [
        pytest.param(OTHER, None, id="not-there"),
        pytest.param(OTHER, event(carrying=False), id="without-our-conference"),
        pytest.param(OTHER, event(conference_data=conference("conf-2")), id="another-conference"),
        pytest.param(OTHER, CANCELLED_STUB, id="cancelled-there-too"),
        pytest.param(CAL, event(), id="the-source-itself"),
    ],
)
def test_decide_found_follows_nothing_else(calendar_id: str, found: dict[str, Any] | None) -> None:
    assert decide_found(record(), calendar_id, found) is None


def test_a_listed_live_copy_under_another_organizer_is_a_move() -> None:
    attendee_copy = event(organizer={"email": OTHER})

    decision = decide_listed_change(attendee_copy, record())

    assert decision == FollowMove(attendee_copy)
    assert decide_move(attendee_copy, record()) == Follow(ConferenceKey(OTHER, EVENT, SOLUTION))


# -- decide_refusal (docs/sync-model.md#decide_refusal) -------------------------------------
ACCOUNT = ProviderAccountFailure("credentials refused", setting="ZOOM_CLIENT_SECRET")
BUSY = MeetingBusy("in progress", retry_after=900.0)
LIMIT = HostLimitReached("daily limit", retry_after=10 * 3600.0)
SERVER = MeetingCallFailed("HTTP 500")
REFUSED = MeetingRefused("invalid fields")
OUTAGE = TransientFailure("Zoom could not be reached")


def later(state: RecordState, delay: timedelta, attempts: int, error: BundleError) -> RetryLater:
    return RetryLater(state, NOW + delay, attempts, f"{type(error).__name__}: {error}")


UPDATE_WAITS = RecordState.RETRY_PENDING
DELETE_WAITS = RecordState.DELETE_PENDING


@pytest.mark.parametrize(
    ("error", "deleting", "rec", "failed_before", "expected"),
    [
        # Not this meeting's failure: the pass stops with its token kept.
        pytest.param(
            ACCOUNT,
            False,
            record(),
            False,
            StopPass("ProviderAccountFailure: credentials refused", "ZOOM_CLIENT_SECRET"),
            id="account-update-stops",
        ),
        pytest.param(
            ACCOUNT,
            True,
            record(),
            False,
            StopPass("ProviderAccountFailure: credentials refused", "ZOOM_CLIENT_SECRET"),
            id="account-delete-stops",
        ),
        pytest.param(
            OUTAGE,
            False,
            record(),
            False,
            StopPass("TransientFailure: Zoom could not be reached"),
            id="unreachable-stops",
        ),
        pytest.param(
            SERVER,
            False,
            record(),
            True,
            StopPass("MeetingCallFailed: HTTP 500"),
            id="5xx-second-meeting-in-a-row-stops",
        ),
        # Tied to this meeting: the change waits on its record.
        pytest.param(
            SERVER,
            False,
            record(),
            False,
            later(UPDATE_WAITS, timedelta(minutes=5), 1, SERVER),
            id="5xx-first-meeting-waits",
        ),
        pytest.param(
            BUSY,
            False,
            record(),
            False,
            later(UPDATE_WAITS, timedelta(minutes=15), 1, BUSY),
            id="busy-update-waits-for-the-hint",
        ),
        pytest.param(
            BUSY,
            True,
            record(),
            False,
            later(DELETE_WAITS, timedelta(minutes=15), 1, BUSY),
            id="busy-delete-waits",
        ),
        pytest.param(
            LIMIT,
            False,
            record(),
            False,
            later(UPDATE_WAITS, timedelta(hours=10), 1, LIMIT),
            id="host-limit-waits-until-reset",
        ),
        pytest.param(
            REFUSED,
            False,
            record(),
            False,
            later(UPDATE_WAITS, timedelta(minutes=5), 1, REFUSED),
            id="4xx-about-the-meeting-waits",
        ),
        pytest.param(
            REFUSED,
            False,
            replace(RETRYING, retry_count=3),
            False,
            later(UPDATE_WAITS, timedelta(minutes=40), 4, REFUSED),
            id="backoff-doubles",
        ),
        pytest.param(
            BUSY,
            True,
            replace(RETRYING, retry_count=5),
            False,
            later(DELETE_WAITS, timedelta(minutes=15), 1, BUSY),
            id="a-delete-counts-its-own-attempts",
        ),
        pytest.param(
            BUSY,
            True,
            replace(DELETING, retry_count=40),
            False,
            later(DELETE_WAITS, timedelta(hours=6), 41, BUSY),
            id="a-delete-is-never-dropped",
        ),
        pytest.param(
            PermanentFailure("refused"),
            True,
            record(),
            False,
            later(DELETE_WAITS, timedelta(minutes=5), 1, PermanentFailure("refused")),
            id="any-delete-refusal-waits",
        ),
        # Refused for good: kept as lastError; the next change of the event tries again.
        pytest.param(
            REFUSED,
            False,
            replace(RETRYING, retry_count=MAX_UPDATE_ATTEMPTS),
            False,
            Refused(
                f"given up after {MAX_UPDATE_ATTEMPTS} attempts: MeetingRefused: invalid fields",
                {
                    **BACK_TO_READY,
                    "lastError": f"given up after {MAX_UPDATE_ATTEMPTS} attempts: "
                    "MeetingRefused: invalid fields",
                },
                given_up=True,
            ),
            id="update-given-up",
        ),
        pytest.param(
            AccessDenied("host unknown"),
            False,
            record(),
            False,
            Refused("AccessDenied: host unknown", {"lastError": "AccessDenied: host unknown"}),
            id="host-unknown-for-good",
        ),
        pytest.param(
            NotFound("meeting gone"),
            False,
            RETRYING,
            False,
            Refused(
                "NotFound: meeting gone", {**BACK_TO_READY, "lastError": "NotFound: meeting gone"}
            ),
            id="meeting-gone-for-good-ready-again",
        ),
        pytest.param(
            InvalidConferenceData("entryPoints", "none"),
            False,
            record(),
            False,
            Refused(
                "InvalidConferenceData: entryPoints: none",
                {"lastError": "InvalidConferenceData: entryPoints: none"},
            ),
            id="invalid-conference-data-for-good",
        ),
    ],
)
def test_decide_refusal(
    error: BundleError,
    deleting: bool,
    rec: ConferenceRecord,
    failed_before: bool,
    expected: object,
) -> None:
    decision = decide_refusal(rec, error, deleting=deleting, now=NOW, failed_before=failed_before)

    assert decision == expected


def test_a_change_that_waits_records_its_state_due_time_and_attempts() -> None:
    decision = decide_refusal(record(), BUSY, deleting=True, now=NOW)

    assert isinstance(decision, RetryLater)
    assert decision.changes == {
        "state": "delete_pending",
        "retryAt": NOW + timedelta(minutes=15),
        "retryCount": 1,
        "lastError": "MeetingBusy: in progress",
    }


@pytest.mark.parametrize(
    ("attempts", "hint", "expected"),
    [
        pytest.param(1, None, timedelta(minutes=5), id="first"),
        pytest.param(0, None, timedelta(minutes=5), id="zero-as-first"),
        pytest.param(2, None, timedelta(minutes=10), id="doubles"),
        pytest.param(7, None, timedelta(minutes=320), id="seventh"),
        pytest.param(8, None, timedelta(hours=6), id="at-most-six-hours"),
        pytest.param(1000, None, timedelta(hours=6), id="no-overflow"),
        pytest.param(1, 900.0, timedelta(minutes=15), id="hint-longer"),
        pytest.param(4, 900.0, timedelta(minutes=40), id="backoff-longer"),
        pytest.param(1, 36000.0, timedelta(hours=10), id="hint-past-the-cap"),
        pytest.param(1, -5.0, timedelta(minutes=5), id="negative-hint-ignored"),
    ],
)
def test_retry_delay(attempts: int, hint: float | None, expected: timedelta) -> None:
    assert retry_delay(attempts, hint) == expected


errors = st.sampled_from(
    [
        ACCOUNT,
        BUSY,
        LIMIT,
        SERVER,
        REFUSED,
        OUTAGE,
        AccessDenied("x"),
        NotFound("x"),
        PermanentFailure("x"),
    ]
)


@PROPERTIES
@given(
    rec=records,
    error=errors,
    failed_before=st.booleans(),
    retry_count=st.integers(min_value=0, max_value=50),
)
def test_a_refused_delete_is_never_dropped(
    rec: ConferenceRecord, error: BundleError, failed_before: bool, retry_count: int
) -> None:
    rec = replace(rec, retry_count=retry_count)

    decision = decide_refusal(rec, error, deleting=True, now=NOW, failed_before=failed_before)

    if isinstance(decision, StopPass):
        assert isinstance(error, ProviderAccountFailure | TransientFailure)
    else:
        assert isinstance(decision, RetryLater)
        assert decision.state is RecordState.DELETE_PENDING
        assert decision.retry_at > NOW


@PROPERTIES
@given(rec=records, error=errors, failed_before=st.booleans())
def test_a_refusal_either_stops_the_pass_or_stays_on_its_record(
    rec: ConferenceRecord, error: BundleError, failed_before: bool
) -> None:
    decision = decide_refusal(rec, error, deleting=False, now=NOW, failed_before=failed_before)

    assert isinstance(decision, StopPass | RetryLater | Refused)
    if isinstance(decision, StopPass):
        assert (decision.setting is not None) is isinstance(error, ProviderAccountFailure)
    else:
        assert decision.changes["lastError"]
