"""Writing changed join details back onto the event (``events.patch``).

Only ``conferenceData`` is patched, with ``conferenceDataVersion=1`` and ``If-Match``
set to the etag of the version we read; on 412 the event is read again and, if it still
carries our conference, patched again. A user's concurrent edit therefore always
survives: we never write over a version we have not seen, and we touch no other field.

What is written is the event's own conference data with only the entry points and the
notes replaced (:func:`conference_data_to_write`): the conference solution, the
conference id, the signature and every parameter Calendar stored (the add-on's
``scriptId`` among them) stay as Calendar has them. See
docs/calendar-behaviour.md#writing-add-on-conference-data and docs/sync-model.md#write-back.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from shared.conferences.carried import carries
from shared.errors import NotFound, PermanentFailure, PreconditionFailed, TransientFailure
from shared.google.calendar_api import CalendarApi
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
# The only parts of an add-on's conference data that a write-back changes.
REPLACED = ("entryPoints", "notes")


class WriteBackRefused(PermanentFailure):
    """Calendar refused the write-back for this event (400 / 403): permanent, logged."""


def conference_data_to_write(current: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """The event's conference data ``current`` with the entry points and notes of
    ``fresh`` (what the provider returned); parameters ``fresh`` adds are kept only where
    the event has none of that name. Pure; neither argument is changed."""
    merged = copy.deepcopy(current)
    for name in REPLACED:
        if name in fresh:
            merged[name] = copy.deepcopy(fresh[name])
        else:
            merged.pop(name, None)
    fresh_params = _add_on_parameters(fresh)
    if fresh_params:
        params = (
            merged.setdefault("parameters", {})
            .setdefault("addOnParameters", {})
            .setdefault("parameters", {})
        )
        for key, value in fresh_params.items():
            params.setdefault(key, value)
    return merged


def _add_on_parameters(data: dict[str, Any]) -> dict[str, Any]:
    found = ((data.get("parameters") or {}).get("addOnParameters") or {}).get("parameters")
    return dict(found) if isinstance(found, dict) else {}


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
                {
                    "conferenceData": conference_data_to_write(
                        current.get("conferenceData") or {}, conference_data
                    )
                },
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
