"""Occurrences of a recurring event and the ids of its instances.

Supported (RFC 5545): one ``RRULE`` with ``FREQ`` DAILY, WEEKLY, MONTHLY or YEARLY,
``INTERVAL``, ``COUNT`` or ``UNTIL``, ``BYDAY`` (plain weekdays, DAILY and WEEKLY only) and
``WKST``; any number of ``EXDATE`` lines. Other rule parts, ``RDATE`` and ``EXRULE`` are
refused as unsupported (Google would accept them; this server does not expand them).

Timed series are expanded at the start's wall-clock time in the start's ``timeZone``
(Google requires it on recurring events), so they follow daylight-saving changes. The
first occurrence is always the event's own start (it counts toward ``COUNT``); ``EXDATE``
removes occurrences after ``COUNT`` is applied. An instance id is
``<seriesId>_<YYYYMMDDTHHMMSSZ>`` (UTC start) or ``<seriesId>_<YYYYMMDD>`` (all-day).
:func:`split_lines` cuts a series' recurrence in two for a "this and following" edit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes.calendar_server.times import parse_date, parse_local, zone

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_PERIODS = 50_000  # periods scanned at most (daily: ~137 years)
Occurrence = date | datetime


class Unsupported(ValueError):
    """A valid recurrence this server does not expand."""


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None
    byday: tuple[int, ...] = ()
    wkst: int = 0


def _parse_stamp(value: str, tz: ZoneInfo) -> date | datetime:
    if len(value) == 8 and value.isdigit():
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    try:
        moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise ValueError(f"bad date-time {value!r}") from None
    return moment.replace(tzinfo=UTC) if value.endswith("Z") else moment.replace(tzinfo=tz)


def _parse_rule(text: str, tz: ZoneInfo) -> Rule:
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not value or name.upper() in parts:
            raise ValueError(f"bad rule part {part!r}")
        parts[name.upper()] = value.upper()
    freq = parts.pop("FREQ", "")
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise Unsupported(f"FREQ={freq}")
    if freq not in FREQUENCIES:
        raise ValueError("FREQ is missing or unknown")
    interval = int(parts.pop("INTERVAL", "1"))
    count = int(parts.pop("COUNT")) if "COUNT" in parts else None
    until = _parse_stamp(parts.pop("UNTIL"), tz) if "UNTIL" in parts else None
    if interval < 1 or (count is not None and count < 1) or (count and until):
        raise ValueError("bad INTERVAL, COUNT or UNTIL")
    days = [d for d in parts.pop("BYDAY", "").split(",") if d]
    if any(d not in WEEKDAYS for d in days):
        raise Unsupported("BYDAY with ordinals")
    if days and freq not in ("DAILY", "WEEKLY"):
        raise Unsupported(f"BYDAY with FREQ={freq}")
    wkst = parts.pop("WKST", "MO")
    if wkst not in WEEKDAYS:
        raise ValueError("bad WKST")
    if parts:
        raise Unsupported(", ".join(sorted(parts)))
    byday = tuple(sorted({WEEKDAYS.index(d) for d in days}))
    return Rule(freq, interval, count, until, byday, WEEKDAYS.index(wkst))


def _add_months(start: date, months: int) -> date | None:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    if start.day > calendar.monthrange(year, month + 1)[1]:
        return None
    return date(year, month + 1, start.day)


def _candidate_dates(rule: Rule, first: date) -> Iterator[date]:
    for period in range(MAX_PERIODS):
        step = period * rule.interval
        if rule.freq == "DAILY":
            day = first + timedelta(days=step)
            if not rule.byday or day.weekday() in rule.byday:
                yield day
        elif rule.freq == "WEEKLY":
            week = first - timedelta(days=(first.weekday() - rule.wkst) % 7)
            week += timedelta(weeks=step)
            wanted = rule.byday or (first.weekday(),)
            for offset in sorted((d - rule.wkst) % 7 for d in wanted):
                day = week + timedelta(days=offset)
                if day >= first:
                    yield day
        else:
            months = step if rule.freq == "MONTHLY" else step * 12
            found = _add_months(first, months)
            if found is not None:
                yield found


@dataclass(frozen=True)
class Series:
    """A recurring event's first start, duration, rule and exclusions."""

    start: Occurrence  # an aware datetime in ``tz``, or a date (all-day)
    duration: timedelta
    tz: ZoneInfo
    rule: Rule | None
    ex_instants: frozenset[datetime]
    ex_dates: frozenset[date]

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def _make(self, day: date) -> Occurrence:
        if isinstance(self.start, datetime):
            return datetime.combine(day, self.start.time(), tzinfo=self.tz)
        return day

    def _after_until(self, occurrence: Occurrence) -> bool:
        until = self.rule.until if self.rule else None
        if until is None:
            return False
        if isinstance(occurrence, datetime):
            if isinstance(until, datetime):
                return occurrence > until
            return occurrence.date() > until
        limit = until.astimezone(self.tz).date() if isinstance(until, datetime) else until
        return occurrence > limit

    def _excluded(self, occurrence: Occurrence) -> bool:
        if isinstance(occurrence, datetime):
            return occurrence.astimezone(UTC) in self.ex_instants or (
                occurrence.date() in self.ex_dates
            )
        instants = {moment.astimezone(self.tz).date() for moment in self.ex_instants}
        return occurrence in self.ex_dates or occurrence in instants

    def _raw(self) -> Iterator[Occurrence]:
        yield self.start
        if self.rule is None:
            return
        first = self.start.date() if isinstance(self.start, datetime) else self.start
        for day in _candidate_dates(self.rule, first):
            if day > first:
                yield self._make(day)

    def occurrences(self) -> Iterator[Occurrence]:
        count = self.rule.count if self.rule else None
        for produced, occurrence in enumerate(self._raw()):
            if (count is not None and produced >= count) or self._after_until(occurrence):
                return
            if not self._excluded(occurrence):
                yield occurrence

    def produced_before(self, at: Occurrence) -> int:
        """How many occurrences the rule yields before ``at`` (``EXDATE``'d ones too: they
        count toward ``COUNT``)."""
        produced = 0
        for occurrence in self._raw():
            if occurrence == at or _later(occurrence, at):
                return produced
            produced += 1
        return produced

    def instance_id(self, series_id: str, occurrence: Occurrence) -> str:
        if isinstance(occurrence, datetime):
            return f"{series_id}_{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        return f"{series_id}_{occurrence:%Y%m%d}"

    def find(self, suffix: str) -> Occurrence | None:
        """The occurrence whose instance-id suffix is ``suffix``, if there is one."""
        try:
            target = _parse_stamp(suffix, self.tz)
        except ValueError:
            return None
        if self.all_day != (not isinstance(target, datetime)):
            return None
        if isinstance(target, datetime) and not suffix.endswith("Z"):
            return None
        for occurrence in self.occurrences():
            if occurrence == target:
                return occurrence
            if _later(occurrence, target):
                return None
        return None

    def bounds(self, occurrence: Occurrence) -> tuple[datetime, datetime]:
        """The instants the instance at ``occurrence`` starts and ends."""
        if isinstance(occurrence, datetime):
            return occurrence, occurrence.astimezone(UTC) + self.duration
        start = datetime.combine(occurrence, datetime.min.time(), tzinfo=self.tz)
        end = datetime.combine(occurrence + self.duration, datetime.min.time(), tzinfo=self.tz)
        return start, end

    def times(self, occurrence: Occurrence) -> tuple[dict[str, Any], dict[str, Any]]:
        """``start`` and ``end`` of the instance at ``occurrence``."""
        if isinstance(occurrence, datetime):
            end = (occurrence.astimezone(UTC) + self.duration).astimezone(self.tz)
            name = self.tz.key
            return (
                {"dateTime": occurrence.isoformat(), "timeZone": name},
                {"dateTime": end.isoformat(), "timeZone": name},
            )
        return {"date": occurrence.isoformat()}, {"date": (occurrence + self.duration).isoformat()}


