"""Applying one changed event to its meeting.

Rules (the README's sync model lists them too):

- Only the mapped (calendar, event) acts on its meeting; the same event on another
  calendar (an attendee's copy) never does, since records are keyed by calendar.
- Cancelled event (the minimal shape) -> confirm with ``events.get``; gone (404, 410 or
  cancelled) -> the meeting moves to a *follower* that still carries it if there is one,
  else it is deleted with its record. Still there under another organizer (moved to
  another calendar) -> the record moves to that calendar, the meeting is kept.
- A cancelled or moved occurrence (``recurringEventId``) never touches the series'
  meeting; only a record of that very instance is affected.
- The event no longer carries our conference (removed, switched to Meet, another
  solution or conference id) -> as for a gone event. Until sync has seen the event carry
  the conference once (``attached``), a missing conference only means the user has not
  saved yet: nothing happens (the sweep removes those that never get saved).
- Changed in what the provider builds the meeting from (``Provider.relevant``) ->
  update; anything else -> no provider call. New join details are written back.
- Another event of the calendar carrying the conference (a copy: "this and following"
  split, duplicate) is recorded as a follower: it shares the meeting, and inherits it
  when the mapped event goes. A meeting is deleted only when no event carries it.

Transient failures propagate (the pass keeps its token); permanent failures of one
event are recorded on its record (``lastError``) and logged, and the pass moves on.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.clock import utcnow
from shared.conferences.carried import carried_conference, carries, is_organizer_copy
from shared.conferences.meeting_spec import record_expiry, spec_from_event
from shared.conferences.solutions import Solution, solutions_for
from shared.errors import BundleError, NotFound, PermanentFailure, TransientFailure
from shared.google.calendar_api import CalendarApi
from shared.providers.base import Provider, fingerprint_of, retry_budget
from shared.retries import retry_transient
from shared.state.calendars import CalendarState, CalendarStore
from shared.state.conferences import ConferenceKey, ConferenceRecord, ConferenceStore, RecordState
from shared.structured_logging import fields
from shared.sync.write_back import write_back

logger = logging.getLogger(__name__)


@dataclass
class PassStats:
    updated: int = 0
    deleted: int = 0
    moved: int = 0
    unchanged: int = 0
    failed: int = 0
    written_back: int = 0
    seen_ids: set[str] = field(default_factory=set)

    def as_log(self) -> dict[str, int]:
        return {
            "updated": self.updated,
            "deleted": self.deleted,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "written_back": self.written_back,
        }


class ChangeHandler:
    def __init__(
        self,
        *,
        conference_store: ConferenceStore,
        calendar_store: CalendarStore,
        calendar_api: CalendarApi,
        provider: Provider,
        provider_retry_seconds: float = 4.0,
        retention_days: float = 30.0,
        on_moved: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._conference_store = conference_store
        self._calendar_store = calendar_store
        self._calendar_api = calendar_api
        self._provider = provider
        self._provider_retry_seconds = retry_budget(provider, provider_retry_seconds)
        self._retention_days = retention_days
        self._on_moved = on_moved
        self._clock = clock
        self._sleep = sleep
        self._solutions = solutions_for(provider.name)

    # -- entry points ----------------------------------------------------------------
    def apply_page(
        self, calendar_state: CalendarState, items: list[dict[str, Any]], stats: PassStats
    ) -> None:
        keys = [
            ConferenceKey(calendar_state.calendar_id, str(item["id"]), solution_id)
            for item in items
            if item.get("id")
            for solution_id in self._solutions
        ]
        found = self._conference_store.get_many(keys)
        for item in items:
            event_id = str(item.get("id") or "")
            if not event_id:
                continue
            stats.seen_ids.add(event_id)
            records = [
                found[key]
                for solution_id in self._solutions
                if (key := ConferenceKey(calendar_state.calendar_id, event_id, solution_id).doc_id)
                in found
            ]
            self.apply(calendar_state, item, records, stats)

    def apply(
        self,
        calendar_state: CalendarState,
        item: dict[str, Any],
        records: list[ConferenceRecord],
        stats: PassStats,
    ) -> None:
        for record in records:
            if record.state is not RecordState.READY:
                continue  # a creation in progress: it finishes on its own
            try:
                self._apply_mapped(calendar_state, item, record, stats)
            except TransientFailure:
                raise
            except BundleError as err:
                self._record_failure(record, err, stats)
        if item.get("status") != "cancelled" and not records:
            self._note_copy(calendar_state, item)

    def confirm_gone(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        """A mapped event disappeared: confirm with events.get before deleting anything."""
        try:
            self._gone(calendar_state, record, stats)
        except TransientFailure:
            raise
        except BundleError as err:
            self._record_failure(record, err, stats)

    # -- rules -----------------------------------------------------------------------
    def _apply_mapped(
        self,
        calendar_state: CalendarState,
        item: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        if item.get("status") == "cancelled":
            self._gone(calendar_state, record, stats)
            return
        if not carries(item, record.conference_id):
            if not record.attached:
                stats.unchanged += 1  # not saved with our conference yet
                return
            self._lost_conference(
                calendar_state, record, stats, reason="conference removed or replaced"
            )
            return
        self._bring_up_to_date(calendar_state, item, record, stats)

    def _gone(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        try:
            current = self._calendar_api.get_event(
                calendar_state.sync_user, calendar_state.calendar_id, record.key.event_id
            )
        except NotFound:
            current = None
        if current is not None and current.get("status") != "cancelled":
            if not is_organizer_copy(current, calendar_state.calendar_id):
                self._moved(calendar_state, current, record, stats)
                return
            if carries(current, record.conference_id):
                self._bring_up_to_date(calendar_state, current, record, stats)
                return
        if not record.attached:
            stats.unchanged += 1  # never saved with our conference: the sweep decides
            return
        self._lost_conference(calendar_state, record, stats, reason="event gone")

    def _moved(
        self,
        calendar_state: CalendarState,
        event: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        destination = str((event.get("organizer") or {}).get("email") or "")
        if not destination or not carries(event, record.conference_id):
            self._lost_conference(calendar_state, record, stats, reason="event gone")
            return
        new_key = ConferenceKey(destination, record.key.event_id, record.key.solution_id)
        self._conference_store.move(record, new_key, {"followers": []})
        stats.moved += 1
        logger.info(
            "conference follows its event to another calendar",
            extra=fields(
                calendar_id=calendar_state.calendar_id,
                destination=destination,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
            ),
        )
        if self._on_moved is not None:
            self._on_moved(destination, record.owner_email)

    def _lost_conference(
        self,
        calendar_state: CalendarState,
        record: ConferenceRecord,
        stats: PassStats,
        *,
        reason: str,
    ) -> None:
        """No longer carried by the mapped event: hand over to a follower, or delete."""
        # Read again: a copy seen earlier in this very page may have become a follower.
        record = self._conference_store.get(record.key) or record
        for follower_id in record.followers:
            try:
                follower = self._calendar_api.get_event(
                    calendar_state.sync_user, calendar_state.calendar_id, follower_id
                )
            except NotFound:
                continue
            if carries(follower, record.conference_id):
                new_key = ConferenceKey(
                    calendar_state.calendar_id, follower_id, record.key.solution_id
                )
                moved = self._conference_store.move(record, new_key, {"attached": True})
                stats.moved += 1
                logger.info(
                    "conference handed to the event that now carries it",
                    extra=fields(
                        calendar_id=calendar_state.calendar_id,
                        event_id=record.key.event_id,
                        follower_id=follower_id,
                        meeting_id=record.meeting_id,
                    ),
                )
                self._bring_up_to_date(calendar_state, follower, moved, stats)
                return
        self._call_provider(lambda: self._delete_meeting(record), stats)
        self._conference_store.delete(record.key)
        stats.deleted += 1
        logger.info(
            "meeting deleted",
            extra=fields(
                calendar_id=calendar_state.calendar_id,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
                reason=reason,
            ),
        )

    def _delete_meeting(self, record: ConferenceRecord) -> None:
        try:
            self._provider.delete(record.meeting_id or "")
        except NotFound:
            return  # already gone: success

    def delete_meeting_of(self, record: ConferenceRecord) -> None:
        """Delete a record's meeting with the bounded provider retries (gone is success)."""
        self._call_provider(lambda: self._delete_meeting(record), PassStats())

    def _bring_up_to_date(
        self,
        calendar_state: CalendarState,
        event: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        spec = spec_from_event(event, calendar_state.time_zone)
        new_fingerprint = fingerprint_of(self._provider.relevant(spec))
        changes: dict[str, Any] = {}
        if not record.attached:
            changes.update({"attached": True, "abandonCheckAt": None})
        if spec.as_record() != record.spec:
            # What the record knows of the event, and so its expiry, follows the event
            # even when the provider has nothing to change (a moved Jitsi event).
            changes.update(
                {
                    "spec": spec.as_record(),
                    "placeholder": spec.placeholder,
                    "expireAt": record_expiry(spec, self._retention_days, utcnow()),
                }
            )
        if new_fingerprint == record.fingerprint:
            if changes:
                self._conference_store.update(record.key, changes)
            stats.unchanged += 1
            return
        solution = self._solution(record)
        meeting = self._call_provider(
            lambda: self._provider.update(
                record.meeting_id or "", spec, solution, record.owner_email
            ),
            stats,
        )
        changes.update({"fingerprint": new_fingerprint, "lastError": None})
        stats.updated += 1
        # Stored before the write-back: if Calendar refuses it, the meeting is still up to
        # date, and a later unrelated edit must not call the provider again.
        self._conference_store.update(record.key, changes)
        if meeting.conference_data != record.conference_data:
            try:
                self._write_back(calendar_state, event, record, meeting.conference_data, stats)
            except TransientFailure:
                # Not written back yet: forget the fingerprint so that the retry of this
                # change updates (harmlessly) and writes the new join details back.
                self._conference_store.update(record.key, {"fingerprint": record.fingerprint})
                raise
            self._conference_store.update(
                record.key,
                {
                    "conferenceData": meeting.conference_data,
                    "conferenceId": meeting.conference_data.get("conferenceId"),
                },
            )
        logger.info(
            "meeting updated",
            extra=fields(
                calendar_id=calendar_state.calendar_id,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
            ),
        )

    def _write_back(
        self,
        calendar_state: CalendarState,
        event: dict[str, Any],
        record: ConferenceRecord,
        data: dict[str, Any],
        stats: PassStats,
    ) -> None:
        if write_back(
            self._calendar_api,
            calendar_state.sync_user,
            calendar_state.calendar_id,
            event,
            record.conference_id or "",
            data,
        ):
            stats.written_back += 1

    def _note_copy(self, calendar_state: CalendarState, item: dict[str, Any]) -> None:
        """An unmapped event carrying one of our conferences: record it as a follower."""
        if item.get("recurringEventId"):
            return  # an occurrence of a series is part of it, not a copy
        carried = carried_conference(item)
        if carried is None or carried.solution_key_type != "addOn":
            return
        if not is_organizer_copy(item, calendar_state.calendar_id):
            return  # an attendee's copy never acts on a meeting
        for record in self._conference_store.find_by_conference_id(
            calendar_state.calendar_id, carried.conference_id
        ):
            if record.key.event_id != item["id"] and item["id"] not in record.followers:
                self._conference_store.add_follower(record.key, str(item["id"]))
                logger.info(
                    "a copy of the event shares its meeting",
                    extra=fields(
                        calendar_id=calendar_state.calendar_id,
                        event_id=record.key.event_id,
                        follower_id=item["id"],
                    ),
                )

    # -- helpers ---------------------------------------------------------------------
    def _solution(self, record: ConferenceRecord) -> Solution:
        solution = self._solutions.get(record.key.solution_id)
        if solution is None:
            raise PermanentFailure("the record's solution no longer exists")
        return solution

    def _call_provider(self, call: Callable[[], Any], stats: PassStats) -> Any:
        return retry_transient(
            call,
            what="provider call",
            budget_seconds=self._provider_retry_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _record_failure(self, record: ConferenceRecord, err: BundleError, stats: PassStats) -> None:
        stats.failed += 1
        logger.error(
            "change not applied to the meeting",
            extra=fields(
                calendar_id=record.key.calendar_id,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
                error=type(err).__name__,
                reason=str(err),
            ),
        )
        with contextlib.suppress(BundleError):
            self._conference_store.update(record.key, {"lastError": f"{type(err).__name__}: {err}"})
