"""The sync rules: pure decisions over plain data, one function per rule.

Each function reads what the shell (``shared/sync/changes.py``) gathered (the event as
Calendar sent it, the record, what ``events.get`` answered) and returns a small frozen
value saying what to do; the shell carries it out. Nothing here calls Calendar, Firestore
or a provider. The rules: docs/sync-model.md#sync-rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.conferences.carried import carried_conference, carries, is_organizer_copy
from shared.conferences.meeting_spec import MeetingSpec, record_expiry
from shared.errors import (
    BundleError,
    MeetingCallFailed,
    MeetingRefusal,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.state.conferences import ConferenceKey, ConferenceRecord, RecordState

EVENT_GONE = "event gone"
CONFERENCE_REPLACED = "conference removed or replaced"

# docs/sync-model.md#decide_refusal: the backoff of a change refused for now.
RETRY_FIRST = timedelta(minutes=5)
RETRY_LONGEST = timedelta(hours=6)
#: Attempts of an update before it is given up (a delete is never given up).
MAX_UPDATE_ATTEMPTS = 8
#: What a record that waited stores once its change is applied (or nothing is left to do).
BACK_TO_READY: dict[str, Any] = {
    "state": RecordState.READY.value,
    "retryAt": None,
    "retryCount": 0,
    "lastError": None,
}


# -- decisions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Skip:
    """A record still being created (a reservation): the creation finishes on its own."""


@dataclass(frozen=True)
class Defer:
    """The record waits for its ``retryAt``: its due retry reads the event again."""


@dataclass(frozen=True)
class ConfirmGone:
    """Read the event with ``events.get``; :func:`decide_confirmed` decides."""


@dataclass(frozen=True)
class Wait:
    """Nothing happens: the event was never seen carrying the conference (the sweep decides)."""


@dataclass(frozen=True)
class Lost:
    """The recorded event no longer carries the meeting: :func:`decide_lost` decides."""

    reason: str  # logged with the meeting's deletion


@dataclass(frozen=True)
class BringUpToDate:
    """The event carries the conference: :func:`decide_update` decides."""

    event: dict[str, Any]  # the event the record is brought up to date from


@dataclass(frozen=True)
class FollowMove:
    """Live under another organizer: :func:`decide_move` decides."""

    event: dict[str, Any]  # the event as ``events.get`` answered


@dataclass(frozen=True)
class Follow:
    """The record moves to ``new_key`` (followers cleared); the meeting is kept."""

    new_key: ConferenceKey
    changes: dict[str, Any] = field(default_factory=lambda: {"followers": []})

    @property
    def destination(self) -> str:
        """The calendar the event moved to (its new organizer's email)."""
        return self.new_key.calendar_id


@dataclass(frozen=True)
class HandOver:
    """The record moves to the follower that still carries the conference."""

    follower_id: str
    event: dict[str, Any]  # the follower, as ``events.get`` answered
    new_key: ConferenceKey
    changes: dict[str, Any] = field(default_factory=lambda: {"attached": True})


@dataclass(frozen=True)
class Delete:
    """No event carries the meeting any more: delete it and remove the record."""


@dataclass(frozen=True)
class Update:
    """What :func:`decide_update` decided.

    ``changes`` are stored: on their own when the provider is not called, else after the
    provider's update and before the write-back. ``restore`` is put back when the
    write-back fails for now, so that the retry of the change updates again.
    """

    call_provider: bool
    changes: dict[str, Any]
    restore: dict[str, Any] = field(default_factory=dict)
    known_conference_data: dict[str, Any] | None = None

    write_back: bool = True  # False: off by setting, or refused for this event before
    deferred: bool = False  # the record waits for its retryAt: the provider is called then
    # What the record learns of the event (attached, spec, expiry): stored even when the
    # provider refuses the update, so that a record that waits still follows its event.
    follow: dict[str, Any] = field(default_factory=dict)

    def needs_write_back(self, conference_data: dict[str, Any]) -> bool:
        """True when the provider answered with join details the record does not hold
        and writing them onto the event is allowed."""
        return self.write_back and conference_data != self.known_conference_data

    @staticmethod
    def after_write_back(conference_data: dict[str, Any]) -> dict[str, Any]:
        """What the record stores after the write-back (done, or not needed any more)."""
        return {
            "conferenceData": conference_data,
            "conferenceId": conference_data.get("conferenceId"),
        }


@dataclass(frozen=True)
class BecomeFollower:
    """The copy ``event_id`` becomes a follower of the records carrying ``conference_id``."""

    event_id: str
    conference_id: str

    def records_to_join(self, records: Iterable[ConferenceRecord]) -> list[ConferenceRecord]:
        """Those of ``records`` (found by conference id) that do not know the copy yet."""
        return [
            record
            for record in records
            if record.key.event_id != self.event_id and self.event_id not in record.followers
        ]


@dataclass(frozen=True)
class RetryLater:
    """The refused change waits on its record: ``state`` (retry_pending for an update,
    delete_pending for a delete) until ``retry_at``, the ``attempts``-th refusal."""

    state: RecordState
    retry_at: datetime
    attempts: int
    error: str

    @property
    def changes(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "retryAt": self.retry_at,
            "retryCount": self.attempts,
            "lastError": self.error,
        }


@dataclass(frozen=True)
class Refused:
    """Refused for good: kept as ``lastError`` on a ready record (a record that waited
    is ready again); the next change of the event tries again (the stored fingerprint
    is the old one)."""

    error: str
    changes: dict[str, Any]
    given_up: bool = False  # after MAX_UPDATE_ATTEMPTS refusals for now


@dataclass(frozen=True)
class StopPass:
    """Not this meeting's failure: the pass stops with its token kept (503).

    ``setting`` (the provider's account or app refused: ProviderAccountFailure) names
    what an operator checks.
    """

    reason: str
    setting: str | None = None


ListedDecision = Skip | Defer | ConfirmGone | Wait | Lost | FollowMove | BringUpToDate
ConfirmedDecision = Defer | FollowMove | BringUpToDate | Wait | Lost
RefusalDecision = RetryLater | Refused | StopPass
MoveDecision = Follow | Lost
LostDecision = HandOver | Delete


# -- rules ---------------------------------------------------------------------------------
def decide_listed_change(event: dict[str, Any], record: ConferenceRecord) -> ListedDecision:
    """A listed event with a record of the same calendar and event.

    See docs/sync-model.md#decide_listed_change.
    """
    if record.state is RecordState.PENDING:
        return Skip()
    if record.state is RecordState.DELETE_PENDING:
        return _restored(event, record)
    if event.get("status") == "cancelled":
        return ConfirmGone()
    if not is_organizer_copy(event, record.key.calendar_id):
        # Moved to another calendar while this calendar's owner is an attendee: the
        # source keeps a live attendee copy, organized by the destination.
        return FollowMove(event)
    if not carries(event, record.conference_id):
        if not record.attached:
            return Wait()
        return Lost(CONFERENCE_REPLACED)
    return BringUpToDate(event)


def decide_confirmed(
    current: dict[str, Any] | None, record: ConferenceRecord, calendar_id: str
) -> ConfirmedDecision:
    """After ``events.get`` on the record's calendar; ``current`` is None for a 404/410.

    See docs/sync-model.md#decide_confirmed.
    """
    if record.state is RecordState.DELETE_PENDING:
        return _restored(current, record)
    if current is not None and current.get("status") != "cancelled":
        if not is_organizer_copy(current, calendar_id):
            return FollowMove(current)
        if carries(current, record.conference_id):
            return BringUpToDate(current)
    if not record.attached:
        return Wait()
    return Lost(EVENT_GONE)


def _restored(event: dict[str, Any] | None, record: ConferenceRecord) -> BringUpToDate | Defer:
    """A record whose delete waits: only its event carrying the conference again (the
    event restored, the conference put back) keeps the meeting; anything else waits for
    the due retry, which deletes it."""
    if (
        event is not None
        and event.get("status") != "cancelled"
        and is_organizer_copy(event, record.key.calendar_id)
        and carries(event, record.conference_id)
    ):
        return BringUpToDate(event)
    return Defer()


def decide_move(event: dict[str, Any], record: ConferenceRecord) -> MoveDecision:
    """The event is live under another organizer (moved to another calendar).

    See docs/sync-model.md#decide_move.
    """
    destination = str((event.get("organizer") or {}).get("email") or "")
    if not destination or not carries(event, record.conference_id):
        return Lost(EVENT_GONE)
    return Follow(ConferenceKey(destination, record.key.event_id, record.key.solution_id))


def decide_search(current: dict[str, Any] | None, record: ConferenceRecord) -> bool:
    """Look for the event on its owner's other calendars before the meeting goes?

    From its source calendar alone a moved event looks deleted (Calendar leaves a
    cancelled event behind, and ``events.get`` answers it as cancelled), so an attached
    record whose event is cancelled or gone is looked for first.
    See docs/sync-model.md#decide_search.
    """
    gone = current is None or current.get("status") == "cancelled"
    return gone and record.attached


def decide_found(
    record: ConferenceRecord, calendar_id: str, event: dict[str, Any] | None
) -> Follow | None:
    """The event with the record's id as ``events.get`` answered on ``calendar_id`` (one
    of the owner's writable calendars): follow it there if it is live and still carries
    the conference. See docs/sync-model.md#decide_search.
    """
    if event is None or calendar_id == record.key.calendar_id:
        return None
    if not carries(event, record.conference_id):
        return None
    return Follow(ConferenceKey(calendar_id, record.key.event_id, record.key.solution_id))


def decide_lost(
    record: ConferenceRecord,
    calendar_id: str,
    followers: Iterable[tuple[str, dict[str, Any] | None]],
) -> LostDecision:
    """Hand the meeting to the first follower still carrying it, or delete it.

    ``record`` is the record as read again just before; ``followers`` yields each of its
    followers with the event ``events.get`` answered (None for a 404). It is consumed
    only up to the first follower that carries the conference, so a lazy iterable reads
    no further events than needed. See docs/sync-model.md#decide_lost.
    """
    for follower_id, event in followers:
        if event is not None and carries(event, record.conference_id):
            new_key = ConferenceKey(calendar_id, follower_id, record.key.solution_id)
            return HandOver(follower_id, event, new_key)
    return Delete()


def decide_update(
    record: ConferenceRecord,
    spec: MeetingSpec,
    fingerprint: str,
    *,
    retention_days: float,
    now: datetime,
    write_back: bool = True,
    covering: MeetingSpec | None = None,
) -> Update:
    """The event carries the conference: what to store, whether to call the provider.

    ``spec`` is what the event says now and ``fingerprint`` the provider's fingerprint of
    what the meeting is built from (``fingerprint_of(provider.relevant(spec))``, or of
    ``covering`` when the record has followers: docs/sync-model.md#the-covering-spec; the
    record's expiry then follows the covering spec). Whether to write back is known once
    the provider answered (:meth:`Update.needs_write_back`); never when ``write_back`` is
    off (``WRITE_BACK``) or Calendar refused a write-back onto this event before.
    See docs/sync-model.md#decide_update.
    """
    changes: dict[str, Any] = {}
    waiting = record.state is RecordState.RETRY_PENDING and not record.due(now)
    if not record.attached:
        changes.update({"attached": True, "abandonCheckAt": None})
    expiry = record_expiry(covering or spec, retention_days, now)
    if spec.as_record() != record.spec or (covering is not None and expiry != record.expire_at):
        # What the record knows of the event, and so its expiry, follows the event even
        # when the provider has nothing to change (a moved Jitsi event).
        changes.update(
            {
                "spec": spec.as_record(),
                "placeholder": spec.placeholder,
                "expireAt": expiry,
            }
        )
    follow = dict(changes)
    if fingerprint == record.fingerprint:
        if record.state is not RecordState.READY:
            changes.update(BACK_TO_READY)  # nothing left for the provider to change
        return Update(call_provider=False, changes=changes)
    if waiting:
        # Not before its retryAt: the due retry reads the event again and updates then.
        return Update(call_provider=False, changes=changes, deferred=True, follow=follow)
    # Stored after the provider's update and before the write-back; the old fingerprint
    # is put back if the write-back fails for now, so that the retry updates again.
    changes.update({"fingerprint": fingerprint, "lastError": None})
    if record.state is not RecordState.READY:
        changes.update(BACK_TO_READY)
    return Update(
        call_provider=True,
        changes=changes,
        restore={"fingerprint": record.fingerprint},
        known_conference_data=record.conference_data,
        write_back=write_back and not record.write_back_refused,
        follow=follow,
    )


def decide_copy(
    event: dict[str, Any], calendar_id: str, *, has_record: bool
) -> BecomeFollower | None:
    """A listed event with no record of its own: is it a copy of one of ours?

    None when it is not (cancelled, an occurrence, an attendee's copy, not carrying an
    add-on conference). See docs/sync-model.md#decide_copy.
    """
    if has_record or event.get("status") == "cancelled":
        return None
    if event.get("recurringEventId"):
        return None  # an occurrence of a series is part of it, not a copy
    carried = carried_conference(event)
    if carried is None or carried.solution_key_type != "addOn":
        return None
    if not is_organizer_copy(event, calendar_id):
        return None  # an attendee's copy never acts on a meeting
    return BecomeFollower(str(event["id"]), carried.conference_id)


def retry_delay(attempts: int, hint_seconds: float | None) -> timedelta:
    """How long a change refused for the ``attempts``-th time waits: five minutes,
    doubling with each attempt, at most six hours; never less than the service's hint
    (a meeting in progress: 15 minutes; the host's daily limit: until it resets)."""
    backoff = min(RETRY_LONGEST, RETRY_FIRST * (1 << min(max(attempts - 1, 0), 16)))
    hint = timedelta(seconds=max(0.0, hint_seconds or 0.0))
    return max(backoff, hint)


def is_provider_wide(error: BundleError, *, failed_before: bool) -> bool:
    """True when a provider call's failure concerns every meeting, not this one: the
    account or app refused, the service unreachable, timing out, rate-limiting or its
    token endpoint failing (any transient failure not tied to one meeting), or a 5xx on
    a meeting right after a 5xx on another (``failed_before``)."""
    if isinstance(error, ProviderAccountFailure):
        return True
    if isinstance(error, MeetingCallFailed):
        return failed_before
    return isinstance(error, TransientFailure) and not isinstance(error, MeetingRefusal)


def decide_refusal(
    record: ConferenceRecord,
    error: BundleError,
    *,
    deleting: bool,
    now: datetime,
    failed_before: bool = False,
) -> RefusalDecision:
    """The provider refused to update (or delete) the record's meeting: what now?

    ``failed_before``: the previous provider call of this pass was a 5xx on another
    meeting (:class:`~shared.errors.MeetingCallFailed`).
    See docs/sync-model.md#decide_refusal.
    """
    reason = f"{type(error).__name__}: {error}"
    if is_provider_wide(error, failed_before=failed_before):
        setting = error.setting if isinstance(error, ProviderAccountFailure) else None
        return StopPass(reason, setting)
    state = RecordState.DELETE_PENDING if deleting else RecordState.RETRY_PENDING
    attempts = (record.retry_count if record.state is state else 0) + 1
    tied_to_meeting = isinstance(error, MeetingRefusal | MeetingCallFailed)
    if not deleting and (not tied_to_meeting or attempts > MAX_UPDATE_ATTEMPTS):
        given_up = tied_to_meeting  # else: the host unknown, the meeting gone, ...
        if given_up:
            reason = f"given up after {MAX_UPDATE_ATTEMPTS} attempts: {reason}"
        ready = BACK_TO_READY if record.state is not RecordState.READY else {}
        return Refused(reason, {**ready, "lastError": reason}, given_up=given_up)
    hint = error.retry_after if isinstance(error, TransientFailure) else None
    return RetryLater(state, now + retry_delay(attempts, hint), attempts, reason)
