"""The local Calendar's state: calendars, access, calendar lists, events, channels, page
cursors, faults, scopes, call log.

Everything lives in memory behind one re-entrant lock (:attr:`Store.lock`); the API
services and :class:`local.fakes.calendar_server.control.Control` take it for every read and
write. Events are kept per calendar, tombstones (``status: cancelled``) included; every
write stamps a new ``etag`` and ``updated`` and a store-wide change number that sync
tokens count from.

Access (docs/calendar-behaviour.md#access-roles): a calendar has one data owner (role
``owner``) and an access list of other users' roles, one of :data:`ROLES`. A user's
calendar list holds an entry per calendar they have added (by default every calendar
they are given a role on); an entry removed from the list stays as ``deleted`` for
incremental sync of the list.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes.calendar_server import errors, times
from local.fakes.calendar_server.conference import CREATABLE_TYPES

#: The access roles of Calendar, weakest first (discovery, ``CalendarListEntry.accessRole``).
#: Where ``writerWithoutPrivateAccess`` ranks for ``minAccessRole`` is not documented: it
#: can write, but not private events, so it sits between ``reader`` and ``writer``.
ROLES = ("freeBusyReader", "reader", "writerWithoutPrivateAccess", "writer", "owner")
#: Roles that may change events.
WRITE_ROLES = frozenset({"writerWithoutPrivateAccess", "writer", "owner"})


def role_rank(role: str | None) -> int:
    """The strength of ``role`` (-1 for none)."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass
class CalendarRecord:
    id: str
    owner: str
    summary: str
    time_zone: str = "UTC"
    acl: dict[str, str] = field(default_factory=dict)
    etag: str = '"0"'
    token_epoch: int = 0
    page_sizes: deque[int] = field(default_factory=deque)
    drop_messages: int = 0
    conference_types: tuple[str, ...] = CREATABLE_TYPES

    @property
    def tz(self) -> ZoneInfo:
        return times.zone(self.time_zone) or ZoneInfo("UTC")

    def role(self, email: str) -> str | None:
        """``email``'s access role on the calendar (None: no access)."""
        if email == self.owner:
            return "owner"
        return self.acl.get(email)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "calendar#calendar",
            "etag": self.etag,
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": list(self.conference_types)},
        }


@dataclass
class StoredEvent:
    calendar_id: str
    resource: dict[str, Any]
    ordinal: int
    change_seq: int

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    owner: str
    address: str
    expiration_ms: int
    token: str | None = None
    stopped: bool = False
    last_number: int = 0

    def live(self, now_ms: int) -> bool:
        return not self.stopped and self.expiration_ms > now_ms


@dataclass
class Fault:
    method: str
    status: int
    reason: str
    remaining: int = 1
    calendar_id: str | None = None
    message: str | None = None
    retry_after: float | None = None


@dataclass
class ListEntry:
    """A calendar on a user's calendar list; ``seq`` is the store change number of its
    last addition or removal (what the list's sync tokens count)."""

    user: str
    calendar_id: str
    seq: int
    etag: str
    deleted: bool = False


@dataclass(frozen=True)
class CallRecord:
    method: str
    calendar_id: str | None
    params: dict[str, Any]
    user: str | None
    status: int
    time: float
    path: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.method,
            "calendarId": self.calendar_id,
            "params": self.params,
            "user": self.user,
            "status": self.status,
            "time": self.time,
        }

    def __getitem__(self, key: str) -> Any:
        """The record read like its JSON form (``call["method"]``, ``call["params"]``)."""
        return self.as_json()[key]


@dataclass(frozen=True)
class Snapshot:
    """The full result of one list call, paged out through page tokens."""

    calendar_id: str
    items: list[dict[str, Any]]
    next_sync_token: str | None


