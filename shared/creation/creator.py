"""Creating a conference for an event, exactly once per (calendar, event, solution).

The steps, in order: the solution must exist; the acting user must reach the calendar
(``calendarList.get`` as that user) and the event is read (a 404 means it does not exist
yet: the meeting is made from placeholder data and sync fills it in), both at once, each
on its own transport; the key is reserved in Firestore; the provider creates the meeting;
the record is stored; the calendar is set up for sync within a time budget (no round
trip for a calendar the instance saw ready lately). A retry or a concurrent call finds
the reservation and answers with the winner's result (waiting a few seconds for it, then
``TEMPORARY``). Every failure becomes a ConferenceErrorType; the reason goes to the log.

The solution id Calendar sends is a deployed id (docs/providers.md#several-providers): it
picks the solution and so the provider, which the record then names (``provider``).

The decisions are the pure functions of ``shared/creation/decisions.py`` (see
docs/create-contract.md#creation-decisions); this module reads, writes and calls the
provider.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, assert_never

from shared.clock import utcnow
from shared.conferences.conference_data import (
    ConferenceErrorType,
    conference_error,
    validate_conference_data,
)
from shared.conferences.meeting_spec import record_expiry
from shared.conferences.solutions import Solution
from shared.config import Settings
from shared.creation.decisions import (
    NOT_A_WRITER,
    TAKEN_OVER_WHILE_WORKING,
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
    refusal_for,
    spec_for,
)
from shared.errors import (
    BundleError,
    CreationUnconfirmed,
    InvalidConferenceData,
    NotFound,
    PermanentFailure,
    ScopeNotGranted,
    TransientFailure,
)
from shared.google.access import CalendarAccess, may_see_private
from shared.google.calendar_api import CalendarApi
from shared.http.create_request import CreateRequest
from shared.parallel import Helpers
from shared.providers.base import Meeting, MeetingSpec, Provider, fingerprint_of, retry_budget
from shared.providers.registry import ProviderRegistry
from shared.retries import retry_transient
from shared.state.conferences import (
    ConferenceKey,
    ConferenceRecord,
    ConferenceStore,
    LeaseLost,
)
from shared.structured_logging import fields
from shared.sync.setup import SyncSetup

logger = logging.getLogger(__name__)

CALENDAR_RETRY_SECONDS = 2.0
POLL_SECONDS = 0.2
# Threads that read events while the request's own thread checks access.
EVENT_READERS = 8


@dataclass(frozen=True)
class CreateOutcome:
    """Either the ConferenceData or a ConferenceErrorType (what the add-on receives)."""

    conference_data: dict[str, Any] | None = None
    error: ConferenceErrorType | None = None

    def as_json(self) -> dict[str, Any]:
        if self.conference_data is not None:
            return {"conferenceData": self.conference_data}
        return {"conferenceError": conference_error(self.error or ConferenceErrorType.UNKNOWN)}


class _Refused(Exception):
    """Ends a creation with a :class:`Refusal`: its error is the answer, its reason logged."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class ConferenceCreator:
    def __init__(
        self,
        *,
        settings: Settings,
        conference_store: ConferenceStore,
        calendar_api: CalendarApi,
        providers: ProviderRegistry,
        sync_setup: SyncSetup,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._conference_store = conference_store
        self._calendar_api = calendar_api
        self._access = CalendarAccess(calendar_api)
        self._providers = providers
        self._sync_setup = sync_setup
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._readers = Helpers(EVENT_READERS, "event-reader")

    def create(self, request: CreateRequest, user_email: str) -> CreateOutcome:
        log = {
            "calendar_id": request.calendar_id,
            "event_id": request.event_id,
            "solution_id": request.solution_id,
        }
        try:
            try:
                outcome = self._create(request, user_email)
            except TransientFailure as err:  # Firestore, mostly: the answer is TEMPORARY
                raise _Refused(refusal_for(err)) from err
        except _Refused as refused:
            refusal = refused.refusal
            logger.warning(
                "conference not created",
                extra=fields(**log, error=refusal.error.value, reason=refusal.reason),
            )
            return CreateOutcome(error=refusal.error)
        logger.info("conference ready", extra=fields(**log))
        return outcome

    # -- steps ---------------------------------------------------------------------------
    def _create(self, request: CreateRequest, user_email: str) -> CreateOutcome:
        solution = decide_solution(self._providers.solution(request.solution_id))
        if isinstance(solution, Refusal):
            raise _Refused(solution)
        provider = self._providers.get(solution.provider)
        key = ConferenceKey(request.calendar_id, request.event_id, request.solution_id)
        # The event is read while access is checked: one round trip for both. Its outcome
        # is looked at only where it was before (a ready record is answered without it,
        # unless the user's role may not see private events).
        reading = self._readers.start(lambda: self._read_event(request, user_email))
        try:
            time_zone, role = self._check_access(request.calendar_id, user_email)
        except BaseException:
            reading.settle()  # nothing is left running for a refused request
            raise
        try:
            event = reading.result()
        except _Refused:
            # What a record made earlier answers does not depend on the event.
            stored = decide_existing(self._conference_store.get(key))
            if stored is None or (role is not None and not may_see_private(role)):
                raise
            return CreateOutcome(conference_data=stored.conference_data)
        # decide_private refuses only roles that may not see private events.
        self._refuse_private(role, event)
        spec = spec_for(event, time_zone)

        # Reserving first: a record made earlier shows up as a reservation not won.
        reservation = self._conference_store.reserve(
            key, user_email, self._settings.reservation_lease_seconds
        )
        record = reservation.record
        written_at = reservation.written_at
        if not reservation.won:
            stored = decide_existing(record)
            if stored is not None:
                return CreateOutcome(conference_data=stored.conference_data)
            result = self._await_winner(key, user_email)
            if result is not None:
                return result
            taken = decide_take_over(
                self._conference_store.take_over(
                    key, user_email, self._settings.reservation_lease_seconds
                )
            )
            if isinstance(taken, Refusal):
                raise _Refused(taken)
            record = taken
            logger.warning("took over an expired reservation", extra=fields(doc=key.doc_id))
        # A reservation taken over may already have its meeting: an attempt that was cut
        # off, or whose create was not confirmed, used the same request key.
        data = self._make_meeting(
            provider,
            record,
            spec,
            solution,
            user_email,
            may_exist=not reservation.won,
            written_at=written_at if reservation.won else None,
        )
        self._sync_setup.ensure(
            request.calendar_id, user_email, self._settings.sync_setup_budget_seconds, time_zone
        )
        return CreateOutcome(conference_data=data)

    def _check_access(self, calendar_id: str, user_email: str) -> tuple[str | None, str | None]:
        """The calendar's time zone and the user's role on it, if they may create there:
        docs/create-contract.md#creation-decisions (``decide_access``). Without the
        calendar-list scope, the role is unknown (None) and reaching the calendar is
        enough, as before the check existed."""
        try:
            entry = retry_transient(
                lambda: self._access.entry(user_email, calendar_id, num_retries=0),
                what="calendarList.get",
                budget_seconds=CALENDAR_RETRY_SECONDS,
                clock=self._clock,
                sleep=self._sleep,
            )
        except ScopeNotGranted:
            return self._reachable(calendar_id, user_email), None
        except BundleError as err:
            raise _Refused(refusal_for(err)) from err
        refusal = decide_access(entry)
        if refusal is not None or entry is None:
            raise _Refused(refusal or NOT_A_WRITER)
        zone = entry.get("timeZone")
        return (str(zone) if zone else None), str(entry.get("accessRole"))

    def _refuse_private(self, role: str | None, event: dict[str, Any] | None) -> None:
        refusal = decide_private(role, event)
        if refusal is not None:
            raise _Refused(refusal)

    def _reachable(self, calendar_id: str, user_email: str) -> str | None:
        """The calendar's time zone, if the user can reach the calendar."""
        try:
            calendar = retry_transient(
                lambda: self._calendar_api.get_calendar(user_email, calendar_id, num_retries=0),
                what="calendars.get",
                budget_seconds=CALENDAR_RETRY_SECONDS,
                clock=self._clock,
                sleep=self._sleep,
            )
        except BundleError as err:  # a 404 or 403 means the user cannot reach it
            raise _Refused(refusal_for(err)) from err
        zone = calendar.get("timeZone")
        return str(zone) if zone else None

    def _read_event(self, request: CreateRequest, user_email: str) -> dict[str, Any] | None:
        """The event as the user sees it; None while it is not saved yet (404)."""
        event: dict[str, Any] | None
        try:
            event = retry_transient(
                lambda: self._calendar_api.get_event(
                    user_email, request.calendar_id, request.event_id, num_retries=0
                ),
                what="events.get",
                budget_seconds=CALENDAR_RETRY_SECONDS,
                clock=self._clock,
                sleep=self._sleep,
            )
        except NotFound:
            event = None  # the event is not saved yet: sync fills it in
        except BundleError as err:
            raise _Refused(refusal_for(err)) from err
        return event

    def _await_winner(self, key: ConferenceKey, user_email: str) -> CreateOutcome | None:
        """Wait for a concurrent creation; None when its lease expired (crashed holder)."""
        deadline = self._clock() + self._settings.create_wait_seconds
        while True:
            current = self._conference_store.get(key)
            decision = decide_while_waiting(
                current, now=self._now(), out_of_time=self._clock() >= deadline
            )
            match decision:
                case AnswerAgain(conference_data=conference_data):
                    return CreateOutcome(conference_data=conference_data)
                case TakeOver():
                    return None
                case Refusal():
                    raise _Refused(decision)
                case KeepWaiting():
                    self._sleep(POLL_SECONDS)
                case unexpected:
                    assert_never(unexpected)

    def _make_meeting(
        self,
        provider: Provider,
        reservation: ConferenceRecord,
        spec: MeetingSpec,
        solution: Solution,
        user_email: str,
        *,
        may_exist: bool,
        written_at: Any = None,
    ) -> dict[str, Any]:
        looks_first = [may_exist]

        def create_once() -> Meeting:
            try:
                return provider.create(
                    spec, solution, user_email, reservation.request_key, may_exist=looks_first[0]
                )
            except TransientFailure:
                looks_first[0] = True  # a create that failed for now may still have happened
                raise

        try:
            meeting = retry_transient(
                create_once,
                what="provider create",
                budget_seconds=retry_budget(provider, self._settings.provider_retry_seconds),
                clock=self._clock,
                sleep=self._sleep,
            )
        except CreationUnconfirmed as err:
            # The meeting may exist: keep the reservation and its request key, and let the
            # next attempt take it over at once, looking for the meeting before creating.
            self._conference_store.expire_reservation(reservation)
            raise _Refused(refusal_for(err)) from err
        except InvalidConferenceData as err:
            self._conference_store.release(reservation)  # the provider deleted its meeting
            logger.error("the provider built invalid ConferenceData", extra=fields(field=err.field))
            raise _Refused(refusal_for(err)) from err
        except BundleError as err:
            self._conference_store.release(reservation)
            raise _Refused(refusal_for(err)) from err
        try:
            validate_conference_data(meeting.conference_data)
        except InvalidConferenceData as err:
            self._discard(provider, meeting)  # nobody can join a meeting Calendar cannot show
            self._conference_store.release(reservation)
            logger.error("the provider built invalid ConferenceData", extra=fields(field=err.field))
            raise _Refused(refusal_for(err)) from err
        try:
            record = self._conference_store.complete(
                reservation, self._mapping_fields(provider, meeting, spec), written_at=written_at
            )
        except LeaseLost as err:
            self._discard(provider, meeting)
            raise _Refused(TAKEN_OVER_WHILE_WORKING) from err
        except TransientFailure:
            # The commit's outcome is unknown: it may have stored a ready record pointing at
            # this meeting, so the meeting is never deleted here. Our lease is let go: the
            # next attempt takes the reservation over (finding the meeting by its request
            # key) or, if the commit went through, hands out the stored answer.
            with contextlib.suppress(BundleError):
                self._conference_store.expire_reservation(reservation)
            raise
        return record.conference_data or meeting.conference_data

    def _mapping_fields(
        self, provider: Provider, meeting: Meeting, spec: MeetingSpec
    ) -> dict[str, Any]:
        conference_id = meeting.conference_data.get("conferenceId")
        return {
            "conferenceId": conference_id,
            "meetingId": meeting.meeting_id,
            "conferenceData": meeting.conference_data,
            "spec": spec.as_record(),
            "fingerprint": fingerprint_of(provider.relevant(spec)),
            "placeholder": spec.placeholder,
            "attached": False,  # until sync sees the event carry the conference
            # ... and if it never does, the sweep removes the meeting after this:
            "abandonCheckAt": self._now()
            + timedelta(seconds=self._settings.placeholder_max_age_seconds),
            "followers": [],
            "provider": provider.name,
            "expireAt": record_expiry(spec, self._settings.mapping_retention_days, self._now()),
        }

    @staticmethod
    def _discard(provider: Provider, meeting: Meeting) -> None:
        try:
            provider.delete(meeting.meeting_id)
        except (BundleError, PermanentFailure) as err:
            logger.error(
                "could not delete an orphaned meeting",
                extra=fields(meeting_id=meeting.meeting_id, reason=str(err)),
            )
