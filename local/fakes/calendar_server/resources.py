"""Shapes of event resources: ids, links, instances of a series, the minimal tombstone,
what a reader who may not see details gets.

Ids are base32hex (``a-v``, ``0-9``), 5 to 1024 characters. An instance of a recurring
event is the series' resource at one occurrence, with ``recurringEventId`` and
``originalStartTime``; a stored exception replaces it. In list answers a cancelled event
carries only ``kind``, ``etag``, ``id`` and ``status`` (an instance also
``recurringEventId`` and ``originalStartTime``). The id of the new series a "this and
following" edit makes, ``<seriesId>_R<stamp>``, is stored as its own event, so it names
that series (see ``events.EventService.split``), never an instance.
"""

from __future__ import annotations

import base64
import copy
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.fakes.calendar_server.recurrence import Occurrence, Series, series_of
from local.fakes.calendar_server.store import CalendarRecord, Store, StoredEvent
from local.fakes.calendar_server.times import bound

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
MAX_EXPANDED = 730  # instances of an unbounded series listed when no timeMax bounds it


def new_id() -> str:
    return base64.b32hexencode(uuid.uuid4().bytes).decode().rstrip("=").lower()


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def minimal(resource: dict[str, Any]) -> dict[str, Any]:
    """A cancelled event as list answers give it."""
    shape: dict[str, Any] = {k: resource[k] for k in ("kind", "etag", "id") if k in resource}
    shape["status"] = "cancelled"
    for key in ("recurringEventId", "originalStartTime"):
        if key in resource:
            shape[key] = copy.deepcopy(resource[key])
    return shape


#: What is left of an event whose details the reader may not see. The exact set is not
#: documented (ASSUMPTION: times and status only; **Evidence** that such events come
#: without a title: fullcalendar/fullcalendar#1418, docs/calendar-behaviour.md#access-roles).
BUSY_FIELDS = (
    "kind",
    "etag",
    "id",
    "status",
    "updated",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "recurringEventId",
    "originalStartTime",
    "transparency",
    "visibility",
    "eventType",
)
PRIVATE = ("private", "confidential")


def details_hidden(resource: dict[str, Any], role: str | None) -> bool:
    """Whether ``role`` sees only the times of ``resource``: a ``freeBusyReader`` always;
    a ``reader`` or ``writerWithoutPrivateAccess`` on private events ("Private events will
    appear ... but event details will be hidden": discovery, ``accessRole``)."""
    if role == "freeBusyReader":
        return True
    return role in ("reader", "writerWithoutPrivateAccess") and (
        resource.get("visibility") in PRIVATE
    )


def visible(resource: dict[str, Any], role: str | None) -> dict[str, Any]:
    """``resource`` as a user with ``role`` on its calendar sees it."""
    if not details_hidden(resource, role):
        return resource
    return {key: resource[key] for key in BUSY_FIELDS if key in resource}


def render(resource: dict[str, Any], max_attendees: int | None = None) -> dict[str, Any]:
    """A copy of ``resource`` for an answer (``maxAttendees`` applied)."""
    shown = copy.deepcopy(resource)
    attendees = shown.get("attendees")
    if max_attendees is not None and isinstance(attendees, list) and len(attendees) > max_attendees:
        shown["attendees"] = attendees[:max_attendees]
        shown["attendeesOmitted"] = True
    return shown


def series(stored: StoredEvent, calendar: CalendarRecord) -> Series | None:
    """The series of a stored recurring event (None for single events or bad rules)."""
    if "recurringEventId" in stored.resource:
        return None
    try:
        return series_of(stored.resource, calendar.tz)
    except ValueError:
        return None


def instance(master: StoredEvent, rule: Series, occurrence: Occurrence) -> dict[str, Any]:
    """The unmodified instance of ``master`` at ``occurrence``."""
    resource = copy.deepcopy(master.resource)
    resource.pop("recurrence", None)
    instance_id = rule.instance_id(master.id, occurrence)
    start, end = rule.times(occurrence)
    resource.update(
        id=instance_id,
        start=start,
        end=end,
        originalStartTime=copy.deepcopy(start),
        recurringEventId=master.id,
        htmlLink=html_link(instance_id, master.calendar_id),
    )
    return resource


@dataclass
class Target:
    """What an event id names: a stored event, or an unmodified instance of a series."""

    resource: dict[str, Any]
    stored: StoredEvent | None
    master: StoredEvent | None = None

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"


def locate(store: Store, calendar: CalendarRecord, event_id: str) -> Target | None:
    """The event or instance ``event_id`` names on ``calendar`` (None: not found)."""
    events = store.events_of(calendar.id)
    stored = events.get(event_id)
    if stored is not None:
        return Target(stored.resource, stored)
    series_id, sep, suffix = event_id.rpartition("_")
    master = events.get(series_id) if sep else None
    rule = series(master, calendar) if master is not None else None
    if master is None or rule is None:
        return None
    occurrence = rule.find(suffix)
    if occurrence is None:
        return None
    return Target(instance(master, rule, occurrence), None, master)


def expand(
    store: Store, calendar: CalendarRecord, master: StoredEvent, until: datetime | None = None
) -> Iterator[tuple[dict[str, Any], StoredEvent | None]]:
    """Instances of ``master`` (exceptions in place of theirs), up to ``until`` if given.

    ``until`` is an aware datetime; without it an unbounded series stops after
    :data:`MAX_EXPANDED` instances. Yields (resource, stored exception or None).
    """
    rule = series(master, calendar)
    if rule is None:
        return
    events = store.events_of(calendar.id)
    for count, occurrence in enumerate(rule.occurrences()):
        if until is None and count >= MAX_EXPANDED:
            return
        if until is not None:
            moment = bound(rule.times(occurrence)[0], calendar.tz)
            if moment is not None and moment >= until:
                return
        exception = events.get(rule.instance_id(master.id, occurrence))
        if exception is not None:
            yield exception.resource, exception
        else:
            yield instance(master, rule, occurrence), None
