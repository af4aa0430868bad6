"""The per-calendar sync lease (``syncLeases/``) and push-message count (``syncMessages/``).

Both are keyed like the calendar's document. Messages are counted in a document of their
own, so that a burst of increments never collides with the lease. The protocol (see
:mod:`shared.sync.lease` and docs/sync-model.md): count, then read the lease; the holder
releases, then re-reads the count and takes the lease again if it moved.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared.clock import utcnow
from shared.errors import TransientFailure
from shared.retries import retry_transient
from shared.state.calendars import CalendarState, CalendarStore, calendar_doc_id
from shared.state.firestore_client import as_dict, translated_errors

logger = logging.getLogger(__name__)

MESSAGE_COUNTS = "syncMessages"
SYNC_LEASES = "syncLeases"


class LeaseNoLongerHeld(TransientFailure):
    """The holder's lease expired or was taken over: its pass is not stored (the new
    holder, or the message's retry, syncs again from the old token)."""


@dataclass
class SyncLease:
    """The right to sync one calendar.

    ``seen`` is the message count read when the lease was taken: the next pass under it
    covers every message counted up to then. ``served`` is the count the last completed
    pass covered (read from the calendar's ``messagesServed``, then moved on by each pass
    under this lease); the lease is released for good only when nothing was counted
    beyond it, so a message coalesced into a holder that ran no pass (the sweep's
    renewals, a holder cut off) is still served.
    """

    calendar: CalendarState
    owner: str
    seen: int
    served: int | None = None
    expires_at: datetime | None = None  # as this holder wrote it
    # When our create wrote the lease document: released with one conditional delete.
    written_at: Any = None
    released: bool = False


class LeaseFence:
    """Fences a pass's provider calls and record writes by its lease
    (docs/sync-model.md#one-sync-per-calendar).

    :meth:`check` is called before every provider call and every record write that
    matters; it raises :class:`LeaseNoLongerHeld` once the lease expired (on this
    holder's clock: no read) or passed to another holder. The lease document is read
    again only when a provider call was made since the last read (:meth:`called`), so
    a pass adds at most one Firestore read per provider call, and a holder that lost
    its lease during a slow provider call writes nothing of what it did.
    """

    def __init__(self, store: LeaseStore | None = None, lease: SyncLease | None = None) -> None:
        self._store = store
        self._lease = lease
        self._stale = False

    def check(self) -> None:
        if self._store is None or self._lease is None:
            return  # not under a lease (the abandoned-conference check)
        expires = self._lease.expires_at
        if expires is not None and expires <= self._store.now():
            raise LeaseNoLongerHeld("the sync lease expired during the pass")
        if self._stale:
            if not self._store.holds(self._lease):
                raise LeaseNoLongerHeld("the sync lease passed to another holder")
            self._stale = False

    def called(self) -> None:
        """A provider call was made (or started): the next check reads the lease again."""
        self._stale = True


#: The fence of work done under no lease: checks nothing.
NO_FENCE = LeaseFence()


