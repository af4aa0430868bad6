"""Checks of a meeting body (create and update), as Zoom documents them.

Zoom answers a body it refuses with HTTP 400 and
``{"code": 300, "message": "Validation Failed.", "errors": [{"field", "message"}]}``
(developers.zoom.us/docs/api/errors); a body that is not a JSON object with
``{"code": 300, "message": "Request Body should be a valid JSON object."}``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from local.fakes.zoom_server.recurrence import MAX_INTERVAL, MAX_OCCURRENCES

TOPIC_MAX = 200
AGENDA_MAX = 2000
PASSWORD_MAX = 10
MEETING_TYPES = (1, 2, 3, 8)
AUTO_RECORDING = ("none", "local", "cloud")
_START_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$")
_PASSWORD = re.compile(r"^[A-Za-z0-9@\-_*]*$")
_WEEKLY_DAYS = re.compile(r"^[1-7](,[1-7])*$")
INVALID = "Invalid field."

Problems = list[dict[str, str]]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def valid_zone(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_start_time(value: str, time_zone: str | None) -> datetime:
    """``yyyy-MM-ddTHH:mm:ssZ`` is GMT; without ``Z`` it is local time in ``time_zone``."""
    if value.endswith("Z"):
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    zone = ZoneInfo(time_zone) if time_zone and valid_zone(time_zone) else UTC
    return datetime.fromisoformat(value).replace(tzinfo=zone).astimezone(UTC)


def _check_recurrence(value: Any, problems: Problems) -> None:
    def bad(field: str) -> None:
        problems.append({"field": f"recurrence.{field}", "message": INVALID})

    if not isinstance(value, dict):
        problems.append({"field": "recurrence", "message": INVALID})
        return
    kind = value.get("type")
    if kind not in (1, 2, 3) or not _is_int(kind):
        bad("type")
        return
    interval = value.get("repeat_interval", 1)
    if not _is_int(interval) or not 1 <= interval <= MAX_INTERVAL[kind]:
        bad("repeat_interval")
    if kind == 2:
        days = value.get("weekly_days", "1")
        if not isinstance(days, str) or not _WEEKLY_DAYS.match(days):
            bad("weekly_days")
    if kind == 3:
        if "monthly_day" in value:
            day = value["monthly_day"]
            if not _is_int(day) or not 1 <= day <= 31:
                bad("monthly_day")
        else:
            week, week_day = value.get("monthly_week"), value.get("monthly_week_day")
            if week not in (-1, 1, 2, 3, 4) or not _is_int(week):
                bad("monthly_week")
            if week_day not in range(1, 8) or not _is_int(week_day):
                bad("monthly_week_day")
    if "end_times" in value and "end_date_time" in value:
        bad("end_date_time")
    if "end_times" in value:
        times = value["end_times"]
        if not _is_int(times) or not 1 <= times <= MAX_OCCURRENCES:
            bad("end_times")
    if "end_date_time" in value:
        end = value["end_date_time"]
        if not isinstance(end, str) or not _START_TIME.match(end) or not end.endswith("Z"):
            bad("end_date_time")


def check_meeting(body: dict[str, Any], *, creating: bool, current_type: int | None) -> Problems:
    """The problems of a create (``creating``) or update body; empty when acceptable."""
    problems: Problems = []

    def bad(field: str) -> None:
        problems.append({"field": field, "message": INVALID})

    if "topic" in body and (not isinstance(body["topic"], str) or len(body["topic"]) > TOPIC_MAX):
        bad("topic")
    if "agenda" in body and (
        not isinstance(body["agenda"], str) or len(body["agenda"]) > AGENDA_MAX
    ):
        bad("agenda")
    if "password" in body:
        password = body["password"]
        if (
            not isinstance(password, str)
            or len(password) > PASSWORD_MAX
            or not _PASSWORD.match(password)
        ):
            bad("password")
    if "type" in body and (body["type"] not in MEETING_TYPES or not _is_int(body["type"])):
        bad("type")
    if "start_time" in body and (
        not isinstance(body["start_time"], str) or not _START_TIME.match(body["start_time"])
    ):
        bad("start_time")
    if "duration" in body and (not _is_int(body["duration"]) or body["duration"] < 0):
        bad("duration")
    if "timezone" in body and not valid_zone(body["timezone"]):
        bad("timezone")
    settings = body.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            bad("settings")
        elif "auto_recording" in settings and settings["auto_recording"] not in AUTO_RECORDING:
            bad("settings.auto_recording")
    new_type = body.get("type", current_type if current_type is not None else 2)
    if "recurrence" in body:
        _check_recurrence(body["recurrence"], problems)
    elif creating and new_type == 8:
        problems.append({"field": "recurrence", "message": "Recurrence is required."})
    return problems
