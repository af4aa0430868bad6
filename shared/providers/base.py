"""The provider interface: create, update and delete a meeting from an event.

A provider turns a :class:`MeetingSpec` (what a meeting is built from, derived from the
Calendar event) into a meeting on the conferencing service and returns the Calendar v3
ConferenceData for it, whose ``conferenceSolution`` is the solution's name and the
deployment's logo (``ADDON_LOGO_URL``: Calendar shows only logos Google hosts). A
deployment enables one provider or several (``CONFERENCE_PROVIDERS``); each provider's
conference solutions (``shared/conferences/solutions.json``) are its variants, and each
record acts through the provider that made it (docs/providers.md#several-providers).

Errors: providers raise :class:`shared.errors.TransientFailure` for what may pass on retry
(5xx, 429, timeouts, unreadable answers), :class:`shared.errors.AccessDenied` when the host
is unknown to the service, :class:`shared.errors.NotFound` when the meeting is gone, and
:class:`shared.errors.PermanentFailure` for any other refusal. Where they can tell, they
raise the finer kinds of ``shared.errors``: :class:`~shared.errors.ProviderAccountFailure`
(the account or app is misconfigured: every meeting is affected), a
:class:`~shared.errors.MeetingRefusal` (this one meeting: busy, the host's daily limit, or
refused for good), :class:`~shared.errors.MeetingCallFailed` (a 5xx on this meeting's own
call: sync keeps it on the record, and takes two in a row for the service's failure),
:class:`~shared.errors.CreationUnconfirmed` (create again with the same key and
``may_exist=True``). Sync's use of them: docs/sync-model.md#decide_refusal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from shared.conferences.conference_data import (
    ConferenceDataBuilder,
    ConferenceSolution,
    EntryPoint,
    EntryPointType,
)
from shared.conferences.meeting_spec import MeetingSpec
from shared.conferences.solutions import Solution

__all__ = [
    "Meeting",
    "MeetingSpec",
    "Provider",
    "fingerprint_of",
    "link_meeting",
    "retry_budget",
]


@dataclass(frozen=True)
class Meeting:
    """A meeting on the conferencing service and the ConferenceData that joins it."""

    meeting_id: str
    conference_data: dict[str, Any]


def link_meeting(conference_id: str, url: str, solution: Solution, logo_url: str) -> Meeting:
    """A meeting joined by one video link, ``url``: the conference id is the meeting id
    (Jitsi's room, a BigBlueButton conference's join link)."""
    data = (
        ConferenceDataBuilder()
        .set_conference_id(conference_id)
        .set_conference_solution(ConferenceSolution(name=solution.name, icon_uri=logo_url))
        .add_entry_point(
            EntryPoint(type=EntryPointType.VIDEO, uri=url, label=url.split("://", 1)[-1])
        )
        .add_conference_parameter("solutionId", solution.id)
        .build()
    )
    return Meeting(meeting_id=conference_id, conference_data=data)


def fingerprint_of(relevant: dict[str, Any]) -> str:
    """A stable hash of what a provider uses from a spec (see ``Provider.relevant``)."""
    blob = json.dumps(relevant, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Provider(Protocol):
    """A conferencing service.

    A provider that retries transient failures itself within ``PROVIDER_RETRY_SECONDS``
    sets ``retries_itself = True``; callers then make one attempt (see
    :func:`retry_budget`) instead of retrying around its retries.
    """

    name: str

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        """The parts of ``spec`` this provider builds a meeting from.

        A change outside them (colour, reminders, attendee replies) must not call the
        service: sync compares ``fingerprint_of(relevant(spec))`` before updating.
        """
        ...

    def create(
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        """Create a meeting hosted by ``host_email``.

        ``request_key`` is stable across retries of the same creation (the idempotency
        key); providers use it to make a retried create land on one meeting. Pass
        ``may_exist=True`` when an earlier attempt with this key may have made the meeting
        (a reservation taken over from a crashed holder, or an earlier
        :class:`~shared.errors.CreationUnconfirmed`): a provider without an idempotency
        key then looks for that meeting before making one. Providers whose create is
        idempotent by construction ignore it.
        """
        ...

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        """Make the meeting match ``spec``; returns its (possibly unchanged) join details."""
        ...

    def delete(self, meeting_id: str) -> None:
        """Delete the meeting; a meeting already gone is success."""
        ...


def retry_budget(provider: Provider, budget_seconds: float) -> float:
    """The retry budget a caller spends around ``provider`` (0: one attempt)."""
    return 0.0 if getattr(provider, "retries_itself", False) else budget_seconds
