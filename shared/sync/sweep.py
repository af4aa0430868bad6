"""The periodic sweep (Cloud Scheduler, every few minutes).

Each task works in bounded batches from single-field queries (no composite index), and
does its per-calendar work under the calendar's sync lease, so two sweeps at once (or a
sweep and a push message) never work on one calendar together. Tasks:

1. renew channels expiring within the window: a new channel first, then the old one
   stopped (messages on it are accepted until then);
2. finish sync set-ups left pending by creation (channel, first token, catch-up);
3. safety-net sync of calendars not synced within the interval (messages can be
   dropped), tearing down calendars that no longer have any mapping;
4. remove conferences never saved onto their event (placeholders whose event never
   appeared: 404 after the configured age), deleting their meetings.

Calendars whose watch or access fails are recorded with the reason
(``watch_failed`` / ``access_revoked``) and only looked at again after the interval.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.clock import utcnow
from shared.conferences.carried import carries
from shared.config import Settings
from shared.errors import BundleError, NotFound, TransientFailure
from shared.google.calendar_api import CalendarClient
from shared.state.calendars import CalendarState, CalendarStore, Channel, SetupState, SyncLease
from shared.state.conferences import ConferenceStore, Mapping
from shared.structured_logging import fields
from shared.sync.changes import ChangeHandler, PassStats
from shared.sync.push import LeasedSync
from shared.sync.setup import SyncSetup, setup_state_for

logger = logging.getLogger(__name__)

SWEEP_RETRY = timedelta(minutes=10)  # a failed step is tried again after this


class Sweep:
    def __init__(
        self,
        *,
        settings: Settings,
        calendars: CalendarStore,
        conferences: ConferenceStore,
        calendar: CalendarClient,
        sync_setup: SyncSetup,
        handler: ChangeHandler,
        leased_sync: LeasedSync,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._calendars = calendars
        self._conferences = conferences
        self._calendar = calendar
        self._setup = sync_setup
        self._handler = handler
        self._leased_sync = leased_sync
        self._now = now

    def run(self) -> dict[str, int]:
        report = {
            "renewed": 0,
            "set_up": 0,
            "synced": 0,
            "torn_down": 0,
            "abandoned_conferences": 0,
            "failed": 0,
            "busy": 0,
        }
        for task in (self._renew, self._finish_setups, self._safety_sync, self._abandoned):
            task(report)
        logger.info("sweep done", extra=fields(**report))
        return report

    # -- helpers ---------------------------------------------------------------------
    def _batch(self, field_name: str, op: str, value: Any) -> list[CalendarState]:
        return self._calendars.where(field_name, op, value, self._settings.sweep_batch_size)

    def _with_lease(
        self, calendar_id: str, report: dict[str, int], work: Callable[[SyncLease], None]
    ) -> None:
        lease = self._calendars.acquire_lease(calendar_id, self._leased_sync.lease_seconds)
        if lease is None:
            report["busy"] += 1
            return
        try:
            try:
                work(lease)
            except BundleError as err:
                report["failed"] += 1
                self._record_failure(calendar_id, err)
            # Messages that arrived meanwhile were coalesced into this lease: serve them,
            # whether the work succeeded or not.
            self._leased_sync.run(lease, first_pass=False)
        except BundleError as err:
            self._record_failure(calendar_id, err)
        finally:
            self._calendars.release_lease(lease)

    def _record_failure(self, calendar_id: str, err: BundleError) -> None:
        """Recorded, and pushed to the back of every queue it was in (due times later)."""
        now = self._now()
        changes: dict[str, Any] = {"lastSyncError": str(err), "lastSyncAt": now}
        with contextlib.suppress(BundleError):
            state = None if isinstance(err, TransientFailure) else setup_state_for(err)
            if state is not None and state is not SetupState.PENDING:
                self._calendars.set_state(calendar_id, state, error=str(err), extra=changes)
                return
            current = self._calendars.get_calendar(calendar_id)
            if current is not None and current.setup_state is SetupState.PENDING:
                changes["setupDueAt"] = now + SWEEP_RETRY
            elif current is not None and current.setup_state is SetupState.READY:
                changes["renewAt"] = now + SWEEP_RETRY  # only if renewal was due
                if current.renew_at is not None and current.renew_at > now:
                    changes.pop("renewAt")
            self._calendars.update_calendar(calendar_id, changes)
        logger.warning(
            "sweep could not finish a calendar",
            extra=fields(calendar_id=calendar_id, error=type(err).__name__, reason=str(err)),
        )

    # -- 1. renewal ------------------------------------------------------------------
    def _renew(self, report: dict[str, int]) -> None:
        now = self._now()
        for cal in self._batch("renewAt", "<", now):

            def renew(lease: SyncLease) -> None:
                fresh = lease.calendar  # read under the lease: another sweep may be done
                due = fresh.renew_at
                if fresh.setup_state is not SetupState.READY or due is None or due >= now:
                    return
                self.renew_channel(fresh)
                report["renewed"] += 1

            self._with_lease(cal.calendar_id, report, renew)

    def renew_channel(self, cal: CalendarState) -> None:
        """A new channel, then the old one(s) stopped and forgotten.

        A stop that Calendar refuses (only the user and OAuth client that created a
        channel may stop it) or that fails now is logged and not retried: the old channel
        expires by itself, and its messages meanwhile meet "unknown channel". It never
        fails the renewal, which has already succeeded.
        """
        new_channel_id = self._setup.start_channel(cal.calendar_id, cal.sync_user)
        for channel in self._calendars.channels_of(cal.calendar_id):
            if channel.channel_id != new_channel_id:
                self._stop_and_forget(cal, channel)
        logger.info(
            "channel renewed",
            extra=fields(calendar_id=cal.calendar_id, channel_id=new_channel_id),
        )

    def _stop_and_forget(self, cal: CalendarState, channel: Channel) -> None:
        """Stop a channel and drop its record. A stop Calendar refuses (only the user and
        OAuth client that made a channel may stop it) or that fails now is logged, not
        retried: the channel expires by itself, its messages meet "unknown channel"."""
        if channel.resource_id:
            try:
                self._calendar.stop_channel(cal.sync_user, channel.channel_id, channel.resource_id)
            except BundleError as err:
                logger.warning(
                    "channel not stopped; it will expire",
                    extra=fields(
                        calendar_id=cal.calendar_id,
                        channel_id=channel.channel_id,
                        reason=str(err),
                    ),
                )
        self._calendars.delete_channel(channel.channel_id)

    # -- 2. pending set-ups --------------------------------------------------------------
    def _finish_setups(self, report: dict[str, int]) -> None:
        now = self._now()
        for cal in self._batch("setupDueAt", "<=", now):

            def finish(lease: SyncLease) -> None:
                fresh = lease.calendar
                if fresh.setup_state is not SetupState.PENDING:
                    # Finished meanwhile: make sure it leaves the set-up queue.
                    self._calendars.update_calendar(fresh.calendar_id, {"setupDueAt": None})
                    return
                if fresh.setup_due_at is not None and fresh.setup_due_at > now:
                    return  # tried by another sweep meanwhile
                self.finish_setup(lease.calendar)
                report["set_up"] += 1

            self._with_lease(cal.calendar_id, report, finish)

    def finish_setup(self, cal: CalendarState) -> None:
        """Channel if none is live, first token, then catch up on the mapped events."""
        channels = self._calendars.channels_of(cal.calendar_id)
        active = [c for c in channels if c.channel_id == cal.active_channel_id and c.resource_id]
        renew_at = self._setup.renew_at(active[0].expiration) if active else None
        if not active:
            # None was confirmed by events.watch, or they belong to a former sync user:
            # forget them (their messages then meet "unknown channel") and start anew.
            for stale in channels:
                self._calendars.delete_channel(stale.channel_id)
            self._setup.start_channel(cal.calendar_id, cal.sync_user)
        token = self._setup.first_sync_token(cal.calendar_id, cal.sync_user, None)
        # Changes made before this token are not in any incremental sync: read each
        # mapped event once so that none is missed.
        stats = PassStats()
        for mapping in self._conferences.for_calendar(cal.calendar_id):
            self._catch_up(cal, mapping, stats)
        done: dict[str, Any] = {"syncToken": token, "lastSyncAt": self._now()}
        if renew_at is not None:  # the kept channel: its renewal is due again
            done["renewAt"] = renew_at
        self._calendars.set_state(cal.calendar_id, SetupState.READY, extra=done)
        logger.info("sync set-up finished", extra=fields(calendar_id=cal.calendar_id))

    def _catch_up(self, cal: CalendarState, mapping: Mapping, stats: PassStats) -> None:
        try:
            event = self._calendar.get_event(cal.sync_user, cal.calendar_id, mapping.key.event_id)
        except NotFound:
            self._handler.confirm_gone(cal, mapping, stats)
            return
        self._handler.apply(cal, event, [mapping], stats)

    # -- 3. safety-net sync and tear-down ------------------------------------------------
    def _safety_sync(self, report: dict[str, int]) -> None:
        cutoff = self._now() - timedelta(seconds=self._settings.safety_sync_interval_seconds)
        for cal in self._batch("lastSyncAt", "<", cutoff):
            if not self._conferences.any_for_calendar(cal.calendar_id):

                def tear_down(lease: SyncLease) -> None:
                    if self._conferences.any_for_calendar(lease.calendar.calendar_id):
                        return  # a conference was created meanwhile
                    self.tear_down(lease.calendar)
                    report["torn_down"] += 1

                self._with_lease(cal.calendar_id, report, tear_down)
                continue
            if cal.setup_state is not SetupState.READY:
                self._calendars.update_calendar(cal.calendar_id, {"lastSyncAt": self._now()})
                continue

            def sync(lease: SyncLease) -> None:
                last = lease.calendar.last_sync_at
                if last is not None and last >= cutoff:
                    return  # synced meanwhile (by a message or another sweep)
                self._leased_sync.run(lease)
                report["synced"] += 1

            self._with_lease(cal.calendar_id, report, sync)

    def tear_down(self, cal: CalendarState) -> None:
        """Stop the channels and remove the state of a calendar with no mapping left.

        The calendar's document goes first; then the mappings are counted again: a
        conference created meanwhile (whose set-up found the document still there)
        makes the calendar pending again, for the next sweep to set up.
        """
        # Only the channels that exist now are stopped: one made by a creation that
        # claims the calendar after its document is gone belongs to the new set-up.
        channels = self._calendars.channels_of(cal.calendar_id)
        self._calendars.delete_calendar(cal.calendar_id)
        survivors = self._conferences.for_calendar(cal.calendar_id)
        if survivors:
            self._calendars.claim_calendar(cal.calendar_id, survivors[0].owner_email, cal.time_zone)
            logger.info(
                "a conference appeared during tear-down: calendar set up again",
                extra=fields(calendar_id=cal.calendar_id),
            )
        for channel in channels:
            self._stop_and_forget(cal, channel)
        if not survivors:
            logger.info(
                "calendar without conferences torn down",
                extra=fields(calendar_id=cal.calendar_id),
            )

    # -- 4. conferences never saved onto their event -----------------------------------
    def _abandoned(self, report: dict[str, int]) -> None:
        """Conferences whose ``abandonCheckAt`` passed: created, never seen on their event.

        ``abandonCheckAt`` is set at creation (``PLACEHOLDER_MAX_AGE_SECONDS`` later) and
        cleared when sync sees the event carry the conference; a check that fails moves
        it back, so failures never hold the batch.
        """
        now = self._now()
        for mapping in self._conferences.due(
            "abandonCheckAt", now, self._settings.sweep_batch_size
        ):
            try:
                self._check_abandoned(mapping, report)
            except BundleError as err:
                report["failed"] += 1
                logger.warning(
                    "could not check an unsaved conference",
                    extra=fields(doc=mapping.key.doc_id, reason=str(err)),
                )
                with contextlib.suppress(BundleError):
                    self._conferences.update(mapping.key, {"abandonCheckAt": now + SWEEP_RETRY})

    def _check_abandoned(self, mapping: Mapping, report: dict[str, int]) -> None:
        cal = self._calendars.get_calendar(mapping.key.calendar_id)
        user = cal.sync_user if cal else mapping.owner_email
        try:
            event: dict[str, Any] | None = self._calendar.get_event(
                user, mapping.key.calendar_id, mapping.key.event_id
            )
        except NotFound:
            event = None
        if event is not None and carries(event, mapping.conference_id):
            self._conferences.update(mapping.key, {"attached": True, "abandonCheckAt": None})
            return
        self._delete_meeting(mapping)
        self._conferences.delete(mapping.key)
        report["abandoned_conferences"] += 1
        logger.info(
            "conference never saved onto its event: meeting deleted",
            extra=fields(
                calendar_id=mapping.key.calendar_id,
                event_id=mapping.key.event_id,
                meeting_id=mapping.meeting_id,
            ),
        )

    def _delete_meeting(self, mapping: Mapping) -> None:
        self._handler.delete_meeting_of(mapping)
