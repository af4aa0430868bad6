"""Followers and the meeting they share: pure decisions (docs/sync-model.md#the-covering-spec).

A follower is a copy of a recorded event, on the same calendar, that carries the same
conference (the new series of a "this and following" split, a duplicated event; see
``decide_copy`` in ``shared/sync/rules.py``). While followers share the meeting, it is
built from the covering spec of the record's event and theirs
(``shared/conferences/covering.py``). These rules say which followers still share it,
which records a changed or deleted copy concerns, and how many followers are read.
The shell (``shared/sync/changes.py``) reads the events and carries them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.conferences.carried import carries, is_organizer_copy
from shared.state.conferences import ConferenceRecord, RecordState

#: Followers read with ``events.get`` when a record is brought up to date; a record
#: with more shares a meeting with no fixed time (the others are not read).
MAX_FOLLOWERS_READ = 10


@dataclass(frozen=True)
class FollowerReading:
    """What the followers of a record, as ``events.get`` answered, say."""

    carrying: tuple[dict[str, Any], ...]  # the follower events still sharing the meeting
    dropped: tuple[str, ...]  # followers to drop: deleted, moved away, or not carrying it
    complete: bool  # every follower was read


def followers_to_read(record: ConferenceRecord) -> tuple[str, ...]:
    """The followers whose events are read (at most :data:`MAX_FOLLOWERS_READ`)."""
    return record.followers[:MAX_FOLLOWERS_READ]


def decide_followers(
    record: ConferenceRecord,
    calendar_id: str,
    answers: Iterable[tuple[str, dict[str, Any] | None]],
) -> FollowerReading:
    """Sort the followers read (``events.get``'s answer, None for a 404) into those that
    still share the meeting (live, the organizer's copy on ``calendar_id``, carrying the
    record's conference) and those to drop. A dropped copy that carries the conference
    again later becomes a follower again (``decide_copy``)."""
    carrying: list[dict[str, Any]] = []
    dropped: list[str] = []
    for follower_id, event in answers:
        if (
            event is not None
            and is_organizer_copy(event, calendar_id)
            and carries(event, record.conference_id)
        ):
            carrying.append(event)
        else:
            dropped.append(follower_id)
    return FollowerReading(
        tuple(carrying), tuple(dropped), len(record.followers) <= MAX_FOLLOWERS_READ
    )


def sharing_records(event_id: str, records: Iterable[ConferenceRecord]) -> list[ConferenceRecord]:
    """The ready records (found by conference id, or by follower) whose meeting the copy
    ``event_id`` shares: each is brought up to date when the copy changes or goes."""
    return [
        record
        for record in records
        if record.key.event_id != event_id and record.state is RecordState.READY
    ]


def decide_gone_copy(event: dict[str, Any], *, has_record: bool) -> bool:
    """A listed event without a record of its own that is cancelled and no occurrence:
    it may have been a follower, so look for the records that list it."""
    return (
        not has_record
        and event.get("status") == "cancelled"
        and not event.get("recurringEventId")
        and bool(event.get("id"))
    )