class Store:
    """All state, behind :attr:`lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calendars: dict[str, CalendarRecord] = {}
            self.events: dict[str, dict[str, StoredEvent]] = {}
            self.channels: list[Channel] = []
            # (user, calendar id) -> that calendar's entry on the user's calendar list
            self.list_entries: dict[tuple[str, str], ListEntry] = {}
            # user -> the OAuth scopes their token carries (absent: every scope)
            self.scopes: dict[str, frozenset[str]] = {}
            self.cursors: dict[str, tuple[Snapshot, int]] = {}
            self.faults: list[Fault] = []
            self.calls: list[CallRecord] = []
            self.failing_page_tokens = 0
            self.sync_before_watch_response = False
            self.generation = secrets.token_hex(4)  # tokens from before a reset are stale
            self.seq = 0
            self.ordinal = 0
            self._etag_clock = 0

    # -- writes -------------------------------------------------------------------------

    def next_etag(self) -> str:
        self._etag_clock = max(self._etag_clock + 1, time.time_ns() // 1000)
        return f'"{self._etag_clock}"'

    def save(
        self, calendar_id: str, resource: dict[str, Any], ordinal: int | None = None
    ) -> StoredEvent:
        """Store ``resource`` (new etag, ``updated`` and change number) under its id."""
        self.seq += 1
        resource["etag"] = self.next_etag()
        resource["updated"] = times.stamp(times.now())
        events = self.events.setdefault(calendar_id, {})
        existing = events.get(str(resource["id"]))
        if ordinal is None:
            if existing is not None:
                ordinal = existing.ordinal
            else:
                self.ordinal += 1
                ordinal = self.ordinal
        stored = StoredEvent(calendar_id, resource, ordinal, self.seq)
        events[stored.id] = stored
        return stored

    def set_role(
        self, calendar: CalendarRecord, user: str, role: str | None, listed: bool = True
    ) -> None:
        """Give ``user`` ``role`` on ``calendar`` (None: no access) and add the calendar to
        their list (or, ``listed=False`` or without a role, take it off the list)."""
        if role is not None and role not in ROLES:
            raise ValueError(f"unknown access role {role!r}; one of {', '.join(ROLES)}")
        if user == calendar.owner:
            if role != "owner":
                raise ValueError("the calendar's data owner always has the owner role")
        elif role is None:
            calendar.acl.pop(user, None)
        else:
            calendar.acl[user] = role
        self.set_listed(calendar.id, user, listed and role is not None)

    def set_listed(self, calendar_id: str, user: str, listed: bool) -> None:
        """Add the calendar to ``user``'s calendar list, or take it off (a change the
        list's incremental sync reports); nothing happens if it is already so."""
        entry = self.list_entries.get((user, calendar_id))
        if entry is not None and entry.deleted != listed:
            return
        if entry is None and not listed:
            return
        self.seq += 1
        self.list_entries[(user, calendar_id)] = ListEntry(
            user, calendar_id, self.seq, self.next_etag(), deleted=not listed
        )

    # -- reads --------------------------------------------------------------------------

    def events_of(self, calendar_id: str) -> dict[str, StoredEvent]:
        return self.events.setdefault(calendar_id, {})

    def calendar_for(self, user: str, calendar_id: str, write: bool = False) -> CalendarRecord:
        """The calendar ``user`` has a role on (404 otherwise); with ``write``, one whose
        events they may change (403 ``requiredAccessLevel`` for the reading roles)."""
        resolved = user if calendar_id == "primary" else calendar_id
        calendar = self.calendars.get(resolved)
        if calendar is None or calendar.role(user) is None:
            raise errors.not_found()
        if write and calendar.role(user) not in WRITE_ROLES:
            raise errors.writer_required()
        return calendar

    # -- faults and the call log --------------------------------------------------------

    def take_fault(self, method: str, calendar_id: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method != method or fault.remaining <= 0:
                    continue
                if fault.calendar_id is not None and fault.calendar_id != calendar_id:
                    continue
                fault.remaining -= 1
                self.faults = [f for f in self.faults if f.remaining > 0]
                return fault
            return None

    def take_page_token_failure(self) -> bool:
        with self.lock:
            if self.failing_page_tokens <= 0:
                return False
            self.failing_page_tokens -= 1
            return True

    def record_call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls.append(record)
