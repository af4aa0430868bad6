"""Acting as a person on the local Calendar server, through the real client library.

What a person does in Calendar's UI that the API cannot (save an add-on's conference in
the editor, change "this and following" events) goes through the server's control API,
when the user is given it (``control``).
"""

from __future__ import annotations

from typing import Any

import httplib2
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from local.fakes.calendar_server import Control
from shared.google.credentials import LocalUserCredentials

#: The Apps Script id Calendar's editor records on our add-on's conferences in tests.
ADDON_SCRIPT_ID = "1LocalTestAddOnScriptId0123456789abcdefghijklmnopqrstu"


class CalendarUser:
    """A user editing their calendars (what people do in Calendar's UI)."""

    def __init__(
        self,
        api_endpoint: str,
        email: str,
        control: Control | None = None,
        script_id: str = ADDON_SCRIPT_ID,
    ) -> None:
        self.email = email
        self.control = control
        self.script_id = script_id
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
        """What Calendar does when the user saves the event with our conference: with the
        server's control, as the editor stores it (``scriptId`` among the parameters, a
        server signature); without it, a plain events.patch."""
        if self.control is not None:
            return self.control.save_conference_as_editor(
                calendar_id,
                event_id,
                conference_data,
                script_id=self.script_id,
                as_user=self.email,
            )
        return self.patch(
            calendar_id, event_id, {"conferenceData": conference_data}, conferenceDataVersion=1
        )

    def edit_following(
        self, calendar_id: str, instance_id: str, changes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Change "this and following" events from the occurrence ``instance_id`` on, as
        Calendar's editor does (a new ``<seriesId>_R<start>`` series); returns it."""
        if self.control is None:
            raise RuntimeError("editing this and following events needs the server's control")
        return self.control.split_series(calendar_id, instance_id, changes, as_user=self.email)

    def instances(self, calendar_id: str, event_id: str, **params: Any) -> list[dict[str, Any]]:
        request = self.service.events().instances(
            calendarId=calendar_id, eventId=event_id, **params
        )
        return list(request.execute()["items"])

    def calendar_list_entry(self, calendar_id: str) -> dict[str, Any]:
        return dict(self.service.calendarList().get(calendarId=calendar_id).execute())

    def calendar_list(self, **params: Any) -> list[dict[str, Any]]:
        """Every entry of the user's calendar list (all pages)."""
        entries: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            if page_token is not None:
                params["pageToken"] = page_token
            page = self.service.calendarList().list(**params).execute()
            entries.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return entries


def timed_event(
    summary: str, start: str, end: str, time_zone: str = "Europe/Berlin", **extra: Any
) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": start, "timeZone": time_zone},
        "end": {"dateTime": end, "timeZone": time_zone},
        **extra,
    }
