"""The creation decisions: pure functions over what ``ConferenceCreator`` read.

``shared/creation/creator.py`` reads Calendar and Firestore, calls the provider and
writes; these functions decide, from what it read, what happens next: which
ConferenceErrorType a failure becomes, what an existing record or reservation means
(answer again, wait, take over), which spec the meeting is made from. See
docs/create-contract.md#creation-decisions and docs/create-contract.md#conference-errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.conferences.conference_data import ConferenceErrorType
from shared.conferences.meeting_spec import MeetingSpec, placeholder_spec, spec_from_event
from shared.conferences.solutions import Solution
from shared.errors import (
    AccessDenied,
    BundleError,
    InvalidConferenceData,
    NotFound,
    TransientFailure,
)
from shared.google.access import may_create, may_see_private
from shared.state.conferences import ConferenceRecord, RecordState, Reservation


@dataclass(frozen=True)
class Refusal:
    """The creation ends with ``error`` (what the add-on receives); ``reason`` is logged."""

    error: ConferenceErrorType
    reason: str


@dataclass(frozen=True)
class AnswerAgain:
    """A ready record exists: its ConferenceData is the answer (a retry, a double click)."""

    conference_data: dict[str, Any] | None


@dataclass(frozen=True)
class KeepWaiting:
    """Another call holds the reservation and may still finish: poll again."""


@dataclass(frozen=True)
class TakeOver:
    """The other call's reservation expired: take it over (reusing its request key)."""


UNKNOWN_SOLUTION = Refusal(ConferenceErrorType.CONFERENCE_SOLUTION_FORBIDDEN, "unknown solution")
CONCURRENT_CREATION_FAILED = Refusal(ConferenceErrorType.TEMPORARY, "a concurrent creation failed")
CONCURRENT_CREATION_SLOW = Refusal(ConferenceErrorType.TEMPORARY, "a concurrent creation is slow")
ANOTHER_CREATION_RUNNING = Refusal(ConferenceErrorType.TEMPORARY, "another creation is running")
INVALID_CONFERENCE_DATA = Refusal(ConferenceErrorType.PERMANENT, "invalid ConferenceData")
TAKEN_OVER_WHILE_WORKING = Refusal(ConferenceErrorType.TEMPORARY, "the reservation was taken over")
MEETING_BEING_DELETED = Refusal(
    ConferenceErrorType.TEMPORARY, "the event's previous meeting is still being deleted"
)
NOT_A_WRITER = Refusal(ConferenceErrorType.PERMISSION_DENIED, "the user cannot edit the calendar")
PRIVATE_EVENT = Refusal(
    ConferenceErrorType.PERMISSION_DENIED, "the user cannot see this private event's details"
)


def error_type_for(err: BundleError) -> ConferenceErrorType:
    """The ConferenceErrorType of a failure. See docs/create-contract.md#conference-errors."""
    if isinstance(err, TransientFailure):
        return ConferenceErrorType.TEMPORARY
    if isinstance(err, AccessDenied | NotFound):
        return ConferenceErrorType.PERMISSION_DENIED
    return ConferenceErrorType.PERMANENT


def refusal_for(err: BundleError) -> Refusal:
    """How a failure ends the creation. See docs/create-contract.md#conference-errors."""
    if isinstance(err, InvalidConferenceData):
        return INVALID_CONFERENCE_DATA
    return Refusal(error_type_for(err), str(err))


def decide_solution(solution: Solution | None) -> Solution | Refusal:
    """The solution id must be one of this deployment's solutions.

    See docs/create-contract.md#creation-decisions.
    """
    return UNKNOWN_SOLUTION if solution is None else solution


def decide_access(entry: dict[str, Any] | None) -> Refusal | None:
    """The calendar as it stands on the caller's list (None: not on it, a stranger).

    Only roles that can edit events may create, or be handed an existing conference's
    join details. See docs/create-contract.md#creation-decisions.
    """
    if entry is None or not may_create(entry.get("accessRole")):
        return NOT_A_WRITER
    return None


def decide_private(role: str | None, event: dict[str, Any] | None) -> Refusal | None:
    """A private event's details (and so its join details) are not for a writer who may
    not see private events. ``role`` None: unknown (the calendar list could not be read)."""
    if role is None or event is None or event.get("visibility") != "private":
        return None
    return None if may_see_private(role) else PRIVATE_EVENT


def decide_existing(existing: ConferenceRecord | None) -> AnswerAgain | None:
    """A record whose meeting follows its event (ready, or an update waiting to be tried
    again) is answered again; anything else (none, a reservation, a meeting whose delete
    waits) goes on. See docs/create-contract.md#creation-decisions.
    """
    if existing is not None and existing.state.follows_event:
        return AnswerAgain(existing.conference_data)
    return None


def spec_for(event: dict[str, Any] | None, calendar_time_zone: str | None) -> MeetingSpec:
    """What the meeting is made from: the event, or placeholder data in the calendar's zone.

    ``event`` is None when ``events.get`` answered 404 (the user is still editing a new
    event); a cancelled event gets placeholder data too. Sync fills the details in once
    the event is saved. See docs/create-contract.md#creation-decisions.
    """
    if event is None or event.get("status") == "cancelled":
        return placeholder_spec(calendar_time_zone)
    return spec_from_event(event, calendar_time_zone)


def decide_while_waiting(
    current: ConferenceRecord | None, *, now: datetime, out_of_time: bool
) -> AnswerAgain | Refusal | TakeOver | KeepWaiting:
    """Another call holds the reservation: one poll of the document.

    ``current`` is the document as read now, ``out_of_time`` whether
    ``CREATE_WAIT_SECONDS`` have passed. See docs/create-contract.md#exactly-once.
    """
    if current is None:
        return CONCURRENT_CREATION_FAILED
    if current.state.follows_event:
        return AnswerAgain(current.conference_data)
    if current.state is RecordState.DELETE_PENDING:
        return MEETING_BEING_DELETED  # tried again by the sweep; then a new one can be made
    if current.lease_expires_at is not None and current.lease_expires_at <= now:
        return TakeOver()
    if out_of_time:
        return CONCURRENT_CREATION_SLOW
    return KeepWaiting()


def decide_take_over(taken: Reservation | None) -> ConferenceRecord | Refusal:
    """The take-over's result: our reservation, or another call was quicker.

    See docs/create-contract.md#creation-decisions.
    """
    return ANOTHER_CREATION_RUNNING if taken is None else taken.record
