"""The ``zoom`` provider: a Zoom meeting (REST API v2, Server-to-Server OAuth) per event.

Calls
    ``POST /users/{host email}/meetings`` (create; never ``me``, which names the app's
    owner with S2S tokens), ``PATCH /meetings/{id}`` then ``GET /meetings/{id}`` (update:
    join details may change), ``DELETE /meetings/{id}?schedule_for_reminder=false``
    (no email to the host; 404 code 3001 counts as done).

Access token
    ``POST {oauth_url}?grant_type=account_credentials&account_id=...`` with HTTP Basic
    client id/secret. One token per provider instance, shared by its threads under a
    lock, fetched again shortly before ``expires_in`` runs out, and once when Zoom answers
    401 (code 124) on a call. Requests go through one ``requests.Session`` per thread.

Retries
    5xx, timeouts, connection errors and 429 are retried within ``max_retry_seconds``
    (``shared.retries.retry_transient``): ``Retry-After`` in seconds or as an ISO-8601
    date-time (Zoom's daily limits) is honoured, otherwise jittered exponential backoff; a
    wait that would overrun the budget gives up at once with
    :class:`~shared.errors.TransientFailure` carrying ``retry_after``. Zoom has no
    idempotency key: a create retried after a timeout may leave an unused meeting on the
    host's account; that is preferred to failing the user's conference.

Errors
    codes 1001/1010/1120 (the host is not a user of the account) ->
    :class:`~shared.errors.AccessDenied`; 404 / code 3001 -> :class:`~shared.errors.NotFound`;
    refused credentials at the token endpoint (400/401) -> :class:`~shared.errors.
    PermanentFailure` naming the settings to check; a missing scope (code 4700/4711) ->
    PermanentFailure naming the scope; other 4xx -> PermanentFailure; an answer that is not
    JSON or lacks ``id``/``join_url`` -> TransientFailure (not retried here: a create may
    have happened). Messages and logs carry ids, statuses and Zoom codes only: never the
    client secret, tokens, the ``start_url``, titles, descriptions or emails (request
    errors are re-raised ``from None`` because their text holds the URL, and with it the
    host's email).

What is sent (``topic`` <= 200 and ``agenda`` <= 2000 characters, counted in UTF-16 as
Zoom's Java backend does; an empty title becomes "Meeting"; an HTML description is sent
as plain text; ``settings.auto_recording`` from the solution's ``autoRecording``):

- Time: ``start_time`` as local ``yyyy-MM-ddTHH:mm:ss`` with ``timezone`` = the event's
  IANA zone, or GMT ``...Z`` when the event has none. ``duration`` = the event's length in
  whole minutes (rounded up; :data:`DEFAULT_DURATION_MINUTES` when it has none), at most
  :data:`MAX_DURATION_MINUTES` (24 h, the longest duration Zoom's scheduler offers).
  All-day and multi-day events therefore start at their start (00:00 in the zone for
  all-day ones) and last 24 h: Zoom does not end a meeting at its scheduled end, so the
  link works for the whole event; the schedule is a hint for the host's Zoom calendar.
- Placeholders (no start yet): a meeting starting at the next full 5 minutes, lasting
  :data:`DEFAULT_DURATION_MINUTES`; sync replaces both once the event exists. A
  placeholder of a series becomes type 3.
- Series: type 8 with the recurrence mapped by :mod:`shared.providers.zoom.recurrence`;
  when the rule has no faithful Zoom form, type 3 (recurring, no fixed time: the link
  works for every occurrence). Never a one-off type 2.
- Past starts on update: Zoom ignores a ``start_time`` in the past on ``PATCH`` (and
  with it any change of the recurrence). So a single meeting that has started keeps its
  Zoom start (``start_time`` is left out; its link keeps working); a series that started
  in the past is re-anchored on its next occurrence, with ``end_times`` reduced to the
  occurrences left; a series that is over is sent without a start (Zoom then keeps its
  schedule), so only its topic, agenda and settings change.
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import accumulate
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from shared.clock import utcnow
from shared.conferences.meeting_spec import zone_named
from shared.conferences.solutions import Solution
from shared.errors import AccessDenied, NotFound, PermanentFailure, TransientFailure
from shared.providers.base import Meeting, MeetingSpec
from shared.providers.zoom.entry_points import build_conference_data, meeting_id_of
from shared.providers.zoom.recurrence import next_occurrence, parse_rule
from shared.retries import retry_transient
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

TOPIC_MAX = 200
AGENDA_MAX = 2000
DEFAULT_TOPIC = "Meeting"
DEFAULT_DURATION_MINUTES = 60
MAX_DURATION_MINUTES = 24 * 60
PLACEHOLDER_ROUNDING_MINUTES = 5
TOKEN_REFRESH_MARGIN_SECONDS = 60.0
AUTO_RECORDING = ("none", "local", "cloud")
USER_UNKNOWN_CODES = (1001, 1010, 1120)
SCOPE_CODES = (4700, 4711)
INVALID_TOKEN_CODE = 124
MEETING_GONE_CODE = 3001
_SCOPES_IN_MESSAGE = re.compile(r"scopes:\s*\[([a-z0-9:_, ]{1,300})\]", re.IGNORECASE)
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_.\[\]]{1,80}$")
_OAUTH_ERROR = re.compile(r"^[a-z_]{1,40}$")
_MEETING_ID = re.compile(r"^\d{1,20}$")


# --- what is sent ---------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-16 code units (Zoom counts like Java), "…" if cut."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    # Some prefix is over ``limit - 1`` units (one is left for the "…"): cut before it.
    units = accumulate(2 if ord(char) > 0xFFFF else 1 for char in text)
    end = next(index for index, used in enumerate(units) if used > limit - 1)
    return text[:end].rstrip() + "…"


def _plain(description: str) -> str:
    """Calendar descriptions may be HTML; Zoom's agenda is plain text."""
    if "<" not in description or ">" not in description:
        return description
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", "\n", description)
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text).strip()


