"""One sync pass over a calendar: incremental, or full after a 410.

Incremental: ``events.list`` with the stored sync token and ``LIST_PARAMS``, every page
until ``nextSyncToken`` (pages may be short or empty), each page's changes applied as it
arrives. The new token is stored only after every page was applied.

Full (any 410, even in the middle of paging): a listing without token, with ``timeMin``
= now - the look-back window, every page applied; then a reconciliation, since a full
listing reports no deletions: a mapping whose event falls inside the window but was not
listed is confirmed with ``events.get`` before anything is deleted; mappings outside
the window (events that ended before it) are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.clock import utcnow
from shared.errors import TransientFailure
from shared.google.calendar_api import CalendarClient, SyncTokenInvalid
from shared.state.calendars import CalendarState, CalendarStore
from shared.state.conferences import ConferenceStore, Mapping, MappingState
from shared.structured_logging import fields
from shared.sync.changes import ChangeHandler, PassStats

logger = logging.getLogger(__name__)


def _in_window(mapping: Mapping, window_start: datetime) -> bool:
    if mapping.spec.get("recurrence") or mapping.placeholder:
        return True
    end = mapping.spec.get("end")
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
        calendars: CalendarStore,
        conferences: ConferenceStore,
        calendar: CalendarClient,
        handler: ChangeHandler,
        lookback_days: float,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._calendars = calendars
        self._conferences = conferences
        self._calendar = calendar
        self._handler = handler
        self._lookback = timedelta(days=lookback_days)
        self._now = now

    def run_pass(self, calendar_id: str) -> PassStats | None:
        """One pass; None when the calendar is not (yet) set up for sync."""
        cal = self._calendars.get_calendar(calendar_id)
        if cal is None or not cal.sync_token:
            return None
        stats = PassStats()
        full = False
        try:
            token = self._incremental(cal, stats)
        except SyncTokenInvalid:
            logger.warning("sync token invalid: full sync", extra=fields(calendar_id=calendar_id))
            stats = PassStats()
            token = self._full(cal, stats)
            full = True
        self._calendars.update_calendar(
            calendar_id, {"syncToken": token, "lastSyncAt": self._now(), "lastSyncError": None}
        )
        logger.info(
            "sync pass done",
            extra=fields(calendar_id=calendar_id, full=full, **stats.as_log()),
        )
        return stats

    def _pages(self, cal: CalendarState, **params: Any) -> Any:
        page_token: str | None = None
        while True:
            page = self._calendar.list_events_page(
                cal.sync_user, cal.calendar_id, page_token=page_token, **params
            )
            yield list(page.get("items") or [])
            if page.get("nextSyncToken"):
                return str(page["nextSyncToken"])
            page_token = page.get("nextPageToken")
            if not page_token:
                raise TransientFailure("a listing ended with neither page nor sync token")

    def _drain(self, cal: CalendarState, stats: PassStats, **params: Any) -> str:
        pages = self._pages(cal, **params)
        while True:
            try:
                items = next(pages)
            except StopIteration as done:
                return str(done.value)
            self._handler.apply_page(cal, items, stats)

    def _incremental(self, cal: CalendarState, stats: PassStats) -> str:
        return self._drain(cal, stats, sync_token=cal.sync_token)

    def _full(self, cal: CalendarState, stats: PassStats) -> str:
        window_start = self._now() - self._lookback
        token = self._drain(cal, stats, time_min=window_start.isoformat())
        for mapping in self._conferences.for_calendar(cal.calendar_id):
            if mapping.state is not MappingState.READY:
                continue
            if mapping.key.event_id in stats.seen_ids:
                continue
            if not _in_window(mapping, window_start):
                continue  # outside the listed window: left alone
            self._handler.confirm_gone(cal, mapping, stats)
        return token
