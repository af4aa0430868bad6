"""events.get / insert / patch / update / delete / move, with Calendar's write rules.

- The server sets ``kind``, ``id`` (unless the client gives a valid base32hex one),
  ``etag`` and ``updated`` (new on every write), ``created``, ``iCalUID``, ``htmlLink``,
  ``creator`` (the caller) and ``organizer`` (the calendar); read-only fields in a body are
  ignored. ``sequence`` goes up when ``start``, ``end`` or ``recurrence`` change.
- ``conferenceData`` is read only with ``conferenceDataVersion=1``; then ``update``
  without it clears it and ``patch`` without it keeps it.
- ``If-Match`` with another etag is a 412. A deleted event stays as a tombstone
  (``status: cancelled``); deleting it again is a 410 ``deleted``.
- An instance id of a series names its instance; a write to it stores an exception
  (deleting it stores a cancelled one). Deleting a series cancels its exceptions too.
- Access (docs/calendar-behaviour.md#access-roles): reads need a role on the calendar,
  writes ``writerWithoutPrivateAccess``, ``writer`` or ``owner`` (else 403
  ``requiredAccessLevel``), and a ``writerWithoutPrivateAccess`` may not change private
  events. A ``freeBusyReader`` reads only the times of events, and a reader only those of
  private ones (``resources.visible``).
- The conference's ``signature`` is the server's (``conference.signed``).
- ``move`` re-homes an event (series: with its exceptions) on another calendar, whose
  organizer it becomes; it keeps its id. On the source it leaves a cancelled event that
  carries only its id, read back by ``get`` like a deleted one, unless the source
  calendar is on the attendee list: then the source keeps a live attendee copy whose
  organizer is the destination (docs/calendar-behaviour.md#moved-events).
- ``split`` is what Calendar's editor does for a "this and following" change (control
  API only; docs/calendar-behaviour.md#recurring-events).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes.calendar_server import conference, errors, times
from local.fakes.calendar_server.errors import ApiError
from local.fakes.calendar_server.recurrence import (
    Occurrence,
    Series,
    Unsupported,
    series_of,
    split_lines,
)
from local.fakes.calendar_server.resources import (
    EVENT_ID,
    PRIVATE,
    Target,
    html_link,
    locate,
    new_id,
    render,
    series,
    visible,
)
from local.fakes.calendar_server.store import CalendarRecord, Store, StoredEvent

#: Fields a client cannot write (ignored when sent).
READ_ONLY = frozenset(
    {
        "kind",
        "etag",
        "id",
        "htmlLink",
        "created",
        "updated",
        "creator",
        "organizer",
        "iCalUID",
        "hangoutLink",
        "recurringEventId",
        "originalStartTime",
        "sequence",
    }
)
#: Fields an update keeps from the stored event.
KEPT_ON_UPDATE = (
    "kind",
    "id",
    "created",
    "creator",
    "organizer",
    "iCalUID",
    "htmlLink",
    "recurringEventId",
    "originalStartTime",
    "eventType",
)
TIME_FIELDS = ("start", "end", "recurrence")
STATUSES = ("confirmed", "tentative", "cancelled")
Query = dict[str, Any]
UTC_ZONE = ZoneInfo("UTC")


def _writable(body: dict[str, Any], query: Query) -> dict[str, Any]:
    fields = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY}
    if not query.get("conferenceDataVersion"):
        fields.pop("conferenceData", None)
    return fields


def merge_patch(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge, arrays and scalars replace, ``null`` clears."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        current = merged.get(key)
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            if "date" in value:
                current.pop("dateTime", None)
            if "dateTime" in value:
                current.pop("date", None)
            merged[key] = merge_patch(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _check_time(value: Any, which: str) -> tuple[str, Any]:
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise errors.required(f"Missing {which} time.")
    if value.get("date") and value.get("dateTime"):
        raise errors.invalid(f"Invalid {which} time.")
    tz_name = value.get("timeZone")
    tz = times.zone(str(tz_name)) if tz_name else None
    if tz_name and tz is None:
        raise errors.invalid(f"Invalid time zone definition for {which} time.")
    if value.get("date"):
        day = times.parse_date(str(value["date"]))
        if day is None:
            raise errors.invalid(f"Invalid {which} time.")
        return "date", day
    text = str(value["dateTime"])
    if times.parse_instant(text) is None and tz is None:
        if times.parse_local(text, UTC_ZONE) is None:
            raise errors.invalid(f"Invalid {which} time.")
        raise errors.required(f"Missing time zone definition for {which} time.")
    moment = times.parse_local(text, tz or UTC_ZONE)
    if moment is None:
        raise errors.invalid(f"Invalid {which} time.")
    return "dateTime", moment


def check_event(calendar: CalendarRecord, resource: dict[str, Any]) -> None:
    """Raise the 400 Calendar gives for an event it would not store."""
    if resource.get("status", "confirmed") not in STATUSES:
        raise errors.invalid("Invalid value for status.")
    start_kind, start = _check_time(resource.get("start"), "start")
    end_kind, end = _check_time(resource.get("end"), "end")
    if start_kind != end_kind:
        raise errors.invalid("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    if resource.get("recurrence"):
        if "recurringEventId" in resource:
            raise errors.invalid("Invalid recurrence: an instance cannot recur.")
        if start_kind == "dateTime" and not (resource.get("start") or {}).get("timeZone"):
            raise errors.required("Missing time zone definition for start time.")
        try:
            series_of(resource, calendar.tz)
        except Unsupported as err:
            raise errors.invalid(f"Recurrence not supported by the local server: {err}") from err
        except ValueError as err:
            raise errors.invalid("Invalid recurrence rule.") from err
    for attendee in resource.get("attendees") or []:
        if not attendee.get("email"):
            raise errors.required("Missing attendee email.")
        attendee.setdefault("responseStatus", "needsAction")
    data = resource.get("conferenceData")
    if data is not None:
        conference.check(data, calendar.conference_types)
        resource["conferenceData"] = conference.realize(data)
    _set_hangout_link(resource)


def _set_hangout_link(resource: dict[str, Any]) -> None:
    data = resource.get("conferenceData") or {}
    kind = ((data.get("conferenceSolution") or {}).get("key") or {}).get("type")
    video = [p for p in data.get("entryPoints") or [] if p.get("entryPointType") == "video"]
    if kind == "hangoutsMeet" and video:
        resource["hangoutLink"] = video[0]["uri"]
    else:
        resource.pop("hangoutLink", None)


def _organizer(calendar: CalendarRecord) -> dict[str, Any]:
    organizer: dict[str, Any] = {"email": calendar.id, "self": True}
    if calendar.summary != calendar.id:
        organizer["displayName"] = calendar.summary
    return organizer


def _sequence(base: dict[str, Any], new: dict[str, Any], body: dict[str, Any]) -> int:
    sequence = int(base.get("sequence", 0))
    if any(base.get(key) != new.get(key) for key in TIME_FIELDS):
        sequence += 1
    asked = body.get("sequence")
    if isinstance(asked, int | str) and str(asked).isdigit() and int(asked) > sequence:
        sequence = int(asked)
    return sequence


class EventService:
    """The event write and read methods over a :class:`Store`."""

    def __init__(self, store: Store, on_change: Callable[[str], None]) -> None:
        self.store = store
        self.on_change = on_change

    def _target(self, calendar: CalendarRecord, event_id: str) -> Target:
        found = locate(self.store, calendar, event_id)
        if found is None:
            raise errors.not_found()
        return found

    @staticmethod
    def _check_if_match(target: Target, if_match: str | None) -> None:
        if if_match is not None and if_match.strip() not in ("*", target.resource.get("etag")):
            raise errors.condition_not_met()

    @staticmethod
    def _check_private(calendar: CalendarRecord, user: str, resource: dict[str, Any]) -> None:
        """A writerWithoutPrivateAccess "can't modify private events" (discovery,
        ``calendarList.list`` ``minAccessRole``); the error it gets is not documented
        (ASSUMPTION: the same 403 as a reader's write)."""
        if (
            calendar.role(user) == "writerWithoutPrivateAccess"
            and resource.get("visibility") in PRIVATE
        ):
            raise errors.writer_required()

    def _save(
        self, calendar: CalendarRecord, target: Target, resource: dict[str, Any]
    ) -> StoredEvent:
        ordinal = target.stored.ordinal if target.stored is not None else None
        return self.store.save(calendar.id, resource, ordinal)

    def get(self, user: str, calendar_id: str, event_id: str, query: Query) -> dict[str, Any]:
        """The event or instance; a cancelled one too ("The get method always returns
        them": discovery, ``Event.status``), so the source of a moved event answers its
        cancelled remains, exactly as for a deleted event."""
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id)
            target = self._target(calendar, event_id)
            shown = visible(target.resource, calendar.role(user))
            return render(shown, query.get("maxAttendees"))

    def insert(
        self, user: str, calendar_id: str, body: dict[str, Any], query: Query
    ) -> dict[str, Any]:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id, write=True)
            event_id = body.get("id") or new_id()
            if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
                raise errors.invalid("Invalid resource id value.")
            if event_id in self.store.events_of(calendar.id):
                raise errors.duplicate()
            resource = _writable(body, query)
            now = times.stamp(times.now())
            creator: dict[str, Any] = {"email": user}
            if user == calendar.id:
                creator["self"] = True
            resource.update(
                kind="calendar#event",
                id=event_id,
                htmlLink=html_link(event_id, calendar.id),
                created=now,
                creator=creator,
                organizer=_organizer(calendar),
                iCalUID=body.get("iCalUID") or f"{event_id}@google.com",
                sequence=_sequence({}, {}, body),
            )
            resource.setdefault("status", "confirmed")
            resource.setdefault("eventType", "default")
            resource.setdefault("reminders", {"useDefault": True})
            self._check_private(calendar, user, resource)
            check_event(calendar, resource)
            _sign(resource, {}, resource)
            stored = self.store.save(calendar.id, resource)
            answer = render(stored.resource, query.get("maxAttendees"))
        self.on_change(calendar.id)
        return answer

    def patch(
        self,
        user: str,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        query: Query,
        if_match: str | None,
    ) -> dict[str, Any]:
        return self._write(user, calendar_id, event_id, body, query, if_match, replace=False)

    def update(
        self,
        user: str,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        query: Query,
        if_match: str | None,
    ) -> dict[str, Any]:
        return self._write(user, calendar_id, event_id, body, query, if_match, replace=True)

    def _write(
        self,
        user: str,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        query: Query,
        if_match: str | None,
        replace: bool,
    ) -> dict[str, Any]:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id, write=True)
            target = self._target(calendar, event_id)
            self._check_if_match(target, if_match)
            self._check_private(calendar, user, target.resource)
            base = target.resource
            changes = _writable(body, query)
            if replace:
                resource = changes
                for key in KEPT_ON_UPDATE:
                    if key in base:
                        resource[key] = copy.deepcopy(base[key])
                if not query.get("conferenceDataVersion") and "conferenceData" in base:
                    resource["conferenceData"] = copy.deepcopy(base["conferenceData"])
                resource.setdefault("status", "confirmed")
                resource.setdefault("reminders", {"useDefault": True})
            else:
                resource = merge_patch(base, changes)
            resource["sequence"] = _sequence(base, resource, body)
            self._check_private(calendar, user, resource)
            check_event(calendar, resource)
            _sign(resource, base, changes)
            stored = self._save(calendar, target, resource)
            answer = render(stored.resource, query.get("maxAttendees"))
        self.on_change(calendar.id)
        return answer

    def delete(self, user: str, calendar_id: str, event_id: str, if_match: str | None) -> None:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id, write=True)
            target = self._target(calendar, event_id)
            if target.cancelled:
                raise errors.deleted()
            self._check_if_match(target, if_match)
            self._check_private(calendar, user, target.resource)
            resource = copy.deepcopy(target.resource)
            resource["status"] = "cancelled"
            self._save(calendar, target, resource)
            if resource.get("recurrence"):
                for stored in list(self.store.events_of(calendar.id).values()):
                    if stored.resource.get("recurringEventId") == event_id and not stored.cancelled:
                        cancelled = copy.deepcopy(stored.resource)
                        cancelled["status"] = "cancelled"
                        self.store.save(calendar.id, cancelled)
        self.on_change(calendar.id)

    def move(self, user: str, calendar_id: str, event_id: str, query: Query) -> dict[str, Any]:
        """events.move (docs/calendar-behaviour.md#moved-events).

        Documented (discovery, ``Event.status``): "If an event changes its organizer (for
        example via the move operation) and the original organizer is not on the
        attendee list, it will leave behind a cancelled event where only the id field is
        guaranteed to be populated." So the source keeps the bare tombstone (what
        incremental sync lists and ``get`` answers), or, when the source calendar (the
        original organizer) is an attendee, an attendee's copy organized by the
        destination. The server makes no attendee copies elsewhere, so it does not
        carry later changes of the moved event to that copy either.
        """
        with self.store.lock:
            source = self.store.calendar_for(user, calendar_id, write=True)
            destination = self.store.calendar_for(user, str(query["destination"]), write=True)
            target = self._target(source, event_id)
            if target.stored is None or "recurringEventId" in target.resource:
                raise ApiError(
                    400,
                    "cannotChangeOrganizerOfInstance",
                    "Cannot change the organizer of an instance.",
                )
            if target.cancelled:
                raise errors.not_found()
            if target.resource.get("eventType", "default") != "default":
                raise ApiError(400, "eventTypeRestriction", "This event type cannot be moved.")
            self._check_private(source, user, target.resource)
            if destination.id == source.id:
                return render(target.resource)
            moving = [target.stored] + [
                stored
                for stored in self.store.events_of(source.id).values()
                if stored.resource.get("recurringEventId") == event_id
            ]
            existing = self.store.events_of(destination.id)
            if any(s.id in existing and not existing[s.id].cancelled for s in moving):
                raise errors.duplicate()
            for stored in moving:
                moved = copy.deepcopy(stored.resource)
                moved["organizer"] = _organizer(destination)
                moved["htmlLink"] = html_link(stored.id, destination.id)
                self.store.save(destination.id, moved)
                self.store.save(source.id, _left_behind(stored, moved, source), stored.ordinal)
            answer = render(self.store.events_of(destination.id)[event_id].resource)
        self.on_change(source.id)
        self.on_change(destination.id)
        return answer

    def split(
        self,
        user: str,
        calendar_id: str,
        instance_id: str,
        changes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What Calendar's editor does when the user changes "this and following" events
        from the occurrence ``instance_id`` on: the series ends the day before, and a new
        series ``<seriesId>_R<start>`` starts there with a copy of the series' data
        (conference data included) and ``changes`` (patch semantics) on top. Answers the
        new series.

        EVIDENCE, not documented by Google (odoo/odoo#287171, odoo/odoo#172103,
        SwitchbackTech/compass docs/features/recurring-events-sync.md and its recorded
        Google payloads): the original's RRULE gets ``UNTIL`` at the end of the day
        before the split occurrence in the series' time zone, as UTC
        (``UNTIL=20250326T045959Z`` for a split on 2025-03-26 in America/Chicago), and its
        ``sequence`` goes up; the new series' id is the series id, ``_R`` and the split
        occurrence's start in UTC without the ``Z`` (``..._R20250326T141500``), its
        iCalUID ``<new id>@google.com``, its rule the original's without ``UNTIL``.
        ASSUMPTIONS (no evidence): an all-day split uses dates (``_R20250326``,
        ``UNTIL=20250325``); a ``COUNT`` becomes ``UNTIL`` on the original and the
        remaining count on the new series; splitting an ``_R`` series again names the new
        one after the first series' id; the original's exceptions from the split on are
        cancelled (the new series has its own instance ids).
        """
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id, write=True)
            target = self._target(calendar, instance_id)
            master_id = target.resource.get("recurringEventId")
            master = self.store.events_of(calendar.id).get(str(master_id)) if master_id else None
            rule = series(master, calendar) if master is not None else None
            if target.cancelled or master is None or master.cancelled or rule is None:
                raise errors.not_found()
            self._check_private(calendar, user, master.resource)
            occurrence = rule.find(instance_id.rpartition("_")[2])
            if occurrence is None:
                raise errors.not_found()
            if occurrence == rule.start:
                raise errors.invalid(
                    "The first occurrence starts the series: change the whole series instead."
                )
            original_lines, following_lines = split_lines(
                master.resource["recurrence"], rule, occurrence
            )
            following_id = f"{_R_SUFFIX.sub('', master.id)}_R{_split_stamp(occurrence)}"
            if following_id in self.store.events_of(calendar.id):
                raise errors.duplicate()
            original = copy.deepcopy(master.resource)
            original["recurrence"] = original_lines
            original["sequence"] = _sequence(master.resource, original, {})
            check_event(calendar, original)
            start, end = rule.times(occurrence)
            following = copy.deepcopy(original)
            following.update(
                id=following_id,
                iCalUID=f"{following_id}@google.com",
                htmlLink=html_link(following_id, calendar.id),
                start=start,
                end=end,
                recurrence=following_lines,
            )
            edits = _writable(changes or {}, {"conferenceDataVersion": 1})
            following = merge_patch(following, edits)
            check_event(calendar, following)
            _sign(following, original, edits)
            self.store.save(calendar.id, original, master.ordinal)
            self.store.save(calendar.id, following)
            for stored in list(self.store.events_of(calendar.id).values()):
                if (
                    stored.resource.get("recurringEventId") == master.id
                    and not stored.cancelled
                    and _starts_from(stored.resource, calendar, occurrence, rule)
                ):
                    cancelled = copy.deepcopy(stored.resource)
                    cancelled["status"] = "cancelled"
                    self.store.save(calendar.id, cancelled)
            answer = render(following)
        self.on_change(calendar.id)
        return answer

    def save_as_editor(
        self,
        user: str,
        calendar_id: str,
        event_id: str,
        conference_data: dict[str, Any],
        script_id: str,
    ) -> dict[str, Any]:
        """What Calendar's editor stores when the user saves the event with an add-on's
        conference: that conference (replacing any other) with ``scriptId`` beside the
        add-on's parameters and a server signature (``conference.as_saved_by_editor``).
        Only a user who may change the calendar's events can do it."""
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id, write=True)
            target = self._target(calendar, event_id)
            if target.cancelled:
                raise errors.not_found()
            self._check_private(calendar, user, target.resource)
            resource = copy.deepcopy(target.resource)
            saved = conference.as_saved_by_editor(conference_data, script_id)
            resource["conferenceData"] = saved
            check_event(calendar, resource)
            resource["conferenceData"]["signature"] = conference.signature_of(saved)
            stored = self._save(calendar, target, resource)
            answer = render(stored.resource)
        self.on_change(calendar.id)
        return answer