def _later(occurrence: Occurrence, target: date | datetime) -> bool:
    if isinstance(occurrence, datetime) and isinstance(target, datetime):
        return occurrence > target
    if not isinstance(occurrence, datetime) and not isinstance(target, datetime):
        return occurrence > target
    return False


def split_lines(lines: list[str], series: Series, at: Occurrence) -> tuple[list[str], list[str]]:
    """The recurrence of the series before ``at`` and of the one from ``at`` on.

    The first ends with ``UNTIL`` at the end of the day before ``at`` in the series' zone,
    in UTC (for an all-day series, that day's date), in place of its ``COUNT``/``UNTIL``;
    the second keeps the original ``UNTIL``, or the ``COUNT`` still to come. Other lines
    (``EXDATE``) go to both.
    """
    if isinstance(at, datetime):
        day_before = at.astimezone(series.tz).date() - timedelta(days=1)
        end = datetime.combine(day_before, time(23, 59, 59), tzinfo=series.tz).astimezone(UTC)
        until = f"{end:%Y%m%dT%H%M%SZ}"
    else:
        until = f"{at - timedelta(days=1):%Y%m%d}"
    before, after = [], []
    for raw in lines:
        line = str(raw).strip()
        if line.split(":", 1)[0].split(";", 1)[0].upper() != "RRULE":
            before.append(line)
            after.append(line)
            continue
        head, _, body = line.partition(":")
        parts = [part for part in body.split(";") if part]
        ends = ("COUNT", "UNTIL")
        kept = [part for part in parts if part.split("=", 1)[0].upper() not in ends]
        old_until = [part for part in parts if part.upper().startswith("UNTIL=")]
        counts = [int(part.split("=", 1)[1]) for part in parts if part.upper().startswith("COUNT=")]
        remaining = [f"COUNT={counts[0] - series.produced_before(at)}"] if counts else []
        before.append(f"{head}:" + ";".join([*kept, f"UNTIL={until}"]))
        after.append(f"{head}:" + ";".join([*kept, *old_until, *remaining]))
    return before, after


