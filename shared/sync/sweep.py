"""The periodic sweep (Cloud Scheduler, every few minutes).

Each task works in bounded batches from single-field queries (no composite index), and
does its per-calendar work under the calendar's sync lease, so two sweeps at once (or a
sweep and a push message) never work on one calendar together. Tasks:

0. retry calendars whose sync user lost access, once their ``accessRetryAt`` is due
   (an hour after the refusal, doubling to a day): resumed if the sync user may sync
   them again, else handed to another owner of one of their conferences who may;
1. renew channels expiring within the window: a new channel first, then the old one
   stopped (messages on it are accepted until then);
2. finish sync set-ups left pending by creation (channel, first token, catch-up);
3. safety-net sync of calendars not synced within the interval (messages can be
   dropped), tearing down calendars that no longer have any record;
4. remove conferences never saved onto their event (placeholders whose event never
   appeared: 404 after the configured age), deleting their meetings;
5. resume calendars that backed off after Calendar's quota ran out (``quotaRetryAt``);
6. try again the changes the provider refused for now (records in ``retry_pending`` or
   ``delete_pending`` whose ``retryAt`` passed), under their calendar's lease.

Calendars whose watch or access fails are recorded with the reason
(``watch_failed`` / ``access_revoked``) and only looked at again after the interval.
When the deployment itself is refused (DeploymentMisconfigured: the delegation grant or
the token-creator binding), the sweep stops at once and changes nothing: every calendar
would fail alike; it answers 503 and the next run finds the same work due.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.clock import utcnow
from shared.conferences.carried import carries
from shared.config import Settings
from shared.errors import (
    BundleError,
    DeploymentMisconfigured,
    NotFound,
    QuotaExhausted,
    TransientFailure,
)
from shared.google.calendar_api import CalendarApi
from shared.state.calendars import CalendarState, CalendarStore, SetupState
from shared.state.channels import Channel, ChannelStore
from shared.state.conferences import ConferenceRecord, ConferenceStore, RecordState
from shared.state.leases import NO_FENCE, LeaseFence, LeaseNoLongerHeld, LeaseStore, SyncLease
from shared.structured_logging import fields
from shared.sync.access import SyncAccess
from shared.sync.changes import ChangeHandler, PassStats
from shared.sync.lease import LeasedSync, Outcome
from shared.sync.setup import SyncSetup, setup_state_for

logger = logging.getLogger(__name__)

SWEEP_RETRY = timedelta(minutes=10)  # a failed step is tried again after this
# Other conference owners asked, per retry of a calendar whose sync user lost access.
TAKEOVER_CANDIDATES = 10


class Sweep:
    def __init__(
        self,
        *,
        settings: Settings,
        calendar_store: CalendarStore,
        channel_store: ChannelStore,
        lease_store: LeaseStore,
        conference_store: ConferenceStore,
        calendar_api: CalendarApi,
        sync_setup: SyncSetup,
        handler: ChangeHandler,
        leased_sync: LeasedSync,
        now: Callable[[], datetime] = utcnow,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._calendar_store = calendar_store
        self._channel_store = channel_store
        self._lease_store = lease_store
        self._conference_store = conference_store
        self._calendar_api = calendar_api
        self._setup = sync_setup
        self._handler = handler
        self._leased_sync = leased_sync
        self._access = SyncAccess(calendar_api)
        self._now = now
        self._clock = clock
        self._deadline = float("inf")

    def do_due_work(self) -> dict[str, int]:
        report = {
            "renewed": 0,
            "set_up": 0,
            "synced": 0,
            "torn_down": 0,
            "abandoned_conferences": 0,
            "resumed": 0,
            "handed_over": 0,
            "still_revoked": 0,
            "failed": 0,
            "busy": 0,
            "deferred": 0,
            "quota_resumed": 0,
            "retried": 0,
        }
        # Stop taking work in time: a sweep that Cloud Run cuts off at its timeout would
        # leave a lease behind (docs/sync-model.md#the-sweep).
        self._deadline = self._clock() + self._settings.sweep_budget_seconds
        tasks = (
            self._retry_access,
            self._renew,
            self._finish_setups,
            self._safety_sync,
            self._abandoned,
            self._resume_after_quota,
            self._retry_records,
        )
        try:
            for task in tasks:
                task(report)
        except DeploymentMisconfigured:
            # Every calendar would be refused alike: stop, change nothing (the ERROR was
            # logged where the refusal was met); the edge answers 503.
            logger.warning("sweep stopped: the deployment is refused", extra=fields(**report))
            raise
        logger.info("sweep done", extra=fields(**report))
        return report

    # -- helpers ---------------------------------------------------------------------
    def _batch(self, field_name: str, op: str, value: Any) -> list[CalendarState]:
        return self._calendar_store.where(field_name, op, value, self._settings.sweep_batch_size)

    def _with_lease(
        self, calendar_id: str, report: dict[str, int], work: Callable[[SyncLease], None]
    ) -> None:
        if self._clock() >= self._deadline:
            report["deferred"] += 1  # the next sweep finds it still due
            return
        lease = self._lease_store.acquire_lease(calendar_id, self._leased_sync.lease_seconds)
        if lease is None:
            report["busy"] += 1
            return
        try:
            try:
                work(lease)
            except DeploymentMisconfigured:
                raise  # not this calendar's failure: nothing is recorded on it
            except QuotaExhausted as err:
                # Calendar refuses this calendar for long: no pass now (not even for the
                # messages that arrived meanwhile); the back-off's end resumes it.
                report["failed"] += 1
                self._record_failure(calendar_id, err)
                return
            except BundleError as err:
                report["failed"] += 1
                self._record_failure(calendar_id, err)
            # Messages that arrived meanwhile were coalesced into this lease: serve them,
            # whether the work succeeded or not.
            self._leased_sync.sync_under_lease(lease, first_pass=False, deadline=self._deadline)
        except DeploymentMisconfigured:
            raise
        except BundleError as err:
            self._record_failure(calendar_id, err)
        finally:
            self._lease_store.release_lease(lease)

    def _record_failure(self, calendar_id: str, err: BundleError) -> None:
        """Recorded, and pushed to the back of every queue it was in (due times later:
        ten minutes, or the back-off of an exhausted Calendar quota)."""
        now = self._now()
        retry = SWEEP_RETRY
        changes: dict[str, Any] = {"lastSyncError": str(err), "lastSyncAt": now}
        quota = err if isinstance(err, QuotaExhausted) else None
        if quota is not None:
            retry = timedelta(seconds=quota.retry_after or quota.BACK_OFF_SECONDS)
            changes["quotaRetryAt"] = now + retry
        with contextlib.suppress(BundleError):
            current = self._calendar_store.get_calendar(calendar_id)
            state = None if isinstance(err, TransientFailure) else setup_state_for(err)
            if state is not None and state is not SetupState.PENDING:
                retries = current.retries_after_refusal() if current is not None else 0
                self._calendar_store.set_state(
                    calendar_id, state, error=str(err), access_retries=retries, extra=changes
                )
                return
            if current is not None and current.setup_state is SetupState.PENDING:
                changes["setupDueAt"] = now + retry
            elif current is not None and current.setup_state is SetupState.READY:
                changes["renewAt"] = now + retry  # only if renewal was due
                if current.renew_at is not None and current.renew_at > now:
                    changes.pop("renewAt")
            elif current is not None and current.setup_state is SetupState.ACCESS_REVOKED:
                changes["accessRetryAt"] = now + retry  # a retry that failed for now
            self._calendar_store.update_calendar(calendar_id, changes)
        if quota is not None and quota.recorded:
            return  # the pass that met it logged the back-off: once is enough
        message = "Calendar quota exhausted; the calendar backs off" if quota else None
        logger.warning(
            message or "sweep could not finish a calendar",
            extra=fields(calendar_id=calendar_id, error=type(err).__name__, reason=str(err)),
        )

    # -- 0. calendars whose sync user lost access --------------------------------------
    def _retry_access(self, report: dict[str, int]) -> None:
        now = self._now()
        for calendar_state in self._batch("accessRetryAt", "<=", now):

            def retry(lease: SyncLease) -> None:
                fresh = lease.calendar  # read under the lease: another sweep may be done
                due = fresh.access_retry_at
                if fresh.setup_state is not SetupState.ACCESS_REVOKED or due is None or due > now:
                    return
                report[self.retry_access(lease)] += 1

            self._with_lease(calendar_state.calendar_id, report, retry)

    def retry_access(self, lease: SyncLease) -> str:
        """Try again a calendar whose sync user lost access; return what came of it.

        ``resumed``: the sync user may sync it again; it catches up (an incremental pass
        from the kept sync token, or the set-up if the token is gone). ``handed_over``:
        another owner of one of its conferences may sync it and becomes its sync user
        (the set-up task finishes it as that user). ``still_revoked``: tried again after
        a longer interval.
        """
        state = lease.calendar
        if self._access.may_sync(state.sync_user, state.calendar_id):
            if self._resume(lease) is not Outcome.ACCESS_REVOKED:
                return "resumed"
            return "still_revoked"  # the pass was refused after all: recorded by the lease
        for candidate in self._other_owners(state):
            if not self._access.may_sync(candidate, state.calendar_id):
                continue
            if self._calendar_store.take_over_stopped(state.calendar_id, candidate):
                logger.info(
                    "stopped sync handed to another conference owner",
                    extra=fields(calendar_id=state.calendar_id),
                )
                return "handed_over"
        retries = state.retries_after_refusal()
        self._calendar_store.set_state(
            state.calendar_id,
            SetupState.ACCESS_REVOKED,
            error=state.setup_error,
            access_retries=retries,
        )
        logger.info(
            "calendar access still refused; tried again later",
            extra=fields(calendar_id=state.calendar_id, refused_retries=retries),
        )
        return "still_revoked"

    def _resume(self, lease: SyncLease) -> Outcome | None:
        state = lease.calendar
        if not state.sync_token:
            self._calendar_store.set_state(state.calendar_id, SetupState.PENDING)
            self.finish_setup(state, self._lease_store.fence(lease))
            return None
        # Ready again with the kept token; a new channel at once (the renewal task runs
        # next), since the old one may have died with the access. Then catch up.
        self._calendar_store.set_state(
            state.calendar_id, SetupState.READY, extra={"renewAt": self._now()}
        )
        logger.info("sync resumed: access works again", extra=fields(calendar_id=state.calendar_id))
        return self._leased_sync.sync_under_lease(lease, deadline=self._deadline)

    def _other_owners(self, state: CalendarState) -> list[str]:
        """Owners of the calendar's conferences other than its sync user, oldest first."""
        seen = {state.sync_user.lower()}
        owners: list[str] = []
        records = self._conference_store.for_calendar(state.calendar_id)
        oldest_first = sorted(
            records, key=lambda r: r.created_at or datetime.max.replace(tzinfo=UTC)
        )
        for record in oldest_first:
            email = record.owner_email
            if email and email.lower() not in seen:
                seen.add(email.lower())
                owners.append(email)
        return owners[:TAKEOVER_CANDIDATES]

    # -- 1. renewal ------------------------------------------------------------------
    def _renew(self, report: dict[str, int]) -> None:
        now = self._now()
        for calendar_state in self._batch("renewAt", "<", now):

            def renew(lease: SyncLease) -> None:
                fresh = lease.calendar  # read under the lease: another sweep may be done
                due = fresh.renew_at
                if fresh.setup_state is not SetupState.READY or due is None or due >= now:
                    return
                self.renew_channel(fresh)
                report["renewed"] += 1

            self._with_lease(calendar_state.calendar_id, report, renew)

    def renew_channel(self, calendar_state: CalendarState) -> None:
        """A new channel, then the old one(s) stopped and forgotten.

        A stop that Calendar refuses (only the user and OAuth client that created a
        channel may stop it) or that fails now is logged and not retried: the old channel
        expires by itself, and its messages meanwhile meet "unknown channel". It never
        fails the renewal, which has already succeeded.
        """
        new_channel_id = self._setup.start_channel(
            calendar_state.calendar_id, calendar_state.sync_user
        )
        for channel in self._channel_store.channels_of(calendar_state.calendar_id):
            if channel.channel_id != new_channel_id:
                self._stop_and_forget(calendar_state, channel)
        logger.info(
            "channel renewed",
            extra=fields(calendar_id=calendar_state.calendar_id, channel_id=new_channel_id),
        )

    def _stop_and_forget(self, calendar_state: CalendarState, channel: Channel) -> None:
        """Stop a channel and drop its record. A stop Calendar refuses (only the user and
        OAuth client that made a channel may stop it) or that fails now is logged, not
        retried: the channel expires by itself, its messages meet "unknown channel"."""
        if channel.resource_id:
            try:
                self._calendar_api.stop_channel(
                    calendar_state.sync_user, channel.channel_id, channel.resource_id
                )
            except BundleError as err:
                logger.warning(
                    "channel not stopped; it will expire",
                    extra=fields(
                        calendar_id=calendar_state.calendar_id,
                        channel_id=channel.channel_id,
                        reason=str(err),
                    ),
                )
        self._channel_store.delete_channel(channel.channel_id)

    # -- 2. pending set-ups --------------------------------------------------------------
    def _finish_setups(self, report: dict[str, int]) -> None:
        now = self._now()
        for calendar_state in self._batch("setupDueAt", "<=", now):

            def finish(lease: SyncLease) -> None:
                fresh = lease.calendar
                if fresh.setup_state is not SetupState.PENDING:
                    # Finished meanwhile: make sure it leaves the set-up queue.
                    self._calendar_store.update_calendar(fresh.calendar_id, {"setupDueAt": None})
                    return
                if fresh.setup_due_at is not None and fresh.setup_due_at > now:
                    return  # tried by another sweep meanwhile
                self.finish_setup(lease.calendar, self._lease_store.fence(lease))
                report["set_up"] += 1

            self._with_lease(calendar_state.calendar_id, report, finish)

    def finish_setup(self, calendar_state: CalendarState, fence: LeaseFence = NO_FENCE) -> None:
        """Channel if none is live, first token, then catch up on the mapped events."""
        channels = self._channel_store.channels_of(calendar_state.calendar_id)
        active = [
            c
            for c in channels
            if c.channel_id == calendar_state.active_channel_id and c.resource_id
        ]
        renew_at = self._setup.renew_at(active[0].expiration) if active else None
        if not active:
            # None was confirmed by events.watch, or they belong to a former sync user:
            # forget them (their messages then meet "unknown channel") and start anew.
            for stale in channels:
                self._channel_store.delete_channel(stale.channel_id)
            self._setup.start_channel(calendar_state.calendar_id, calendar_state.sync_user)
        token = self._setup.first_sync_token(
            calendar_state.calendar_id, calendar_state.sync_user, None
        )
        # Changes made before this token are not in any incremental sync: read each
        # mapped event once so that none is missed.
        stats = PassStats(fence=fence)
        for record in self._conference_store.for_calendar(calendar_state.calendar_id):
            self._catch_up(calendar_state, record, stats)
        done: dict[str, Any] = {"syncToken": token, "lastSyncAt": self._now()}
        if renew_at is not None:  # the kept channel: its renewal is due again
            done["renewAt"] = renew_at
        self._calendar_store.set_state(calendar_state.calendar_id, SetupState.READY, extra=done)
        logger.info("sync set-up finished", extra=fields(calendar_id=calendar_state.calendar_id))

    def _catch_up(
        self, calendar_state: CalendarState, record: ConferenceRecord, stats: PassStats
    ) -> None:
        try:
            event = self._calendar_api.get_event(
                calendar_state.sync_user, calendar_state.calendar_id, record.key.event_id
            )
        except NotFound:
            self._handler.confirm_gone(calendar_state, record, stats)
            return
        self._handler.apply(calendar_state, event, [record], stats)

    # -- 3. safety-net sync and tear-down ------------------------------------------------
    def _safety_sync(self, report: dict[str, int]) -> None:
        cutoff = self._now() - timedelta(seconds=self._settings.safety_sync_interval_seconds)
        for calendar_state in self._batch("lastSyncAt", "<", cutoff):
            if not self._conference_store.any_for_calendar(calendar_state.calendar_id):

                def tear_down(lease: SyncLease) -> None:
                    if self._conference_store.any_for_calendar(lease.calendar.calendar_id):
                        return  # a conference was created meanwhile
                    self.tear_down(lease.calendar)
                    report["torn_down"] += 1

                self._with_lease(calendar_state.calendar_id, report, tear_down)
                continue
            if calendar_state.setup_state is not SetupState.READY or calendar_state.backs_off(
                self._now()
            ):
                # Not synced now (its own queue resumes a calendar that backs off): it
                # leaves this batch until its next interval.
                self._calendar_store.update_calendar(
                    calendar_state.calendar_id, {"lastSyncAt": self._now()}
                )
                continue

            def sync(lease: SyncLease) -> None:
                last = lease.calendar.last_sync_at
                if last is not None and last >= cutoff:
                    return  # synced meanwhile (by a message or another sweep)
                self._leased_sync.sync_under_lease(lease, deadline=self._deadline)
                report["synced"] += 1

            self._with_lease(calendar_state.calendar_id, report, sync)

    def tear_down(self, calendar_state: CalendarState) -> None:
        """Stop the channels and remove the state of a calendar with no record left.

        The calendar's document goes first; then the records are counted again: a
        conference created meanwhile (whose set-up found the document still there)
        makes the calendar pending again, for the next sweep to set up.
        """
        # Only the channels that exist now are stopped: one made by a creation that
        # claims the calendar after its document is gone belongs to the new set-up.
        channels = self._channel_store.channels_of(calendar_state.calendar_id)
        self._calendar_store.delete_calendar(calendar_state.calendar_id)
        self._lease_store.delete_for(calendar_state.calendar_id)
        survivors = self._conference_store.for_calendar(calendar_state.calendar_id)
        if survivors:
            self._calendar_store.claim_calendar(
                calendar_state.calendar_id, survivors[0].owner_email, calendar_state.time_zone
            )
            logger.info(
                "a conference appeared during tear-down: calendar set up again",
                extra=fields(calendar_id=calendar_state.calendar_id),
            )
        for channel in channels:
            self._stop_and_forget(calendar_state, channel)
        if not survivors:
            logger.info(
                "calendar without conferences torn down",
                extra=fields(calendar_id=calendar_state.calendar_id),
            )

    # -- 4. conferences never saved onto their event -----------------------------------
    def _abandoned(self, report: dict[str, int]) -> None:
        """Conferences whose ``abandonCheckAt`` passed: created, never seen on their event.

        ``abandonCheckAt`` is set at creation (``PLACEHOLDER_MAX_AGE_SECONDS`` later) and
        cleared when sync sees the event carry the conference; a check that fails moves
        it back, so failures never hold the batch.
        """
        now = self._now()
        for record in self._conference_store.due(
            "abandonCheckAt", now, self._settings.sweep_batch_size
        ):
            if self._clock() >= self._deadline:
                report["deferred"] += 1
                continue
            try:
                self._check_abandoned(record, report)
            except DeploymentMisconfigured:
                raise
            except BundleError as err:
                report["failed"] += 1
                logger.warning(
                    "could not check an unsaved conference",
                    extra=fields(doc=record.key.doc_id, reason=str(err)),
                )
                with contextlib.suppress(BundleError):
                    self._conference_store.update(record.key, {"abandonCheckAt": now + SWEEP_RETRY})

    def _check_abandoned(self, record: ConferenceRecord, report: dict[str, int]) -> None:
        calendar_state = self._calendar_store.get_calendar(record.key.calendar_id)
        user = calendar_state.sync_user if calendar_state else record.owner_email
        try:
            event: dict[str, Any] | None = self._calendar_api.get_event(
                user, record.key.calendar_id, record.key.event_id
            )
        except NotFound:
            event = None
        if event is not None and carries(event, record.conference_id):
            self._conference_store.update(record.key, {"attached": True, "abandonCheckAt": None})
            return
        self._delete_meeting(record)
        self._conference_store.delete(record.key)
        report["abandoned_conferences"] += 1
        logger.info(
            "conference never saved onto its event: meeting deleted",
            extra=fields(
                calendar_id=record.key.calendar_id,
                event_id=record.key.event_id,
                meeting_id=record.meeting_id,
            ),
        )

    def _delete_meeting(self, record: ConferenceRecord) -> None:
        self._handler.delete_meeting_of(record)

    # -- 5. calendars that backed off after Calendar's quota ran out -----------------------
    def _resume_after_quota(self, report: dict[str, int]) -> None:
        """Calendars whose ``quotaRetryAt`` passed leave the queue and get a pass, which
        serves the messages counted meanwhile (a message after the back-off may have
        run one already: the second only lists what changed since)."""
        now = self._now()
        for calendar_state in self._batch("quotaRetryAt", "<=", now):

            def resume(lease: SyncLease) -> None:
                fresh = lease.calendar  # read under the lease: another sweep may be done
                due = fresh.quota_retry_at
                if due is None or due > now:
                    return
                self._calendar_store.end_back_off(fresh.calendar_id)
                if fresh.setup_state is SetupState.READY:
                    logger.info(
                        "Calendar quota back-off over: sync resumed",
                        extra=fields(calendar_id=fresh.calendar_id),
                    )
                    self._leased_sync.sync_under_lease(lease, deadline=self._deadline)
                    report["quota_resumed"] += 1

            self._with_lease(calendar_state.calendar_id, report, resume)

    # -- 6. changes the provider refused for now --------------------------------------------
    def _retry_records(self, report: dict[str, int]) -> None:
        """Records whose ``retryAt`` passed, oldest first, a calendar at a time under its
        lease: the change is tried again (docs/sync-model.md#record-states). A step that
        fails moves the record's ``retryAt`` on, so failures never hold the batch."""
        now = self._now()
        by_calendar: dict[str, list[ConferenceRecord]] = {}
        for record in self._conference_store.due("retryAt", now, self._settings.sweep_batch_size):
            by_calendar.setdefault(record.key.calendar_id, []).append(record)
        for calendar_id, waiting in by_calendar.items():
            if self._calendar_store.get_calendar(calendar_id) is None:
                # Nobody syncs this calendar (no lease to take): tried again later.
                for record in waiting:
                    self._put_off(record, now, "no sync record for its calendar")
                continue

            def retry(lease: SyncLease, waiting: list[ConferenceRecord] = waiting) -> None:
                stats = PassStats(fence=self._lease_store.fence(lease))
                for record in waiting:
                    if self._clock() >= self._deadline:
                        report["deferred"] += 1  # still due: the next sweep takes it
                        continue
                    self._retry_record(lease, record, stats, now, report)

            self._with_lease(calendar_id, report, retry)

    def _retry_record(
        self,
        lease: SyncLease,
        record: ConferenceRecord,
        stats: PassStats,
        now: datetime,
        report: dict[str, int],
    ) -> None:
        fresh = self._conference_store.get(record.key)  # read under the lease
        if fresh is None or not fresh.state.waits or not fresh.due(now):
            return  # done or tried meanwhile (a pass that listed its event)
        calendar_state = lease.calendar
        if fresh.state is RecordState.RETRY_PENDING and (
            calendar_state.setup_state is not SetupState.READY or calendar_state.backs_off(now)
        ):
            why = "backing off" if calendar_state.backs_off(now) else calendar_state.setup_state
            self._put_off(fresh, now, f"its calendar is {why}")
            return  # its event cannot be read now; a delete needs no Calendar call
        try:
            self._handler.retry_due(calendar_state, fresh, stats)
            report["retried"] += 1
        except (DeploymentMisconfigured, LeaseNoLongerHeld, QuotaExhausted):
            raise  # the whole deployment, the lease or the calendar: the caller's to handle
        except BundleError as err:
            report["failed"] += 1
            self._put_off(fresh, now, str(err))

    def _put_off(self, record: ConferenceRecord, now: datetime, reason: str) -> None:
        """A retry that could not be tried now: its ``retryAt`` moves on (no attempt
        counted), so that it never holds the batch."""
        logger.warning(
            "could not try a waiting change again",
            extra=fields(doc=record.key.doc_id, state=record.state.value, reason=reason),
        )
        with contextlib.suppress(BundleError):
            self._conference_store.update(record.key, {"retryAt": now + SWEEP_RETRY})
