"""RRULE -> Zoom recurrence mapping (``shared.providers.zoom.recurrence``), in-process."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.providers.zoom.recurrence import next_occurrence, parse_rule

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2031, 3, 4, 10, 0, tzinfo=STOCKHOLM)  # a Tuesday


def zoom(*lines: str, start: datetime = START) -> dict[str, Any] | None:
    rule = parse_rule(lines, start)
    return None if rule is None else rule.zoom()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RRULE:FREQ=DAILY;COUNT=3", {"type": 1, "repeat_interval": 1, "end_times": 3}),
        (
            "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
            {"type": 2, "repeat_interval": 1, "weekly_days": "2,3,4,5,6", "end_times": 10},
        ),
        (
            "RRULE:FREQ=WEEKLY;COUNT=4",
            {"type": 2, "repeat_interval": 1, "weekly_days": "3", "end_times": 4},
        ),
        (
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,SA;WKST=SU;COUNT=4",
            {"type": 2, "repeat_interval": 2, "weekly_days": "1,7", "end_times": 4},
        ),
        (
            "RRULE:FREQ=MONTHLY;COUNT=2",
            {"type": 3, "repeat_interval": 1, "monthly_day": 4, "end_times": 2},
        ),
        (
            "RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=2",
            {
                "type": 3,
                "repeat_interval": 3,
                "monthly_week": -1,
                "monthly_week_day": 6,
                "end_times": 2,
            },
        ),
        (
            "RRULE:FREQ=MONTHLY;BYDAY=WE;BYSETPOS=2;COUNT=2",
            {
                "type": 3,
                "repeat_interval": 1,
                "monthly_week": 2,
                "monthly_week_day": 4,
                "end_times": 2,
            },
        ),
        ("rrule:freq=daily;count=2", {"type": 1, "repeat_interval": 1, "end_times": 2}),
    ],
)
def test_mappable_rules(line: str, expected: dict[str, Any]) -> None:
    assert zoom(line) == expected


@pytest.mark.parametrize(
    ("until", "end"),
    [
        ("20310310T120000Z", "2031-03-10T12:00:00Z"),
        ("20310310T120000", "2031-03-10T11:00:00Z"),  # floating: the event's zone
        ("20310310", "2031-03-10T22:59:59Z"),  # a date: the whole day, in the event's zone
    ],
)
def test_until_forms_become_end_date_time(until: str, end: str) -> None:
    mapped = zoom(f"RRULE:FREQ=DAILY;UNTIL={until}")

    assert mapped is not None
    assert mapped["end_date_time"] == end
    assert "end_times" not in mapped


def test_exdates_are_ignored() -> None:
    assert zoom("RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Europe/Stockholm:20310305T100000") == {
        "type": 1,
        "repeat_interval": 1,
        "end_times": 3,
    }


@pytest.mark.parametrize(
    "lines",
    [
        ("RRULE:FREQ=YEARLY;COUNT=2",),
        ("RRULE:FREQ=HOURLY;COUNT=2",),
        ("RRULE:FREQ=DAILY",),  # no end
        ("RRULE:FREQ=DAILY;COUNT=51",),
        ("RRULE:FREQ=DAILY;UNTIL=20320101T000000Z",),  # beyond 50 occurrences
        ("RRULE:FREQ=DAILY;UNTIL=20300101T000000Z",),  # ends before it starts
        ("RRULE:FREQ=DAILY;COUNT=2;UNTIL=20310310T000000Z",),
        ("RRULE:FREQ=DAILY;INTERVAL=91;COUNT=2",),
        ("RRULE:FREQ=WEEKLY;INTERVAL=13;COUNT=2",),
        ("RRULE:FREQ=MONTHLY;INTERVAL=4;COUNT=2",),
        ("RRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO;COUNT=2",),
        ("RRULE:FREQ=WEEKLY;BYDAY=1MO;COUNT=2",),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2",),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=2",),
        ("RRULE:FREQ=MONTHLY;BYDAY=5MO;COUNT=2",),
        ("RRULE:FREQ=MONTHLY;BYDAY=MO,TU;COUNT=2",),
        ("RRULE:FREQ=WEEKLY;BYMONTH=3;COUNT=2",),
        ("RRULE:FREQ=DAILY;COUNT=x",),
        ("RRULE:FREQ=DAILY;COUNT=2", "RRULE:FREQ=WEEKLY;COUNT=2"),
        ("RRULE:FREQ=DAILY;COUNT=2", "RDATE:20310320T100000Z"),
        ("EXDATE:20310320T100000Z",),
    ],
)
def test_unmappable_rules(lines: tuple[str, ...]) -> None:
    assert parse_rule(lines, START) is None


def test_the_weekday_is_the_events_local_one() -> None:
    late = datetime(2031, 3, 4, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))  # Wed in UTC

    mapped = zoom("RRULE:FREQ=WEEKLY;COUNT=2", start=late)

    assert mapped is not None
    assert mapped["weekly_days"] == "3"  # Tuesday


def test_next_occurrence_counts_what_is_left() -> None:
    rule = parse_rule(("RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6",), START)
    assert rule is not None

    upcoming = next_occurrence(rule, START + timedelta(days=3))

    assert upcoming == (datetime(2031, 3, 11, 10, 0, tzinfo=STOCKHOLM), 4)
    assert next_occurrence(rule, START + timedelta(days=30)) is None


def test_occurrences_keep_the_wall_clock_across_dst() -> None:
    rule = parse_rule(
        ("RRULE:FREQ=WEEKLY;COUNT=4",), datetime(2031, 3, 18, 10, 0, tzinfo=STOCKHOLM)
    )
    assert rule is not None

    starts = rule.occurrences()

    assert [s.hour for s in starts] == [10, 10, 10, 10]
    assert starts[-1].utcoffset() == timedelta(hours=2)
