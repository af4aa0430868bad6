"""Sync tokens: opaque to clients, here
``base64url("cs1|<store generation>|<calendar>|<epoch>|<change>")``.

A token that does not decode is malformed (400 ``invalid`` "Invalid sync token value.");
one that decodes but comes from before a reset, belongs to another calendar or an older
token epoch (the control API expires all tokens of a calendar by bumping it), or counts
from a change the store has not reached, is no longer valid (410 ``fullSyncRequired``,
the exact body in docs/calendar-behaviour.md#incremental-sync).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from local.fakes.calendar_server import errors
from local.fakes.calendar_server.store import CalendarRecord, Store

_PREFIX = "cs1"


@dataclass(frozen=True)
class SyncPoint:
    generation: str
    calendar_id: str
    epoch: int
    seq: int


def encode(store: Store, calendar: CalendarRecord) -> str:
    """A token for everything ``calendar`` holds as of now."""
    text = f"{_PREFIX}|{store.generation}|{calendar.id}|{calendar.token_epoch}|{store.seq}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode(token: str, store: Store, calendar: CalendarRecord) -> SyncPoint:
    """The point ``token`` counts from, or the 400/410 Calendar answers."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, generation, rest = text.split("|", 2)
        calendar_id, epoch, seq = rest.rsplit("|", 2)
        point = SyncPoint(generation, calendar_id, int(epoch), int(seq))
    except (binascii.Error, UnicodeError, ValueError):
        raise errors.invalid("Invalid sync token value.", location="syncToken") from None
    if prefix != _PREFIX:
        raise errors.invalid("Invalid sync token value.", location="syncToken")
    if (
        point.generation != store.generation
        or point.calendar_id != calendar.id
        or point.epoch != calendar.token_epoch
        or point.seq > store.seq
    ):
        raise errors.full_sync_required()
    return point