def _duration(spec: MeetingSpec) -> int:
    if spec.start is None or spec.end is None or spec.end <= spec.start:
        return DEFAULT_DURATION_MINUTES
    minutes = math.ceil((spec.end - spec.start).total_seconds() / 60)
    return max(1, min(MAX_DURATION_MINUTES, minutes))


def _when(moment: datetime, zone: ZoneInfo | None) -> dict[str, Any]:
    if zone is None:
        return {"start_time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    local = moment.astimezone(zone)
    return {"start_time": local.strftime("%Y-%m-%dT%H:%M:%S"), "timezone": str(zone.key)}


def meeting_body(
    spec: MeetingSpec, solution: Solution, *, now: datetime, updating: bool
) -> dict[str, Any]:
    """The create/update body for ``spec`` (the rules are in the module doc)."""
    recording = solution.options.get("autoRecording", "none")
    body: dict[str, Any] = {
        "topic": _clip(spec.title.strip() or DEFAULT_TOPIC, TOPIC_MAX),
        "agenda": _clip(_plain(spec.description), AGENDA_MAX),
        "settings": {"auto_recording": recording if recording in AUTO_RECORDING else "none"},
    }
    zone = zone_named(spec.time_zone)
    if spec.start is None:
        if spec.recurrence:
            body["type"] = 3
            return body
        step = PLACEHOLDER_ROUNDING_MINUTES * 60
        soon = datetime.fromtimestamp(math.ceil(now.timestamp() / step) * step, UTC)
        body.update(type=2, duration=DEFAULT_DURATION_MINUTES, **_when(soon, zone))
        return body
    start = spec.start.astimezone(zone) if zone is not None else spec.start
    if spec.recurrence:
        rule = parse_rule(spec.recurrence, start)
        if rule is None:
            body["type"] = 3
            return body
        body.update(type=8, duration=_duration(spec))
        if not updating or start > now:
            body.update(recurrence=rule.zoom(), **_when(start, zone))
            return body
        upcoming = next_occurrence(rule, now)
        if upcoming is None:  # over: Zoom ignores a recurrence without a future start
            body["recurrence"] = rule.zoom()
            return body
        first, left = upcoming
        body.update(recurrence=rule.zoom(count=None if rule.until else left), **_when(first, zone))
        return body
    body.update(type=2, duration=_duration(spec))
    if not updating or spec.start > now:
        body.update(_when(start, zone))
    return body


# --- answers --------------------------------------------------------------------------------


def _zoom_code(response: requests.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from now: a number, or an ISO-8601 / HTTP date-time."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _refusal(operation: str, response: requests.Response) -> PermanentFailure:
    """The domain error for a final 4xx answer (ids and codes only in the message)."""
    status = response.status_code
    code = _zoom_code(response)
    tag = f"HTTP {status}" + (f", Zoom code {code}" if code is not None else "")
    if code in USER_UNKNOWN_CODES:
        return AccessDenied(f"the host is not a user of the Zoom account ({tag})")
    if code == MEETING_GONE_CODE or status == 404:
        return NotFound(f"the Zoom meeting does not exist ({tag})")
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if code in SCOPE_CODES:
        scopes = _SCOPES_IN_MESSAGE.search(message) if isinstance(message, str) else None
        wanted = f" ({scopes.group(1)})" if scopes else ""
        return PermanentFailure(
            f"the Zoom app lacks a scope needed to {operation} meetings{wanted}: add it to the "
            f"Server-to-Server OAuth app and activate it again ({tag})"
        )
    if status == 401:
        return PermanentFailure(f"Zoom refused a freshly issued access token ({tag})")
    problems = body.get("errors") if isinstance(body, dict) else None
    names = [
        str(item["field"])
        for item in problems or []
        if isinstance(item, dict)
        and isinstance(item.get("field"), str)
        and _FIELD_NAME.match(item["field"])
    ]
    invalid = f"; invalid fields: {', '.join(names)}" if names else ""
    return PermanentFailure(f"Zoom refused to {operation} the meeting ({tag}){invalid}")


def _json_object(response: requests.Response, operation: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise TransientFailure(f"Zoom answered {operation} with a body that is not JSON") from None
    if not isinstance(body, dict):
        raise TransientFailure(f"Zoom answered {operation} with JSON that is not an object")
    return body


# --- the provider ---------------------------------------------------------------------------


class ZoomProvider:
    """Meetings on one Zoom account, through a Server-to-Server OAuth app."""

    name = "zoom"
    retries_itself = True  # within max_retry_seconds (shared.providers.base.retry_budget)

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_base: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        session_factory: Callable[[], requests.Session] = requests.Session,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_seconds: float = 8.0,
        timeout: float = 10.0,
    ) -> None:
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._api_base = api_base.rstrip("/")
        self._oauth_url = oauth_url
        self._session_factory = session_factory
        self._clock = clock
        self._sleep = sleep
        self._max_retry_seconds = max_retry_seconds
        self._timeout = timeout
        self._local = threading.local()
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_refresh_at = 0.0

    def __repr__(self) -> str:
        return f"ZoomProvider(account_id={self._account_id!r}, api_base={self._api_base!r})"

    # -- Provider --------------------------------------------------------------------

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        """Everything the meeting is built from. The placeholder flag is left out: a
        placeholder has no start, so becoming a real event always changes ``start``."""
        return {
            "title": spec.title,
            "description": spec.description,
            "start": spec.start.isoformat() if spec.start else None,
            "end": spec.end.isoformat() if spec.end else None,
            "timeZone": spec.time_zone,
            "allDay": spec.all_day,
            "recurrence": list(spec.recurrence),
        }

    def create(
        self, spec: MeetingSpec, solution: Solution, host_email: str, request_key: str
    ) -> Meeting:
        body = meeting_body(spec, solution, now=utcnow(), updating=False)
        path = f"/users/{quote(host_email.strip(), safe='')}/meetings"
        response = self._call("create", "POST", path, json_body=body)
        meeting = _json_object(response, "create")
        meeting_id = meeting_id_of(meeting)
        data = build_conference_data(meeting, solution)
        logger.info(
            "zoom meeting created",
            extra=fields(
                meeting_id=meeting_id,
                meeting_type=meeting.get("type"),
                solution_id=solution.id,
                status=response.status_code,
            ),
        )
        return Meeting(meeting_id=meeting_id, conference_data=data)

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        path = self._meeting_path(meeting_id)
        body = meeting_body(spec, solution, now=utcnow(), updating=True)
        patched = self._call("update", "PATCH", path, json_body=body)
        response = self._call("read", "GET", path)
        meeting = _json_object(response, "read")
        data = build_conference_data(meeting, solution)
        logger.info(
            "zoom meeting updated",
            extra=fields(
                meeting_id=meeting_id,
                meeting_type=body.get("type"),
                start_sent="start_time" in body,
                solution_id=solution.id,
                status=patched.status_code,
            ),
        )
        return Meeting(meeting_id=meeting_id_of(meeting), conference_data=data)

    def delete(self, meeting_id: str) -> None:
        path = self._meeting_path(meeting_id)
        try:
            response = self._call(
                "delete", "DELETE", path, params={"schedule_for_reminder": "false"}
            )
        except NotFound:
            logger.info("zoom meeting already gone", extra=fields(meeting_id=meeting_id))
            return
        logger.info(
            "zoom meeting deleted",
            extra=fields(meeting_id=meeting_id, status=response.status_code),
        )

    def close(self) -> None:
        """Close the HTTP sessions of every thread (optional; for tests and shutdown)."""
        for session in list(self._sessions):
            session.close()

    # -- HTTP ------------------------------------------------------------------------

    @staticmethod
    def _meeting_path(meeting_id: str) -> str:
        if not _MEETING_ID.match(str(meeting_id)):
            raise PermanentFailure("not a Zoom meeting id")
        return f"/meetings/{meeting_id}"

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
            self._sessions.add(session)
        return session

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """One API call with token handling and retries; returns a 2xx answer or raises."""
        refreshed = [False]

        def attempt() -> requests.Response:
            while True:
                token = self._access_token()
                response = self._send(
                    operation,
                    method,
                    self._api_base + path,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    json_body=json_body,
                    params=params,
                )
                if (
                    response.status_code == 401
                    and not refreshed[0]
                    and _zoom_code(response) in (INVALID_TOKEN_CODE, None)
                ):
                    refreshed[0] = True
                    self._forget_token(token)
                    logger.info("zoom access token refused; fetching a new one")
                    continue
                return response

        response = retry_transient(
            attempt,
            what=f"zoom {operation}",
            budget_seconds=self._max_retry_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        if response.status_code >= 400:
            refusal = _refusal(operation, response)
            logger.log(
                logging.INFO if isinstance(refusal, NotFound) else logging.WARNING,
                "zoom refused a call",
                extra=fields(
                    operation=operation,
                    status=response.status_code,
                    zoom_code=_zoom_code(response),
                    outcome=type(refusal).__name__,
                ),
            )
            raise refusal
        return response

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> requests.Response:
        """One HTTP request; TransientFailure for what may pass on retry (5xx, 429,
        timeouts, connection errors), any other answer is returned."""
        try:
            response = self._session().request(
                method,
                url,
                headers=headers,
                json=json_body,
                params=params,
                auth=auth,
                timeout=self._timeout,
            )
        except requests.Timeout:
            logger.warning("zoom call timed out", extra=fields(operation=operation))
            raise TransientFailure(f"Zoom did not answer {operation} in time") from None
        except requests.RequestException as err:
            kind = type(err).__name__
            logger.warning("zoom unreachable", extra=fields(operation=operation, error=kind))
            raise TransientFailure(f"Zoom could not be reached for {operation} ({kind})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"), utcnow())
            logger.warning(
                "zoom call failed",
                extra=fields(
                    operation=operation,
                    status=status,
                    zoom_code=_zoom_code(response),
                    rate_limit_type=response.headers.get("X-RateLimit-Type"),
                    retry_after_seconds=retry_after,
                ),
            )
            raise TransientFailure(f"Zoom answered {operation} with HTTP {status}", retry_after)
        return response

    # -- access token ----------------------------------------------------------------

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is not None and self._clock() < self._token_refresh_at:
                return self._token
            token, expires_in = self._fetch_token()
            margin = min(TOKEN_REFRESH_MARGIN_SECONDS, expires_in / 10)
            self._token = token
            self._token_refresh_at = self._clock() + max(0.0, expires_in - margin)
            return token

    def _forget_token(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _fetch_token(self) -> tuple[str, float]:
        response = self._send(
            "token",
            "POST",
            self._oauth_url,
            params={"grant_type": "account_credentials", "account_id": self._account_id},
            headers={"Accept": "application/json"},
            auth=(self._client_id, self._client_secret),
        )
        if response.status_code in (400, 401):
            error: Any = None
            try:
                error = response.json().get("error")
            except (ValueError, AttributeError):
                error = None
            reason = f"{error}, " if isinstance(error, str) and _OAUTH_ERROR.match(error) else ""
            logger.error(
                "zoom refused the app credentials",
                extra=fields(status=response.status_code, oauth_error=reason.rstrip(", ")),
            )
            raise PermanentFailure(
                f"Zoom refused the Server-to-Server OAuth credentials ({reason}HTTP "
                f"{response.status_code}): check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
                "ZOOM_CLIENT_SECRET and that the app is activated"
            )
        if response.status_code >= 300:
            raise PermanentFailure(
                f"Zoom's token endpoint answered HTTP {response.status_code}: check ZOOM_OAUTH_URL"
            )
        body = _json_object(response, "token")
        token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
        if not isinstance(token, str) or not token:
            raise TransientFailure("Zoom's token endpoint answered without an access token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = 3600
        logger.info("zoom access token issued", extra=fields(expires_in=expires_in))
        return token, float(expires_in)
