"""The covering spec of a shared meeting: docs/sync-model.md#the-covering-spec."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from local.fakes.calendar_server.recurrence import series_of, split_lines
from shared.conferences.covering import MAX_OCCURRENCES, covering_spec
from shared.conferences.meeting_spec import MeetingSpec, record_expiry, spec_from_event

BERLIN = "Europe/Berlin"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def part(
    start: str,
    *rules: str,
    minutes: int = 60,
    title: str = "Weekly",
    zone: str = BERLIN,
) -> MeetingSpec:
    """A timed event (a series when ``rules`` are given) as sync reads it."""
    begin = datetime.fromisoformat(start)
    end = begin + timedelta(minutes=minutes)
    return spec_from_event(
        {
            "summary": title,
            "description": f"about {title}",
            "start": {"dateTime": begin.isoformat(), "timeZone": zone},
            "end": {"dateTime": end.isoformat(), "timeZone": zone},
            "recurrence": list(rules),
        },
        None,
    )


def all_day(day: str, *rules: str) -> MeetingSpec:
    first = date.fromisoformat(day)
    return spec_from_event(
        {
            "summary": "Holiday",
            "start": {"date": first.isoformat(), "timeZone": BERLIN},
            "end": {"date": (first + timedelta(days=1)).isoformat(), "timeZone": BERLIN},
            "recurrence": list(rules),
        },
        BERLIN,
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(BERLIN))


# The "this and following" split of Monday 10:00 weekly, ten times from 2030-03-04, on
# 2030-03-18: Calendar's two parts (docs/calendar-behaviour.md#recurring-events).
FIRST = part("2030-03-04T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300317T225959Z")
FOLLOWING = part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8", title="Following")


# -- one schedule for all ------------------------------------------------------------------
def test_without_followers_the_meeting_is_built_from_the_event_itself() -> None:
    assert covering_spec(FIRST, []) is FIRST


def test_followers_at_the_very_same_times_change_nothing() -> None:
    duplicate = replace(FIRST, title="A copy", description="other words")

    assert covering_spec(FIRST, [duplicate, duplicate]) is FIRST


@pytest.mark.parametrize(
    ("parts", "rule"),
    [
        ([FIRST, FOLLOWING], "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"),
        (
            [
                FIRST,
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300506T215959Z"),
            ],
            "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300506T215959Z",
        ),
        (
            [FIRST, part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO")],
            "RRULE:FREQ=WEEKLY;BYDAY=MO",
        ),
        (  # split twice: the last part bounds them all
            [
                FIRST,
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300331T215959Z"),
                part("2030-04-01T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"),
            ],
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=7",
        ),
        (  # a later part that ends first: the longest one bounds the meeting
            [
                part("2030-03-04T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=20"),
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"),
            ],
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=20",
        ),
        (  # an UNTIL and a COUNT ending on the same occurrence: the UNTIL is kept
            [
                part("2030-03-04T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300318T090000Z"),
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=1"),
            ],
            "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300318T090000Z",
        ),
        (  # EXDATEs are left out: covering a cancelled occurrence costs nothing
            [
                part(
                    "2030-03-04T10:00",
                    "EXDATE;TZID=Europe/Berlin:20300311T100000",
                    "RRULE:FREQ=WEEKLY;UNTIL=20300317T225959Z",
                ),
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;COUNT=8"),
            ],
            "RRULE:FREQ=WEEKLY;COUNT=10",
        ),
        (
            [
                part("2030-01-08T09:00", "RRULE:FREQ=MONTHLY;BYDAY=2TU;UNTIL=20300311T225959Z"),
                part("2030-03-12T09:00", "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=4"),
            ],
            "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
        ),
        (
            [
                part("2030-01-31T09:00", "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20300330T000000Z"),
                part("2030-05-31T09:00", "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=2"),
            ],
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4",  # Jan, Mar, May, Jul
        ),
        (
            [
                part("2030-01-29T09:00", "RRULE:FREQ=MONTHLY;BYDAY=-1TU;UNTIL=20300301T000000Z"),
                part("2030-03-26T09:00", "RRULE:FREQ=MONTHLY;BYDAY=-1TU;COUNT=1"),
            ],
            "RRULE:FREQ=MONTHLY;BYDAY=-1TU;COUNT=3",
        ),
        (
            [
                part("2030-03-29T09:00", "RRULE:FREQ=MONTHLY;BYDAY=5FR;UNTIL=20300601T000000Z"),
                part("2030-08-30T09:00", "RRULE:FREQ=MONTHLY;BYDAY=5FR;COUNT=2"),
            ],
            "RRULE:FREQ=MONTHLY;BYDAY=5FR;COUNT=4",  # March, May, August, November
        ),
        (
            [
                part("2030-03-04T08:00", "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20300307T225959Z"),
                part("2030-03-08T08:00", "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3"),
            ],
            "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=5",
        ),
        (
            [
                part("2032-02-29T08:00", "RRULE:FREQ=YEARLY;UNTIL=20360101T000000Z"),
                part("2036-02-29T08:00", "RRULE:FREQ=YEARLY;COUNT=1"),
            ],
            "RRULE:FREQ=YEARLY;COUNT=2",  # only leap years have a 29 February
        ),
        (
            [
                all_day("2030-03-04", "RRULE:FREQ=WEEKLY;UNTIL=20300317"),
                all_day("2030-03-18", "RRULE:FREQ=WEEKLY;COUNT=2"),
            ],
            "RRULE:FREQ=WEEKLY;COUNT=4",
        ),
        (
            [
                part(
                    "2030-03-04T10:00",
                    "RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;UNTIL=20300317T000000Z",
                ),
                part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;COUNT=2"),
            ],
            "RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;COUNT=3",
        ),
    ],
    ids=[
        "count",
        "until",
        "no-end",
        "split-twice",
        "longest-part",
        "until-on-the-last-count",
        "exdate-left-out",
        "second-tuesday",
        "the-31st",
        "last-tuesday",
        "fifth-friday",
        "every-other-day",
        "leap-day",
        "all-day",
        "every-other-week",
    ],
)
def test_series_sharing_a_rule_get_one_recurrence_over_all_parts(
    parts: list[MeetingSpec], rule: str
) -> None:
    own, *followers = parts

    spec = covering_spec(own, followers)

    assert spec.recurrence == (rule,)
    assert (spec.start, spec.end, spec.time_zone, spec.all_day) == (
        own.start,
        own.end,
        own.time_zone,
        own.all_day,
    )
    assert spec.fixed_time is True


def test_the_parts_in_any_order_give_one_schedule_and_the_records_own_title() -> None:
    from_first = covering_spec(FIRST, [FOLLOWING])
    from_following = covering_spec(FOLLOWING, [FIRST])

    assert replace(from_following, title=FIRST.title, description=FIRST.description) == from_first
    assert (from_first.title, from_following.title) == ("Weekly", "Following")
    assert from_following.start == at("2030-03-04T10:00")


# -- no fixed time -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "following",
    [
        part("2030-03-19T10:00", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"),
        part("2030-03-19T10:00", "RRULE:FREQ=WEEKLY;COUNT=8"),  # the same words, moved
        part("2030-03-18T14:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8"),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8", minutes=90),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8", zone="Europe/Paris"),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8"),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;INTERVAL=2;COUNT=8"),
        part("2030-03-18T10:00", "RRULE:FREQ=DAILY;COUNT=8"),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8", "RDATE:20300320T100000Z"),
        part("2030-03-18T10:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8", "RRULE:FREQ=DAILY"),
        all_day("2030-03-18", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8"),
        replace(FOLLOWING, end=None),
    ],
    ids=[
        "another-weekday",
        "moved-without-byday",
        "another-time",
        "longer",
        "another-zone",
        "more-days",
        "another-interval",
        "another-frequency",
        "rdate",
        "two-rules",
        "all-day",
        "no-end",
    ],
)
def test_series_with_different_rules_share_a_meeting_with_no_fixed_time(
    following: MeetingSpec,
) -> None:
    spec = covering_spec(FIRST, [following])

    assert spec.fixed_time is False
    assert (spec.start, spec.end, spec.recurrence) == (at("2030-03-04T10:00"), None, ())
    assert (spec.title, spec.description, spec.time_zone) == ("Weekly", "about Weekly", BERLIN)


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=MONTHLY;BYSETPOS=2;BYDAY=TU",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1",
        "RRULE:FREQ=MONTHLY;BYDAY=TU",
        "RRULE:FREQ=MONTHLY;BYDAY=6TU",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU,3TU",
        "RRULE:FREQ=MONTHLY;BYDAY=XTU",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=2;BYDAY=1TU",
        "RRULE:FREQ=WEEKLY;BYDAY=1MO",
        "RRULE:FREQ=WEEKLY;BYMONTHDAY=4",
        "RRULE:FREQ=YEARLY;BYMONTH=3",
        "RRULE:FREQ=YEARLY;BYDAY=MO",
        "RRULE:FREQ=HOURLY",
        "RRULE:FREQ=WEEKLY;INTERVAL=0",
        "RRULE:FREQ=WEEKLY;WKST=XX",
        "RRULE:FREQ=WEEKLY;FREQ=WEEKLY",
        "RRULE:FREQ=WEEKLY;BYDAY",
        "RRULE:FREQ=WEEKLY;COUNT=0",
        "RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20300401T000000Z",
        "RRULE:FREQ=WEEKLY;UNTIL=2030-04-01",
        f"RRULE:FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}",
    ],
)
def test_rules_this_module_does_not_expand_give_no_fixed_time(rule: str) -> None:
    first = part("2030-01-08T09:00", rule)
    later = part("2030-03-12T09:00", rule)

    spec = covering_spec(first, [later])

    assert spec.fixed_time is False
    assert spec.end is None


def test_a_bound_beyond_the_expansion_limit_gives_no_fixed_time() -> None:
    first = part("2030-01-01T09:00", "RRULE:FREQ=DAILY;UNTIL=20300105T000000Z")
    later = part("2030-01-05T09:00", f"RRULE:FREQ=DAILY;COUNT={MAX_OCCURRENCES}")

    assert covering_spec(first, [later]).fixed_time is False


def test_a_start_far_beyond_the_rule_is_not_looked_for_forever() -> None:
    first = part("2030-01-01T09:00", "RRULE:FREQ=YEARLY;COUNT=2")
    later = part("2290-01-01T09:00", "RRULE:FREQ=YEARLY;COUNT=2")

    assert covering_spec(first, [later]).fixed_time is False


def test_occurrences_past_the_year_9999_are_not_looked_for() -> None:
    first = part("9990-01-01T09:00", "RRULE:FREQ=YEARLY;UNTIL=99980101T000000Z")
    later = part("9999-01-01T09:00", "RRULE:FREQ=YEARLY;COUNT=2")

    assert covering_spec(first, [later]).fixed_time is False


def test_single_events_at_different_times_span_from_the_first_start_to_the_last_end() -> None:
    own = part("2030-03-11T10:00", title="Planning")
    copy = part("2030-03-04T09:00", minutes=30, title="Copy")
    later = part("2030-03-20T16:00", minutes=120)

    spec = covering_spec(own, [copy, later])

    assert spec.fixed_time is False
    assert (spec.start, spec.end) == (at("2030-03-04T09:00"), at("2030-03-20T18:00"))
    assert (spec.title, spec.recurrence, spec.all_day) == ("Planning", (), False)
    assert record_expiry(spec, 30, NOW) == at("2030-03-20T18:00") + timedelta(days=30)


def test_a_single_event_and_a_series_share_a_meeting_with_no_fixed_time_and_no_end() -> None:
    spec = covering_spec(part("2030-03-01T10:00"), [FOLLOWING])

    assert spec.fixed_time is False
    assert (spec.start, spec.end) == (at("2030-03-01T10:00"), None)
    assert record_expiry(spec, 30, NOW) is None


def test_all_day_events_on_different_days_stay_all_day() -> None:
    spec = covering_spec(all_day("2030-03-04"), [all_day("2030-03-06")])

    assert (spec.all_day, spec.fixed_time) == (True, False)
    assert spec.end == at("2030-03-07T00:00")


def test_followers_left_unread_give_no_fixed_time_and_no_end() -> None:
    for followers in ([], [FOLLOWING]):
        spec = covering_spec(FIRST, followers, complete=False)

        assert spec.fixed_time is False
        assert (spec.start, spec.end) == (at("2030-03-04T10:00"), None)


def test_a_placeholder_among_the_parts_gives_no_fixed_time() -> None:
    placeholder = MeetingSpec("", "", None, None, BERLIN, placeholder=True)

    spec = covering_spec(placeholder, [FOLLOWING])

    assert spec.fixed_time is False
    assert spec.start == at("2030-03-18T10:00")


def test_no_fixed_time_is_stored_only_when_it_applies() -> None:
    shared = covering_spec(FIRST, [part("2030-03-19T10:00")])

    assert shared.as_record()["fixedTime"] is False
    assert "fixedTime" not in FIRST.as_record()


# -- property: a split series is covered exactly -----------------------------------------
ZONES = ("Europe/Berlin", "America/Chicago", "Asia/Kolkata", "UTC")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def series(draw: st.DrawFn) -> dict[str, Any]:
    """A recurring event resource the local Calendar server expands and splits."""
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY", "YEARLY")))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=4, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "WEEKLY" and draw(st.booleans()):
        parts.append("WKST=SU")
    first = date(2030, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(2, 25))}")
    else:
        until = first + timedelta(days=draw(st.integers(1, 1500)))
        parts.append(f"UNTIL={until:%Y%m%d}T{draw(st.sampled_from(('000000', '235959')))}Z")
    if draw(st.booleans()):
        end = first + timedelta(days=draw(st.integers(1, 2)))
        times: dict[str, Any] = {
            "start": {"date": first.isoformat()},
            "end": {"date": end.isoformat()},
        }
    else:
        start = datetime.combine(first, datetime.min.time()) + timedelta(
            minutes=30 * draw(st.integers(0, 47))
        )
        end_at = start + timedelta(minutes=draw(st.sampled_from((15, 60, 150))))
        times = {
            "start": {"dateTime": start.isoformat(), "timeZone": zone},
            "end": {"dateTime": end_at.isoformat(), "timeZone": zone},
        }
    return {"summary": "S", **times, "recurrence": ["RRULE:" + ";".join(parts)], "zone": zone}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(original=series(), data=st.data())
def test_the_two_parts_of_a_split_are_covered_by_the_original_series(
    original: dict[str, Any], data: st.DataObject
) -> None:
    zone = ZoneInfo(original.pop("zone"))
    whole = series_of(original, zone)
    assert whole is not None
    occurrences = [moment for _, moment in zip(range(60), whole.occurrences(), strict=False)]
    assume(len(occurrences) >= 2)
    split_at = occurrences[data.draw(st.integers(1, len(occurrences) - 1))]
    before, after = split_lines(original["recurrence"], whole, split_at)
    start, end = whole.times(split_at)
    first = {**original, "recurrence": before}
    following = {**original, "start": start, "end": end, "recurrence": after}

    spec = covering_spec(spec_from_event(first, zone.key), [spec_from_event(following, zone.key)])

    assert spec.fixed_time is True
    covered = series_of({**original, "recurrence": list(spec.recurrence)}, zone)
    assert covered is not None
    assert [moment for _, moment in zip(range(60), covered.occurrences(), strict=False)] == (
        occurrences
    )
