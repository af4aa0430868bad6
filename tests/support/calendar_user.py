"""Acting as a person on the local Calendar server, through the real client library."""

from __future__ import annotations

from typing import Any

import httplib2
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from shared.google.credentials import LocalUserCredentials


class CalendarUser:
    """A user editing their calendars (what people do in Calendar's UI)."""

    def __init__(self, api_endpoint: str, email: str) -> None:
        self.email = email
        http = AuthorizedHttp(LocalUserCredentials(email), http=httplib2.Http(timeout=10))
        self.service = build(
            "calendar",
            "v3",
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": api_endpoint},
            http=http,
        )

    def insert(self, calendar_id: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        request = self.service.events().insert(calendarId=calendar_id, body=body, **params)
        return dict(request.execute())

    def get(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return dict(self.service.events().get(calendarId=calendar_id, eventId=event_id).execute())

    def patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], **params: Any
    ) -> dict[str, Any]:
        request = self.service.events().patch(
            calendarId=calendar_id, eventId=event_id, body=body, **params
        )
        return dict(request.execute())

    def delete(self, calendar_id: str, event_id: str) -> None:
        self.service.events().delete(calendarId=calendar_id, eventId=event_id).execute()

    def move(self, calendar_id: str, event_id: str, destination: str) -> dict[str, Any]:
        request = self.service.events().move(
            calendarId=calendar_id, eventId=event_id, destination=destination
        )
        return dict(request.execute())

    def save_conference(
        self, calendar_id: str, event_id: str, conference_data: dict[str, Any]
    ) -> dict[str, Any]:
        """What Calendar does when the user saves the event with our conference."""
        return self.patch(
            calendar_id, event_id, {"conferenceData": conference_data}, conferenceDataVersion=1
        )


def timed_event(
    summary: str, start: str, end: str, time_zone: str = "Europe/Berlin", **extra: Any
) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": start, "timeZone": time_zone},
        "end": {"dateTime": end, "timeZone": time_zone},
        **extra,
    }
