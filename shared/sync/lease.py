"""Sync passes under a calendar's lease, until no message is left unserved.

A message is counted first and the lease read after; a holder, once it has released the
lease, reads the count again and takes the lease back if it moved. So a message that
finds the lease held is sure to be served. See docs/sync-model.md#one-sync-per-calendar.

Calendar sends messages in bursts (one per changed event, often many at once). So when
messages keep coming, the webhook's holder lets them settle before a pass: it starts the
pass once no new message was counted for ``settle_seconds`` (``SYNC_SETTLE_SECONDS``), or
after :data:`SETTLE_STEPS` such waits, whichever comes first; the messages counted
meanwhile are served by that pass. A burst shows as messages counted after the holder's
own (before its first pass) or during a pass (before the next); a lone message passes at
once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from shared.clock import utcnow
from shared.errors import (
    AccessDenied,
    NotFound,
    PermanentFailure,
    QuotaExhausted,
    TransientFailure,
)
from shared.state.calendars import CalendarStore, SetupState
from shared.state.leases import LeaseStore, SyncLease
from shared.structured_logging import fields
from shared.sync.passes import CalendarSync

logger = logging.getLogger(__name__)

LEASE_MARGIN_SECONDS = 60.0
TIME_MARGIN_SECONDS = 15.0
# The holder waits for a burst to settle at most this many times settle_seconds.
SETTLE_STEPS = 10


class Outcome(StrEnum):
    UNKNOWN_CHANNEL = "unknown_channel"
    SYNC_MESSAGE = "sync_message"
    NOT_SET_UP = "not_set_up"
    COALESCED = "coalesced"
    SYNCED = "synced"
    ACCESS_REVOKED = "access_revoked"
    FAILED = "failed"
    BACKING_OFF = "backing_off"


class LeasedSync:
    """Runs sync passes under a calendar's lease until no message is left unserved."""

    def __init__(
        self,
        *,
        calendar_store: CalendarStore,
        lease_store: LeaseStore,
        engine: CalendarSync,
        function_timeout_seconds: float,
        settle_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._calendar_store = calendar_store
        self._lease_store = lease_store
        self._engine = engine
        self._timeout = function_timeout_seconds
        self._lease_seconds = function_timeout_seconds + LEASE_MARGIN_SECONDS
        self._settle_seconds = settle_seconds
        self._clock = clock
        self._sleep = sleep

    @property
    def lease_seconds(self) -> float:
        return self._lease_seconds

    def sync_under_lease(
        self,
        lease: SyncLease,
        *,
        first_pass: bool = True,
        deadline: float | None = None,
        settle: bool = False,
    ) -> Outcome:
        """Pass after pass until a pass ends with no new message; then the lease is free.

        ``first_pass=False`` serves only the messages that arrived while the lease was
        held for other work (the sweep's renewals and set-ups). ``deadline`` (on this
        object's clock) shortens the function's own time budget (the sweep's).
        ``settle``: messages that arrived during a pass let the burst settle before the
        next pass (the webhook's).
        """
        calendar_id = lease.calendar.calendar_id
        own = self._clock() + max(1.0, self._timeout - TIME_MARGIN_SECONDS)
        deadline = own if deadline is None else min(own, deadline)
        try:
            if first_pass:
                self._pass(lease)
            while True:
                if self._lease_store.finish_pass(lease, self._lease_seconds):
                    return Outcome.SYNCED
                if lease.calendar.setup_state is not SetupState.READY:
                    # Taken back for messages counted before its sync stopped (access
                    # lost, a set-up pending): they are served once it is ready again.
                    self._lease_store.release_lease(lease)
                    return Outcome.NOT_SET_UP
                if settle:
                    self.settle(lease)
                self._pass(lease)
                if self._clock() > deadline:
                    raise TransientFailure("messages kept arriving past the time budget")
        except QuotaExhausted as err:
            # A daily or project quota: not retried in a loop. The calendar backs off for
            # long; the sweep resumes it (docs/sync-model.md#failures). 503 all the same.
            self._lease_store.release_lease(lease)
            self.back_off(calendar_id, err)
            raise
        except (AccessDenied, NotFound) as err:
            # The sync user lost the calendar (access removed, the user suspended or
            # deleted, the calendar deleted): recorded, not retried in a loop; the sweep
            # tries it again after a growing interval (docs/sync-model.md#failures).
            # The deployment's own refusals (DeploymentMisconfigured) are transient and
            # never end up here: they change no calendar.
            self._lease_store.release_lease(lease)
            retries = lease.calendar.retries_after_refusal()
            self._calendar_store.set_state(
                calendar_id,
                SetupState.ACCESS_REVOKED,
                error=str(err),
                access_retries=retries,
                extra={"lastSyncAt": utcnow()},
            )
            logger.error(
                "calendar access refused; sync stopped for it",
                extra=fields(calendar_id=calendar_id, reason=str(err), refused_retries=retries),
            )
            return Outcome.ACCESS_REVOKED
        except PermanentFailure as err:
            # Retrying the same listing cannot help: recorded for the operator; the next
            # message or the sweep tries again. Its safety-net due time moves on too, so
            # a calendar that keeps failing never holds the sweep's batch.
            self._lease_store.release_lease(lease)
            self._calendar_store.update_calendar(
                calendar_id, {"lastSyncError": str(err), "lastSyncAt": utcnow()}
            )
            logger.error(
                "sync failed permanently",
                extra=fields(calendar_id=calendar_id, reason=str(err)),
            )
            return Outcome.FAILED
        except BaseException:
            self._lease_store.release_lease(lease)
            raise

    def back_off(self, calendar_id: str, err: QuotaExhausted) -> None:
        """Calendar's quota is exhausted: the calendar is not synced before
        ``quotaRetryAt`` (messages meanwhile are counted and answered ``backing_off``;
        the sweep resumes it then). Logged once, here."""
        retry_at = utcnow() + timedelta(seconds=err.retry_after or err.BACK_OFF_SECONDS)
        self._calendar_store.update_calendar(
            calendar_id, {"quotaRetryAt": retry_at, "lastSyncError": str(err)}
        )
        err.recorded = True
        logger.warning(
            "Calendar quota exhausted; the calendar backs off",
            extra=fields(calendar_id=calendar_id, retry_at=retry_at.isoformat(), reason=str(err)),
        )

    def count_only(self, calendar_id: str) -> Outcome:
        """A message for a calendar that backs off: counted (so that the pass that
        resumes it serves it), nothing else."""
        self._lease_store.note_message(calendar_id)
        return Outcome.BACKING_OFF

    def settle(self, lease: SyncLease) -> None:
        """Wait until no message was counted for ``settle_seconds`` (at most
        :data:`SETTLE_STEPS` waits); the next pass then covers every message counted."""
        if self._settle_seconds <= 0:
            return
        calendar_id = lease.calendar.calendar_id
        for _ in range(SETTLE_STEPS):
            self._sleep(self._settle_seconds)
            count = self._lease_store.message_count(calendar_id)
            moved = count > lease.seen
            lease.seen = max(lease.seen, count)
            if not moved:
                return

    def _pass(self, lease: SyncLease) -> None:
        """One pass covering the messages counted before the lease was (re)taken."""
        self._engine.run_pass(
            lease.calendar.calendar_id,
            lease.seen,
            commit=lambda changes: self._lease_store.commit_pass(lease, changes),
            fence=self._lease_store.fence(lease),
            calendar_state=lease.calendar,
        )
        lease.served = lease.seen

    def sync_now(self, calendar_id: str) -> Outcome:
        """Count a message and sync unless a holder already does (then it is coalesced).

        The count comes first, the lease is read after: a holder, once it has released
        the lease, reads the count again and takes the lease back if it moved. So a
        message that sees the lease held (a plain read, no transaction) is sure to be
        served, by that holder or by whoever takes the lease next.
        """
        counted = self._lease_store.note_message(calendar_id)
        if self._lease_store.lease_is_live(calendar_id):
            return Outcome.COALESCED
        lease = self._lease_store.acquire_lease(calendar_id, self._lease_seconds)
        if lease is None:
            return Outcome.COALESCED
        if counted is None or lease.seen > counted:
            try:
                self.settle(lease)  # others came after this one: a burst
            except BaseException:
                self._lease_store.release_lease(lease)
                raise
        return self.sync_under_lease(lease, settle=True)
