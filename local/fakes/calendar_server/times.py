"""RFC 3339 parsing and formatting, and the instants an event's ``start``/``end`` stand for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import formatdate
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_instant(value: str) -> datetime | None:
    """An RFC 3339 timestamp with a mandatory offset, as an aware datetime (else None)."""
    if not _RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_local(value: str, tz: ZoneInfo) -> datetime | None:
    """An RFC 3339 timestamp that may omit its offset (then it is wall time in ``tz``)."""
    instant = parse_instant(value)
    if instant is not None:
        return instant
    if not _LOCAL.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper()).replace(tzinfo=tz)
    except ValueError:
        return None


def stamp(moment: datetime) -> str:
    """Google's ``created``/``updated`` format: UTC with milliseconds."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(UTC)


def http_date(epoch_seconds: float) -> str:
    """RFC 1123, e.g. ``Tue, 19 Nov 2013 01:13:52 GMT``."""
    return formatdate(epoch_seconds, usegmt=True)


def bound(value: dict[str, Any], default_tz: ZoneInfo) -> datetime | None:
    """The instant an EventDateTime stands for (an all-day date: midnight in its zone)."""
    tz = zone(str(value.get("timeZone"))) if value.get("timeZone") else None
    tz = tz or default_tz
    if isinstance(value.get("date"), str):
        day = parse_date(value["date"])
        return None if day is None else datetime.combine(day, time(0), tzinfo=tz)
    if isinstance(value.get("dateTime"), str):
        return parse_local(value["dateTime"], tz)
    return None


def span(resource: dict[str, Any], default_tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """``(start, end)`` of an event resource, or None when it has no valid times."""
    start = bound(resource.get("start") or {}, default_tz)
    end = bound(resource.get("end") or {}, default_tz)
    if start is None or end is None:
        return None
    return start, end


def overlaps(
    window: tuple[datetime | None, datetime | None], start: datetime, end: datetime
) -> bool:
    """Google's window test: the event ends after ``timeMin`` and starts before ``timeMax``."""
    low, high = window
    if high is not None and start >= high:
        return False
    return low is None or end > low or (end == start and start >= low)


def days(count: int) -> timedelta:
    return timedelta(days=count)
