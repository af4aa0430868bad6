"""Per-calendar sync state (``calendars/``).

A calendar document is created (with ``create()``, so one caller wins) by the first
conference created on it; it records who syncs it (the acting user of that creation),
its set-up state, the current sync token and the sync lease. Channel documents are
written *before* ``events.watch`` is called, because Calendar's first ``sync`` message can
arrive before the watch call returns. Only a hash of each channel's secret token is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.clock import utcnow
from shared.errors import DocumentGone
from shared.state.firestore_client import as_dict, digest, translated_errors
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

CALENDARS = "calendars"

# A calendar whose sync user lost access is tried again after a growing interval.
ACCESS_RETRY_FIRST = timedelta(hours=1)
ACCESS_RETRY_LONGEST = timedelta(hours=24)


class SetupState(StrEnum):
    PENDING = "pending"  # set-up not finished: the sweep finishes it
    READY = "ready"
    WATCH_FAILED = "watch_failed"
    ACCESS_REVOKED = "access_revoked"


@dataclass(frozen=True)
class CalendarState:
    calendar_id: str
    sync_user: str
    setup_state: SetupState
    setup_error: str | None = None
    sync_token: str | None = None
    active_channel_id: str | None = None
    channel_expires_at: datetime | None = None
    last_sync_at: datetime | None = None
    created_at: datetime | None = None
    time_zone: str | None = None
    renew_at: datetime | None = None
    setup_due_at: datetime | None = None
    last_sync_error: str | None = None
    # The message count the last completed pass covered (None: no pass recorded one).
    messages_served: int | None = None
    # access_revoked only: when the sweep tries again, and how many tries were refused.
    access_retry_at: datetime | None = None
    access_retries: int = 0
    # Calendar's quota was exhausted: not synced before this (the sweep resumes it then).
    quota_retry_at: datetime | None = None

    def backs_off(self, now: datetime) -> bool:
        """True while the calendar backs off after Calendar's quota was exhausted."""
        return self.quota_retry_at is not None and self.quota_retry_at > now

    @property
    def doc_id(self) -> str:
        return calendar_doc_id(self.calendar_id)

    @staticmethod
    def from_doc(data: dict[str, Any]) -> CalendarState:
        return CalendarState(
            calendar_id=data["calendarId"],
            sync_user=data["syncUser"],
            setup_state=SetupState(data.get("setupState", SetupState.PENDING.value)),
            setup_error=data.get("setupError"),
            sync_token=data.get("syncToken"),
            active_channel_id=data.get("activeChannelId"),
            channel_expires_at=data.get("channelExpiresAt"),
            last_sync_at=data.get("lastSyncAt"),
            created_at=data.get("createdAt"),
            time_zone=data.get("timeZone"),
            renew_at=data.get("renewAt"),
            setup_due_at=data.get("setupDueAt"),
            last_sync_error=data.get("lastSyncError"),
            messages_served=data.get("messagesServed"),
            access_retry_at=data.get("accessRetryAt"),
            access_retries=int(data.get("accessRetries") or 0),
            quota_retry_at=data.get("quotaRetryAt"),
        )

    def retries_after_refusal(self) -> int:
        """``accessRetries`` to record when access is refused now: 0 the first time, one
        more for each retry of an ``access_revoked`` calendar that is refused again."""
        if self.setup_state is SetupState.ACCESS_REVOKED:
            return self.access_retries + 1
        return 0


def access_retry_delay(refused_retries: int) -> timedelta:
    """How long after a refusal the sweep tries a calendar again: an hour, doubling with
    each retry that was refused, at most a day."""
    return min(ACCESS_RETRY_LONGEST, ACCESS_RETRY_FIRST * (1 << min(max(refused_retries, 0), 16)))


def calendar_doc_id(calendar_id: str) -> str:
    return digest("calendar", calendar_id)


class CalendarStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utcnow) -> None:
        self._client = client
        self._clock = clock
        self._calendars = client.collection(CALENDARS)

    # -- calendars -------------------------------------------------------------------
    def calendar_ref(self, calendar_id: str) -> Any:
        return self._calendars.document(calendar_doc_id(calendar_id))

    def get_calendar(self, calendar_id: str) -> CalendarState | None:
        with translated_errors("calendar read"):
            data = as_dict(self.calendar_ref(calendar_id).get())
        return CalendarState.from_doc(data) if data else None

    def claim_calendar(
        self,
        calendar_id: str,
        sync_user: str,
        time_zone: str | None = None,
        due_after: timedelta = timedelta(0),
    ) -> bool:
        """Create the calendar's document; False when it already exists. The sweep's
        set-up queue takes it ``due_after`` from now (an inline set-up runs meanwhile)."""
        now = self._clock()
        with translated_errors("calendar claim"):
            try:
                self.calendar_ref(calendar_id).create(
                    {
                        "calendarId": calendar_id,
                        "syncUser": sync_user,
                        "timeZone": time_zone,
                        "setupState": SetupState.PENDING.value,
                        "setupDueAt": now + due_after,
                        "createdAt": now,
                        "updatedAt": now,
                    }
                )
            except gexc.AlreadyExists:
                return False
        return True

    def take_over_stopped(self, calendar_id: str, sync_user: str) -> bool:
        """Make ``sync_user`` the sync user of a calendar whose sync stopped
        (``access_revoked`` / ``watch_failed``); True if it was stopped."""
        ref = self.calendar_ref(calendar_id)
        stopped = (SetupState.ACCESS_REVOKED.value, SetupState.WATCH_FAILED.value)

        @firestore.transactional
        def attempt(transaction: Any) -> bool:
            data = as_dict(ref.get(transaction=transaction))
            if data is None or data.get("setupState") not in stopped:
                return False
            transaction.update(
                ref,
                {
                    "syncUser": sync_user,
                    "setupState": SetupState.PENDING.value,
                    "setupDueAt": self._clock(),
                    "renewAt": None,
                    "syncToken": None,
                    "activeChannelId": None,
                    "accessRetryAt": firestore.DELETE_FIELD,  # leaves the access-retry queue
                    "accessRetries": firestore.DELETE_FIELD,
                    "updatedAt": self._clock(),
                },
            )
            return True

        with translated_errors("calendar take-over"):
            return bool(attempt(self._client.transaction()))

    def set_state(
        self,
        calendar_id: str,
        state: SetupState,
        *,
        error: str | None = None,
        retry_in: timedelta | None = None,
        access_retries: int = 0,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a set-up state with the due times of the sweep's queries.

        ``setupDueAt``: when the sweep should (re)try an unfinished set-up (pending only);
        ``renewAt``: cleared whenever the calendar is not ready (nothing to renew), so
        that calendars that cannot be synced never fill the renewal batch;
        ``accessRetryAt`` and ``accessRetries`` (access_revoked only, else removed, so
        documents of other states keep their fields): when the sweep tries the calendar
        again, after :func:`access_retry_delay` of ``access_retries`` refused retries.
        """
        now = self._clock()
        changes: dict[str, Any] = {"setupState": state.value, "setupError": error}
        if state is SetupState.PENDING:
            changes["setupDueAt"] = now + (retry_in or timedelta(0))
        else:
            changes["setupDueAt"] = None
        if state is not SetupState.READY:
            changes["renewAt"] = None
        if state is SetupState.ACCESS_REVOKED:
            changes["accessRetries"] = access_retries
            changes["accessRetryAt"] = now + access_retry_delay(access_retries)
        else:
            changes["accessRetries"] = firestore.DELETE_FIELD
            changes["accessRetryAt"] = firestore.DELETE_FIELD
        changes.update(extra or {})
        self.update_calendar(calendar_id, changes)

    def end_back_off(self, calendar_id: str) -> None:
        """The calendar leaves the quota back-off queue (``quotaRetryAt`` removed, so that
        documents that never backed off keep their fields)."""
        self.update_calendar(calendar_id, {"quotaRetryAt": firestore.DELETE_FIELD})

    def update_calendar(self, calendar_id: str, changes: dict[str, Any]) -> None:
        """Update the calendar's document; a document gone meanwhile (torn down) is left
        gone: there is nothing to record on it."""
        try:
            with translated_errors("calendar update"):
                self.calendar_ref(calendar_id).update({**changes, "updatedAt": self._clock()})
        except DocumentGone:
            logger.info("calendar gone before an update", extra=fields(calendar_id=calendar_id))

    def delete_calendar(self, calendar_id: str) -> None:
        with translated_errors("calendar delete"):
            self.calendar_ref(calendar_id).delete()

    def all(self) -> list[CalendarState]:
        """Every calendar document (operator tools; not for request paths)."""
        with translated_errors("calendar query"):
            return [
                CalendarState.from_doc(dict(s.to_dict() or {})) for s in self._calendars.stream()
            ]

    def where(self, field_name: str, op: str, value: Any, limit: int) -> list[CalendarState]:
        """Up to ``limit`` calendars matching one single-field filter (no composite index)."""
        query = self._calendars.where(filter=FieldFilter(field_name, op, value))
        if op != "==":
            query = query.order_by(field_name)  # oldest due first
        query = query.limit(limit)
        with translated_errors("calendar query"):
            return [CalendarState.from_doc(dict(s.to_dict() or {})) for s in query.stream()]
