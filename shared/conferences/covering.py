"""What a meeting shared by several events is built from: the covering spec.

A conference can be carried by more than one event of a calendar: the record's own event
and its *followers*, copies that carry the same conference (the new series of a "this and
following" split, a duplicated event). While they share one meeting, the meeting must
cover all of them, so that no occurrence falls outside it. :func:`covering_spec` says what
the provider builds it from (docs/sync-model.md#the-covering-spec):

- the record's own spec when it has no followers, or when every follower happens at the
  very same times;
- series that **share a rule apart from their bounds** -> one recurrence: the first
  part's start, end and rule, bounded by the last part's end (its ``UNTIL``, or a
  ``COUNT`` counted from the first part's start; no bound if any part has none);
- anything else -> a spec with no fixed time (``fixed_time`` False; Zoom: type 3): the
  earliest start, the latest end (None when a part is a series) and no recurrence.

Series share a rule when they have the same time zone, all-day flag, wall-clock start
time and length; each has one ``RRULE`` and nothing but ``EXDATE`` besides, with the same
parts apart from ``COUNT``/``UNTIL``, of a form this module expands (below); and each
later part starts on an occurrence of the first part's rule continued without its bound.
Then every occurrence of every part is an occurrence of the one recurrence. ``EXDATE``
lines are left out of it: covering a cancelled occurrence costs nothing, while one
part's exception could hide another part's occurrence.

Forms expanded (as RFC 5545; the series' own start is always its first occurrence):
``FREQ`` DAILY, WEEKLY, MONTHLY or YEARLY; ``INTERVAL``; ``WKST``; ``BYDAY`` of plain
weekdays (DAILY, WEEKLY), or one weekday with an ordinal of 1..5 or -1..-5 (MONTHLY);
one ``BYMONTHDAY`` of 1..31 (MONTHLY). Any other part, or a rule needing more than
:data:`MAX_OCCURRENCES` occurrences to place its parts, gives no fixed time.

Title and description are always the record's own event's. Pure: no I/O.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from shared.conferences.meeting_spec import MeetingSpec

__all__ = ["MAX_OCCURRENCES", "covering_spec"]

#: Occurrences expanded at most to place the parts and count the bound.
MAX_OCCURRENCES = 5000
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = date.weekday()
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_BOUNDS = ("COUNT", "UNTIL")
_MAX_YEARS = 200  # occurrences are looked for this many years after the first at most


def covering_spec(
    own: MeetingSpec, others: Sequence[MeetingSpec], *, complete: bool = True
) -> MeetingSpec:
    """The spec a meeting carried by ``own``'s event and ``others`` is built from.

    ``complete`` is False when some followers were not read (too many): the meeting then
    has no fixed time and no end. See the module doc.
    """
    if complete and all(_same_times(own, other) for other in others):
        return own
    parts = [own, *others]
    if complete:
        shared = _one_recurrence(parts)
        if shared is not None:
            return MeetingSpec(
                title=own.title,
                description=own.description,
                start=shared.start,
                end=shared.end,
                time_zone=shared.time_zone,
                all_day=shared.all_day,
                recurrence=shared.recurrence,
            )
    starts = [part.start for part in parts if part.start is not None]
    open_ended = not complete or any(p.recurrence or p.end is None for p in parts)
    ends = [part.end for part in parts if part.end is not None]
    return MeetingSpec(
        title=own.title,
        description=own.description,
        start=min(starts) if starts else None,
        end=None if open_ended or not ends else max(ends),
        time_zone=own.time_zone,
        all_day=all(part.all_day for part in parts),
        fixed_time=False,
    )


def _same_times(one: MeetingSpec, other: MeetingSpec) -> bool:
    return (one.start, one.end, one.time_zone, one.all_day, one.recurrence) == (
        other.start,
        other.end,
        other.time_zone,
        other.all_day,
        other.recurrence,
    )


# -- one recurrence ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    """A rule's parts apart from its bounds, normalised (equal rules compare equal)."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # BYDAY of DAILY/WEEKLY, as Python weekdays
    month_day: int | None = None  # BYMONTHDAY of MONTHLY
    month_week: int | None = None  # BYDAY ordinal of MONTHLY ...
    month_weekday: int | None = None  # ... and its weekday
    week_start: int = 0  # WKST (WEEKLY only)


