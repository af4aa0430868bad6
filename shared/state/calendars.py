"""Per-calendar sync state (``calendars/``) and push channels (``channels/``).

A calendar document is created (with ``create()``, so one caller wins) by the first
conference created on it; it records who syncs it (the acting user of that creation),
its set-up state, the current sync token and the sync lease. Channel documents are
written *before* ``events.watch`` is called, because Calendar's first ``sync`` message can
arrive before the watch call returns. Only a hash of each channel's secret token is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
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
from shared.retries import retry_transient
from shared.state.firestore_client import as_dict, digest, translated_errors
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

CALENDARS = "calendars"
CHANNELS = "channels"
MESSAGE_COUNTS = "syncMessages"
SYNC_LEASES = "syncLeases"


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
        )


@dataclass
class SyncLease:
    """The right to sync one calendar; ``seen`` is the message count it has covered."""

    calendar: CalendarState
    owner: str
    seen: int


@dataclass(frozen=True)
class Channel:
    channel_id: str
    calendar_id: str
    token_hash: str
    resource_id: str | None = None
    expiration: datetime | None = None
    stopped: bool = False

    def token_matches(self, token: str | None) -> bool:
        """Constant-time comparison of a message's token with ours."""
        return hmac.compare_digest(hash_token(token or ""), self.token_hash)

    @staticmethod
    def from_doc(data: dict[str, Any]) -> Channel:
        return Channel(
            channel_id=data["channelId"],
            calendar_id=data["calendarId"],
            token_hash=data["tokenHash"],
            resource_id=data.get("resourceId"),
            expiration=data.get("expiration"),
            stopped=bool(data.get("stopped", False)),
        )


