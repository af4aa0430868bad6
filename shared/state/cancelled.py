"""Tombstones of cancelled conferences (``cancelledConferences/``).

When sync ends a bigbluebutton conference's meeting because its event was cancelled or
the conference removed, it writes one of these before it deletes the record, so that the
conference's join link keeps answering "cancelled" (410) until the retention ends
(``MAPPING_RETENTION_DAYS``), rather than "unknown". One document per conference, its id
the conference id; ``expireAt`` is for the TTL policy (and :meth:`CancelledConferenceStore.get`
ignores a tombstone past it, since the policy removes documents only within a day or so).

Writing is idempotent: the first tombstone of a conference stands, and a retried write
(a pass applied again after a lost lease or a 503) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared.clock import utcnow
from shared.errors import PermanentFailure
from shared.state.conferences import ConferenceRecord
from shared.state.firestore_client import as_dict, is_document_id, translated_errors

COLLECTION = "cancelledConferences"


@dataclass(frozen=True)
class CancelledConference:
    conference_id: str
    calendar_id: str
    event_id: str
    cancelled_at: datetime
    expire_at: datetime

    @staticmethod
    def from_doc(data: dict[str, Any]) -> CancelledConference:
        return CancelledConference(
            conference_id=data["conferenceId"],
            calendar_id=data["calendarId"],
            event_id=data["eventId"],
            cancelled_at=data["cancelledAt"],
            expire_at=data["expireAt"],
        )


class CancelledConferenceStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utcnow) -> None:
        self._collection = client.collection(COLLECTION)
        self._clock = clock

    def record(self, record: ConferenceRecord, retention_days: float) -> None:
        """Write the record's tombstone unless one exists (idempotent)."""
        conference_id = record.conference_id or ""
        if not is_document_id(conference_id):
            raise PermanentFailure("the record has no conference id a tombstone can hold")
        now = self._clock()
        data = {
            "conferenceId": conference_id,
            "calendarId": record.key.calendar_id,
            "eventId": record.key.event_id,
            "cancelledAt": now,
            "expireAt": now + timedelta(days=retention_days),
        }
        with translated_errors("tombstone write"):
            try:
                self._collection.document(conference_id).create(data)
            except gexc.AlreadyExists:
                return  # written already (a retry): the first one stands

    def get(self, conference_id: str) -> CancelledConference | None:
        """The conference's tombstone, None if there is none or its retention ended."""
        if not is_document_id(conference_id):
            return None
        with translated_errors("tombstone read"):
            data = as_dict(self._collection.document(conference_id).get())
        if data is None:
            return None
        cancelled = CancelledConference.from_doc(data)
        return cancelled if cancelled.expire_at > self._clock() else None
