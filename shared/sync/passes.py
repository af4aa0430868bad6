"""One sync pass over a calendar: incremental, or full after a 410.

Incremental: ``events.list`` with the stored sync token and ``LIST_PARAMS``, every page
until ``nextSyncToken`` (pages may be short or empty), each page's changes applied as it
arrives. The new token is stored only after every page was applied.

Full (any 410, even in the middle of paging): a listing without token, with ``timeMin``
= now - the look-back window, every page applied; then a reconciliation, since a full
listing reports no deletions: a record whose event falls inside the window but was not
listed is confirmed with ``events.get`` before anything is deleted; records outside
the window (events that ended before it) are left alone. The calendar's records are read
once, with one query, before the listing (not looked up page by page); a listed event
whose record the pass wrote since is looked up again, and those the reconciliation
confirms are read again just before, in one batch.

Pages are applied as they arrive and dropped: memory does not grow with the calendar.
While a page is applied, the next one is fetched (on a helper thread); a full sync also
reads the records while its first page is fetched.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Container, Generator
from datetime import datetime, timedelta
from typing import Any

from shared.clock import utcnow
from shared.errors import TransientFailure
from shared.google.calendar_api import CalendarApi, SyncTokenInvalid
from shared.parallel import Helpers
from shared.state.calendars import CalendarState, CalendarStore
from shared.state.conferences import ConferenceRecord, ConferenceStore
from shared.state.leases import NO_FENCE, LeaseFence
from shared.structured_logging import fields
from shared.sync.changes import ChangeHandler, PassStats

logger = logging.getLogger(__name__)

# Helper threads that fetch the next page, or read the records, while a pass works.
HELPERS = 16


def _in_window(record: ConferenceRecord, window_start: datetime) -> bool:
    if record.spec.get("recurrence") or record.placeholder:
        return True
    end = record.spec.get("end")
    if not end:
        return True
    try:
        return datetime.fromisoformat(str(end)) >= window_start
    except ValueError:
        return True


class CalendarSync:
    def __init__(
        self,
        *,
        calendar_store: CalendarStore,
        conference_store: ConferenceStore,
        calendar_api: CalendarApi,
        handler: ChangeHandler,
        lookback_days: float,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._calendar_store = calendar_store
        self._conference_store = conference_store
        self._calendar_api = calendar_api
        self._handler = handler
        self._lookback = timedelta(days=lookback_days)
        self._now = now
        self._helpers = Helpers(HELPERS, "sync-helper")

    def run_pass(
        self,
        calendar_id: str,
        messages_seen: int | None = None,
        commit: Callable[[dict[str, Any]], None] | None = None,
        fence: LeaseFence = NO_FENCE,
        calendar_state: CalendarState | None = None,
    ) -> PassStats | None:
        """One pass; None when the calendar is not (yet) set up for sync.

        ``messages_seen``: the message count read before the pass; stored with the new
        token as ``messagesServed`` (every message counted up to then is now served).
        ``commit`` stores the outcome instead of a plain update (the lease's fenced write);
        ``fence`` fences the provider calls and record writes by the same lease.
        ``calendar_state``: the calendar as read under the lease (else read here).
        """
        if calendar_state is None:
            calendar_state = self._calendar_store.get_calendar(calendar_id)
        if calendar_state is None or not calendar_state.sync_token:
            return None
        stats = PassStats(fence=fence)
        full = False
        try:
            token = self._incremental(calendar_state, stats)
        except SyncTokenInvalid:
            logger.warning("sync token invalid: full sync", extra=fields(calendar_id=calendar_id))
            stats = PassStats(fence=fence)
            token = self._full(calendar_state, stats)
            full = True
        done: dict[str, Any] = {
            "syncToken": token,
            "lastSyncAt": self._now(),
            "lastSyncError": None,
        }
        if messages_seen is not None:
            done["messagesServed"] = messages_seen
        if commit is None:
            self._calendar_store.update_calendar(calendar_id, done)
        else:
            commit(done)
        logger.info(
            "sync pass done",
            extra=fields(calendar_id=calendar_id, full=full, **stats.as_log()),
        )
        return stats

    def _pages(
        self, calendar_state: CalendarState, **params: Any
    ) -> Generator[list[Any], None, str]:
        page_token: str | None = None
        while True:
            page = self._calendar_api.list_events_page(
                calendar_state.sync_user,
                calendar_state.calendar_id,
                page_token=page_token,
                **params,
            )
            yield list(page.get("items") or [])
            if page.get("nextSyncToken"):
                return str(page["nextSyncToken"])
            page_token = page.get("nextPageToken")
            if not page_token:
                raise TransientFailure("a listing ended with neither page nor sync token")

    def _drain(
        self,
        calendar_state: CalendarState,
        stats: PassStats,
        known: Callable[[], dict[str, ConferenceRecord]] | None = None,
        written: Container[str] = frozenset(),
        **params: Any,
    ) -> str:
        """Apply every page; the next page is fetched while one is applied."""
        pages = self._pages(calendar_state, **params)
        fetching = self._helpers.start(lambda: next(pages))
        try:
            while True:
                try:
                    items = fetching.result()
                except StopIteration as done:
                    return str(done.value)
                fetching = self._helpers.start(lambda: next(pages))
                self._handler.apply_page(
                    calendar_state, items, stats, None if known is None else known(), written
                )
        finally:
            fetching.settle()

    def _incremental(self, calendar_state: CalendarState, stats: PassStats) -> str:
        return self._drain(calendar_state, stats, sync_token=calendar_state.sync_token)

    def _full(self, calendar_state: CalendarState, stats: PassStats) -> str:
        window_start = self._now() - self._lookback
        reading = self._helpers.start(
            lambda: self._conference_store.for_calendar(calendar_state.calendar_id)
        )

        @functools.cache
        def known() -> dict[str, ConferenceRecord]:
            return {record.key.doc_id: record for record in reading.result()}

        # Records this pass writes are read again where they are listed later (the
        # ones known were read before): docs/sync-model.md#full-sync.
        try:
            with self._conference_store.tracking_writes() as written:
                token = self._drain(
                    calendar_state, stats, known, written, time_min=window_start.isoformat()
                )
            records = reading.result()
        finally:
            reading.settle()
        unseen = [
            record
            for record in records
            if record.state.follows_event  # not a reservation, nor a delete waiting
            and record.key.event_id not in stats.seen_ids
            and _in_window(record, window_start)  # outside the listed window: left alone
        ]
        current = self._conference_store.get_many([record.key for record in unseen])
        for record in unseen:
            fresh = current.get(record.key.doc_id)
            if fresh is None or not fresh.state.follows_event:
                continue  # changed since the query (removed, or its delete now waits)
            if _in_window(fresh, window_start):
                self._handler.confirm_gone(calendar_state, fresh, stats)
        return token
