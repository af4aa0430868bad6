"""Setting a calendar up for syncing: a push channel and the first sync token.

Order matters: the channel record (random id, 256-bit secret token, only its hash
stored) is written before ``events.watch`` is called, since Calendar's ``sync`` message
can arrive before the call returns. The first sync token comes from a full listing with
exactly the parameters incremental sync uses (``LIST_PARAMS``), fetching only
``nextPageToken,nextSyncToken`` so paging is cheap. When any step fails or the time
budget runs out, the calendar stays ``pending`` with the reason, for the sweep to finish.

Each creation makes sure its calendar is set up (:meth:`SyncSetup.ensure`). A calendar
seen ``ready`` is remembered by the instance for at most :data:`READY_MEMORY_SECONDS`
(:class:`ReadyCalendars`), so that creations on it cost no round trip; no other state is
ever remembered, since a creation on a calendar whose sync stopped resumes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.errors import (
    AccessDenied,
    BundleError,
    DeploymentMisconfigured,
    NotFound,
    TransientFailure,
)
from shared.google.calendar_api import CalendarApi
from shared.state.calendars import CalendarStore, SetupState
from shared.state.channels import ChannelStore, new_channel_secrets
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

# The sweep leaves a calendar alone while its inline set-up may still be running.
INLINE_SETUP_MARGIN_SECONDS = 60.0
# How long an instance trusts that a calendar it saw ready is still ready.
READY_MEMORY_SECONDS = 300.0
READY_MEMORY_SIZE = 10_000
STOPPED_STATES = (SetupState.ACCESS_REVOKED, SetupState.WATCH_FAILED)


class ReadyCalendars:
    """The calendars this instance saw ``ready``, each for at most ``max_age`` seconds
    (the oldest forgotten first past ``max_size``); thread-safe. Any other state seen for
    a calendar forgets it: only ``ready`` is ever remembered."""

    def __init__(
        self,
        max_age: float = READY_MEMORY_SECONDS,
        max_size: int = READY_MEMORY_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_age = max_age
        self._max_size = max_size
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()

    def note(self, calendar_id: str, state: SetupState | None) -> None:
        """What a read found (None: no document)."""
        with self._lock:
            self._seen.pop(calendar_id, None)
            if state is SetupState.READY and self._max_age > 0:
                self._seen[calendar_id] = self._clock()
                while len(self._seen) > self._max_size:
                    self._seen.popitem(last=False)

    def is_ready(self, calendar_id: str) -> bool:
        """True when the calendar was seen ready less than ``max_age`` seconds ago."""
        with self._lock:
            seen = self._seen.get(calendar_id)
            if seen is None:
                return False
            if self._clock() - seen >= self._max_age:
                del self._seen[calendar_id]
                return False
            return True


class SetupBudgetExceeded(TransientFailure):
    """The inline time budget ran out before set-up finished."""


def parse_expiration(value: object) -> datetime | None:
    """A channel's ``expiration`` (milliseconds, possibly as a string) as an aware time."""
    try:
        millis = int(str(value))
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)


def setup_state_for(err: BundleError) -> SetupState:
    """Where a failed set-up leaves the calendar: revoked access and a calendar that
    cannot be watched are recorded as such (the sweep does not retry them in a loop; lost
    access is tried again after a growing interval); anything else stays pending for the
    sweep to finish."""
    if isinstance(err, AccessDenied):
        return SetupState.ACCESS_REVOKED
    if isinstance(err, NotFound):
        return SetupState.WATCH_FAILED
    return SetupState.PENDING