@dataclass(frozen=True)
class _Part:
    spec: MeetingSpec
    start: datetime  # in the part's zone
    head: str  # "RRULE" (with any parameters, as written)
    written: tuple[str, ...]  # the RRULE's parts as written, without COUNT/UNTIL
    rule: _Rule
    count: int | None
    until: str | None


def _one_recurrence(specs: list[MeetingSpec]) -> MeetingSpec | None:
    """The one recurrence covering ``specs``, or None when they do not share a rule."""
    parts: list[_Part] = []
    for spec in specs:
        part = _part(spec)
        if part is None:
            return None
        parts.append(part)
    parts.sort(key=lambda part: part.start)
    first = parts[0]
    if any(not _alike(first, part) for part in parts[1:]):
        return None
    stream = _Stream(first.rule, first.start)
    ends: list[tuple[datetime, bool, str]] = []  # (last moment, is UNTIL, the bound)
    for part in parts:
        index = stream.index_of(part.start.date())
        if index is None:
            return None
        if part.count is not None:
            last = stream.at(index + part.count - 1)
            if last is None:
                return None
            ends.append((last, False, f"COUNT={index + part.count}"))
        elif part.until is not None:
            until = _until_moment(part.until, first.start.tzinfo or UTC)
            if until is None:
                return None
            ends.append((until, True, f"UNTIL={part.until}"))
    bound = [] if len(ends) < len(parts) else [max(ends)[2]]
    line = f"{first.head}:" + ";".join([*first.written, *bound])
    return MeetingSpec(
        title=first.spec.title,
        description=first.spec.description,
        start=first.spec.start,
        end=first.spec.end,
        time_zone=first.spec.time_zone,
        all_day=first.spec.all_day,
        recurrence=(line,),
    )


def _alike(first: _Part, later: _Part) -> bool:
    """Same rule apart from bounds, zone, all-day flag, wall-clock start and length."""
    one, other = first.spec, later.spec
    if one.end is None or other.end is None:
        return False
    return (
        first.rule == later.rule
        and one.time_zone == other.time_zone
        and one.all_day == other.all_day
        and first.start.time() == later.start.time()
        and one.end - first.start == other.end - later.start
    )


def _part(spec: MeetingSpec) -> _Part | None:
    """``spec`` as one part of a shared recurrence, or None when it cannot be one."""
    if spec.start is None or spec.placeholder or not spec.fixed_time:
        return None
    rules = [line for line in spec.recurrence if _name(line) == "RRULE"]
    others = [line for line in spec.recurrence if _name(line) not in ("RRULE", "EXDATE")]
    if len(rules) != 1 or others:
        return None
    head, _, body = rules[0].strip().partition(":")
    written: list[str] = []
    values: dict[str, str] = {}
    for item in filter(None, body.split(";")):
        key, sep, value = item.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not value or key in values:
            return None
        values[key] = value
        if key not in _BOUNDS:
            written.append(item.strip())
    rule = _rule(values)
    if rule is None or ("COUNT" in values and "UNTIL" in values):
        return None
    count: int | None = None
    if "COUNT" in values:
        if not values["COUNT"].isdigit() or int(values["COUNT"]) < 1:
            return None
        count = int(values["COUNT"])
    return _Part(spec, spec.start, head.strip(), tuple(written), rule, count, values.get("UNTIL"))


def _name(line: str) -> str:
    return line.strip().split(":", 1)[0].split(";", 1)[0].upper()


def _rule(values: dict[str, str]) -> _Rule | None:
    """The normalised rule of an RRULE's parts, or None for a form not expanded here."""
    parts = {key: value for key, value in values.items() if key not in _BOUNDS}
    freq = parts.pop("FREQ", "")
    interval = parts.pop("INTERVAL", "1")
    week_start = parts.pop("WKST", "MO")
    days = [day for day in parts.pop("BYDAY", "").split(",") if day]
    month_day = parts.pop("BYMONTHDAY", "")
    if freq not in _FREQUENCIES or parts or week_start not in _WEEKDAYS:
        return None
    if not interval.isdigit() or int(interval) < 1:
        return None
    rule = _Rule(freq, int(interval))
    if freq in ("DAILY", "WEEKLY"):
        if month_day or any(day not in _WEEKDAYS for day in days):
            return None
        weekdays = tuple(sorted({_WEEKDAYS.index(day) for day in days}))
        # WKST changes only which weeks a WEEKLY rule with an INTERVAL takes.
        start = _WEEKDAYS.index(week_start) if freq == "WEEKLY" else 0
        return _Rule(freq, rule.interval, weekdays, week_start=start)
    if freq == "YEARLY":
        return None if days or month_day else rule
    if month_day:  # MONTHLY
        if days or not month_day.isdigit() or not 1 <= int(month_day) <= 31:
            return None
        return _Rule(rule.freq, rule.interval, month_day=int(month_day))
    if not days:
        return rule
    if len(days) != 1 or days[0][-2:] not in _WEEKDAYS:
        return None
    ordinal = days[0][:-2].lstrip("+")
    digits = ordinal.lstrip("-")
    if not digits.isdigit() or not 1 <= int(digits) <= 5:
        return None
    return _Rule(
        rule.freq,
        rule.interval,
        month_week=int(ordinal),
        month_weekday=_WEEKDAYS.index(days[0][-2:]),
    )