class LeaseStore:
    def __init__(
        self,
        client: firestore.Client,
        calendar_store: CalendarStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = client
        self._calendar_store = calendar_store
        self._clock = clock
        self._counters = client.collection(MESSAGE_COUNTS)
        self._leases = client.collection(SYNC_LEASES)

    # -- the sync lease --------------------------------------------------------------
    # Messages are counted in a document of their own (``syncMessages/``), so that a
    # burst of increments never collides with the lease transactions on the calendar's
    # document. Protocol (see LeasedSync): count, then read the lease; the holder
    # releases, then re-reads the count and takes the lease again if it moved.
    def _counter_ref(self, calendar_id: str) -> Any:
        return self._counters.document(calendar_doc_id(calendar_id))

    def note_message(self, calendar_id: str) -> int | None:
        """Count a push message: one non-transactional increment. Returns the count the
        increment made (None when Firestore's answer does not say)."""

        def increment() -> Any:
            with translated_errors("message count"):
                return self._counter_ref(calendar_id).set(
                    {"count": firestore.Increment(1)}, merge=True
                )

        written = retry_transient(
            increment, what="message count", budget_seconds=3.0, base_delay=0.02
        )
        return _transformed_count(written)

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
                    written = ref.create(
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
        written_at = getattr(written, "update_time", None)
        state = self._calendar_store.get_calendar(calendar_id)
        if state is None:  # the calendar was torn down meanwhile
            self._release(calendar_id, owner, written_at)
            return None
        return SyncLease(
            state,
            owner,
            self.message_count(calendar_id),
            state.messages_served,
            now + timedelta(seconds=lease_seconds),
            written_at=written_at,
        )

    def finish_pass(self, lease: SyncLease, lease_seconds: float) -> bool:
        """Release the lease; then, if messages arrived during the pass, take it again
        (False: sync once more). True when done: nothing new, or another holder took the
        lease meanwhile and serves the new messages."""
        calendar_id = lease.calendar.calendar_id
        self.release_lease(lease)
        if self.message_count(calendar_id) == lease.served:
            return True
        again = self.acquire_lease(calendar_id, lease_seconds)
        if again is None:
            return True
        lease.owner, lease.seen, lease.calendar = again.owner, again.seen, again.calendar
        lease.expires_at = again.expires_at
        lease.written_at, lease.released = again.written_at, False
        return False

    def now(self) -> datetime:
        return self._clock()

    def fence(self, lease: SyncLease) -> LeaseFence:
        """A fence for work done under ``lease`` (see :class:`LeaseFence`)."""
        return LeaseFence(self, lease)

    def holds(self, lease: SyncLease) -> bool:
        """True while ``lease`` is still ours and live (a plain read)."""
        with translated_errors("lease read"):
            data = as_dict(self._lease_ref(lease.calendar.calendar_id).get())
        return self._owned(data, lease)

    def _owned(self, data: dict[str, Any] | None, lease: SyncLease) -> bool:
        return (
            data is not None
            and data.get("owner") == lease.owner
            and data["expiresAt"] > self._clock()
        )

    def commit_pass(self, lease: SyncLease, changes: dict[str, Any]) -> None:
        """Write a pass's outcome (the new sync token) onto the calendar's document, fenced
        by the lease: in one transaction with a read of the lease, so a holder that lost
        its lease (expired, taken over) never writes. Raises LeaseNoLongerHeld then."""
        lease_ref = self._lease_ref(lease.calendar.calendar_id)
        calendar_ref = self._calendar_store.calendar_ref(lease.calendar.calendar_id)

        @firestore.transactional
        def attempt(transaction: Any) -> bool:
            data = as_dict(lease_ref.get(transaction=transaction))
            if not self._owned(data, lease):
                return False
            transaction.update(calendar_ref, {**changes, "updatedAt": self._clock()})
            return True

        with translated_errors("pass commit"):
            committed = bool(attempt(self._client.transaction()))
        if not committed:
            raise LeaseNoLongerHeld("the sync lease was lost before the pass could be stored")

    def release_lease(self, lease: SyncLease) -> None:
        """Give the lease up if we still hold it (once: releasing again does nothing)."""
        if lease.released:
            return
        self._release(lease.calendar.calendar_id, lease.owner, lease.written_at)
        lease.released = True

    def _release(self, calendar_id: str, owner: str, written_at: Any = None) -> None:
        """Delete the lease document if it is still ours: on condition that it is
        unchanged since we wrote it when we know when that was, else after a read."""
        ref = self._lease_ref(calendar_id)
        with translated_errors("sync lease"):
            if written_at is not None:
                try:
                    ref.delete(option=self._client.write_option(last_update_time=written_at))
                except (gexc.FailedPrecondition, gexc.NotFound):
                    return  # replaced by another holder's, or gone
                return
            snapshot = ref.get()
            data = as_dict(snapshot)
            if data is None or data.get("owner") != owner:
                return
            try:
                ref.delete(option=self._client.write_option(last_update_time=snapshot.update_time))
            except (gexc.FailedPrecondition, gexc.NotFound):
                return

    def delete_for(self, calendar_id: str) -> None:
        """Remove the calendar's lease and message count (its tear-down)."""
        with translated_errors("lease delete"):
            self._counter_ref(calendar_id).delete()
            self._lease_ref(calendar_id).delete()


def _transformed_count(written: Any) -> int | None:
    """The value an increment left, from its write result (None if it is not there)."""
    try:
        value = written.transform_results[0]
        message = type(value).pb(value)
        if message.WhichOneof("value_type") == "integer_value":
            return int(message.integer_value)
    except (AttributeError, IndexError, TypeError):
        pass
    return None
