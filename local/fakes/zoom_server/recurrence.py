"""Occurrences of a Zoom recurrence object (type 8 meetings), as Zoom lists them.

Zoom's recurrence object (developers.zoom.us, "Recurrence Object Definitions"):
``type`` 1 daily / 2 weekly / 3 monthly; ``repeat_interval`` (daily <= 90, weekly <= 12,
monthly <= 3, default 1); ``weekly_days`` "1,3" with 1 = Sunday .. 7 = Saturday;
``monthly_day`` 1..31, or ``monthly_week`` (-1 last, 1..4) with ``monthly_week_day``;
``end_times`` 1..50 (default 1) or ``end_date_time`` (UTC), never both.

Occurrences are computed in the meeting's time zone, at the start's wall-clock time.
Assumption (undocumented): a series that would run past 50 occurrences stops at 50.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 50
MAX_INTERVAL = {1: 90, 2: 12, 3: 3}
_SEARCH_DAYS = 366 * 40


def _zoom_weekday(day: date) -> int:
    """Zoom's weekday number: 1 = Sunday .. 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nth_weekday(year: int, month: int, week: int, weekday: int) -> date | None:
    days = [
        date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if _zoom_weekday(date(year, month, d)) == weekday
    ]
    if week == -1:
        return days[-1]
    return days[week - 1] if 1 <= week <= len(days) else None


def _dates(first: date, recurrence: dict[str, Any]) -> Iterator[date]:
    kind = int(recurrence["type"])
    interval = int(recurrence.get("repeat_interval") or 1)
    if kind == 1:
        day = first
        while True:
            yield day
            day += timedelta(days=interval)
    elif kind == 2:
        wanted = {int(d) for d in str(recurrence.get("weekly_days") or "1").split(",")}
        week_start = first - timedelta(days=_zoom_weekday(first) - 1)  # that week's Sunday
        while True:
            for offset in range(7):
                day = week_start + timedelta(days=offset)
                if day >= first and _zoom_weekday(day) in wanted:
                    yield day
            week_start += timedelta(weeks=interval)
    else:
        year, month = first.year, first.month
        while True:
            candidate: date | None
            if recurrence.get("monthly_day"):
                wanted_day = int(recurrence["monthly_day"])
                last = calendar.monthrange(year, month)[1]
                candidate = date(year, month, wanted_day) if wanted_day <= last else None
            else:
                candidate = _nth_weekday(
                    year,
                    month,
                    int(recurrence.get("monthly_week") or 1),
                    int(recurrence.get("monthly_week_day") or 1),
                )
            if candidate is not None and candidate >= first:
                yield candidate
            month += interval
            while month > 12:
                month -= 12
                year += 1


def occurrence_starts(
    start: datetime, time_zone: str, recurrence: dict[str, Any]
) -> list[datetime]:
    """The UTC start of each occurrence (at most :data:`MAX_OCCURRENCES`)."""
    zone = ZoneInfo(time_zone)
    local = start.astimezone(zone)
    end_times = recurrence.get("end_times")
    end_at: datetime | None = None
    if recurrence.get("end_date_time"):
        end_at = datetime.fromisoformat(str(recurrence["end_date_time"]).replace("Z", "+00:00"))
    limit = MAX_OCCURRENCES if end_at is not None else min(int(end_times or 1), MAX_OCCURRENCES)
    starts: list[datetime] = []
    for day in _dates(local.date(), recurrence):
        if len(starts) >= limit or (day - local.date()).days > _SEARCH_DAYS:
            break
        moment = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
        moment = moment.astimezone(UTC)
        if end_at is not None and moment > end_at:
            break
        starts.append(moment)
    return starts
