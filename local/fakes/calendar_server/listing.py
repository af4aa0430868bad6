"""events.list and events.instances: full and incremental sync, paging, filters
(docs/calendar-behaviour.md#incremental-sync).

- ``maxResults`` defaults to 250 and is capped at 2500 ("The page size can never be
  larger than 2500 events"; larger values are not an error). Page sizes scripted through
  the control API make pages short or empty while ``nextPageToken`` is set; a scripted
  empty page always has one.
- The first call computes the whole answer (a :class:`Snapshot`) and pages it out;
  ``nextPageToken`` and ``nextSyncToken`` are exclusive, the sync token is on the last
  page only and counts from the first call. A full sync with ``orderBy`` gets no sync
  token (evidence: docs/calendar-behaviour.md#incremental-sync); with
  ``timeMin``/``timeMax`` it does.
- A full sync omits cancelled events unless ``showDeleted``; as documented, cancelled
  exceptions of a live series stay when ``singleEvents`` and ``showDeleted`` are both
  false, and ``updatedMin`` brings in deletions since then. An incremental sync returns
  every event changed since the token, deletions included; cancelled events always come
  in the minimal shape.
- With ``syncToken``: ``iCalUID``, ``orderBy``, ``privateExtendedProperty``, ``q``,
  ``sharedExtendedProperty``, ``timeMin``, ``timeMax``, ``updatedMin`` and
  ``showDeleted=false`` are a 400.
- Items are shown as the caller's role lets them see them: only times for a
  ``freeBusyReader``, and for readers on private events (``resources.visible``).
- events.instances: the instances of one series (exceptions in place of theirs), paged
  like events.list, with ``timeMin``/``timeMax``/``originalStart``/``showDeleted``; no
  sync token. On an event that does not recur it answers that event alone (ASSUMPTION:
  not documented).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from local.fakes.calendar_server import errors, sync_tokens, times
from local.fakes.calendar_server.errors import ApiError
from local.fakes.calendar_server.resources import expand, minimal, render, series, visible
from local.fakes.calendar_server.store import CalendarRecord, Snapshot, Store, StoredEvent

DEFAULT_PAGE = 250
MAX_PAGE = 2500
MAX_CURSORS = 10_000
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
Window = tuple[datetime | None, datetime | None]
Query = dict[str, Any]


def _instant(query: Query, name: str) -> datetime | None:
    value = query.get(name)
    return times.parse_instant(value) if isinstance(value, str) else None


def _check_query(query: Query) -> Window:
    if "syncToken" in query:
        for name in NOT_WITH_SYNC_TOKEN:
            if name in query:
                raise errors.invalid(
                    f"The parameter {name} cannot be used together with syncToken.", location=name
                )
        if query.get("showDeleted") is False:
            raise errors.invalid(
                "showDeleted=false cannot be used together with syncToken.", location="showDeleted"
            )
    if query.get("orderBy") == "startTime" and not query.get("singleEvents"):
        raise errors.bad_request(
            "The requested ordering is not available for the particular query."
        )
    low, high = _instant(query, "timeMin"), _instant(query, "timeMax")
    if low is not None and high is not None and high <= low:
        raise ApiError(
            400, "timeRangeEmpty", "The specified time range is empty.", location="timeMax"
        )
    return low, high


def _text(resource: dict[str, Any]) -> str:
    parts = [str(resource.get(key, "")) for key in ("summary", "description", "location")]
    people = [resource.get("organizer") or {}, *(resource.get("attendees") or [])]
    for person in people:
        parts += [str(person.get("email", "")), str(person.get("displayName", ""))]
    return " ".join(parts).lower()


def _matches(resource: dict[str, Any], query: Query) -> bool:
    """The filters other than time and deletion."""
    if "eventTypes" in query and resource.get("eventType", "default") not in query["eventTypes"]:
        return False
    if "iCalUID" in query and resource.get("iCalUID") != query["iCalUID"]:
        return False
    if "q" in query and not all(word in _text(resource) for word in query["q"].lower().split()):
        return False
    props = resource.get("extendedProperties") or {}
    for param, scope in (
        ("privateExtendedProperty", "private"),
        ("sharedExtendedProperty", "shared"),
    ):
        for wanted in query.get(param, []):
            name, _, value = str(wanted).partition("=")
            if (props.get(scope) or {}).get(name) != value:
                return False
    return True


def _sort_key_start(calendar: CalendarRecord, resource: dict[str, Any]) -> tuple[str, str]:
    moment = times.bound(resource.get("start") or {}, calendar.tz)
    return (times.stamp(moment) if moment else "", str(resource.get("id")))


class ListService:
    """events.list over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, user: str, calendar_id: str, query: Query) -> dict[str, Any]:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id)
            window = _check_query(query)
            point = None
            if "syncToken" in query:
                point = sync_tokens.decode(str(query["syncToken"]), self.store, calendar)
            page_token = query.get("pageToken")
            if page_token is not None:
                found = self.store.cursors.get(str(page_token))
                if found is None or found[0].calendar_id != calendar.id:
                    raise errors.invalid("Invalid page token value.", location="pageToken")
                snapshot, offset = found
            else:
                snapshot = self._snapshot(calendar, query, window, point, calendar.role(user))
                offset = 0
            return self._page(calendar, query, snapshot, offset, user)

    def instances(self, user: str, calendar_id: str, event_id: str, query: Query) -> dict[str, Any]:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id)
            window = _check_query(query)
            page_token = query.get("pageToken")
            if page_token is not None:
                found = self.store.cursors.get(str(page_token))
                if found is None or found[0].calendar_id != f"{calendar.id}/{event_id}":
                    raise errors.invalid("Invalid page token value.", location="pageToken")
                snapshot, offset = found
            else:
                snapshot = self._instances(calendar, event_id, query, window, user)
                offset = 0
            return self._page(calendar, query, snapshot, offset, user)

    def _instances(
        self, calendar: CalendarRecord, event_id: str, query: Query, window: Window, user: str
    ) -> Snapshot:
        stored = self.store.events_of(calendar.id).get(event_id)
        if stored is None or "recurringEventId" in stored.resource:
            raise errors.not_found()
        if series(stored, calendar) is None:
            found: list[dict[str, Any]] = [stored.resource]
        else:
            found = [resource for resource, _ in expand(self.store, calendar, stored, window[1])]
        wanted = query.get("originalStart")
        kept = []
        for resource in found:
            if resource.get("status") == "cancelled" and not query.get("showDeleted"):
                continue
            if wanted is not None and not _same_start(resource, str(wanted)):
                continue
            if self._in_window(calendar, resource, window):
                kept.append(resource)
        items = [_shown(r, calendar.role(user), query) for r in kept]
        return Snapshot(f"{calendar.id}/{event_id}", items, None)

    def _page(
        self, calendar: CalendarRecord, query: Query, snapshot: Snapshot, offset: int, user: str
    ) -> dict[str, Any]:
        size = min(int(query.get("maxResults", DEFAULT_PAGE)), MAX_PAGE)
        scripted = calendar.page_sizes.popleft() if calendar.page_sizes else None
        if scripted is not None:
            size = min(size, scripted)
        items = snapshot.items[offset : offset + size]
        end = offset + len(items)
        updated = [str(item["updated"]) for item in items if "updated" in item]
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"p{self.store.seq}"',
            "summary": calendar.summary,
            "description": "",
            "updated": max(updated, default=times.stamp(times.now())),
            "timeZone": query.get("timeZone") or calendar.time_zone,
            "accessRole": calendar.role(user),
            "defaultReminders": [],
            "items": items,
        }
        if end < len(snapshot.items) or scripted == 0:
            token = secrets.token_urlsafe(24)
            if len(self.store.cursors) >= MAX_CURSORS:
                self.store.cursors.pop(next(iter(self.store.cursors)))
            self.store.cursors[token] = (snapshot, end)
            answer["nextPageToken"] = token
        elif snapshot.next_sync_token is not None:
            answer["nextSyncToken"] = snapshot.next_sync_token
        return answer

    def _snapshot(
        self,
        calendar: CalendarRecord,
        query: Query,
        window: Window,
        point: sync_tokens.SyncPoint | None,
        role: str | None,
    ) -> Snapshot:
        if point is None:
            found = list(self._full(calendar, query, window))
            if query.get("orderBy") == "startTime":
                found.sort(key=lambda r: _sort_key_start(calendar, r))
            elif query.get("orderBy") == "updated":
                found.sort(key=lambda r: (str(r.get("updated", "")), str(r.get("id"))))
            token = None if "orderBy" in query else sync_tokens.encode(self.store, calendar)
        else:
            found = [r for r in self._changes(calendar, query, point.seq) if _matches(r, query)]
            token = sync_tokens.encode(self.store, calendar)
        items = [_shown(r, role, query) for r in found]
        return Snapshot(calendar.id, items, token)

    def _full(
        self, calendar: CalendarRecord, query: Query, window: Window
    ) -> Iterator[dict[str, Any]]:
        single = bool(query.get("singleEvents"))
        show_deleted = bool(query.get("showDeleted"))
        updated_min = _instant(query, "updatedMin")
        events = self.store.events_of(calendar.id)

        def wanted(resource: dict[str, Any], master_live: bool = False) -> bool:
            if resource.get("status") == "cancelled":
                recently = updated_min is not None and _updated(resource) >= updated_min
                kept_exception = not single and master_live and "recurringEventId" in resource
                if not (show_deleted or recently or kept_exception):
                    return False
            elif updated_min is not None and _updated(resource) < updated_min:
                return False
            return _matches(resource, query)

        for stored in sorted(events.values(), key=lambda s: s.ordinal):
            resource = stored.resource
            rule = series(stored, calendar)
            master_id = resource.get("recurringEventId")
            master = events.get(str(master_id)) if master_id else None
            if single and master is not None and series(master, calendar) is not None:
                continue  # listed in place of its instance, below
            if single and rule is not None:
                for instance, _ in expand(self.store, calendar, stored, window[1]):
                    if wanted(instance) and self._in_window(calendar, instance, window):
                        yield instance
                continue
            master_live = master is not None and not master.cancelled
            if not wanted(resource, master_live):
                continue
            if rule is not None and not single:
                if self._series_in_window(stored, calendar, window):
                    yield resource
            elif self._in_window(calendar, resource, window):
                yield resource

    @staticmethod
    def _in_window(calendar: CalendarRecord, resource: dict[str, Any], window: Window) -> bool:
        if window == (None, None):
            return True
        bounds = times.span(resource, calendar.tz)
        return bounds is None or times.overlaps(window, *bounds)

    @staticmethod
    def _series_in_window(stored: StoredEvent, calendar: CalendarRecord, window: Window) -> bool:
        rule = series(stored, calendar)
        if window == (None, None) or rule is None:
            return True
        for occurrence in rule.occurrences():
            start, end = rule.bounds(occurrence)
            if window[1] is not None and start >= window[1]:
                return False
            if times.overlaps(window, start, end):
                return True
        return False

    def _changes(
        self, calendar: CalendarRecord, query: Query, since: int
    ) -> Iterator[dict[str, Any]]:
        single = bool(query.get("singleEvents"))
        events = self.store.events_of(calendar.id)
        changed = sorted(
            (s for s in events.values() if s.change_seq > since), key=lambda s: s.change_seq
        )
        for stored in changed:
            if single and series(stored, calendar) is not None:
                for instance, exception in expand(self.store, calendar, stored):
                    if exception is None:
                        yield instance
                continue
            yield stored.resource


def _same_start(resource: dict[str, Any], wanted: str) -> bool:
    """Whether the instance ``resource`` originally started at ``wanted``."""
    original = resource.get("originalStartTime") or resource.get("start") or {}
    if "date" in original:
        return str(original["date"]) == wanted
    moment = times.parse_instant(str(original.get("dateTime", "")))
    return moment is not None and moment == times.parse_instant(wanted)


def _shown(resource: dict[str, Any], role: str | None, query: Query) -> dict[str, Any]:
    """An item of a list answer: the minimal shape if cancelled, else what ``role`` sees."""
    if resource.get("status") == "cancelled":
        return minimal(resource)
    return render(visible(resource, role), query.get("maxAttendees"))


def _updated(resource: dict[str, Any]) -> datetime:
    parsed = times.parse_instant(str(resource.get("updated", "")))
    return parsed if parsed is not None else datetime.min.replace(tzinfo=times.now().tzinfo)
