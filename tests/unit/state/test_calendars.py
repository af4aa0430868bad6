"""The growing interval after which a calendar whose sync user lost access is retried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.state.calendars import CalendarState, SetupState, access_retry_delay


@pytest.mark.parametrize(
    ("refused_retries", "hours"),
    [(0, 1), (1, 2), (2, 4), (3, 8), (4, 16), (5, 24), (6, 24), (40, 24), (-1, 1)],
)
def test_the_interval_starts_at_an_hour_and_doubles_to_a_day(
    refused_retries: int, hours: int
) -> None:
    assert access_retry_delay(refused_retries) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("state", "retries", "expected"),
    [
        (SetupState.READY, 3, 0),  # a first refusal starts over
        (SetupState.PENDING, 0, 0),
        (SetupState.ACCESS_REVOKED, 0, 1),  # a retry refused again
        (SetupState.ACCESS_REVOKED, 4, 5),
    ],
)
def test_a_refusal_of_a_revoked_calendar_counts_one_more_retry(
    state: SetupState, retries: int, expected: int
) -> None:
    calendar = CalendarState("team@example.com", "alice@example.com", state, access_retries=retries)

    assert calendar.retries_after_refusal() == expected


def test_documents_without_the_new_fields_read_as_never_retried() -> None:
    calendar = CalendarState.from_doc(
        {"calendarId": "a@example.com", "syncUser": "a@example.com", "setupState": "ready"}
    )

    assert calendar.access_retry_at is None
    assert calendar.access_retries == 0
