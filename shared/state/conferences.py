"""Conference reservations and event-to-conference records (``conferences/``).

One document per (calendar, event, solution). Creation reserves it with ``create()``
(which fails if it exists, so exactly one caller wins, with no transaction callback that
could re-run) in state ``pending`` carrying a lease; the winner calls the provider and
turns the document into the record (state ``ready``) in a transaction that checks it
still holds the lease. A reservation whose lease expired (its holder crashed) is taken
over by the next caller, who reuses its ``requestKey`` so the provider can land on the
same meeting.

A ready record whose change the provider refused for now waits in ``retry_pending``
(an update) or ``delete_pending`` (a delete) until ``retryAt``, with ``retryCount``
attempts so far; the sweep's queue on ``retryAt`` tries it again. The state machine is
docs/sync-model.md#record-states.

Sync applies a page of changes inside :meth:`ConferenceStore.deferred_updates`: the
record updates of the page are then written together (one commit for up to
:data:`MAX_BATCH_WRITES`) instead of one round trip each; any other call of the store on
that thread writes them first, so reads always see them.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.clock import utcnow
from shared.errors import BundleError, DocumentGone, TransientFailure
from shared.state.firestore_client import as_dict, digest, fields_of, translated_errors

COLLECTION = "conferences"
#: The provider whose conferences are joined through the join function (find_by_join_id).
JOIN_PROVIDER = "bigbluebutton"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCHEMA_VERSION = 1
RESERVATION_TTL = timedelta(days=1)
#: Record updates written in one commit, at most.
MAX_BATCH_WRITES = 500

P = ParamSpec("P")
R = TypeVar("R")


class RecordState(StrEnum):
    PENDING = "pending"  # a creation's reservation
    READY = "ready"  # the meeting follows its event
    RETRY_PENDING = "retry_pending"  # an update refused for now: tried again at retryAt
    DELETE_PENDING = "delete_pending"  # a delete refused for now: tried again at retryAt

    @property
    def follows_event(self) -> bool:
        """True for a record whose meeting follows its event (ready, or an update waiting
        to be tried again)."""
        return self in (RecordState.READY, RecordState.RETRY_PENDING)

    @property
    def waits(self) -> bool:
        """True for a record waiting for its ``retryAt``."""
        return self in (RecordState.RETRY_PENDING, RecordState.DELETE_PENDING)


@dataclass(frozen=True)
class ConferenceKey:
    calendar_id: str
    event_id: str
    solution_id: str

    @property
    def doc_id(self) -> str:
        # Computed once per key, without functools.cached_property: on Python 3.11 its
        # lock is shared by every key and, contended by the pass's helper threads, cost
        # more than the SHA-256 it saves. Two threads computing it at once store the same.
        cached: str | None = self.__dict__.get("_doc_id")
        if cached is None:
            cached = digest(self.calendar_id, self.event_id, self.solution_id)
            object.__setattr__(self, "_doc_id", cached)
        return cached


@dataclass(frozen=True)
class ConferenceRecord:
    """A conference document: a pending reservation or a ready record."""

    key: ConferenceKey
    state: RecordState
    request_key: str
    owner_email: str
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    conference_id: str | None = None
    meeting_id: str | None = None
    conference_data: dict[str, Any] | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    placeholder: bool = False
    provider: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_error: str | None = None
    expire_at: datetime | None = None
    schema_version: int = SCHEMA_VERSION
    attached: bool = False  # sync has seen the event carry this conference
    followers: tuple[str, ...] = ()  # other events of the calendar carrying it (copies)
    write_back_refused: bool = False  # Calendar refused a write-back onto this event: never again
    # retry_pending / delete_pending: when the change is tried again, and how many
    # attempts were refused so far (docs/sync-model.md#record-states).
    retry_at: datetime | None = None
    retry_count: int = 0

    def due(self, now: datetime) -> bool:
        """True unless the record waits for a ``retryAt`` still to come."""
        return not self.state.waits or self.retry_at is None or self.retry_at <= now

    @staticmethod
    def from_doc(data: dict[str, Any]) -> ConferenceRecord:
        return ConferenceRecord(
            key=ConferenceKey(data["calendarId"], data["eventId"], data["solutionId"]),
            state=RecordState(data["state"]),
            request_key=data["requestKey"],
            owner_email=data["ownerEmail"],
            lease_owner=data.get("leaseOwner"),
            lease_expires_at=data.get("leaseExpiresAt"),
            conference_id=data.get("conferenceId"),
            meeting_id=data.get("meetingId"),
            conference_data=data.get("conferenceData"),
            spec=dict(data.get("spec") or {}),
            fingerprint=data.get("fingerprint"),
            placeholder=bool(data.get("placeholder", False)),
            provider=data.get("provider"),
            created_at=data.get("createdAt"),
            updated_at=data.get("updatedAt"),
            last_error=data.get("lastError"),
            expire_at=data.get("expireAt"),
            schema_version=int(data.get("schemaVersion", SCHEMA_VERSION)),
            attached=bool(data.get("attached", False)),
            write_back_refused=bool(data.get("writeBackRefused", False)),
            followers=tuple(data.get("followers") or ()),
            retry_at=data.get("retryAt"),
            retry_count=int(data.get("retryCount") or 0),
        )

    def as_doc(self) -> dict[str, Any]:
        """The document fields (for moving a record to another key)."""
        return {
            "calendarId": self.key.calendar_id,
            "eventId": self.key.event_id,
            "solutionId": self.key.solution_id,
            "state": self.state.value,
            "requestKey": self.request_key,
            "ownerEmail": self.owner_email,
            "leaseOwner": self.lease_owner,
            "leaseExpiresAt": self.lease_expires_at,
            "conferenceId": self.conference_id,
            "meetingId": self.meeting_id,
            "conferenceData": self.conference_data,
            "spec": self.spec,
            "fingerprint": self.fingerprint,
            "placeholder": self.placeholder,
            "provider": self.provider,
            "createdAt": self.created_at,
            "lastError": self.last_error,
            "expireAt": self.expire_at,
            "schemaVersion": self.schema_version,
            "attached": self.attached,
            "followers": list(self.followers),
            # Only records that waited carry these (the stored shape of others is kept).
            **({"retryAt": self.retry_at} if self.retry_at is not None else {}),
            **({"retryCount": self.retry_count} if self.retry_count else {}),
        }


@dataclass(frozen=True)
class Reservation:
    """The outcome of :meth:`ConferenceStore.reserve`."""

    record: ConferenceRecord
    won: bool  # True: this caller holds the lease and must create the meeting
    # When our create wrote the reservation (None when we did not write it): while the
    # document is unchanged since, nobody took it over, and complete() needs one write.
    written_at: Any = None


class LeaseLost(Exception):
    """The reservation was taken over (or removed) while its holder was working."""


@dataclass
class RecordCounts:
    """One calendar's records for the operator status: ``mapped`` (ready or
    retry_pending: the meeting follows its event), ``retry_pending`` and
    ``delete_pending`` (a change waiting for its ``retryAt``), ``refused`` (a ready
    record whose last change was refused for good: its ``lastError`` says why)."""

    mapped: int = 0
    retry_pending: int = 0
    delete_pending: int = 0
    refused: int = 0

    def add(self, data: dict[str, Any]) -> None:
        state = data.get("state")
        if state in (RecordState.READY.value, RecordState.RETRY_PENDING.value):
            self.mapped += 1
        if state == RecordState.RETRY_PENDING.value:
            self.retry_pending += 1
        elif state == RecordState.DELETE_PENDING.value:
            self.delete_pending += 1
        elif state == RecordState.READY.value and data.get("lastError"):
            self.refused += 1


def _deferred_first(
    method: Callable[Concatenate[ConferenceStore, P], R],
) -> Callable[Concatenate[ConferenceStore, P], R]:
    """The method runs after this thread's deferred updates are written."""

    @functools.wraps(method)
    def run(store: ConferenceStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        store.write_deferred()
        return method(store, *args, **kwargs)

    return run


class ConferenceStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utcnow) -> None:
        self._client = client
        self._clock = clock
        self._collection = client.collection(COLLECTION)
        self._local = threading.local()  # .deferred: this thread's queued updates

    # -- deferred updates ------------------------------------------------------------
    @contextlib.contextmanager
    def deferred_updates(self, fence: Callable[[], None] | None = None) -> Iterator[None]:
        """Queue this thread's :meth:`update` calls and write them together at the end
        (also when the block raises: what was done stays done, as without the block).

        ``fence`` (a lease fence's ``check``) is called right before the queued updates
        are written, each time they are: a holder that lost its lease meanwhile writes
        none of them (its error is raised, or suppressed if the block already raised),
        exactly as each of those writes would have been checked on its own."""
        if getattr(self._local, "deferred", None) is not None:
            yield  # nested: the outer block writes
            return
        self._local.deferred = {}
        self._local.fence = fence
        try:
            yield
        except BaseException:
            with contextlib.suppress(BundleError):
                self.write_deferred()
            raise
        else:
            self.write_deferred()
        finally:
            self._local.deferred = None
            self._local.fence = None

    @contextlib.contextmanager
    def tracking_writes(self) -> Iterator[set[str]]:
        """The document ids this thread writes within the block (an update queued or
        written, a move's two documents, a delete): records read before the block and
        written since must be read again (the full sync's records, read once)."""
        outer: set[str] | None = getattr(self._local, "written", None)
        written: set[str] = set() if outer is None else outer
        self._local.written = written
        try:
            yield written
        finally:
            self._local.written = outer

    def _wrote(self, *keys: ConferenceKey) -> None:
        written: set[str] | None = getattr(self._local, "written", None)
        if written is not None:
            written.update(key.doc_id for key in keys)

    def write_deferred(self) -> None:
        """Write this thread's queued updates now: one commit (a document removed meanwhile
        stays removed, and the others are then written one by one), after the block's
        fence passed (if it raises, the queued updates are dropped, not written)."""
        deferred: dict[str, tuple[ConferenceKey, dict[str, Any]]] | None = getattr(
            self._local, "deferred", None
        )
        if not deferred:
            return
        queued = list(deferred.values())
        deferred.clear()
        fence: Callable[[], None] | None = getattr(self._local, "fence", None)
        if fence is not None:
            fence()
        batch = self._client.batch()
        for key, changes in queued:
            batch.update(self._ref(key), changes)
        try:
            with translated_errors("record updates"):
                batch.commit()
        except DocumentGone:
            for key, changes in queued:
                self._write_update(key, changes)

    def _ref(self, key: ConferenceKey) -> Any:
        return self._collection.document(key.doc_id)

    @_deferred_first
    def get(self, key: ConferenceKey) -> ConferenceRecord | None:
        with translated_errors("conference read"):
            data = as_dict(self._ref(key).get())
        return ConferenceRecord.from_doc(data) if data else None

    @_deferred_first
    def reserve(self, key: ConferenceKey, owner_email: str, lease_seconds: float) -> Reservation:
        """Create the reservation, or return the existing document (``won=False``)."""
        now = self._clock()
        lease_owner = secrets.token_hex(16)
        data = {
            "calendarId": key.calendar_id,
            "eventId": key.event_id,
            "solutionId": key.solution_id,
            "state": RecordState.PENDING.value,
            "requestKey": secrets.token_hex(16),
            "ownerEmail": owner_email,
            "leaseOwner": lease_owner,
            "leaseExpiresAt": now + timedelta(seconds=lease_seconds),
            "createdAt": now,
            "updatedAt": now,
            "schemaVersion": SCHEMA_VERSION,
            # A reservation nobody completes (its holder crashed, nobody retried) is
            # dropped by the TTL policy; completing it sets the record's own expiry.
            "expireAt": now + RESERVATION_TTL,
        }
        ref = self._ref(key)
        with translated_errors("conference reservation"):
            try:
                written = ref.create(data)
            except gexc.AlreadyExists:
                existing = as_dict(ref.get())
                if existing is None:  # removed between our create and read: try once more
                    try:
                        written = ref.create(data)
                    except gexc.AlreadyExists:
                        existing = as_dict(ref.get())
                        if existing is None:
                            raise TransientFailure("reservation kept changing") from None
                        return Reservation(ConferenceRecord.from_doc(existing), won=False)
                    return self._won(data, written)
                return Reservation(ConferenceRecord.from_doc(existing), won=False)
        return self._won(data, written)

    @staticmethod
    def _won(data: dict[str, Any], written: Any) -> Reservation:
        return Reservation(
            ConferenceRecord.from_doc(data),
            won=True,
            written_at=getattr(written, "update_time", None),
        )

    @_deferred_first
    def take_over(
        self, key: ConferenceKey, owner_email: str, lease_seconds: float
    ) -> Reservation | None:
        """Take an expired pending reservation; None if it is not pending and expired."""
        ref = self._ref(key)
        new_owner = secrets.token_hex(16)

        @firestore.transactional
        def attempt(transaction: Any) -> dict[str, Any] | None:
            data = as_dict(ref.get(transaction=transaction))
            now = self._clock()
            if data is None or data.get("state") != RecordState.PENDING.value:
                return None
            expires = data.get("leaseExpiresAt")
            if expires is not None and expires > now:
                return None
            changes = {
                "leaseOwner": new_owner,
                "leaseExpiresAt": now + timedelta(seconds=lease_seconds),
                "ownerEmail": owner_email,
                "updatedAt": now,
            }
            transaction.update(ref, changes)
            return {**data, **changes}

        with translated_errors("reservation take-over"):
            taken = attempt(self._client.transaction())
        return Reservation(ConferenceRecord.from_doc(taken), won=True) if taken else None

    @_deferred_first
    def complete(
        self,
        reservation: ConferenceRecord,
        changes: dict[str, Any],
        *,
        written_at: Any = None,
    ) -> ConferenceRecord:
        """Turn our reservation into a ready record; LeaseLost if we no longer hold it.

        ``written_at`` (:attr:`Reservation.written_at`): the document is written in one
        update on condition that nobody changed it since we created it (a take-over or a
        removal changes it); if somebody did, the transaction below decides, as without.
        """
        ref = self._ref(reservation.key)
        lease_owner = reservation.lease_owner
        if written_at is not None:
            update = {
                **changes,
                "state": RecordState.READY.value,
                "leaseOwner": None,
                "leaseExpiresAt": None,
                "updatedAt": self._clock(),
                "schemaVersion": SCHEMA_VERSION,
            }
            option = self._client.write_option(last_update_time=written_at)
            try:
                with translated_errors("record write"):
                    ref.update(update, option=option)
                return ConferenceRecord.from_doc({**reservation.as_doc(), **update})
            except (gexc.FailedPrecondition, DocumentGone):
                pass  # changed (or removed) since: the lease check decides

        @firestore.transactional
        def attempt(transaction: Any) -> dict[str, Any]:
            data = as_dict(ref.get(transaction=transaction))
            if data is None or data.get("leaseOwner") != lease_owner:
                raise LeaseLost(reservation.key.doc_id)
            update = {
                **changes,
                "state": RecordState.READY.value,
                "leaseOwner": None,
                "leaseExpiresAt": None,
                "updatedAt": self._clock(),
                "schemaVersion": SCHEMA_VERSION,
            }
            transaction.update(ref, update)
            return {**data, **update}

        with translated_errors("record write"):
            return ConferenceRecord.from_doc(attempt(self._client.transaction()))

    @_deferred_first
    def expire_reservation(self, reservation: ConferenceRecord) -> None:
        """Let our pending reservation go without removing it (its meeting may exist): the
        next attempt takes it over at once, with the same request key."""
        self._if_still_ours(
            reservation,
            "reservation expiry",
            lambda transaction, ref: transaction.update(ref, {"leaseExpiresAt": self._clock()}),
        )

    @_deferred_first
    def release(self, reservation: ConferenceRecord) -> None:
        """Remove our pending reservation after a failed creation (if still ours)."""
        self._if_still_ours(
            reservation, "reservation release", lambda transaction, ref: transaction.delete(ref)
        )

    def _if_still_ours(
        self, reservation: ConferenceRecord, what: str, change: Callable[[Any, Any], None]
    ) -> None:
        """Apply ``change`` in a transaction if the reservation is still pending and ours."""
        ref = self._ref(reservation.key)

        @firestore.transactional
        def attempt(transaction: Any) -> None:
            data = as_dict(ref.get(transaction=transaction))
            if (
                data is not None
                and data.get("state") == RecordState.PENDING.value
                and data.get("leaseOwner") == reservation.lease_owner
            ):
                change(transaction, ref)

        with translated_errors(what):
            attempt(self._client.transaction())

    @_deferred_first
    def get_many(self, keys: list[ConferenceKey]) -> dict[str, ConferenceRecord]:
        """The existing documents among ``keys``, by document id (one batched read)."""
        if not keys:
            return {}
        refs = [self._ref(key) for key in keys]
        with translated_errors("record batch read"):
            snapshots = list(self._client.get_all(refs))
        found: dict[str, ConferenceRecord] = {}
        for snapshot in snapshots:
            data = as_dict(snapshot)
            if data:
                found[snapshot.id] = ConferenceRecord.from_doc(data)
        return found

    @_deferred_first
    def find_by_conference_id(self, calendar_id: str, conference_id: str) -> list[ConferenceRecord]:
        """Ready records of ``calendar_id`` whose conference id is ``conference_id``."""
        query = self._collection.where(filter=FieldFilter("conferenceId", "==", conference_id))
        with translated_errors("record query"):
            found = [ConferenceRecord.from_doc(fields_of(snap)) for snap in query.stream()]
        return [m for m in found if m.key.calendar_id == calendar_id]

    def find_by_join_id(self, conference_id: str) -> ConferenceRecord | None:
        """The bigbluebutton record whose conference id is ``conference_id``, on any
        calendar (what a join link names); None when there is none, or only a creation's
        reservation. One equality query on the automatic single-field index."""
        if not conference_id:
            return None
        query = self._collection.where(filter=FieldFilter("conferenceId", "==", conference_id))
        with translated_errors("record query"):
            found = [ConferenceRecord.from_doc(fields_of(snap)) for snap in query.stream()]
        matching = [
            record
            for record in found
            if record.provider == JOIN_PROVIDER and record.state is not RecordState.PENDING
        ]
        # A record being moved exists twice for a moment (written, then the old removed):
        # the newest write is the one that stays.
        matching.sort(key=lambda record: record.updated_at or record.created_at or _EPOCH)
        return matching[-1] if matching else None

    @_deferred_first
    def for_calendar(self, calendar_id: str) -> list[ConferenceRecord]:
        """Every conference document of a calendar."""
        query = self._collection.where(filter=FieldFilter("calendarId", "==", calendar_id))
        with translated_errors("record query"):
            return [ConferenceRecord.from_doc(fields_of(snap)) for snap in query.stream()]

    @_deferred_first
    def counts_by_calendar(self) -> dict[str, RecordCounts]:
        """What the operator status shows of each calendar's records (operator tools;
        not for request paths): see :class:`RecordCounts`."""
        counts: dict[str, RecordCounts] = {}
        query = self._collection.select(["calendarId", "state", "lastError"])
        with translated_errors("record query"):
            for snap in query.stream():
                data = snap.to_dict() or {}
                calendar_id = data.get("calendarId")
                if isinstance(calendar_id, str):
                    counts.setdefault(calendar_id, RecordCounts()).add(data)
        return counts

    @_deferred_first
    def any_for_calendar(self, calendar_id: str) -> bool:
        query = self._collection.where(filter=FieldFilter("calendarId", "==", calendar_id)).limit(1)
        with translated_errors("record query"):
            return any(True for _ in query.stream())

    @_deferred_first
    def due(self, field_name: str, now: datetime, limit: int) -> list[ConferenceRecord]:
        """Up to ``limit`` documents whose ``field_name`` time has passed, oldest first
        (a single-field range query: no composite index)."""
        query = (
            self._collection.where(filter=FieldFilter(field_name, "<", now))
            .order_by(field_name)
            .limit(limit)
        )
        with translated_errors("record query"):
            return [ConferenceRecord.from_doc(fields_of(snap)) for snap in query.stream()]

    def add_follower(self, key: ConferenceKey, event_id: str) -> None:
        self.update(key, {"followers": firestore.ArrayUnion([event_id])})

    def remove_followers(self, key: ConferenceKey, event_ids: list[str]) -> None:
        """Drop followers that no longer share the meeting (one removed meanwhile stays
        removed; a follower added meanwhile stays)."""
        self.update(key, {"followers": firestore.ArrayRemove(event_ids)})

    @_deferred_first
    def find_by_follower(self, calendar_id: str, event_id: str) -> list[ConferenceRecord]:
        """Records of ``calendar_id`` that list ``event_id`` as a follower (an
        ``array_contains`` query on the automatic single-field index)."""
        query = self._collection.where(filter=FieldFilter("followers", "array_contains", event_id))
        with translated_errors("record query"):
            found = [
                ConferenceRecord.from_doc(dict(snap.to_dict() or {})) for snap in query.stream()
            ]
        return [record for record in found if record.key.calendar_id == calendar_id]

    @_deferred_first
    def move(
        self, record: ConferenceRecord, new_key: ConferenceKey, changes: dict[str, Any]
    ) -> ConferenceRecord:
        """Re-key a record (the conference follows the event that now carries it).

        Written first, then the old document removed: a crash in between leaves two
        documents for one meeting, which the next sync resolves the same way again.
        """
        data = {
            **record.as_doc(),
            "calendarId": new_key.calendar_id,
            "eventId": new_key.event_id,
            "solutionId": new_key.solution_id,
            **changes,
            "updatedAt": self._clock(),
        }
        data["followers"] = [f for f in data.get("followers", []) if f != new_key.event_id]
        self._wrote(record.key, new_key)
        with translated_errors("record move"):
            self._ref(new_key).set(data)
            if new_key.doc_id != record.key.doc_id:
                self._ref(record.key).delete()
        return ConferenceRecord.from_doc(data)

    def update(self, key: ConferenceKey, changes: dict[str, Any]) -> None:
        """Update a record; one removed meanwhile stays removed (nothing to update).
        Inside :meth:`deferred_updates`, queued (a second update of the same record
        writes the queue first, so updates are written in order)."""
        stamped = {**changes, "updatedAt": self._clock()}
        self._wrote(key)
        deferred: dict[str, tuple[ConferenceKey, dict[str, Any]]] | None = getattr(
            self._local, "deferred", None
        )
        if deferred is None:
            self._write_update(key, stamped)
            return
        if key.doc_id in deferred or len(deferred) >= MAX_BATCH_WRITES:
            self.write_deferred()
        deferred[key.doc_id] = (key, stamped)

    def _write_update(self, key: ConferenceKey, changes: dict[str, Any]) -> None:
        try:
            with translated_errors("record update"):
                self._ref(key).update(changes)
        except DocumentGone:
            return

    @_deferred_first
    def delete(self, key: ConferenceKey) -> None:
        self._wrote(key)
        with translated_errors("record delete"):
            self._ref(key).delete()
