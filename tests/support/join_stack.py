"""The join function on the integration stack: ``join_meeting`` served by
functions-framework next to the session's emulator, Calendar server and token issuer,
with the session's local BigBlueButton, and a visitor that keeps cookies as a browser
does (``requests`` would not send ``Secure`` cookies over http)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from local.fakes.bbb_server import BBBServer
from local.function_process import FunctionProcess
from local.stack import join_env
from shared.providers.bigbluebutton.meeting_ids import derive_meeting_id
from shared.state.conferences import ConferenceKey, ConferenceStore
from tests.support.calendar_user import CalendarUser
from tests.support.stack import Stack, function_env

OWNER = "alice@example.com"
ATTENDEE = "ann@partner.org"
COLLEAGUE = "bob@example.com"
STRANGER = "eve@elsewhere.org"


@dataclass
class JoinStack:
    base: Stack
    bbb: BBBServer
    process: FunctionProcess

    @property
    def url(self) -> str:
        return self.process.url

    def owner(self) -> CalendarUser:
        control = self.base.calendar.control
        if not control.has_calendar(OWNER):
            control.create_calendar(OWNER, owner=OWNER, time_zone="Europe/Berlin")
        return CalendarUser(self.base.calendar.api_endpoint, OWNER, control)

    def conference(
        self,
        *,
        starts_in: timedelta = timedelta(minutes=5),
        solution_id: str = "1",
        attendees: tuple[str, ...] = (ATTENDEE,),
        summary: str = "Planning",
    ) -> tuple[str, dict[str, Any]]:
        """An event of OWNER's with a bigbluebutton conference record; returns the
        conference id and the event."""
        start = datetime.now(UTC).replace(microsecond=0) + starts_in
        event = self.owner().insert(
            OWNER,
            {
                "summary": summary,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                "attendees": [{"email": email} for email in attendees],
            },
        )
        conference_id = secrets.token_urlsafe(16)
        store = ConferenceStore(self.base.db)
        reservation = store.reserve(ConferenceKey(OWNER, event["id"], solution_id), OWNER, 60)
        store.complete(
            reservation.record,
            {
                "conferenceId": conference_id,
                "meetingId": conference_id,
                "provider": "bigbluebutton",
            },
        )
        return conference_id, event

    def meeting(self, conference_id: str) -> dict[str, Any] | None:
        return self.bbb.meeting(derive_meeting_id(conference_id, self.bbb.secret))

    def log_lines(self) -> list[dict[str, Any]]:
        return [
            json.loads(line) for line in self.process.logs().splitlines() if line.startswith("{")
        ]


@dataclass
class Visitor:
    """Plain HTTP with a cookie jar that, like a browser on localhost, keeps ``Secure``
    cookies over http; redirects are followed by hand."""

    cookies: dict[str, str] = field(default_factory=dict)

    def _keep(self, response: requests.Response) -> requests.Response:
        for header in response.raw.headers.getlist("Set-Cookie"):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if "Max-Age=0" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def _headers(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, url: str) -> requests.Response:
        answer = requests.get(url, headers=self._headers(), allow_redirects=False, timeout=30)
        return self._keep(answer)

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        answer = requests.post(
            url, data=data, headers=self._headers(), allow_redirects=False, timeout=30
        )
        return self._keep(answer)

    def sign_in(self, stack: JoinStack, conference_id: str, email: str) -> requests.Response:
        """Sign in through the local issuer; returns the join function's answer to the
        conference link afterwards."""
        started = self.get(f"{stack.url}{conference_id}/signin")
        assert started.status_code == 303, started.text
        chosen = requests.get(
            started.headers["Location"] + "&identity=" + email, allow_redirects=False, timeout=10
        )
        assert chosen.status_code == 302, chosen.text
        back = self.get(chosen.headers["Location"])
        assert back.status_code == 303, back.text
        target = back.headers["Location"]
        assert target == urlsplit(stack.url).path + conference_id
        return self.get(stack.url.rstrip("/") + target)


def start_join_stack(base: Stack, bbb: BBBServer, tmp: Path) -> JoinStack:
    process = FunctionProcess("join_meeting", "join_meeting", {}, tmp / "join_meeting.log")
    env = function_env(base.emulator, base.calendar, base.issuer, base.sync.url)
    env.pop("CONFERENCE_PROVIDER")
    env.update(join_env(issuer=base.issuer, bbb=bbb, join_url=process.url))
    env["JOIN_OPENS_MINUTES_BEFORE"] = "15"
    process.env.update(env)
    process.start()
    return JoinStack(base, bbb, process)
