"""Admission (docs/join-links.md#admission): one case per rule, and the access window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.join.admission import (
    Identity,
    Policy,
    Role,
    admit,
    attendee_emails,
    event_start,
    is_cancelled,
    not_open_until,
    opens_at,
    policy_of,
)

OWNER = "owner@example.com"
DOMAINS = ("example.com",)
EVENT: dict[str, Any] = {
    "organizer": {"email": "Org@Example.com"},
    "attendees": [
        {"email": "org@example.com", "organizer": True},
        {"email": "Ann@Partner.org"},
        {"email": "room@resource.calendar.google.com", "resource": True},
        {"displayName": "no email"},
        "junk",
    ],
    "start": {"dateTime": "2030-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"},
}


@pytest.mark.parametrize(
    ("policy", "who", "role"),
    [
        (Policy.GUESTS, None, Role.LOBBY),
        (Policy.GUESTS, Identity("org@example.com"), Role.MODERATOR),
        (Policy.GUESTS, Identity("OWNER@example.com"), Role.MODERATOR),
        (Policy.GUESTS, Identity("ann@partner.org"), Role.VIEWER),
        (Policy.GUESTS, Identity("ann@partner.org.evil"), Role.LOBBY),
        (Policy.GUESTS, Identity("room@resource.calendar.google.com"), Role.LOBBY),
        (Policy.GUESTS, Identity("bob@example.com", "example.com"), Role.LOBBY),
        (Policy.DOMAIN, None, Role.LOBBY),
        (Policy.DOMAIN, Identity("org@example.com", "example.com"), Role.MODERATOR),
        (Policy.DOMAIN, Identity("bob@example.com", "example.com"), Role.VIEWER),
        (Policy.DOMAIN, Identity("bob@example.com", None), Role.LOBBY),
        (Policy.DOMAIN, Identity("ann@partner.org", "partner.org"), Role.LOBBY),
    ],
)
def test_who_joins_how(policy: Policy, who: Identity | None, role: Role) -> None:
    assert admit(policy, who, EVENT, OWNER, DOMAINS) is role


def test_a_removed_attendee_waits_in_the_lobby() -> None:
    event = {**EVENT, "attendees": [{"email": "someone@else.org"}]}

    assert admit(Policy.GUESTS, Identity("ann@partner.org"), event, OWNER, DOMAINS) is Role.LOBBY


def test_an_event_without_organizer_or_attendees() -> None:
    assert admit(Policy.GUESTS, Identity("x@y.z"), {"attendees": "?"}, OWNER, ()) is Role.LOBBY
    assert attendee_emails({}) == ()


@pytest.mark.parametrize(
    ("options", "policy"),
    [
        ({}, Policy.GUESTS),
        ({"admission": "domain"}, Policy.DOMAIN),
        ({"admission": "x"}, Policy.GUESTS),
    ],
)
def test_the_policy_comes_from_the_solution(options: dict[str, str], policy: Policy) -> None:
    assert policy_of(options) is policy


def test_cancelled_events() -> None:
    assert is_cancelled({"status": "cancelled"})
    assert not is_cancelled({"status": "confirmed"})


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ({"dateTime": "2030-03-04T10:00:00Z"}, datetime(2030, 3, 4, 10, tzinfo=UTC)),
        ({"dateTime": "2030-03-04T10:00:00+01:00"}, datetime(2030, 3, 4, 9, tzinfo=UTC)),
        (
            {"dateTime": "2030-03-04T10:00:00", "timeZone": "Europe/Berlin"},
            datetime(2030, 3, 4, 9, tzinfo=UTC),
        ),
        ({"date": "2030-03-04", "timeZone": "Europe/Berlin"}, datetime(2030, 3, 3, 23, tzinfo=UTC)),
        ({"date": "2030-03-04", "timeZone": "Nowhere/Land"}, datetime(2030, 3, 4, tzinfo=UTC)),
        ({"date": "2030-03-04"}, datetime(2030, 3, 4, tzinfo=UTC)),
        ({"dateTime": "soon"}, None),
        ({"date": "soon"}, None),
        ({}, None),
        ("junk", None),
    ],
)
def test_the_start_is_read_with_its_zone(start: object, expected: datetime | None) -> None:
    assert event_start({"start": start}) == expected


def test_the_link_opens_the_configured_minutes_before_the_start() -> None:
    event = {"start": {"dateTime": "2030-03-04T10:00:00Z"}}
    opening = datetime(2030, 3, 4, 9, 45, tzinfo=UTC)

    assert opens_at(event, 15) == opening
    assert not_open_until(event, opening - timedelta(seconds=1), 15) == opening
    assert not_open_until(event, opening, 15) is None
    assert not_open_until(event, opening + timedelta(days=3), 15) is None


def test_a_moved_event_moves_its_window() -> None:
    now = datetime(2030, 3, 4, 9, 50, tzinfo=UTC)
    moved = {"start": {"dateTime": "2030-03-04T15:00:00Z"}}

    assert not_open_until({"start": {"dateTime": "2030-03-04T10:00:00Z"}}, now, 15) is None
    assert not_open_until(moved, now, 15) == datetime(2030, 3, 4, 14, 45, tzinfo=UTC)


def test_an_unreadable_start_leaves_the_link_open() -> None:
    assert not_open_until({}, datetime(2030, 1, 1, tzinfo=UTC), 15) is None
