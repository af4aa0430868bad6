"""Writing changed join details back onto the event (``events.patch``).

Only ``conferenceData`` is patched, with ``conferenceDataVersion=1`` and ``If-Match``
set to the etag of the version we read; on 412 the event is read again and, if it still
carries our conference, patched again. A user's concurrent edit therefore always
survives: we never write over a version we have not seen, and we touch no other field.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.conferences.carried import carries
from shared.errors import NotFound, PermanentFailure, PreconditionFailed, TransientFailure
from shared.google.calendar_api import CalendarApi
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4


class WriteBackRefused(PermanentFailure):
    """Calendar refused the write-back for this event (400 / 403): permanent, logged."""


def write_back(
    calendar_api: CalendarApi,
    user: str,
    calendar_id: str,
    event: dict[str, Any],
    conference_id: str,
    conference_data: dict[str, Any],
) -> bool:
    """Put ``conference_data`` on the event if it still carries ``conference_id``.

    Returns False when the event no longer carries our conference (the user changed it:
    their edit wins). Raises TransientFailure when the races do not end.
    """
    current = event
    for _ in range(MAX_ATTEMPTS):
        if not carries(current, conference_id):
            return False
        try:
            calendar_api.patch_event(
                user,
                calendar_id,
                str(current["id"]),
                {"conferenceData": conference_data},
                etag=current.get("etag"),
            )
            return True
        except PreconditionFailed:
            logger.info(
                "write-back raced an edit; reading again",
                extra=fields(calendar_id=calendar_id, event_id=current.get("id")),
            )
            try:
                current = calendar_api.get_event(user, calendar_id, str(current["id"]))
            except NotFound:
                return False
        except TransientFailure:
            raise
        except PermanentFailure as err:
            raise WriteBackRefused(f"write-back refused: {err}") from err
    raise TransientFailure("write-back kept losing races with edits")
