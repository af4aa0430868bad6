"""The ``jitsi`` provider: a meeting is a room on a Jitsi Meet deployment.

Rooms are not reserved on Jitsi: a room exists while people are in it. So creating a
meeting is choosing an unguessable room name, and update and delete have nothing to do.
The room name is derived from the creation's ``request_key`` (128 random bits, stable
across retries of one creation), so a retried create lands on the same room.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.conferences.solutions import Solution
from shared.providers.base import Meeting, MeetingSpec, link_meeting

ROOM_PREFIX = "cal-"


def room_name(request_key: str) -> str:
    """A lowercase ``[a-z0-9-]`` room name with 160 bits from the request key."""
    return ROOM_PREFIX + hashlib.sha256(request_key.encode("utf-8")).hexdigest()[:40]


class JitsiProvider:
    name = "jitsi"

    def __init__(self, base_url: str = "https://meet.jit.si", *, logo_url: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._logo_url = logo_url

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        # A Jitsi room does not depend on the event at all: no change needs a call.
        return {}

    def _conference(self, room: str, solution: Solution) -> Meeting:
        return link_meeting(room, f"{self._base_url}/{room}", solution, self._logo_url)

    def create(
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        # The room is named from the key: a retry lands in the same room, whatever may_exist.
        return self._conference(room_name(request_key), solution)

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        return self._conference(meeting_id, solution)

    def delete(self, meeting_id: str) -> None:
        return None