#: The ``_R<stamp>`` a "this and following" split appends to a series id.
_R_SUFFIX = re.compile(r"_R\d{8}(T\d{6})?$")


def _split_stamp(occurrence: Occurrence) -> str:
    if isinstance(occurrence, datetime):
        return f"{occurrence.astimezone(UTC):%Y%m%dT%H%M%S}"
    return f"{occurrence:%Y%m%d}"


def _starts_from(
    resource: dict[str, Any], calendar: CalendarRecord, occurrence: Occurrence, rule: Series
) -> bool:
    """Whether the exception ``resource`` is of ``occurrence`` or a later one."""
    original = times.bound(resource.get("originalStartTime") or {}, calendar.tz)
    split_at = rule.bounds(occurrence)[0]
    return original is not None and original >= split_at


def _sign(resource: dict[str, Any], base: dict[str, Any], changes: dict[str, Any] | None) -> None:
    """Give the event's conference the signature the server keeps (``conference.signed``)."""
    data = resource.get("conferenceData")
    if data is None:
        return
    sent = (changes or {}).get("conferenceData")
    resource["conferenceData"] = conference.signed(data, base.get("conferenceData"), sent)


def _left_behind(
    stored: StoredEvent, moved: dict[str, Any], source: CalendarRecord
) -> dict[str, Any]:
    """What a move leaves on the source calendar: an attendee's copy organized by the
    destination if the source calendar (the original organizer) is an attendee, else a
    cancelled event with only its id (and, for an exception, its series and original
    start)."""
    attendees = stored.resource.get("attendees") or []
    if any(str(a.get("email", "")).lower() == source.id.lower() for a in attendees):
        copy_left = copy.deepcopy(moved)
        copy_left["organizer"] = {k: v for k, v in moved["organizer"].items() if k != "self"}
        copy_left["htmlLink"] = html_link(stored.id, source.id)
        return copy_left
    tombstone = {"kind": "calendar#event", "id": stored.id, "status": "cancelled"}
    for key in ("recurringEventId", "originalStartTime"):
        if key in stored.resource:
            tombstone[key] = copy.deepcopy(stored.resource[key])
    return tombstone