def _exdates(line: str, tz: ZoneInfo) -> tuple[set[datetime], set[date]]:
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    value_tz = zone(params["TZID"]) if "TZID" in params else tz
    if value_tz is None:
        raise ValueError("unknown TZID")
    instants: set[datetime] = set()
    dates: set[date] = set()
    for value in values.split(","):
        parsed = _parse_stamp(value.strip().upper(), value_tz)
        if isinstance(parsed, datetime):
            instants.add(parsed.astimezone(UTC))
        else:
            dates.add(parsed)
    return instants, dates


def series_of(resource: dict[str, Any], default_tz: ZoneInfo) -> Series | None:
    """The series of a recurring event resource (None if it has no recurrence).

    Raises :class:`ValueError` (or :class:`Unsupported`) for recurrence lines it cannot use.
    """
    lines = resource.get("recurrence") or []
    if not lines:
        return None
    start_value: dict[str, Any] = resource.get("start") or {}
    end_value: dict[str, Any] = resource.get("end") or {}
    tz = zone(str(start_value.get("timeZone") or "")) or default_tz
    start: Occurrence | None
    end: Occurrence | None
    if "date" in start_value:
        start = parse_date(str(start_value["date"]))
        end = parse_date(str(end_value.get("date", "")))
    else:
        parsed_start = parse_local(str(start_value.get("dateTime", "")), tz)
        end = parse_local(str(end_value.get("dateTime", "")), tz)
        start = parsed_start.astimezone(tz) if parsed_start else None
    if start is None or end is None:
        raise ValueError("recurring event without valid start and end")
    if isinstance(start, datetime) and isinstance(end, datetime):
        duration = end.astimezone(UTC) - start.astimezone(UTC)
    elif not isinstance(start, datetime) and not isinstance(end, datetime):
        duration = end - start
    else:
        raise ValueError("start and end of different kinds")
    rule: Rule | None = None
    instants: set[datetime] = set()
    dates: set[date] = set()
    for raw in lines:
        line = str(raw).strip()
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name == "RRULE":
            if rule is not None:
                raise Unsupported("more than one RRULE")
            rule = _parse_rule(line.split(":", 1)[1], tz)
        elif name == "EXDATE":
            more_instants, more_dates = _exdates(line, tz)
            instants |= more_instants
            dates |= more_dates
        elif name in ("RDATE", "EXRULE"):
            raise Unsupported(name)
        else:
            raise ValueError(f"unknown recurrence line {name}")
    return Series(start, duration, tz, rule, frozenset(instants), frozenset(dates))
