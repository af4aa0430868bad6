"""What tests and the local stack use to set up and steer the server (``server.control``).

The same methods answer over HTTP under ``/_control`` (see ``control_routes.py``). Besides
setup, faults and inspection, some methods do what a person does in Calendar's own UI,
which the API cannot: split a series "this and following" (:meth:`Control.split_series`)
and save an add-on's conference in the event editor
(:meth:`Control.save_conference_as_editor`).
"""

from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from local.fakes.calendar_server.events import EventService
from local.fakes.calendar_server.push import Delivery, PushDispatcher
from local.fakes.calendar_server.store import ROLES, CalendarRecord, CallRecord, Fault, Store


class Unknown(KeyError):
    """No calendar or channel of that id."""


class Control:
    """Setup, fault injection, inspection. Every method is thread-safe."""

    def __init__(self, store: Store, dispatcher: PushDispatcher, events: EventService) -> None:
        self._store = store
        self._dispatcher = dispatcher
        self._events = events

    def reset(self) -> None:
        """Forget everything: calendars, events, channels, faults, calls, deliveries."""
        self._store.reset()
        self._dispatcher.clear()

    # -- calendars and events -----------------------------------------------------------

    def create_calendar(
        self,
        calendar_id: str,
        owner: str | None = None,
        *,
        summary: str | None = None,
        time_zone: str = "UTC",
        readers: Iterable[str] = (),
        writers: Iterable[str] = (),
        conference_types: Iterable[str] = ("hangoutsMeet",),
    ) -> dict[str, Any]:
        """Create (or replace) a calendar; ``owner`` (its data owner) defaults to
        ``calendar_id``. ``readers`` and ``writers`` get those roles; the calendar is on
        the calendar list of its owner and of each of them."""
        with self._store.lock:
            calendar = CalendarRecord(
                id=calendar_id,
                owner=owner or calendar_id,
                summary=summary or calendar_id,
                time_zone=time_zone,
                etag=self._store.next_etag(),
                conference_types=tuple(conference_types),
            )
            for (user, listed_id), entry in list(self._store.list_entries.items()):
                if listed_id == calendar_id and not entry.deleted:
                    self._store.set_listed(calendar_id, user, False)
            self._store.calendars[calendar_id] = calendar
            self._store.events_of(calendar_id)
            self._store.set_role(calendar, calendar.owner, "owner")
            for role, users in (("reader", readers), ("writer", writers)):
                for user in users:
                    if user != calendar.owner:
                        self._store.set_role(calendar, user, role)
            return calendar.as_json()

    def set_access(
        self,
        calendar_id: str,
        *,
        readers: Iterable[str] | None = None,
        writers: Iterable[str] | None = None,
    ) -> None:
        """Replace the users who have the ``reader`` and/or ``writer`` role (those dropped
        lose access, and the calendar leaves their list); other roles stay."""
        with self._store.lock:
            calendar = self._calendar(calendar_id)
            for role, users in (("reader", readers), ("writer", writers)):
                if users is None:
                    continue
                wanted = set(users) - {calendar.owner}
                for user, held in list(calendar.acl.items()):
                    if held == role and user not in wanted:
                        self._store.set_role(calendar, user, None)
                for user in wanted:
                    if calendar.acl.get(user) != role:
                        self._store.set_role(calendar, user, role)

    def grant(self, calendar_id: str, user: str, role: str, *, listed: bool = True) -> None:
        """Give ``user`` ``role`` on the calendar: ``freeBusyReader``, ``reader``,
        ``writerWithoutPrivateAccess``, ``writer`` or ``owner``. With ``listed`` (the
        default) the calendar is on their calendar list (calendarList.get/list answer it);
        ``listed=False`` takes it off, so only calendars.get and the event methods reach
        it. The data owner's role cannot change (ValueError)."""
        if role not in ROLES:
            raise ValueError(f"unknown access role {role!r}; one of {', '.join(ROLES)}")
        with self._store.lock:
            self._store.set_role(self._calendar(calendar_id), user, role, listed)

    def revoke(self, calendar_id: str, user: str) -> None:
        """``user`` loses every access to the calendar, which leaves their calendar list
        (their list's incremental sync reports it deleted)."""
        with self._store.lock:
            self._store.set_role(self._calendar(calendar_id), user, None)

    def set_scopes(self, user: str, scopes: Iterable[str] | None) -> None:
        """The OAuth scopes ``user``'s calls carry from now on; a call whose method allows
        none of them (discovery, per-method ``scopes``) gets 403 ``insufficientPermissions``
        "Request had insufficient authentication scopes.". ``None`` (the default state):
        scopes are not checked."""
        with self._store.lock:
            if scopes is None:
                self._store.scopes.pop(user, None)
            else:
                self._store.scopes[user] = frozenset(scopes)

    def split_series(
        self,
        calendar_id: str,
        instance_id: str,
        changes: dict[str, Any] | None = None,
        *,
        as_user: str | None = None,
    ) -> dict[str, Any]:
        """A "this and following" edit from the occurrence ``instance_id``
        (``<seriesId>_<YYYYMMDDTHHMMSSZ>``) on, as Calendar's editor makes it, by
        ``as_user`` (default: the calendar's owner): the series ends before it, and a new
        series ``<seriesId>_R<YYYYMMDDTHHMMSS>`` with a copy of its data (conference data
        included) and ``changes`` (patch semantics) starts there. Returns the new series.
        Evidence, not documented: see ``EventService.split``."""
        with self._store.lock:
            user = as_user or self._calendar(calendar_id).owner
        return self._events.split(user, calendar_id, instance_id, changes)

    def save_conference_as_editor(
        self,
        calendar_id: str,
        event_id: str,
        conference_data: dict[str, Any],
        *,
        script_id: str,
        as_user: str | None = None,
    ) -> dict[str, Any]:
        """What Calendar's editor saves when ``as_user`` (default: the calendar's owner)
        adds the add-on's conference ``conference_data`` (an ``addOn`` conference, as the
        add-on's onCreateFunction built it) to the event: it replaces the event's
        conference, with ``parameters.addOnParameters.parameters.scriptId`` =
        ``script_id`` beside the add-on's parameters and a server-generated
        ``signature``. Needs write access (403 ``requiredAccessLevel`` otherwise). Returns
        the event."""
        with self._store.lock:
            user = as_user or self._calendar(calendar_id).owner
        return self._events.save_as_editor(user, calendar_id, event_id, conference_data, script_id)

    def insert_events(
        self,
        calendar_id: str,
        bodies: Iterable[dict[str, Any]],
        as_user: str | None = None,
        conference_data_version: int = 1,
    ) -> list[dict[str, Any]]:
        """Insert events as ``as_user`` (default: the owner) without HTTP (bulk seeding)."""
        with self._store.lock:
            user = as_user or self._calendar(calendar_id).owner
        query = {"conferenceDataVersion": conference_data_version}
        return [self._events.insert(user, calendar_id, dict(body), query) for body in bodies]

    def has_calendar(self, calendar_id: str) -> bool:
        with self._store.lock:
            return calendar_id in self._store.calendars

    def stored_events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event of a calendar, tombstones and exceptions included."""
        with self._store.lock:
            stored = sorted(self._store.events_of(calendar_id).values(), key=lambda s: s.ordinal)
            return [copy.deepcopy(s.resource) for s in stored]

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        reason: str,
        *,
        count: int = 1,
        calendar_id: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` (e.g. ``events.list``; optionally on one
        calendar) answer ``status`` with ``reason`` instead of running."""
        with self._store.lock:
            self._store.faults.append(
                Fault(method, status, reason, count, calendar_id, message, retry_after)
            )

    def clear_faults(self) -> None:
        with self._store.lock:
            self._store.faults.clear()
            self._store.failing_page_tokens = 0

    def fail_next_page_token(self, count: int = 1) -> None:
        """The next ``count`` events.list calls that carry a pageToken answer 410."""
        with self._store.lock:
            self._store.failing_page_tokens += count

    def expire_sync_tokens(self, calendar_id: str) -> None:
        """Every sync token given out for the calendar so far now answers 410."""
        with self._store.lock:
            self._calendar(calendar_id).token_epoch += 1

    def script_page_sizes(self, calendar_id: str, sizes: Iterable[int]) -> None:
        """The next events.list pages of the calendar hold at most these many items
        (0: empty, with a nextPageToken); then maxResults applies again."""
        with self._store.lock:
            self._calendar(calendar_id).page_sizes = deque(int(s) for s in sizes)

    # -- the call log -------------------------------------------------------------------

    def calls(self, method: str | None = None, calendar_id: str | None = None) -> list[CallRecord]:
        with self._store.lock:
            return [
                call
                for call in self._store.calls
                if (method is None or call.method == method)
                and (calendar_id is None or call.calendar_id == calendar_id)
            ]

    def clear_calls(self) -> None:
        with self._store.lock:
            self._store.calls.clear()

    # -- push ---------------------------------------------------------------------------

    def drop_next_messages(self, calendar_id: str, count: int = 1) -> None:
        """The next ``count`` push messages about the calendar are never sent."""
        with self._store.lock:
            self._calendar(calendar_id).drop_messages += count

    def deliveries(
        self, channel_id: str | None = None, calendar_id: str | None = None
    ) -> list[Delivery]:
        return [
            d
            for d in self._dispatcher.deliveries()
            if (channel_id is None or d.channel_id == channel_id)
            and (calendar_id is None or d.calendar_id == calendar_id)
        ]

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        """Block until no message is queued, waiting for a retry, or in flight."""
        self._dispatcher.wait_idle(timeout)

    def expire_channel(self, channel_id: str) -> None:
        """The live channel ``channel_id`` expires now."""
        with self._store.lock:
            now_ms = time.time_ns() // 1_000_000
            live = [c for c in self._store.channels if c.id == channel_id and c.live(now_ms)]
            if not live:
                raise Unknown(channel_id)
            for channel in live:
                channel.expiration_ms = now_ms

    def channels(self) -> list[dict[str, Any]]:
        with self._store.lock:
            now_ms = time.time_ns() // 1_000_000
            return [
                {
                    "id": c.id,
                    "resourceId": c.resource_id,
                    "resourceUri": c.resource_uri,
                    "calendarId": c.calendar_id,
                    "owner": c.owner,
                    "address": c.address,
                    "expiration": str(c.expiration_ms),
                    "token": c.token,
                    "live": c.live(now_ms),
                }
                for c in self._store.channels
            ]

    def set_sync_before_watch_response(self, enabled: bool = True) -> None:
        """events.watch answers only once its sync message is delivered (or failed)."""
        with self._store.lock:
            self._store.sync_before_watch_response = enabled

    def _calendar(self, calendar_id: str) -> CalendarRecord:
        calendar = self._store.calendars.get(calendar_id)
        if calendar is None:
            raise Unknown(calendar_id)
        return calendar
