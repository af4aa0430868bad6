"""What a meeting is built from, read off a Calendar event (a MeetingSpec)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class MeetingSpec:
    """What a meeting is built from.

    ``start``/``end`` are timezone-aware (``None`` for a placeholder: the event did not
    exist yet when the conference was created). ``time_zone`` is the event's IANA zone
    (or the calendar's when the event has none). For all-day events ``all_day`` is set and
    ``start``/``end`` are midnight in ``time_zone`` (end exclusive). ``recurrence`` holds
    the series' RRULE/EXDATE/RDATE lines (empty for single events).

    ``fixed_time`` is False only for a meeting shared by events at different times that
    no single schedule covers (``shared/conferences/covering.py``): the provider makes a
    meeting with no fixed time (Zoom: type 3). ``start`` is then the earliest start and
    ``end`` the latest end, or None when one of the events is a series (it may never
    end); ``recurrence`` is empty. A spec read off one event always has a fixed time.
    """

    title: str
    description: str
    start: datetime | None
    end: datetime | None
    time_zone: str | None
    all_day: bool = False
    recurrence: tuple[str, ...] = ()
    placeholder: bool = False
    fixed_time: bool = True

    def as_record(self) -> dict[str, Any]:
        """A JSON-safe dict of the spec (stored on the mapping, compared on sync).

        ``fixedTime`` appears only when False, so that the record and the fingerprint of
        a spec with a fixed time are what they were before the field existed."""
        record: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "timeZone": self.time_zone,
            "allDay": self.all_day,
            "recurrence": list(self.recurrence),
            "placeholder": self.placeholder,
        }
        if not self.fixed_time:
            record["fixedTime"] = False
        return record


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name; None for no name or an unknown one."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(value: Any, fallback_zone: str | None) -> tuple[datetime | None, str | None, bool]:
    """(aware datetime, IANA zone, all-day) of an event's start or end."""
    if not isinstance(value, dict):
        return None, fallback_zone, False
    zone_name = value.get("timeZone") or fallback_zone
    zone = zone_named(zone_name)
    if value.get("dateTime"):
        try:
            moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        except ValueError:
            return None, zone_name, False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone or UTC)
        elif zone is not None:
            moment = moment.astimezone(zone)
        return moment, zone_name if zone else None, False
    if value.get("date"):
        try:
            day = datetime.fromisoformat(str(value["date"])).date()
        except ValueError:
            return None, zone_name, True
        return datetime.combine(day, time(0, 0), tzinfo=zone or UTC), zone_name, True
    return None, zone_name, False


def spec_from_event(event: dict[str, Any], calendar_time_zone: str | None) -> MeetingSpec:
    """The spec of ``event``; an event without a time zone takes the calendar's."""
    start, start_zone, all_day = _moment(event.get("start"), calendar_time_zone)
    end, _, _ = _moment(event.get("end"), calendar_time_zone)
    recurrence = tuple(str(line) for line in event.get("recurrence") or () if line)
    return MeetingSpec(
        title=str(event.get("summary") or ""),
        description=str(event.get("description") or ""),
        start=start,
        end=end,
        time_zone=start_zone,
        all_day=all_day,
        recurrence=recurrence,
        placeholder=start is None,
    )


def placeholder_spec(calendar_time_zone: str | None) -> MeetingSpec:
    """The spec used when the event does not exist yet; sync fills in the details."""
    return MeetingSpec(
        title="",
        description="",
        start=None,
        end=None,
        time_zone=calendar_time_zone,
        placeholder=True,
    )


def record_expiry(spec: MeetingSpec, retention_days: float, now: datetime) -> datetime | None:
    """When Firestore's TTL may drop a mapping: ``retention_days`` after the event ended.

    Series never expire by TTL (their end is in the rule, possibly never), nor does a
    meeting with no fixed time that covers one (its ``end`` is None); placeholders are
    measured from ``now``. Recomputed whenever sync sees the event change.
    """
    if spec.recurrence or (not spec.fixed_time and spec.end is None):
        return None
    end = spec.end or now
    return end + timedelta(days=retention_days)