def calendar_doc_id(calendar_id: str) -> str:
    return digest("calendar", calendar_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_channel_secrets() -> tuple[str, str]:
    """A fresh channel id (<= 64 chars of Calendar's alphabet) and a 256-bit token."""
    return "ch-" + secrets.token_hex(20), secrets.token_urlsafe(32)


class CalendarStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utcnow) -> None:
        self._client = client
        self._clock = clock
        self._calendars = client.collection(CALENDARS)
        self._channels = client.collection(CHANNELS)
        self._counters = client.collection(MESSAGE_COUNTS)
        self._leases = client.collection(SYNC_LEASES)

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
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a set-up state with the due times of the sweep's queries.

        ``setupDueAt``: when the sweep should (re)try an unfinished set-up (pending only);
        ``renewAt``: cleared whenever the calendar is not ready (nothing to renew), so
        that calendars that cannot be synced never fill the renewal batch.
        """
        now = self._clock()
        changes: dict[str, Any] = {"setupState": state.value, "setupError": error}
        if state is SetupState.PENDING:
            changes["setupDueAt"] = now + (retry_in or timedelta(0))
        else:
            changes["setupDueAt"] = None
        if state is not SetupState.READY:
            changes["renewAt"] = None
        changes.update(extra or {})
        self.update_calendar(calendar_id, changes)

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
            self._counter_ref(calendar_id).delete()
            self._lease_ref(calendar_id).delete()

    def where(self, field_name: str, op: str, value: Any, limit: int) -> list[CalendarState]:
        """Up to ``limit`` calendars matching one single-field filter (no composite index)."""
        query = self._calendars.where(filter=FieldFilter(field_name, op, value))
        if op != "==":
            query = query.order_by(field_name)  # oldest due first
        query = query.limit(limit)
        with translated_errors("calendar query"):
            return [CalendarState.from_doc(dict(s.to_dict() or {})) for s in query.stream()]

    def channels_of(self, calendar_id: str) -> list[Channel]:
        query = self._channels.where(filter=FieldFilter("calendarId", "==", calendar_id))
        with translated_errors("channel query"):
            return [Channel.from_doc(dict(s.to_dict() or {})) for s in query.stream()]

    # -- the sync lease --------------------------------------------------------------
    # Messages are counted in a document of their own (``syncMessages/``), so that a
    # burst of increments never collides with the lease transactions on the calendar's
    # document. Protocol (see LeasedSync): count, then read the lease; the holder
    # releases, then re-reads the count and takes the lease again if it moved.
    def _counter_ref(self, calendar_id: str) -> Any:
        return self._counters.document(calendar_doc_id(calendar_id))

    def note_message(self, calendar_id: str) -> None:
        """Count a push message: one non-transactional increment."""

        def increment() -> None:
            with translated_errors("message count"):
                self._counter_ref(calendar_id).set({"count": firestore.Increment(1)}, merge=True)

        retry_transient(increment, what="message count", budget_seconds=3.0, base_delay=0.02)

    def message_count(self, calendar_id: str) -> int:
        with translated_errors("message count"):
            data = as_dict(self._counter_ref(calendar_id).get())
        return int((data or {}).get("count", 0))

    def _lease_ref(self, calendar_id: str) -> Any:
        return self._leases.document(calendar_doc_id(calendar_id))

    def lease_is_live(self, calendar_id: str) -> bool:
        """A plain read: True when a holder's lease has not expired (checked in code)."""
        with translated_errors("lease read"):
            data = as_dict(self._lease_ref(calendar_id).get())
        return data is not None and data["expiresAt"] > self._clock()

    def acquire_lease(self, calendar_id: str, lease_seconds: float) -> SyncLease | None:
        """Take the calendar's sync lease; None when another holder's lease is live.

        The lease is a document taken with ``create()`` (exactly one caller wins, the
        others learn it at once: no transaction to contend on); an expired one is
        removed under a precondition on its update time and taken anew. ``seen`` is the
        message count read after the lease was taken: every message counted before it
        is served by the pass that follows.
        """
        ref = self._lease_ref(calendar_id)
        owner = secrets.token_hex(16)
        with translated_errors("sync lease"):
            for _ in range(2):
                now = self._clock()
                try:
                    ref.create(
                        {
                            "calendarId": calendar_id,
                            "owner": owner,
                            "expiresAt": now + timedelta(seconds=lease_seconds),
                        }
                    )
                    break
                except gexc.AlreadyExists:
                    snapshot = ref.get()
                    data = as_dict(snapshot)
                    if data is not None and data["expiresAt"] > now:
                        return None
                    if data is not None:
                        try:  # expired: its holder died; remove it unless replaced meanwhile
                            ref.delete(
                                option=self._client.write_option(
                                    last_update_time=snapshot.update_time
                                )
                            )
                        except (gexc.FailedPrecondition, gexc.NotFound):
                            return None
            else:
                return None
        state = self.get_calendar(calendar_id)
        if state is None:  # the calendar was torn down meanwhile
            self._release(calendar_id, owner)
            return None
        return SyncLease(state, owner, self.message_count(calendar_id))

    def finish_pass(self, lease: SyncLease, lease_seconds: float) -> bool:
        """Release the lease; then, if messages arrived during the pass, take it again
        (False: sync once more). True when done: nothing new, or another holder took the
        lease meanwhile and serves the new messages."""
        calendar_id = lease.calendar.calendar_id
        self.release_lease(lease)
        if self.message_count(calendar_id) == lease.seen:
            return True
        again = self.acquire_lease(calendar_id, lease_seconds)
        if again is None:
            return True
        lease.owner, lease.seen, lease.calendar = again.owner, again.seen, again.calendar
        return False

    def release_lease(self, lease: SyncLease) -> None:
        """Give the lease up if we still hold it."""
        self._release(lease.calendar.calendar_id, lease.owner)

    def _release(self, calendar_id: str, owner: str) -> None:
        ref = self._lease_ref(calendar_id)
        with translated_errors("sync lease"):
            snapshot = ref.get()
            data = as_dict(snapshot)
            if data is None or data.get("owner") != owner:
                return
            try:
                ref.delete(option=self._client.write_option(last_update_time=snapshot.update_time))
            except (gexc.FailedPrecondition, gexc.NotFound):
                return

    def delete_message_count(self, calendar_id: str) -> None:
        with translated_errors("message count"):
            self._counter_ref(calendar_id).delete()

    # -- channels --------------------------------------------------------------------
    def save_channel(self, channel_id: str, calendar_id: str, token: str) -> Channel:
        data = {
            "channelId": channel_id,
            "calendarId": calendar_id,
            "tokenHash": hash_token(token),
            "resourceId": None,
            "expiration": None,
            "stopped": False,
            "createdAt": self._clock(),
        }
        with translated_errors("channel write"):
            self._channels.document(channel_id).create(data)
        return Channel.from_doc(data)

    def get_channel(self, channel_id: str) -> Channel | None:
        with translated_errors("channel read"):
            data = as_dict(self._channels.document(channel_id).get())
        return Channel.from_doc(data) if data else None

    def record_watch(self, channel_id: str, resource_id: str, expiration: datetime | None) -> None:
        """Store what events.watch returned."""
        with translated_errors("channel update"):
            self._channels.document(channel_id).update(
                {"resourceId": resource_id, "expiration": expiration}
            )

    def record_resource_id(self, channel_id: str, resource_id: str) -> bool:
        """Set the resource id if none is stored yet (a sync message beat events.watch)."""
        ref = self._channels.document(channel_id)

        @firestore.transactional
        def attempt(transaction: Any) -> bool:
            data = as_dict(ref.get(transaction=transaction))
            if data is None or data.get("resourceId"):
                return False
            transaction.update(ref, {"resourceId": resource_id})
            return True

        with translated_errors("channel update"):
            return bool(attempt(self._client.transaction()))

    def mark_channel_stopped(self, channel_id: str) -> None:
        with translated_errors("channel update"):
            self._channels.document(channel_id).update({"stopped": True})

    def delete_channel(self, channel_id: str) -> None:
        with translated_errors("channel delete"):
            self._channels.document(channel_id).delete()