def _until_moment(value: str, zone: tzinfo) -> datetime | None:
    """``UNTIL`` as an instant: a DATE counts until the end of that day in ``zone``."""
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=zone)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None


class _Stream:
    """The occurrences of ``rule`` from ``start`` on, without bound, expanded lazily."""

    def __init__(self, rule: _Rule, start: datetime) -> None:
        self._start = start
        self._days = _dates(rule, start.date())
        self._seen: list[date] = []

    def _grow(self) -> bool:
        if len(self._seen) >= MAX_OCCURRENCES:
            return False
        day = next(self._days, None)
        if day is None:
            return False
        self._seen.append(day)
        return True

    def index_of(self, day: date) -> int | None:
        """The position of ``day`` among the occurrences, None if none falls on it."""
        while not self._seen or self._seen[-1] < day:
            if not self._grow():
                return None
        return self._seen.index(day) if day in self._seen else None

    def at(self, index: int) -> datetime | None:
        """The ``index``-th occurrence's start (None beyond the expansion limit)."""
        while len(self._seen) <= index:
            if not self._grow():
                return None
        return datetime.combine(self._seen[index], self._start.timetz())


#: Periods per year of each frequency, to stop the expansion after ``_MAX_YEARS``.
_PERIODS_PER_YEAR = {"DAILY": 366, "WEEKLY": 53, "MONTHLY": 12, "YEARLY": 1}


def _dates(rule: _Rule, first: date) -> Iterator[date]:
    """``first``, then the rule's dates after it, ascending, for ``_MAX_YEARS`` at most."""
    yield first
    periods = _MAX_YEARS * _PERIODS_PER_YEAR[rule.freq] // rule.interval + 1
    try:
        for period in range(periods):
            for day in _period_dates(rule, first, period * rule.interval):
                if day > first:
                    yield day
    except (OverflowError, ValueError):  # beyond year 9999
        return


def _period_dates(rule: _Rule, first: date, step: int) -> list[date]:
    """The rule's dates in the period ``step`` periods after the one holding ``first``."""
    if rule.freq == "DAILY":
        day = first + timedelta(days=step)
        return [day] if not rule.weekdays or day.weekday() in rule.weekdays else []
    if rule.freq == "WEEKLY":
        week = first - timedelta(days=(first.weekday() - rule.week_start) % 7)
        week += timedelta(weeks=step)
        wanted = sorted((day - rule.week_start) % 7 for day in rule.weekdays or (first.weekday(),))
        return [week + timedelta(days=offset) for offset in wanted]
    if rule.freq == "YEARLY":
        year = first.year + step
        if first.day > calendar.monthrange(year, first.month)[1]:
            return []  # 29 February in another year
        return [date(year, first.month, first.day)]
    year, month = divmod(first.month - 1 + step, 12)
    found = _month_date(rule, first, first.year + year, month + 1)
    return [found] if found is not None else []


def _month_date(rule: _Rule, first: date, year: int, month: int) -> date | None:
    last = calendar.monthrange(year, month)[1]
    if rule.month_weekday is None:
        day = rule.month_day or first.day
        return date(year, month, day) if day <= last else None
    days = [
        date(year, month, day)
        for day in range(1, last + 1)
        if date(year, month, day).weekday() == rule.month_weekday
    ]
    week = rule.month_week or 1
    if abs(week) > len(days):
        return None
    return days[week - 1] if week > 0 else days[week]