class SyncSetup:
    def __init__(
        self,
        *,
        calendar_store: CalendarStore,
        channel_store: ChannelStore,
        calendar_api: CalendarApi,
        webhook_url: str,
        channel_ttl_seconds: int,
        renew_window_seconds: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
        ready: ReadyCalendars | None = None,
    ) -> None:
        self._calendar_store = calendar_store
        self._channel_store = channel_store
        self._calendar_api = calendar_api
        self._webhook_url = webhook_url
        self._ttl = channel_ttl_seconds
        self._renew_window = timedelta(seconds=renew_window_seconds)
        self._clock = clock
        self._ready = ready if ready is not None else ReadyCalendars()

    def ensure(
        self, calendar_id: str, user: str, budget_seconds: float, time_zone: str | None = None
    ) -> None:
        """Set the calendar up unless it already is (or is being) set up. Never raises.

        A calendar whose sync stopped (its sync user lost access, or it could not be
        watched) is taken over by ``user``, who has just shown access to it; the sweep then
        finishes its set-up, catching up on the changes made while it was stopped.

        A calendar this instance saw ready within :data:`READY_MEMORY_SECONDS` costs no
        round trip; otherwise its document is read once, and claimed only when missing.
        """
        if self._ready.is_ready(calendar_id):
            return
        try:
            current = self._calendar_store.get_calendar(calendar_id)
            self._ready.note(calendar_id, current.setup_state if current else None)
            if current is not None and current.setup_state not in STOPPED_STATES:
                return  # ready, or being set up
            due_after = timedelta(seconds=budget_seconds + INLINE_SETUP_MARGIN_SECONDS)
            if current is not None or not self._calendar_store.claim_calendar(
                calendar_id, user, time_zone, due_after
            ):
                if self._calendar_store.take_over_stopped(calendar_id, user):
                    logger.info(
                        "stopped sync handed to another user; the sweep resumes it",
                        extra=fields(calendar_id=calendar_id),
                    )
                return
        except BundleError as err:
            logger.warning(
                "sync set-up could not be claimed",
                extra=fields(calendar_id=calendar_id, reason=str(err)),
            )
            return
        self.set_up_now(calendar_id, user, budget_seconds)

    def ensure_with_its_zone(self, calendar_id: str, user: str, budget_seconds: float) -> None:
        """A conference moved to another calendar: make sure that calendar is synced,
        with its own time zone (events without one are read in it). Never raises."""
        try:
            zone = self._calendar_api.get_calendar(user, calendar_id).get("timeZone")
        except BundleError:
            zone = None  # set-up goes on; the sweep can still finish it
        self.ensure(calendar_id, user, budget_seconds, zone)

    def set_up_now(self, calendar_id: str, user: str, budget_seconds: float) -> bool:
        """Create a channel and take the first sync token; record the outcome."""
        deadline = self._clock() + budget_seconds
        try:
            channel_id = self.start_channel(calendar_id, user)
            self._check(deadline)
            token = self.first_sync_token(calendar_id, user, deadline)
        except DeploymentMisconfigured:
            # Not this calendar's failure (logged once where it was met): the calendar
            # stays as claimed, pending, and the sweep finishes it once the grant works.
            return False
        except BundleError as err:
            state = setup_state_for(err)
            # Due at once: the next sweep finishes it (the sweep backs off its own failures).
            self._calendar_store.set_state(calendar_id, state, error=str(err))
            logger.warning(
                "sync set-up not finished",
                extra=fields(calendar_id=calendar_id, state=state.value, reason=str(err)),
            )
            return False
        self._calendar_store.set_state(
            calendar_id,
            SetupState.READY,  # also takes it out of the sweep's set-up queue
            extra={"syncToken": token, "lastSyncAt": datetime.now(UTC)},
        )
        self._ready.note(calendar_id, SetupState.READY)
        logger.info("sync set up", extra=fields(calendar_id=calendar_id, channel_id=channel_id))
        return True

    def _check(self, deadline: float) -> None:
        if self._clock() > deadline:
            raise SetupBudgetExceeded("sync set-up ran out of time")

    def start_channel(self, calendar_id: str, user: str) -> str:
        """Write a channel record, watch the calendar, store what the watch returned."""
        channel_id, token = new_channel_secrets()
        self._channel_store.save_channel(channel_id, calendar_id, token)
        answer = self._calendar_api.watch(
            user,
            calendar_id,
            channel_id=channel_id,
            token=token,
            address=self._webhook_url,
            ttl_seconds=self._ttl,
            num_retries=1,
        )
        expiration = parse_expiration(answer.get("expiration"))
        self._channel_store.record_watch(channel_id, str(answer.get("resourceId", "")), expiration)
        self._calendar_store.update_calendar(
            calendar_id,
            {
                "activeChannelId": channel_id,
                "channelExpiresAt": expiration,
                "renewAt": self.renew_at(expiration),
            },
        )
        return channel_id

    def renew_at(self, expiration: datetime | None) -> datetime:
        """When the sweep should replace a channel expiring at ``expiration``."""
        if expiration is None:  # Calendar gave no expiry: renew at the next sweep
            return datetime.now(UTC)
        return expiration - self._renew_window

    def first_sync_token(self, calendar_id: str, user: str, deadline: float | None) -> str:
        """Page through a full listing (ids only) until its nextSyncToken."""
        page_token: str | None = None
        while True:
            page = self._calendar_api.list_events_page(
                user,
                calendar_id,
                page_token=page_token,
                fields="nextPageToken,nextSyncToken",
                num_retries=1,
            )
            if page.get("nextSyncToken"):
                return str(page["nextSyncToken"])
            page_token = page.get("nextPageToken")
            if not page_token:
                raise TransientFailure("a listing ended without a sync token")
            if deadline is not None:
                self._check(deadline)
