"""Calendar RRULEs as Zoom recurrence objects (a helper of :mod:`.provider`).

Zoom can repeat a meeting with a fixed time (type 8) daily, weekly or monthly
(developers.zoom.us "Recurrence Object Definitions"): ``repeat_interval`` at most 90 days,
12 weeks or 3 months; weekly on a set of weekdays (``weekly_days``, 1 = Sunday); monthly on
a day of the month (``monthly_day``) or on the first..fourth or last weekday of a month
(``monthly_week`` + ``monthly_week_day``); ending after ``end_times`` occurrences (1..50)
or at ``end_date_time`` (UTC).

What maps (anything else is "unmappable" and the caller uses a type 3 meeting, which has no
fixed time and whose link works for every occurrence):

- one RRULE, no RDATE/EXRULE. EXDATEs are ignored: Zoom keeps those occurrences, which
  costs nothing (nobody joins them) and the count of RFC 5545 includes them anyway;
- ``FREQ=DAILY`` (``BYDAY`` with ``INTERVAL=1`` becomes weekly on those days),
  ``FREQ=WEEKLY`` with plain ``BYDAY`` days, ``FREQ=MONTHLY`` with one positive
  ``BYMONTHDAY`` or one ``BYDAY`` of ordinal 1..4 or -1 (or ``BYSETPOS`` of one of those
  with a single weekday); ``WKST`` is accepted;
- an end: ``COUNT`` <= 50, or ``UNTIL`` reached within 50 occurrences. A series without
  an end, or longer, has no faithful type 8 form (Zoom stops at 50).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

MAX_OCCURRENCES = 50
_MAX_INTERVAL = {"DAILY": 90, "WEEKLY": 12, "MONTHLY": 3}
_ZOOM_TYPE = {"DAILY": 1, "WEEKLY": 2, "MONTHLY": 3}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = date.weekday()
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_KNOWN_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
)
_MONTHLY_WEEKS = (1, 2, 3, 4, -1)


def _zoom_weekday(weekday: int) -> int:
    """Python's weekday (0 = Monday) as Zoom's (1 = Sunday .. 7 = Saturday)."""
    return (weekday + 1) % 7 + 1


@dataclass(frozen=True)
class Rule:
    """A mappable rule, normalised. ``start`` is the series' first start (aware, local)."""

    freq: str  # DAILY | WEEKLY | MONTHLY
    interval: int
    start: datetime
    weekdays: tuple[int, ...] = ()  # WEEKLY: Python weekdays
    month_day: int | None = None  # MONTHLY by day of month
    month_week: int | None = None  # MONTHLY by weekday: 1..4 or -1 ...
    month_weekday: int | None = None  # ... and the Python weekday
    count: int | None = None
    until: datetime | None = None  # aware UTC
    week_start: int = 0  # WKST as a Python weekday

    def zoom(self, count: int | None = None) -> dict[str, Any]:
        """The Zoom recurrence object (``count`` overrides ``end_times``)."""
        recurrence: dict[str, Any] = {
            "type": _ZOOM_TYPE[self.freq],
            "repeat_interval": self.interval,
        }
        if self.freq == "WEEKLY":
            days = sorted(_zoom_weekday(day) for day in self.weekdays)
            recurrence["weekly_days"] = ",".join(str(day) for day in days)
        elif self.freq == "MONTHLY":
            if self.month_day is not None:
                recurrence["monthly_day"] = self.month_day
            else:
                recurrence["monthly_week"] = self.month_week
                recurrence["monthly_week_day"] = _zoom_weekday(self.month_weekday or 0)
        if self.until is not None:
            recurrence["end_date_time"] = self.until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            recurrence["end_times"] = count if count is not None else self.count
        return recurrence

    def occurrences(self, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
        """The series' starts (local, aware) in order, at most ``limit``."""
        found: list[datetime] = []
        zone = self.start.tzinfo
        clock = self.start.timetz().replace(tzinfo=None)
        for day in self._dates():
            if len(found) >= limit or (self.count is not None and len(found) >= self.count):
                break
            moment = datetime.combine(day, clock, tzinfo=zone)
            if self.until is not None and moment > self.until:
                break
            found.append(moment)
            if (day - self.start.date()).days > 366 * 20:  # a safety stop
                break
        return found

    def _dates(self) -> Iterator[date]:
        first = self.start.date()
        if self.freq == "DAILY":
            day = first
            while True:
                yield day
                day += timedelta(days=self.interval)
        elif self.freq == "WEEKLY":
            week = first - timedelta(days=(first.weekday() - self.week_start) % 7)
            while True:
                for offset in range(7):
                    day = week + timedelta(days=offset)
                    if day >= first and day.weekday() in self.weekdays:
                        yield day
                week += timedelta(weeks=self.interval)
        else:
            year, month = first.year, first.month
            while True:
                candidate = self._month_date(year, month)
                if candidate is not None and candidate >= first:
                    yield candidate
                month += self.interval
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1

    def _month_date(self, year: int, month: int) -> date | None:
        last = calendar.monthrange(year, month)[1]
        if self.month_day is not None:
            return date(year, month, self.month_day) if self.month_day <= last else None
        days = [
            date(year, month, d)
            for d in range(1, last + 1)
            if date(year, month, d).weekday() == self.month_weekday
        ]
        week = self.month_week or 1
        if week == -1:
            return days[-1]
        return days[week - 1] if week <= len(days) else None


def _parse_until(value: str, zone: tzinfo) -> datetime | None:
    try:
        if len(value) == 8:  # a DATE: the whole day counts, in the event's zone
            day = datetime.strptime(value, "%Y%m%d").date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None


def _parts(line: str) -> dict[str, str] | None:
    text = line.split(":", 1)[1] if ":" in line else line
    parts: dict[str, str] = {}
    for item in text.split(";"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or key in parts:
            return None
        parts[key] = value.strip().upper()
    return parts


def parse_rule(lines: tuple[str, ...], start: datetime) -> Rule | None:
    """The Zoom-mappable rule of a series starting at ``start``, or None (see module doc)."""
    rrules = [line for line in lines if line.upper().startswith("RRULE")]
    others = [line.upper().split(":", 1)[0].split(";", 1)[0] for line in lines]
    if len(rrules) != 1 or any(name in ("RDATE", "EXRULE") for name in others):
        return None
    parts = _parts(rrules[0])
    if parts is None or not set(parts) <= _KNOWN_PARTS:
        return None
    freq = parts.get("FREQ", "")
    if freq not in _MAX_INTERVAL:
        return None
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError:
        return None
    zone = start.tzinfo or UTC
    until = _parse_until(parts["UNTIL"], zone) if "UNTIL" in parts else None
    if ("UNTIL" in parts and until is None) or (count is not None and until is not None):
        return None
    week_start = _WEEKDAYS.index(parts["WKST"]) if parts.get("WKST") in _WEEKDAYS else 0
    days: list[tuple[int | None, int]] = []
    for token in filter(None, parts.get("BYDAY", "").split(",")):
        match = _BYDAY.match(token)
        if match is None:
            return None
        days.append(
            (int(match.group(1)) if match.group(1) else None, _WEEKDAYS.index(match.group(2)))
        )
    month_days = parts.get("BYMONTHDAY", "")
    set_pos = parts.get("BYSETPOS", "")

    rule: dict[str, Any] = {}
    if freq == "DAILY" and days:
        if interval != 1 or month_days or set_pos or any(n is not None for n, _ in days):
            return None
        freq, rule["weekdays"] = "WEEKLY", tuple(sorted({d for _, d in days}))
    elif freq in ("DAILY", "WEEKLY"):
        if month_days or set_pos or any(n is not None for n, _ in days):
            return None
        if freq == "WEEKLY":
            rule["weekdays"] = tuple(sorted({d for _, d in days} or {start.weekday()}))
    else:  # MONTHLY
        if month_days:
            if days or set_pos or not month_days.isdigit() or not 1 <= int(month_days) <= 31:
                return None
            rule["month_day"] = int(month_days)
        elif days:
            if len(days) != 1:
                return None
            ordinal, weekday = days[0]
            if set_pos:
                if ordinal is not None or not re.fullmatch(r"-?\d", set_pos):
                    return None
                ordinal = int(set_pos)
            if ordinal not in _MONTHLY_WEEKS:
                return None
            rule["month_week"], rule["month_weekday"] = ordinal, weekday
        else:
            if set_pos:
                return None
            rule["month_day"] = start.day
    if not 1 <= interval <= _MAX_INTERVAL[freq]:
        return None
    parsed = Rule(
        freq=freq,
        interval=interval,
        start=start,
        count=count,
        until=until,
        week_start=week_start,
        **rule,
    )
    if count is not None:
        return parsed if 1 <= count <= MAX_OCCURRENCES else None
    if until is None:
        return None  # no end: Zoom's fixed-time series cannot express it
    return parsed if 1 <= len(parsed.occurrences()) <= MAX_OCCURRENCES else None


def next_occurrence(rule: Rule, now: datetime) -> tuple[datetime, int] | None:
    """The first start after ``now`` and how many occurrences remain from it (itself
    included); None when the series is over."""
    starts = rule.occurrences()
    for index, moment in enumerate(starts):
        if moment > now:
            return moment, len(starts) - index
    return None
