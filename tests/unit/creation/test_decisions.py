"""The creation decisions, one case per row of docs/create-contract.md#creation-decisions
and #conference-errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.conferences.conference_data import ConferenceErrorType
from shared.conferences.solutions import Solution
from shared.creation.decisions import (
    ANOTHER_CREATION_RUNNING,
    CONCURRENT_CREATION_FAILED,
    CONCURRENT_CREATION_SLOW,
    MEETING_BEING_DELETED,
    NOT_A_WRITER,
    PRIVATE_EVENT,
    TAKEN_OVER_WHILE_WORKING,
    UNKNOWN_SOLUTION,
    AnswerAgain,
    KeepWaiting,
    Refusal,
    TakeOver,
    decide_access,
    decide_existing,
    decide_private,
    decide_solution,
    decide_take_over,
    decide_while_waiting,
    error_type_for,
    refusal_for,
    spec_for,
)
from shared.errors import (
    AccessDenied,
    BundleError,
    DocumentGone,
    InvalidConferenceData,
    NotFound,
    PermanentFailure,
    PreconditionFailed,
    TransientFailure,
)
from shared.state.conferences import ConferenceKey, ConferenceRecord, RecordState, Reservation

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
DATA = {"conferenceId": "conf-1"}
RESERVATION = ConferenceRecord(
    key=ConferenceKey("team@example.com", "ev1", "1"),
    state=RecordState.PENDING,
    request_key="rk",
    owner_email="winner@example.com",
    lease_owner="lease-1",
    lease_expires_at=NOW + timedelta(seconds=30),
)
READY = replace(
    RESERVATION,
    state=RecordState.READY,
    lease_owner=None,
    lease_expires_at=None,
    conference_data=DATA,
)
T = ConferenceErrorType


# -- conference errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("err", "expected"),
    [
        pytest.param(TransientFailure("provider 503"), T.TEMPORARY, id="transient-temporary"),
        pytest.param(
            TransientFailure("429", retry_after=3), T.TEMPORARY, id="rate-limited-temporary"
        ),
        pytest.param(AccessDenied("403"), T.PERMISSION_DENIED, id="access-denied"),
        pytest.param(NotFound("404"), T.PERMISSION_DENIED, id="not-found-permission-denied"),
        pytest.param(PermanentFailure("bad credentials"), T.PERMANENT, id="refusal-permanent"),
        pytest.param(PreconditionFailed("412"), T.PERMANENT, id="precondition-permanent"),
        pytest.param(DocumentGone("gone"), T.PERMANENT, id="document-gone-permanent"),
        pytest.param(InvalidConferenceData("uri", "bad"), T.PERMANENT, id="invalid-data"),
        pytest.param(BundleError("other"), T.PERMANENT, id="any-other-permanent"),
    ],
)
def test_error_type_for(err: BundleError, expected: ConferenceErrorType) -> None:
    assert error_type_for(err) is expected


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        pytest.param(
            TransientFailure("firestore unavailable"),
            Refusal(T.TEMPORARY, "firestore unavailable"),
            id="reason-is-the-failure",
        ),
        pytest.param(
            AccessDenied("calendars.get: 403"),
            Refusal(T.PERMISSION_DENIED, "calendars.get: 403"),
            id="calendar-unreachable",
        ),
        pytest.param(
            InvalidConferenceData("entryPoints", "no video entry point"),
            Refusal(T.PERMANENT, "invalid ConferenceData"),
            id="invalid-conference-data-without-its-details",
        ),
    ],
)
def test_refusal_for(err: BundleError, expected: Refusal) -> None:
    assert refusal_for(err) == expected


# -- creation decisions ---------------------------------------------------------------------
def test_an_unknown_solution_is_forbidden() -> None:
    assert decide_solution(None) == Refusal(T.CONFERENCE_SOLUTION_FORBIDDEN, "unknown solution")
    assert decide_solution(None) is UNKNOWN_SOLUTION


def test_a_known_solution_goes_on() -> None:
    solution = Solution(id="1", name="Meeting")

    assert decide_solution(solution) is solution


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        pytest.param(None, None, id="nothing-yet-goes-on"),
        pytest.param(RESERVATION, None, id="reservation-goes-on"),
        pytest.param(READY, AnswerAgain(DATA), id="ready-answered-again"),
        pytest.param(
            replace(READY, state=RecordState.RETRY_PENDING),
            AnswerAgain(DATA),
            id="update-waiting-answered-again",
        ),
        pytest.param(
            replace(READY, state=RecordState.DELETE_PENDING), None, id="delete-waiting-goes-on"
        ),
    ],
)
def test_decide_existing(existing: ConferenceRecord | None, expected: AnswerAgain | None) -> None:
    assert decide_existing(existing) == expected


EVENT = {
    "status": "confirmed",
    "summary": "Planning",
    "start": {"dateTime": "2030-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2030-03-04T11:00:00+01:00", "timeZone": "Europe/Berlin"},
}


@pytest.mark.parametrize(
    ("event", "placeholder", "title", "zone"),
    [
        pytest.param(None, True, "", "America/New_York", id="404-placeholder-in-calendar-zone"),
        pytest.param(
            {**EVENT, "status": "cancelled"},
            True,
            "",
            "America/New_York",
            id="cancelled-placeholder",
        ),
        pytest.param(EVENT, False, "Planning", "Europe/Berlin", id="existing-event"),
    ],
)
def test_spec_for(event: dict[str, Any] | None, placeholder: bool, title: str, zone: str) -> None:
    spec = spec_for(event, "America/New_York")

    assert (spec.placeholder, spec.title, spec.time_zone) == (placeholder, title, zone)
    assert (spec.start is None) is placeholder


@pytest.mark.parametrize(
    ("current", "now", "out_of_time", "expected"),
    [
        pytest.param(
            None,
            NOW,
            False,
            Refusal(T.TEMPORARY, "a concurrent creation failed"),
            id="removed-temporary",
        ),
        pytest.param(READY, NOW, False, AnswerAgain(DATA), id="winner-done"),
        pytest.param(READY, NOW, True, AnswerAgain(DATA), id="winner-done-at-deadline"),
        pytest.param(
            replace(READY, state=RecordState.RETRY_PENDING),
            NOW,
            False,
            AnswerAgain(DATA),
            id="update-waiting-answered-again",
        ),
        pytest.param(
            replace(READY, state=RecordState.DELETE_PENDING),
            NOW,
            False,
            Refusal(T.TEMPORARY, "the event's previous meeting is still being deleted"),
            id="delete-waiting-temporary",
        ),
        pytest.param(RESERVATION, NOW, False, KeepWaiting(), id="winner-working"),
        pytest.param(
            RESERVATION,
            NOW,
            True,
            Refusal(T.TEMPORARY, "a concurrent creation is slow"),
            id="winner-slow",
        ),
        pytest.param(
            RESERVATION, NOW + timedelta(seconds=30), False, TakeOver(), id="lease-expired-now"
        ),
        pytest.param(
            RESERVATION,
            NOW + timedelta(minutes=5),
            True,
            TakeOver(),
            id="expired-beats-deadline",
        ),
        pytest.param(
            replace(RESERVATION, lease_expires_at=None),
            NOW + timedelta(days=1),
            False,
            KeepWaiting(),
            id="no-lease-expiry-waits",
        ),
    ],
)
def test_decide_while_waiting(
    current: ConferenceRecord | None, now: datetime, out_of_time: bool, expected: object
) -> None:
    assert decide_while_waiting(current, now=now, out_of_time=out_of_time) == expected


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param(CONCURRENT_CREATION_FAILED, id="concurrent-creation-failed"),
        pytest.param(CONCURRENT_CREATION_SLOW, id="concurrent-creation-slow"),
        pytest.param(ANOTHER_CREATION_RUNNING, id="another-creation-running"),
        pytest.param(TAKEN_OVER_WHILE_WORKING, id="taken-over-while-working"),
        pytest.param(MEETING_BEING_DELETED, id="meeting-being-deleted"),
    ],
)
def test_losing_a_race_with_another_call_is_temporary(refusal: Refusal) -> None:
    assert refusal.error is T.TEMPORARY


def test_a_take_over_gives_our_reservation() -> None:
    taken = replace(RESERVATION, lease_owner="lease-2", owner_email="me@example.com")

    assert decide_take_over(Reservation(taken, won=True)) == taken


def test_a_take_over_another_call_won_is_temporary() -> None:
    assert decide_take_over(None) == Refusal(T.TEMPORARY, "another creation is running")
    assert decide_take_over(None) is ANOTHER_CREATION_RUNNING


@settings(deadline=None, derandomize=True, max_examples=100)
@given(
    state=st.sampled_from(list(RecordState)),
    expires_in=st.one_of(st.none(), st.integers(min_value=-120, max_value=120)),
    out_of_time=st.booleans(),
)
def test_waiting_never_takes_over_a_live_lease_nor_waits_past_the_deadline(
    state: RecordState, expires_in: int | None, out_of_time: bool
) -> None:
    expires = None if expires_in is None else NOW + timedelta(seconds=expires_in)
    current = replace(RESERVATION, state=state, lease_expires_at=expires)

    decision = decide_while_waiting(current, now=NOW, out_of_time=out_of_time)

    if state.follows_event:
        assert decision == AnswerAgain(current.conference_data)
    elif state is RecordState.DELETE_PENDING:
        assert decision is MEETING_BEING_DELETED
    elif isinstance(decision, TakeOver):
        assert expires is not None
        assert expires <= NOW
    else:
        assert decision == (CONCURRENT_CREATION_SLOW if out_of_time else KeepWaiting())


# -- access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "allowed"),
    [
        pytest.param({"accessRole": "owner"}, True, id="owner"),
        pytest.param({"accessRole": "writer"}, True, id="writer"),
        pytest.param({"accessRole": "writerWithoutPrivateAccess"}, True, id="writer-no-private"),
        pytest.param({"accessRole": "reader"}, False, id="reader"),
        pytest.param({"accessRole": "freeBusyReader"}, False, id="free-busy"),
        pytest.param({"accessRole": "superuser"}, False, id="unknown-role"),
        pytest.param({}, False, id="no-role"),
        pytest.param(None, False, id="stranger"),
    ],
)
def test_only_roles_that_edit_events_may_create(
    entry: dict[str, Any] | None, allowed: bool
) -> None:
    assert (decide_access(entry) is None) is allowed
    if not allowed:
        assert decide_access(entry) == NOT_A_WRITER
        assert NOT_A_WRITER.error is T.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("role", "visibility", "refused"),
    [
        ("writerWithoutPrivateAccess", "private", True),
        ("writerWithoutPrivateAccess", "default", False),
        ("writerWithoutPrivateAccess", None, False),
        ("writer", "private", False),
        ("owner", "private", False),
        (None, "private", False),  # role unknown (no calendar-list scope): as before
    ],
)
def test_private_events_are_not_for_writers_without_private_access(
    role: str | None, visibility: str | None, refused: bool
) -> None:
    event = {"id": "e1"} if visibility is None else {"id": "e1", "visibility": visibility}

    assert (decide_private(role, event) == PRIVATE_EVENT) is refused
    assert decide_private(role, None) is None  # no event yet: nothing private to see
