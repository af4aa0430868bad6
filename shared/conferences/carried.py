"""Reading which conference an event carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CarriedConference:
    conference_id: str
    solution_key_type: str
    solution_id: str | None


def carried_conference(event: dict[str, Any]) -> CarriedConference | None:
    """The conference an event carries (any provider, Meet included), or None."""
    data = event.get("conferenceData")
    if not isinstance(data, dict):
        return None
    solution = data.get("conferenceSolution") or {}
    key_type = str((solution.get("key") or {}).get("type") or "")
    conference_id = data.get("conferenceId")
    params = ((data.get("parameters") or {}).get("addOnParameters") or {}).get("parameters") or {}
    solution_id = params.get("solutionId")
    if not conference_id:
        return None
    return CarriedConference(
        conference_id=str(conference_id),
        solution_key_type=key_type,
        solution_id=str(solution_id) if solution_id is not None else None,
    )


def carries(event: dict[str, Any], conference_id: str | None) -> bool:
    """True when ``event`` is live and carries our conference ``conference_id``."""
    if event.get("status") == "cancelled" or not conference_id:
        return False
    carried = carried_conference(event)
    return (
        carried is not None
        and carried.solution_key_type == "addOn"
        and carried.conference_id == conference_id
    )


def is_organizer_copy(event: dict[str, Any], calendar_id: str) -> bool:
    """True when the calendar is the event's organizer (not an attendee's copy).

    The organizer's email is the organizing calendar's id (for secondary calendars too).
    ``organizer.self`` is relative to whoever reads, so it only counts without an email.
    """
    organizer = event.get("organizer") or {}
    email = str(organizer.get("email") or "")
    if not email:
        return organizer.get("self") is True
    return email.lower() == calendar_id.lower()
