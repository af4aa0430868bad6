"""The join flow's I/O (:class:`~shared.join.handler.JoinBackend`): the conference record
and its tombstone in Firestore, the event in Calendar read as the conference's owner, and
the meeting on BigBlueButton.

The event is read with the deployment's Calendar credentials acting as the record's
owner (domain-wide delegation), so the attendee list is Calendar's at this moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.conferences.solutions import Solution, deployed_solutions
from shared.config import Settings
from shared.google.calendar_api import CalendarApi
from shared.join.handler import Conference, JoinHandler
from shared.join.oidc import OidcClient
from shared.join.settings import JoinSettings
from shared.providers.bigbluebutton.provider import BigBlueButtonProvider
from shared.state.cancelled import CancelledConferenceStore
from shared.state.conferences import ConferenceStore


class StoredConferences:
    """The join flow over the stores, Calendar and the BigBlueButton provider."""

    def __init__(
        self,
        *,
        settings: Settings,
        conference_store: ConferenceStore,
        tombstones: CancelledConferenceStore,
        calendar_api: CalendarApi,
        provider: BigBlueButtonProvider,
    ) -> None:
        self._conferences = conference_store
        self._tombstones = tombstones
        self._calendar = calendar_api
        self._provider = provider
        self._solutions = deployed_solutions(settings.conference_providers)

    def _solution(self, conference: Conference) -> Solution:
        return self._solutions[conference.solution_id]

    def find(self, conference_id: str) -> Conference | None:
        record = self._conferences.find_by_join_id(conference_id)
        if record is None or record.key.solution_id not in self._solutions:
            return None  # a solution no longer deployed has no join flow
        return Conference(
            conference_id=conference_id,
            calendar_id=record.key.calendar_id,
            event_id=record.key.event_id,
            owner_email=record.owner_email,
            solution_id=record.key.solution_id,
            options=dict(self._solutions[record.key.solution_id].options),
        )

    def is_tombstoned(self, conference_id: str) -> bool:
        return self._tombstones.get(conference_id) is not None

    def read_event(self, conference: Conference) -> Mapping[str, Any]:
        return self._calendar.get_event(
            conference.owner_email, conference.calendar_id, conference.event_id
        )

    def start_meeting(self, conference: Conference, title: str) -> None:
        self._provider.start_meeting(conference.conference_id, title, self._solution(conference))

    def join_url(
        self, conference: Conference, full_name: str, *, moderator: bool, guest: bool, user_id: str
    ) -> str:
        return self._provider.join_url(
            conference.conference_id, full_name, moderator=moderator, guest=guest, user_id=user_id
        )


def join_handler(
    settings: Settings,
    join_settings: JoinSettings,
    *,
    conference_store: ConferenceStore,
    tombstones: CancelledConferenceStore,
    calendar_api: CalendarApi,
    provider: BigBlueButtonProvider,
) -> JoinHandler:
    """The instance's handler: one per instance, shared by the request threads."""
    backend = StoredConferences(
        settings=settings,
        conference_store=conference_store,
        tombstones=tombstones,
        calendar_api=calendar_api,
        provider=provider,
    )
    return JoinHandler(
        settings=join_settings,
        join_base_url=settings.join_base_url,
        allowed_domains=settings.allowed_domains,
        backend=backend,
        sign_in=OidcClient(join_settings, certs_url=settings.id_token_certs_url),
    )
