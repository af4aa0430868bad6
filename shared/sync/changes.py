"""Applying one changed event to its meeting: the shell of the sync rules.

The rules are pure functions of ``shared/sync/rules.py``, one per rule of
docs/sync-model.md#sync-rules. This module gathers what they need (the records, what
``events.get`` answers, the provider's fingerprint of the event), asks the rule, and
carries its decision out: Calendar, Firestore and provider calls, stats and logs.

Transient failures propagate (the pass keeps its token); permanent failures of one
event are recorded on its record (``lastError``) and logged, and the pass moves on. A
provider's refusal of one meeting's update or delete waits on its record for a due time
(``retry_pending`` / ``delete_pending``), while one that concerns every meeting stops the
pass: docs/sync-model.md#decide_refusal. Under a lease, every provider call and every
record write that matters is fenced by it (``PassStats.fence``).

Each record acts through its own provider (its stored ``provider``; the primary for
records written before records named it). A record whose provider is not enabled any
more is left alone, its meeting and its record kept, with one ERROR per pass
(docs/providers.md#several-providers). Ending a bigbluebutton conference's meeting writes
its tombstone before the record goes (docs/providers.md#bigbluebutton).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, assert_never

from shared.clock import utcnow
from shared.conferences.covering import covering_spec
from shared.conferences.meeting_spec import MeetingSpec, spec_from_event
from shared.conferences.solutions import Solution, recorded_solution_ids, stored_solution
from shared.errors import (
    AccessDenied,
    BundleError,
    DeploymentMisconfigured,
    MeetingCallFailed,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    ScopeNotGranted,
    TransientFailure,
)
from shared.google.access import CalendarAccess
from shared.google.calendar_api import CalendarApi
from shared.providers.base import Provider, fingerprint_of, retry_budget
from shared.providers.registry import ProviderRegistry
from shared.retries import retry_transient
from shared.state.calendars import CalendarState, CalendarStore
from shared.state.cancelled import CancelledConferenceStore
from shared.state.conferences import (
    JOIN_PROVIDER,
    ConferenceKey,
    ConferenceRecord,
    ConferenceStore,
    RecordState,
)
from shared.state.leases import NO_FENCE, LeaseFence
from shared.structured_logging import fields
from shared.sync.followers import (
    decide_followers,
    decide_gone_copy,
    followers_to_read,
    sharing_records,
)
from shared.sync.rules import (
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
)
from shared.sync.write_back import WriteBackRefused, write_back

logger = logging.getLogger(__name__)

#: The one ERROR line of a provider refusing the deployment's account or app.
ACCOUNT_REFUSED_LOG = "conferencing account refused for every meeting; sync paused"
#: The one ERROR line per pass of records whose provider is not enabled any more.
NOT_ENABLED_LOG = "conferences of a provider that is not enabled left alone"


class _ProviderRefused(Exception):
    """Carries a provider call's failure (never a fence's or Firestore's) to the caller
    that decides what it means for the record: docs/sync-model.md#decide_refusal."""

    def __init__(self, error: BundleError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class PassStats:
    updated: int = 0
    deleted: int = 0
    moved: int = 0
    unchanged: int = 0
    failed: int = 0
    written_back: int = 0
    retried: int = 0  # refused for now: waits on its record (retry_pending, delete_pending)
    deferred: int = 0  # a record waiting for its retryAt: the due retry applies the change
    left_alone: int = 0  # its provider is not enabled: meeting and record kept
    seen_ids: set[str] = field(default_factory=set)
    # Records brought up to date because a copy changed (docs/sync-model.md#the-covering-spec):
    # their own listed change is not applied again in this pass.
    refreshed: set[str] = field(default_factory=set)
    # The lease the work is done under (docs/sync-model.md#one-sync-per-calendar).
    fence: LeaseFence = NO_FENCE
    # The last provider call was a 5xx on a meeting: a second one in a row is the
    # service's failure, not that meeting's (docs/sync-model.md#decide_refusal).
    meeting_call_failed: bool = False

    def as_log(self) -> dict[str, int]:
        return {
            "updated": self.updated,
            "deleted": self.deleted,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "written_back": self.written_back,
            "retried": self.retried,
            "deferred": self.deferred,
            "left_alone": self.left_alone,
        }


class ChangeHandler:
    def __init__(
        self,
        *,
        conference_store: ConferenceStore,
        calendar_store: CalendarStore,
        calendar_api: CalendarApi,
        providers: ProviderRegistry,
        cancelled_store: CancelledConferenceStore | None = None,
        provider_retry_seconds: float = 4.0,
        retention_days: float = 30.0,
        on_moved: Callable[[str, str], None] | None = None,
        write_back: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._conference_store = conference_store
        self._calendar_store = calendar_store
        self._calendar_api = calendar_api
        self._access = CalendarAccess(calendar_api)
        self._providers = providers
        self._cancelled_store = cancelled_store
        self._provider_retry_seconds = provider_retry_seconds
        self._retention_days = retention_days
        self._on_moved = on_moved
        self._write_back_on = write_back
        self._clock = clock
        self._sleep = sleep
        self._solution_ids = recorded_solution_ids(providers.names)

    # -- entry points ----------------------------------------------------------------
    def apply_page(
        self,
        calendar_state: CalendarState,
        items: list[dict[str, Any]],
        stats: PassStats,
        known: Mapping[str, ConferenceRecord] | None = None,
        written: Container[str] = frozenset(),
    ) -> None:
        """Apply a listed page. ``known``: the calendar's records by document id, read
        once for a whole full sync; then only an event that looks like a copy of one of
        ours and has no known record (made since they were read), or whose known record
        this pass has ``written`` since (so the one known is stale), is looked up."""
        calendar_id = calendar_state.calendar_id
        listed = [
            (item, [ConferenceKey(calendar_id, str(item["id"]), s) for s in self._solution_ids])
            for item in items
            if item.get("id")
        ]
        look_up = [
            key
            for item, keys in listed
            if known is None
            or any(key.doc_id in written for key in keys)
            or self._look_up(calendar_id, item, keys, known)
            for key in keys
        ]
        found = self._conference_store.get_many(look_up)
        if known is not None:
            # What was looked up is as read now (absent: gone); the rest as known.
            looked_up = {key.doc_id for key in look_up}
            found = {
                **{doc_id: record for doc_id, record in known.items() if doc_id not in looked_up},
                **found,
            }

        def recorded(keys: list[ConferenceKey]) -> list[str]:
            return [key.doc_id for key in keys if key.doc_id in found]

        # Events without a record first: a copy shares its meeting (or stops sharing it)
        # before the recorded events are applied. A record a copy's change brought up to
        # date (its event read with events.get) is not applied again from this listing,
        # whose record is older and whose event is no newer.
        # The page's record updates are written together (reads in between see them),
        # fenced by the lease right before they are written, as each one would be.
        with self._conference_store.deferred_updates(stats.fence.check):
            for item, keys in sorted(listed, key=lambda entry: bool(recorded(entry[1]))):
                stats.seen_ids.add(str(item["id"]))
                doc_ids = recorded(keys)
                records = [found[doc_id] for doc_id in doc_ids if doc_id not in stats.refreshed]
                if doc_ids and not records:
                    continue
                self.apply(calendar_state, item, records, stats)

    @staticmethod
    def _look_up(
        calendar_id: str,
        item: dict[str, Any],
        keys: list[ConferenceKey],
        known: Mapping[str, Any],
    ) -> bool:
        """Whether a listed event's records must be read: none is known, and it carries an
        add-on conference (without a record, it would be taken for a copy)."""
        if any(key.doc_id in known for key in keys):
            return False
        return decide_copy(item, calendar_id, has_record=False) is not None

    def apply(
        self,
        calendar_state: CalendarState,
        item: dict[str, Any],
        records: list[ConferenceRecord],
        stats: PassStats,
    ) -> None:
        """A listed event and the records of its (calendar, event).

        See docs/sync-model.md#decide_listed_change, and docs/sync-model.md#decide_copy for
        an event without a record.
        """
        for record in records:
            if not self._enabled(record, stats):
                continue
            try:
                self._apply_listed(calendar_state, item, record, stats)
            except TransientFailure:
                raise
            except BundleError as err:
                self._record_failure(record, err, stats)
        copy = decide_copy(item, calendar_state.calendar_id, has_record=bool(records))
        if copy is not None:
            self._note_copy(calendar_state, copy, stats)
        elif decide_gone_copy(item, has_record=bool(records)):
            self._copy_gone(calendar_state, str(item["id"]), stats)

    def confirm_gone(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        """A recorded event disappeared: confirm with events.get before deleting anything."""
        if not self._enabled(record, stats):
            return
        try:
            self._confirm(calendar_state, record, stats)
        except TransientFailure:
            raise
        except BundleError as err:
            self._record_failure(record, err, stats)

    def retry_due(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        """A record whose ``retryAt`` passed (the sweep's queue): a delete is tried again
        as it is; an update reads its event again and applies it like a listed change.
        See docs/sync-model.md#record-states. A record whose provider is not enabled is
        refused (PermanentFailure): the sweep puts it off, and nothing is deleted."""
        self._require_enabled(record)
        if record.state is RecordState.DELETE_PENDING:
            try:
                self._delete(calendar_state, record, stats, reason="delete tried again")
            except TransientFailure:
                raise
            except BundleError as err:
                self._record_failure(record, err, stats)
            return
        try:
            event = self._calendar_api.get_event(
                calendar_state.sync_user, calendar_state.calendar_id, record.key.event_id
            )
        except NotFound:
            self.confirm_gone(calendar_state, record, stats)
            return
        self.apply(calendar_state, event, [record], stats)

    # -- carrying the rules out ------------------------------------------------------
    def _apply_listed(
        self,
        calendar_state: CalendarState,
        item: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        match decide_listed_change(item, record):
            case Skip():
                pass  # a creation in progress: it finishes on its own
            case Defer():
                stats.deferred += 1  # its due retry deletes the meeting
            case ConfirmGone():
                self._confirm(calendar_state, record, stats)
            case Wait():
                stats.unchanged += 1  # not saved with our conference yet
            case Lost(reason=reason):
                self._lost_conference(calendar_state, record, stats, reason=reason)
            case FollowMove(event=event):
                self._follow_move(calendar_state, event, record, stats)
            case BringUpToDate(event=event):
                self._bring_up_to_date(calendar_state, event, record, stats)
            case unexpected:
                assert_never(unexpected)

    def _confirm(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        """events.get, then docs/sync-model.md#decide_confirmed."""
        try:
            current = self._calendar_api.get_event(
                calendar_state.sync_user, calendar_state.calendar_id, record.key.event_id
            )
        except NotFound:
            current = None
        match decide_confirmed(current, record, calendar_state.calendar_id):
            case Defer():
                stats.deferred += 1  # its due retry deletes the meeting
            case FollowMove(event=event):
                self._follow_move(calendar_state, event, record, stats)
            case BringUpToDate(event=event):
                self._bring_up_to_date(calendar_state, event, record, stats)
            case Wait():
                stats.unchanged += 1  # never saved with our conference: the sweep decides
            case Lost(reason=reason):
                if decide_search(current, record):
                    follow = self._find_moved(calendar_state, record)
                    if follow is not None:
                        self._follow(calendar_state, follow, record, stats)
                        return
                self._lost_conference(calendar_state, record, stats, reason=reason)
            case unexpected:
                assert_never(unexpected)

    def _find_moved(self, calendar_state: CalendarState, record: ConferenceRecord) -> Follow | None:
        """The event on another of its owner's writable calendars (at most 50 looked at,
        stopping at the first hit), as the owner: docs/sync-model.md#decide_search.
        None when not found, or when the calendar list cannot be read (the grant lacks
        its scope: logged there, and the meeting goes as before the search existed)."""
        try:
            calendars = self._access.writable_calendars(record.owner_email)
        except ScopeNotGranted:
            return None
        except AccessDenied:
            return None  # the owner left: nobody to look as
        for calendar_id in calendars:
            if calendar_id == record.key.calendar_id:
                continue
            try:
                event: dict[str, Any] | None = self._calendar_api.get_event(
                    record.owner_email, calendar_id, record.key.event_id
                )
            except (NotFound, AccessDenied):
                event = None
            follow = decide_found(record, calendar_id, event)
            if follow is not None:
                return follow
        return None

    def _follow_move(
        self,
        calendar_state: CalendarState,
        event: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        """docs/sync-model.md#decide_move."""
        match decide_move(event, record):
            case Lost(reason=reason):
                self._lost_conference(calendar_state, record, stats, reason=reason)
            case Follow() as follow:
                self._follow(calendar_state, follow, record, stats)
            case unexpected:
                assert_never(unexpected)

    def _follow(
        self,
        calendar_state: CalendarState,
        follow: Follow,
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        """The record moves with its event; the destination is set up for sync."""
        stats.fence.check()
        self._conference_store.move(record, follow.new_key, follow.changes)
        stats.moved += 1
        logger.info(
            "conference follows its event to another calendar",
            extra=fields(
                calendar_id=calendar_state.calendar_id,
                destination=follow.destination,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
            ),
        )
        if self._on_moved is not None:
            self._on_moved(follow.destination, record.owner_email)

    def _lost_conference(
        self,
        calendar_state: CalendarState,
        record: ConferenceRecord,
        stats: PassStats,
        *,
        reason: str,
    ) -> None:
        """No longer carried by the recorded event: docs/sync-model.md#decide_lost."""
        # Read again: a copy seen earlier in this very page may have become a follower.
        record = self._conference_store.get(record.key) or record
        followers = self._followers(calendar_state, record)
        match decide_lost(record, calendar_state.calendar_id, followers):
            case HandOver() as hand_over:
                stats.fence.check()
                moved = self._conference_store.move(record, hand_over.new_key, hand_over.changes)
                stats.moved += 1
                logger.info(
                    "conference handed to the event that now carries it",
                    extra=fields(
                        calendar_id=calendar_state.calendar_id,
                        event_id=record.key.event_id,
                        follower_id=hand_over.follower_id,
                        meeting_id=record.meeting_id,
                    ),
                )
                self._bring_up_to_date(calendar_state, hand_over.event, moved, stats)
            case Delete():
                self._delete(calendar_state, record, stats, reason=reason)
            case unexpected:
                assert_never(unexpected)

    def _delete(
        self,
        calendar_state: CalendarState,
        record: ConferenceRecord,
        stats: PassStats,
        *,
        reason: str,
    ) -> None:
        """Delete the meeting, then the record; a refusal waits on the record
        (``delete_pending``): a delete is never dropped."""
        try:
            self._call_provider(lambda: self._delete_meeting(record), stats, record)
        except _ProviderRefused as refused:
            self._refused(calendar_state, record, refused.error, stats, deleting=True)
            return
        if self._providers.enabled_name(record.provider) == JOIN_PROVIDER:
            # Its join link answers "cancelled" until the retention ends (idempotent:
            # a pass applied again finds the tombstone written).
            stats.fence.check()
            if self._cancelled_store is not None:
                self._cancelled_store.record(record, self._retention_days)
        stats.fence.check()
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

    def _followers(
        self,
        calendar_state: CalendarState,
        record: ConferenceRecord,
        follower_ids: Iterable[str] | None = None,
    ) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """Each follower (or each of ``follower_ids``) with what events.get answers (None:
        404), read only when asked."""
        for follower_id in record.followers if follower_ids is None else follower_ids:
            try:
                follower: dict[str, Any] | None = self._calendar_api.get_event(
                    calendar_state.sync_user, calendar_state.calendar_id, follower_id
                )
            except NotFound:
                follower = None
            yield follower_id, follower

    def _delete_meeting(self, record: ConferenceRecord) -> None:
        try:
            self._provider_of(record).delete(record.meeting_id or "")
        except NotFound:
            return  # already gone: success

    def delete_meeting_of(self, record: ConferenceRecord) -> None:
        """Delete a record's meeting with the bounded provider retries (gone is success).
        The provider refusing the deployment's account stops the caller like a refused
        deployment (DeploymentMisconfigured), with one ERROR. A record whose provider is
        not enabled is refused (PermanentFailure): its meeting is never deleted."""
        self._require_enabled(record)
        try:
            self._call_provider(lambda: self._delete_meeting(record), PassStats(), record)
        except _ProviderRefused as refused:
            if isinstance(refused.error, ProviderAccountFailure):
                raise self._account_refused(record.key.calendar_id, refused.error) from None
            raise refused.error from None

    def _bring_up_to_date(
        self,
        calendar_state: CalendarState,
        event: dict[str, Any],
        record: ConferenceRecord,
        stats: PassStats,
    ) -> None:
        """docs/sync-model.md#decide_update, then the write-back if the details changed."""
        spec = spec_from_event(event, calendar_state.time_zone)
        covering = self._covering(calendar_state, record, spec)
        meeting_spec = covering or spec
        provider = self._provider_of(record)
        fingerprint = fingerprint_of(provider.relevant(meeting_spec))
        update = decide_update(
            record,
            spec,
            fingerprint,
            retention_days=self._retention_days,
            now=utcnow(),
            write_back=self._write_back_on,
            covering=covering,
        )
        if not update.call_provider:
            if update.changes:
                stats.fence.check()
                self._conference_store.update(record.key, update.changes)
            if update.deferred:
                stats.deferred += 1  # the due retry reads the event again and updates
            else:
                stats.unchanged += 1
            return
        solution = self._solution(record)
        try:
            meeting = self._call_provider(
                lambda: provider.update(
                    record.meeting_id or "", meeting_spec, solution, record.owner_email
                ),
                stats,
                record,
            )
        except _ProviderRefused as refused:
            self._refused(
                calendar_state, record, refused.error, stats, deleting=False, also=update.follow
            )
            return
        stats.updated += 1
        # Stored before the write-back: if Calendar refuses it, the meeting is still up to
        # date, and a later unrelated edit must not call the provider again.
        stats.fence.check()
        self._conference_store.update(record.key, update.changes)
        if update.needs_write_back(meeting.conference_data):
            try:
                self._write_back(calendar_state, event, record, meeting.conference_data, stats)
            except WriteBackRefused as err:
                # Permanent for this event: recorded, logged, never tried again, and the
                # calendar goes on (the meeting itself is up to date).
                stats.fence.check()
                self._conference_store.update(
                    record.key, {"writeBackRefused": True, "lastError": str(err)}
                )
                logger.error(
                    "write-back refused; not tried again for this event",
                    extra=fields(
                        calendar_id=calendar_state.calendar_id,
                        event_id=record.key.event_id,
                        meeting_id=record.meeting_id,
                        reason=str(err),
                    ),
                )
                stats.failed += 1
                return
            except TransientFailure:
                # Not written back yet: forget the fingerprint so that the retry of this
                # change updates (harmlessly) and writes the new join details back.
                stats.fence.check()
                self._conference_store.update(record.key, update.restore)
                raise
            stats.fence.check()
            self._conference_store.update(
                record.key, Update.after_write_back(meeting.conference_data)
            )
        elif meeting.conference_data != update.known_conference_data:
            logger.warning(
                "new join details not written onto the event (write-back off or refused)",
                extra=fields(
                    calendar_id=calendar_state.calendar_id,
                    event_id=record.key.event_id,
                    meeting_id=record.meeting_id,
                ),
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
        stats.fence.check()  # the new join details go onto the event only under the lease
        if write_back(
            self._calendar_api,
            calendar_state.sync_user,
            calendar_state.calendar_id,
            event,
            record.conference_id or "",
            data,
        ):
            stats.written_back += 1

    def _note_copy(
        self, calendar_state: CalendarState, copy: BecomeFollower, stats: PassStats
    ) -> None:
        """A copy of one of our events, new or changed: docs/sync-model.md#decide_copy.
        The meetings it shares are brought up to date, so that they cover it
        (docs/sync-model.md#the-covering-spec)."""
        found = self._conference_store.find_by_conference_id(
            calendar_state.calendar_id, copy.conference_id
        )
        joining = copy.records_to_join(found)
        for record in joining:
            stats.fence.check()
            self._conference_store.add_follower(record.key, copy.event_id)
            logger.info(
                "a copy of the event shares its meeting",
                extra=fields(
                    calendar_id=calendar_state.calendar_id,
                    event_id=record.key.event_id,
                    follower_id=copy.event_id,
                ),
            )
        joined = {record.key for record in joining}
        for record in sharing_records(copy.event_id, found):
            if record.key in joined:
                record = replace(record, followers=(*record.followers, copy.event_id))
            self._refresh(calendar_state, record, stats)

    def _copy_gone(self, calendar_state: CalendarState, event_id: str, stats: PassStats) -> None:
        """A cancelled event that may have been a follower: the meetings it shared shrink
        back to the events still carrying them (docs/sync-model.md#the-covering-spec)."""
        found = self._conference_store.find_by_follower(calendar_state.calendar_id, event_id)
        for record in sharing_records(event_id, found):
            self._refresh(calendar_state, record, stats)

    def _refresh(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        """Read the record's own event and apply it (docs/sync-model.md#decide_confirmed):
        its followers changed. A permanent failure is recorded on the record."""
        stats.refreshed.add(record.key.doc_id)
        self.confirm_gone(calendar_state, record, stats)

    def _covering(
        self, calendar_state: CalendarState, record: ConferenceRecord, spec: MeetingSpec
    ) -> MeetingSpec | None:
        """What the meeting is built from while followers share it, None without
        followers: docs/sync-model.md#the-covering-spec. Reads up to
        ``MAX_FOLLOWERS_READ`` followers with events.get and drops those that no longer
        share the meeting."""
        if not record.followers:
            return None
        answers = self._followers(calendar_state, record, followers_to_read(record))
        reading = decide_followers(record, calendar_state.calendar_id, answers)
        if reading.dropped:
            self._conference_store.remove_followers(record.key, list(reading.dropped))
            logger.info(
                "copies no longer share the meeting",
                extra=fields(
                    calendar_id=calendar_state.calendar_id,
                    event_id=record.key.event_id,
                    meeting_id=record.meeting_id,
                    dropped=len(reading.dropped),
                ),
            )
        others = [spec_from_event(event, calendar_state.time_zone) for event in reading.carrying]
        return covering_spec(spec, others, complete=reading.complete)

    # -- helpers ---------------------------------------------------------------------
    def _solution(self, record: ConferenceRecord) -> Solution:
        name = self._providers.enabled_name(record.provider) or ""
        solution = stored_solution(name, record.key.solution_id)
        if solution is None:
            raise PermanentFailure("the record's solution no longer exists")
        return solution

    def _provider_of(self, record: ConferenceRecord) -> Provider:
        """The record's provider (checked enabled where the record came in)."""
        name = self._providers.enabled_name(record.provider)
        if name is None:
            raise PermanentFailure("the record's provider is not enabled")
        return self._providers.get(name)

    def _enabled(self, record: ConferenceRecord, stats: PassStats) -> bool:
        """False for a record whose provider is not enabled: it is left alone (meeting and
        record kept), with one ERROR per pass (no personal data: ids and the name)."""
        if self._providers.enabled_name(record.provider) is not None:
            return True
        if stats.left_alone == 0:
            logger.error(
                NOT_ENABLED_LOG,
                extra=fields(
                    calendar_id=record.key.calendar_id,
                    provider=record.provider,
                    solution_id=record.key.solution_id,
                    enabled=",".join(self._providers.names),
                ),
            )
        stats.left_alone += 1
        return False

    def _require_enabled(self, record: ConferenceRecord) -> None:
        if self._providers.enabled_name(record.provider) is None:
            raise PermanentFailure(
                f"the record's provider ({record.provider}) is not enabled: left alone"
            )

    def _call_provider(
        self, call: Callable[[], Any], stats: PassStats, record: ConferenceRecord
    ) -> Any:
        """One provider call with the bounded retries, fenced by the lease: checked
        before, and read again before the next write (see LeaseFence). What the provider
        raises comes out as a :class:`_ProviderRefused`."""
        stats.fence.check()
        stats.fence.called()
        try:
            result = retry_transient(
                call,
                what="provider call",
                budget_seconds=retry_budget(
                    self._provider_of(record), self._provider_retry_seconds
                ),
                clock=self._clock,
                sleep=self._sleep,
            )
        except BundleError as err:
            raise _ProviderRefused(err) from err
        stats.meeting_call_failed = False
        return result

    def _refused(
        self,
        calendar_state: CalendarState,
        record: ConferenceRecord,
        err: BundleError,
        stats: PassStats,
        *,
        deleting: bool,
        also: dict[str, Any] | None = None,
    ) -> None:
        """The provider refused the meeting's update or delete:
        docs/sync-model.md#decide_refusal. ``also``: what the record learns of the event
        all the same (``Update.follow``)."""
        decision = decide_refusal(
            record, err, deleting=deleting, now=utcnow(), failed_before=stats.meeting_call_failed
        )
        stats.meeting_call_failed = isinstance(err, MeetingCallFailed)
        log: dict[str, Any] = {
            "calendar_id": calendar_state.calendar_id,
            "event_id": record.key.event_id,
            "meeting_id": record.meeting_id,
            "operation": "delete" if deleting else "update",
            "error": type(err).__name__,
            "reason": str(err),
        }
        match decision:
            case StopPass(setting=setting) if setting is not None:
                assert isinstance(err, ProviderAccountFailure)
                raise self._account_refused(calendar_state.calendar_id, err) from err
            case StopPass():
                logger.warning(
                    "provider failing for every meeting; pass stopped", extra=fields(**log)
                )
                raise err
            case RetryLater() as later:
                stats.fence.check()
                self._conference_store.update(record.key, {**(also or {}), **later.changes})
                stats.retried += 1
                logger.warning(
                    "change to the meeting put off; tried again later",
                    extra=fields(
                        **log, retry_at=later.retry_at.isoformat(), attempts=later.attempts
                    ),
                )
            case Refused() as refused:
                stats.fence.check()
                self._conference_store.update(record.key, {**(also or {}), **refused.changes})
                stats.failed += 1
                logger.error(
                    "change not applied to the meeting",
                    extra=fields(**{**log, "reason": refused.error, "given_up": refused.given_up}),
                )
            case unexpected:
                assert_never(unexpected)

    @staticmethod
    def _account_refused(calendar_id: str, err: ProviderAccountFailure) -> DeploymentMisconfigured:
        """The provider refused the deployment's account or app: every meeting fails alike,
        so nothing is recorded on any event or calendar; one ERROR names what to check."""
        logger.error(
            ACCOUNT_REFUSED_LOG,
            extra=fields(calendar_id=calendar_id, setting=err.setting, reason=str(err)),
        )
        return DeploymentMisconfigured(
            f"the conferencing service refused the deployment's account ({err}); "
            f"check {err.setting}",
            cause=str(err),
            fix=f"check {err.setting}",
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
