"""Reading what a meeting is built from off a Calendar event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.conferences.meeting_spec import placeholder_spec, record_expiry, spec_from_event


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


def test_a_time_without_offset_is_in_the_events_zone() -> None:
    spec = spec_from_event(
        {"start": {"dateTime": "2030-07-01T10:00:00", "timeZone": "Europe/Paris"}}, None
    )

    assert spec.start == datetime(2030, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_an_unreadable_date_makes_an_all_day_placeholder() -> None:
    spec = spec_from_event({"start": {"date": "someday"}}, "Asia/Tokyo")

    assert (spec.placeholder, spec.all_day, spec.time_zone) == (True, True, "Asia/Tokyo")


def test_a_start_without_date_or_time_makes_a_placeholder() -> None:
    spec = spec_from_event({"start": {"timeZone": "Asia/Tokyo"}}, None)

    assert (spec.placeholder, spec.time_zone) == (True, "Asia/Tokyo")


NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def test_a_record_expires_its_retention_after_the_event_ends() -> None:
    spec = spec_from_event(
        {
            "start": {"dateTime": "2030-03-04T10:00:00Z"},
            "end": {"dateTime": "2030-03-04T11:00:00Z"},
        },
        None,
    )

    assert record_expiry(spec, 30, NOW) == datetime(2030, 4, 3, 11, 0, tzinfo=UTC)


def test_a_placeholders_record_expires_its_retention_after_now() -> None:
    assert record_expiry(placeholder_spec(None), 1.5, NOW) == NOW + timedelta(days=1.5)


def test_a_series_record_never_expires_by_ttl() -> None:
    spec = spec_from_event(
        {"start": {"dateTime": "2030-03-04T10:00:00Z"}, "recurrence": ["RRULE:FREQ=DAILY"]}, None
    )

    assert record_expiry(spec, 30, NOW) is None
