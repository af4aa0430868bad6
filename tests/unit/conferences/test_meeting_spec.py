"""Reading what a meeting is built from off a Calendar event."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shared.conferences.meeting_spec import placeholder_spec, spec_from_event


def test_timed_event_keeps_its_iana_zone() -> None:
    spec = spec_from_event(
        {
            "summary": "T",
            "description": "D",
            "start": {"dateTime": "2030-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2030-03-04T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        },
        "UTC",
    )

    assert spec.time_zone == "Europe/Berlin"
    assert spec.start == datetime(2030, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert spec.start is not None
    assert spec.start.utcoffset() is not None
    assert (spec.title, spec.description, spec.all_day, spec.placeholder) == (
        "T",
        "D",
        False,
        False,
    )


def test_an_event_without_a_zone_takes_the_calendars() -> None:
    spec = spec_from_event(
        {
            "start": {"dateTime": "2030-03-04T09:00:00Z"},
            "end": {"dateTime": "2030-03-04T10:00:00Z"},
        },
        "America/New_York",
    )

    assert spec.time_zone == "America/New_York"
    assert spec.start is not None
    assert spec.start.hour == 4  # 09:00 UTC in New York (EST)


def test_all_day_event_starts_at_midnight_in_the_zone() -> None:
    spec = spec_from_event(
        {"start": {"date": "2030-03-04"}, "end": {"date": "2030-03-06"}}, "Asia/Tokyo"
    )

    assert spec.all_day is True
    assert spec.start == datetime(2030, 3, 4, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert spec.end == datetime(2030, 3, 6, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_recurrence_lines_are_kept() -> None:
    spec = spec_from_event(
        {
            "start": {"dateTime": "2030-03-04T10:00:00Z"},
            "end": {"dateTime": "2030-03-04T11:00:00Z"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20300311T100000Z"],
        },
        None,
    )

    assert spec.recurrence == ("RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20300311T100000Z")


def test_unreadable_times_make_a_placeholder_not_a_crash() -> None:
    spec = spec_from_event({"start": {"dateTime": "yesterday"}}, "Nowhere/Zone")

    assert spec.placeholder is True
    assert spec.start is None


def test_placeholder_spec() -> None:
    spec = placeholder_spec("Europe/Paris")

    assert spec.placeholder is True
    assert spec.time_zone == "Europe/Paris"
    assert spec.as_record()["start"] is None
