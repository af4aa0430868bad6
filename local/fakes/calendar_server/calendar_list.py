"""calendarList.get and calendarList.list, as the acting user
(docs/calendar-behaviour.md#access-roles).

- An entry is a calendar on the user's list, with the user's ``accessRole`` on it
  (``freeBusyReader``, ``reader``, ``writerWithoutPrivateAccess``, ``writer``, ``owner``);
  the user's own calendar (id = their email) has ``primary: true``. ``"primary"`` names it.
- ``get`` of a calendar that is not on the user's list is a 404 ``notFound``, even when
  the user can read the calendar (``calendars.get`` works then).
- ``list``: ``minAccessRole`` keeps entries with at least that role; ``maxResults``
  defaults to 100 and is capped at 250 ("The page size can never be larger than 250
  entries"); pages out through ``pageToken`` like events.list; ``nextSyncToken`` on the
  last page only. With ``syncToken`` only entries added to or removed from the list since
  then come back (a removed one as ``{kind, etag, id, deleted: true}``); a role change
  alone does not, as documented ("If only read-only fields such as calendar properties
  or ACLs have changed, the entry won't be returned"). ``minAccessRole`` or
  ``showOwnOrganizationOnly`` with ``syncToken``, and ``showDeleted=false`` or
  ``showHidden=false`` with it, are a 400. Entries are never hidden here, so
  ``showHidden`` changes nothing.
- Entry order is not documented; the primary calendar comes first, then the order in
  which calendars joined the list.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from local.fakes.calendar_server import errors
from local.fakes.calendar_server.listing import MAX_CURSORS
from local.fakes.calendar_server.store import CalendarRecord, ListEntry, Snapshot, Store, role_rank

DEFAULT_PAGE = 100
MAX_PAGE = 250
_PREFIX = "cl1"
Query = dict[str, Any]


def _cursor_key(user: str) -> str:
    return f"users/{user}/calendarList"


def entry_json(calendar: CalendarRecord, user: str, entry: ListEntry) -> dict[str, Any]:
    """The CalendarListEntry of ``calendar`` on ``user``'s list."""
    if entry.deleted:
        return {
            "kind": "calendar#calendarListEntry",
            "etag": entry.etag,
            "id": calendar.id,
            "deleted": True,
        }
    shown: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": entry.etag,
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "accessRole": calendar.role(user),
        "defaultReminders": [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": list(calendar.conference_types)},
    }
    if calendar.id == user:
        shown["primary"] = True
    return shown


class CalendarListService:
    """The calendar list of each user, over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, user: str, calendar_id: str) -> dict[str, Any]:
        with self.store.lock:
            resolved = user if calendar_id == "primary" else calendar_id
            calendar = self.store.calendars.get(resolved)
            entry = self.store.list_entries.get((user, resolved))
            if calendar is None or entry is None or entry.deleted or calendar.role(user) is None:
                raise errors.not_found()
            return entry_json(calendar, user, entry)

    def list(self, user: str, query: Query) -> dict[str, Any]:
        with self.store.lock:
            since = self._check(user, query)
            page_token = query.get("pageToken")
            if page_token is not None:
                found = self.store.cursors.get(str(page_token))
                if found is None or found[0].calendar_id != _cursor_key(user):
                    raise errors.invalid("Invalid page token value.", location="pageToken")
                snapshot, offset = found
            else:
                snapshot, offset = self._snapshot(user, query, since), 0
            size = min(int(query.get("maxResults", DEFAULT_PAGE)), MAX_PAGE)
            items = snapshot.items[offset : offset + size]
            end = offset + len(items)
            answer: dict[str, Any] = {
                "kind": "calendar#calendarList",
                "etag": f'"l{self.store.seq}"',
                "items": items,
            }
            if end < len(snapshot.items):
                token = secrets.token_urlsafe(24)
                if len(self.store.cursors) >= MAX_CURSORS:
                    self.store.cursors.pop(next(iter(self.store.cursors)))
                self.store.cursors[token] = (snapshot, end)
                answer["nextPageToken"] = token
            elif snapshot.next_sync_token is not None:
                answer["nextSyncToken"] = snapshot.next_sync_token
            return answer

    def _check(self, user: str, query: Query) -> int | None:
        """The change number a ``syncToken`` counts from (None: a full listing)."""
        if "syncToken" not in query:
            return None
        for name in ("minAccessRole", "showOwnOrganizationOnly"):
            if name in query:
                raise errors.invalid(
                    f"The parameter {name} cannot be used together with syncToken.", location=name
                )
        for name in ("showDeleted", "showHidden"):
            if query.get(name) is False:
                raise errors.invalid(
                    f"{name}=false cannot be used together with syncToken.", location=name
                )
        return self._decode(user, str(query["syncToken"]))

    def _snapshot(self, user: str, query: Query, since: int | None) -> Snapshot:
        minimum = role_rank(query.get("minAccessRole")) if "minAccessRole" in query else -1
        show_deleted = bool(query.get("showDeleted"))
        found: list[tuple[bool, int, dict[str, Any]]] = []
        for (owner, calendar_id), entry in self.store.list_entries.items():
            calendar = self.store.calendars.get(calendar_id)
            if owner != user or calendar is None:
                continue
            deleted = entry.deleted or calendar.role(user) is None
            if since is not None:
                if entry.seq <= since:
                    continue
            elif deleted and not show_deleted:
                continue
            if not deleted and role_rank(calendar.role(user)) < minimum:
                continue
            shown = entry if not deleted or entry.deleted else _as_deleted(entry)
            found.append((calendar.id != user, entry.seq, entry_json(calendar, user, shown)))
        found.sort(key=lambda item: (item[0], item[1]))
        return Snapshot(_cursor_key(user), [item for _, _, item in found], self._encode(user))

    def _encode(self, user: str) -> str:
        text = f"{_PREFIX}|{self.store.generation}|{self.store.seq}|{user}"
        return base64.urlsafe_b64encode(text.encode()).decode()

    def _decode(self, user: str, token: str) -> int:
        try:
            text = base64.urlsafe_b64decode(token.encode()).decode()
            prefix, generation, seq, owner = text.split("|", 3)
            point = int(seq)
        except (binascii.Error, UnicodeError, ValueError):
            raise errors.invalid("Invalid sync token value.", location="syncToken") from None
        if prefix != _PREFIX:
            raise errors.invalid("Invalid sync token value.", location="syncToken")
        if generation != self.store.generation or owner != user or point > self.store.seq:
            raise errors.full_sync_required()
        return point


def _as_deleted(entry: ListEntry) -> ListEntry:
    return ListEntry(entry.user, entry.calendar_id, entry.seq, entry.etag, deleted=True)
