"""The ``zoom`` provider: a Zoom meeting (REST API v2, Server-to-Server OAuth) per event.

Calls
    ``POST /users/{host email}/meetings`` (create; never ``me``, which names the app's
    owner with S2S tokens), ``PATCH /meetings/{id}`` then ``GET /meetings/{id}`` (update:
    join details may change), ``DELETE /meetings/{id}?schedule_for_reminder=false``
    (no email to the host), and, only to confirm a create whose answer was lost,
    ``GET /users/{host email}/meetings`` then ``GET /meetings/{id}``.

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
    :class:`~shared.errors.TransientFailure` carrying ``retry_after``. A create is never
    sent again blindly (below).

Exactly one meeting
    Zoom has no idempotency key, and a create whose answer never came (a timeout, a
    dropped connection, a 5xx, an unreadable 201) may have made the meeting. So every
    create leaves a marker in the meeting's agenda, ``gcal-ref-`` and 20 hex digits of a
    SHA-256 of the request key (:func:`creation_marker`: stable across retries, and the
    key cannot be read back from it), and after such a failure, or when the caller says
    ``may_exist`` (a reservation taken over), the provider first looks for it: ``GET
    /users/{host}/meetings?type=scheduled&page_size=300``, following ``next_page_token``,
    then ``GET /meetings/{id}`` of the listed meeting whose agenda holds the marker. Only
    when no page holds it is the create sent (again). A 429 made nothing: no look.

    Relied on, from Zoom's List meetings reference: ``type=scheduled`` is "all valid
    previous (unexpired) meetings, live meetings, and upcoming scheduled meetings";
    ``page_size`` is at most 300; ``next_page_token`` pages through (it expires after
    15 minutes); a listed meeting carries ``agenda``, but "the length of agenda gets
    truncated to 250 characters when you list all of a user's meetings", so the marker
    goes where the list shows it (:func:`marked_agenda`: after a short agenda, before a
    long one); the list needs the scope ``meeting:read:list_meetings:admin`` (classic
    ``meeting:read:admin``). The agenda is the only field that is sent on create, kept
    verbatim and listed: Zoom's OpenAPI has ``settings.custom_keys`` in the update body
    and the answers but not in the create body, and tracking fields must be defined by
    the account's admin first; neither is listed.

    Zoom's reference is silent on: whether a meeting being created shows in the list at
    once (a create still in Zoom's hands when we look is not seen, and a second one may
    follow: the look happens after the retry's backoff, which narrows that window but
    cannot close it); the order of the list; whether type 3 meetings (no fixed time) are
    listed under ``scheduled`` (their Meetings page lists them, and the list mirrors
    that page); how it counts the 250 characters (the marker stays within the first 200
    UTF-16 units).

    When the list is refused (a missing scope, say) or keeps failing, the create raises
    :class:`~shared.errors.CreationUnconfirmed` (TEMPORARY), logging the scope it needs;
    update and delete never list, so sync does not depend on that scope. The first update
    of a meeting sends the agenda without the marker. ConferenceData that breaks a Calendar
    rule deletes the meeting it was built from (:class:`~shared.errors.
    InvalidConferenceData` is raised all the same).

Errors
    codes 1001/1010/1120 (the host is not a user of the account) ->
    :class:`~shared.errors.AccessDenied`; 404 / code 3001 -> :class:`~shared.errors.NotFound`
    (a delete counts it as done); code 3002 (the meeting is in progress, on DELETE or
    PATCH) -> :class:`~shared.errors.MeetingBusy` with ``retry_after`` =
    :data:`BUSY_RETRY_SECONDS` (Zoom gives no hint; not retried here); code 3007 (the
    meeting has ended) -> done for a delete (nobody can join it any more; Zoom removes it
    when it expires), :class:`~shared.errors.MeetingRefused` for an update; the host's
    daily limit (429 with ``X-RateLimit-Type: Daily-limit``) ->
    :class:`~shared.errors.HostLimitReached` with ``retry_after``; a 5xx on a meeting's
    own update, read or delete, once the retries ran out ->
    :class:`~shared.errors.MeetingCallFailed` (that meeting's failure, or the service's:
    sync tells them apart); account-level failures
    -> :class:`~shared.errors.ProviderAccountFailure` with ``setting`` naming what to
    check: refused credentials at the token endpoint (400/401, e.g. ``invalid_client``;
    also what a deactivated app gets, though Zoom does not document that answer), any
    other token endpoint answer, a missing scope (code 4700, or 4711 as Zoom answers
    today), and 401 again right after a new token; any other 4xx ->
    :class:`~shared.errors.MeetingRefused`; an answer that is not JSON or lacks
    ``id``/``join_url`` -> TransientFailure (for a create: look for the meeting first).
    Messages and logs carry ids, statuses and Zoom codes only: never the client secret,
    tokens, the ``start_url``, titles, descriptions or emails (request errors are
    re-raised ``from None`` because their text holds the URL, and with it the host's
    email).

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
- A meeting shared by several events (``shared/conferences/covering.py``): the parts of
  a split series that share a rule arrive as one series and become one type 8 meeting
  spanning them all (or type 3 beyond the 50 occurrences, as above); any other sharing
  arrives with ``fixed_time`` False and becomes type 3, without ``start_time``,
  ``duration`` or ``recurrence`` (Zoom's create reference: they are for scheduled and
  fixed-time recurring meetings only).
- Past starts on update: Zoom ignores a ``start_time`` in the past on ``PATCH`` (and
  with it any change of the recurrence). So a single meeting that has started keeps its
  Zoom start (``start_time`` is left out; its link keeps working); a series that started
  in the past is re-anchored on its next occurrence, with ``end_times`` reduced to the
  occurrences left; a series that is over is sent without a start (Zoom then keeps its
  schedule), so only its topic, agenda and settings change.
"""

from __future__ import annotations

import hashlib
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
from shared.errors import (
    AccessDenied,
    BundleError,
    CreationUnconfirmed,
    HostLimitReached,
    InvalidConferenceData,
    MeetingBusy,
    MeetingCallFailed,
    MeetingRefused,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
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
MARKER_PREFIX = "gcal-ref-"
#: Zoom's list of meetings shows the first 250 characters of an agenda; a marker within
#: the first 200 is seen there whatever Zoom counts as a character.
LISTED_AGENDA_SAFE = 200
LIST_PAGE_SIZE = 300  # the largest page Zoom's list of meetings allows
LIST_MAX_PAGES = 40  # 12,000 unexpired meetings of one host: beyond, the look gives up
TOKEN_REFRESH_MARGIN_SECONDS = 60.0
AUTO_RECORDING = ("none", "local", "cloud")
USER_UNKNOWN_CODES = (1001, 1010, 1120)
SCOPE_CODES = (4700, 4711)
INVALID_TOKEN_CODE = 124
MEETING_GONE_CODE = 3001
MEETING_IN_PROGRESS_CODE = 3002
MEETING_ENDED_CODE = 3007
DAILY_LIMIT_TYPE = "daily-limit"  # X-RateLimit-Type of the per-host daily limit
#: Zoom gives no hint of when a meeting in progress ends: try again this much later.
BUSY_RETRY_SECONDS = 15 * 60.0
#: The scopes (granular, then classic) each call needs, named when Zoom refuses one.
SCOPES_BY_OPERATION = {
    "create": "meeting:write:meeting:admin (classic: meeting:write:admin)",
    "update": "meeting:update:meeting:admin (classic: meeting:write:admin)",
    "delete": "meeting:delete:meeting:admin (classic: meeting:write:admin)",
    "read": "meeting:read:meeting:admin (classic: meeting:read:admin)",
    "list": "meeting:read:list_meetings:admin (classic: meeting:read:admin)",
}
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


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def creation_marker(request_key: str) -> str:
    """The marker a create leaves in its meeting's agenda (see "Exactly one meeting").

    A one-way hash of the request key (80 bits of SHA-256 under a label of its own, so it
    is not the Jitsi room name of the same key): the same on every retry of a creation,
    and it tells nothing of the key.
    """
    digest = hashlib.sha256(b"zoom creation marker\0" + request_key.encode("utf-8"))
    return MARKER_PREFIX + digest.hexdigest()[:20]


def marked_agenda(agenda: str, marker: str) -> str:
    """``agenda`` with ``marker`` where Zoom's list of meetings shows it: last when the
    whole agenda fits in :data:`LISTED_AGENDA_SAFE` characters, first otherwise."""
    if not agenda:
        return marker
    last = f"{agenda}\n\n{marker}"
    if _units(last) <= LISTED_AGENDA_SAFE:
        return last
    return f"{marker}\n\n{_clip(agenda, AGENDA_MAX - _units(marker) - 2)}"


def meeting_body(
    spec: MeetingSpec,
    solution: Solution,
    *,
    now: datetime,
    updating: bool,
    marker: str | None = None,
) -> dict[str, Any]:
    """The create/update body for ``spec`` (the rules are in the module doc); ``marker``
    (creates only) goes into the agenda."""
    recording = solution.options.get("autoRecording", "none")
    agenda = _clip(_plain(spec.description), AGENDA_MAX)
    body: dict[str, Any] = {
        "topic": _clip(spec.title.strip() or DEFAULT_TOPIC, TOPIC_MAX),
        "agenda": agenda if marker is None else marked_agenda(agenda, marker),
        "settings": {"auto_recording": recording if recording in AUTO_RECORDING else "none"},
    }
    if not spec.fixed_time:  # shared by events at different times: no schedule
        body["type"] = 3
        return body
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


def _refusal(operation: str, response: requests.Response) -> BundleError:
    """The domain error for a final 4xx answer (ids and codes only in the message)."""
    status = response.status_code
    code = _zoom_code(response)
    tag = f"HTTP {status}" + (f", Zoom code {code}" if code is not None else "")
    if code in USER_UNKNOWN_CODES:
        return AccessDenied(f"the host is not a user of the Zoom account ({tag})")
    if code == MEETING_GONE_CODE or status == 404:
        return NotFound(f"the Zoom meeting does not exist ({tag})")
    if code == MEETING_IN_PROGRESS_CODE:
        return MeetingBusy(
            f"the Zoom meeting is in progress; {operation} it once it has ended ({tag})",
            retry_after=BUSY_RETRY_SECONDS,
        )
    if code == MEETING_ENDED_CODE:
        return MeetingRefused(f"the Zoom meeting has ended ({tag})")
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if code in SCOPE_CODES:
        scopes = _SCOPES_IN_MESSAGE.search(message) if isinstance(message, str) else None
        wanted = f" ({scopes.group(1)})" if scopes else ""
        needed = SCOPES_BY_OPERATION.get(operation, f"the scope to {operation} meetings")
        return ProviderAccountFailure(
            f"the Zoom app lacks a scope needed to {operation} meetings{wanted}: add "
            f"{needed} to the Server-to-Server OAuth app and activate it again ({tag})",
            setting=needed,
        )
    if status == 401:
        return ProviderAccountFailure(
            f"Zoom refused a freshly issued access token ({tag}): check that the "
            "Server-to-Server OAuth app is activated and that ZOOM_API_BASE and "
            "ZOOM_OAUTH_URL name the same Zoom",
            setting="ZOOM_API_BASE",
        )
    problems = body.get("errors") if isinstance(body, dict) else None
    names = [
        str(item["field"])
        for item in problems or []
        if isinstance(item, dict)
        and isinstance(item.get("field"), str)
        and _FIELD_NAME.match(item["field"])
    ]
    invalid = f"; invalid fields: {', '.join(names)}" if names else ""
    return MeetingRefused(f"Zoom refused to {operation} the meeting ({tag}){invalid}")


def _json_object(response: requests.Response, operation: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise TransientFailure(f"Zoom answered {operation} with a body that is not JSON") from None
    if not isinstance(body, dict):
        raise TransientFailure(f"Zoom answered {operation} with JSON that is not an object")
    return body


class _MaybeDone(TransientFailure):
    """A request that changes something failed in a way after which Zoom may have carried
    it out all the same (an answer that never came, a 5xx)."""


class _LookRefused(BundleError):
    """Zoom refused a call of the look for a meeting (``list``, or ``read`` of the one
    found); carries the refusal out of the retries."""

    def __init__(self, operation: str, refusal: BundleError) -> None:
        super().__init__(str(refusal))
        self.operation = operation
        self.refusal = refusal


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
        logo_url: str,
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
        self._logo_url = logo_url
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
        placeholder has no start, so becoming a real event always changes ``start``. A
        meeting with no fixed time (type 3) is built from its title and description
        only: the times of the events that share it change nothing on Zoom."""
        if not spec.fixed_time:
            return {"title": spec.title, "description": spec.description, "fixedTime": False}
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
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        """Create the meeting; exactly one per ``request_key`` (see "Exactly one meeting"
        in the module doc). ``may_exist``: an earlier attempt with this key may have made
        it (a reservation taken over, a :class:`~shared.errors.CreationUnconfirmed`
        before), so look for it first."""
        marker = creation_marker(request_key)
        body = meeting_body(spec, solution, now=utcnow(), updating=False, marker=marker)
        host = quote(host_email.strip(), safe="")
        refreshed = [False]
        unsure = [may_exist]  # a meeting of this key may exist: look before creating one

        def attempt() -> Meeting | requests.Response:
            if unsure[0]:
                found = self._find_marked(host, marker, solution, refreshed)
                if found is not None:
                    return found
                unsure[0] = False
            try:  # a token failure is no _MaybeDone: nothing was sent
                response = self._attempt(
                    "create", "POST", f"/users/{host}/meetings", refreshed, json_body=body
                )
            except _MaybeDone:
                unsure[0] = True
                raise
            if response.status_code >= 400:
                return response
            unsure[0] = True  # made: an unreadable answer sends us looking for it
            meeting = _json_object(response, "create")
            meeting_id = meeting_id_of(meeting)
            data = self._conference_data(meeting, meeting_id, solution)
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

        try:
            outcome = retry_transient(
                attempt,
                what="zoom create",
                budget_seconds=self._max_retry_seconds,
                clock=self._clock,
                sleep=self._sleep,
            )
        except _LookRefused as refused:
            raise self._unconfirmed_after_refusal(refused) from refused.refusal
        except TransientFailure as failure:
            if not unsure[0]:
                raise
            logger.warning(
                "zoom create unconfirmed: a meeting may exist",
                extra=fields(solution_id=solution.id, reason=str(failure)),
            )
            raise CreationUnconfirmed(
                f"Zoom may have created the meeting and it could not be found ({failure}); "
                "create again with the same request key and may_exist",
                failure.retry_after,
            ) from failure
        if isinstance(outcome, requests.Response):
            raise self._refused("create", outcome)
        return outcome

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        path = self._meeting_path(meeting_id)
        body = meeting_body(spec, solution, now=utcnow(), updating=True)
        patched = self._call("update", "PATCH", path, json_body=body)
        response = self._call("read", "GET", path)
        meeting = _json_object(response, "read")
        data = build_conference_data(meeting, solution, self._logo_url)
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
        """Delete the meeting. Gone (404, code 3001) or ended (code 3007: Zoom keeps an
        ended meeting until it expires, and nobody can join it again) counts as done; a
        meeting in progress raises :class:`~shared.errors.MeetingBusy` (try again later)."""
        path = self._meeting_path(meeting_id)
        response = self._call(
            "delete",
            "DELETE",
            path,
            params={"schedule_for_reminder": "false"},
            settled=(MEETING_GONE_CODE, MEETING_ENDED_CODE),
        )
        code = _zoom_code(response) if response.status_code >= 400 else None
        if code == MEETING_ENDED_CODE:
            message = "zoom meeting has ended; counted as deleted"
        elif response.status_code >= 400:
            message = "zoom meeting already gone"
        else:
            message = "zoom meeting deleted"
        logger.info(message, extra=fields(meeting_id=meeting_id, status=response.status_code))

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
        settled: tuple[int, ...] = (),
    ) -> requests.Response:
        """One API call with token handling and retries; returns a 2xx answer (or a 4xx
        whose Zoom code is in ``settled``, or a 404 when 3001 is) or raises."""
        refreshed = [False]
        response = retry_transient(
            lambda: self._attempt(
                operation,
                method,
                path,
                refreshed,
                json_body=json_body,
                params=params,
                meeting_call=True,
            ),
            what=f"zoom {operation}",
            budget_seconds=self._max_retry_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        if response.status_code >= 400:
            code = _zoom_code(response)
            if code in settled or (response.status_code == 404 and MEETING_GONE_CODE in settled):
                return response
            raise self._refused(operation, response)
        return response

    def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        refreshed: list[bool],
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        meeting_call: bool = False,
    ) -> requests.Response:
        """One call: the token, renewed once per call (``refreshed``) when Zoom answers
        401; TransientFailure for what may pass (see :meth:`_send`), any other answer is
        returned. ``meeting_call``: a call about one meeting (its 5xx is a
        :class:`~shared.errors.MeetingCallFailed`)."""
        while True:
            token = self._access_token()
            response = self._send(
                operation,
                method,
                self._api_base + path,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                json_body=json_body,
                params=params,
                changes=method != "GET",
                meeting_call=meeting_call,
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

    def _refused(self, operation: str, response: requests.Response) -> BundleError:
        """The domain error of a final 4xx answer, logged (ERROR when it concerns the
        whole account)."""
        refusal = _refusal(operation, response)
        if isinstance(refusal, ProviderAccountFailure):
            level = logging.ERROR
        elif isinstance(refusal, NotFound | MeetingBusy):
            level = logging.INFO
        else:
            level = logging.WARNING
        logger.log(
            level,
            "zoom refused a call",
            extra=fields(
                operation=operation,
                status=response.status_code,
                zoom_code=_zoom_code(response),
                outcome=type(refusal).__name__,
            ),
        )
        return refusal

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
        changes: bool = False,
        meeting_call: bool = False,
    ) -> requests.Response:
        """One HTTP request; TransientFailure for what may pass on retry (5xx, 429,
        timeouts, connection errors), any other answer is returned. For a request that
        ``changes`` something, a failure after which Zoom may have done it anyway (an
        answer that never came, a 5xx) is a :class:`_MaybeDone`; a 429 and a connection
        never made are not. The host's daily limit is
        :class:`~shared.errors.HostLimitReached`; a 5xx on a ``meeting_call``, a
        :class:`~shared.errors.MeetingCallFailed`."""
        maybe = _MaybeDone if changes else TransientFailure
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
        except requests.ConnectTimeout:
            logger.warning("zoom unreachable", extra=fields(operation=operation, error="timeout"))
            raise TransientFailure(f"Zoom could not be reached for {operation} in time") from None
        except requests.Timeout:
            logger.warning("zoom call timed out", extra=fields(operation=operation))
            raise maybe(f"Zoom did not answer {operation} in time") from None
        except requests.RequestException as err:
            kind = type(err).__name__
            logger.warning("zoom unreachable", extra=fields(operation=operation, error=kind))
            raise maybe(f"Zoom could not be reached for {operation} ({kind})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"), utcnow())
            limit_type = response.headers.get("X-RateLimit-Type")
            logger.warning(
                "zoom call failed",
                extra=fields(
                    operation=operation,
                    status=status,
                    zoom_code=_zoom_code(response),
                    rate_limit_type=limit_type,
                    retry_after_seconds=retry_after,
                ),
            )
            if status == 429 and (limit_type or "").lower() == DAILY_LIMIT_TYPE:
                raise HostLimitReached(
                    f"the host's daily limit of Zoom meeting creates and updates is reached "
                    f"({operation}: HTTP 429)",
                    retry_after,
                )
            if status >= 500 and meeting_call:
                raise MeetingCallFailed(
                    f"Zoom answered {operation} of the meeting with HTTP {status}", retry_after
                )
            failure = TransientFailure if status == 429 else maybe
            raise failure(f"Zoom answered {operation} with HTTP {status}", retry_after)
        return response

    # -- exactly one meeting ----------------------------------------------------------

    def _find_marked(
        self, host: str, marker: str, solution: Solution, refreshed: list[bool]
    ) -> Meeting | None:
        """The meeting whose agenda holds ``marker`` among the host's meetings, or None.

        ``GET /users/{host}/meetings?type=scheduled`` (every unexpired meeting: past, live
        and upcoming; 300 a page, following ``next_page_token``); the listed agenda (its
        first 250 characters) shows the marker, then ``GET /meetings/{id}`` gives the
        join details. A refusal of either is a :class:`_LookRefused`.
        """
        page_token = ""
        for _ in range(LIST_MAX_PAGES):
            params = {"type": "scheduled", "page_size": str(LIST_PAGE_SIZE)}
            if page_token:
                params["next_page_token"] = page_token
            response = self._attempt(
                "list", "GET", f"/users/{host}/meetings", refreshed, params=params
            )
            if response.status_code >= 400:
                raise _LookRefused("list", self._refused("list", response))
            listing = _json_object(response, "list")
            meetings = listing.get("meetings")
            for item in meetings if isinstance(meetings, list) else []:
                agenda = item.get("agenda") if isinstance(item, dict) else None
                if isinstance(agenda, str) and marker in agenda:
                    found = self._adopt(meeting_id_of(item), solution, refreshed)
                    if found is not None:
                        return found
            next_token = listing.get("next_page_token")
            if not isinstance(next_token, str) or not next_token:
                logger.info("no zoom meeting of this creation yet: creating it")
                return None
            page_token = next_token
        raise TransientFailure("the host has too many Zoom meetings to look through")

    def _adopt(self, meeting_id: str, solution: Solution, refreshed: list[bool]) -> Meeting | None:
        """The meeting an earlier attempt made, with its join details (None: deleted since)."""
        path = self._meeting_path(meeting_id)
        response = self._attempt("read", "GET", path, refreshed)
        if response.status_code == 404 or _zoom_code(response) == MEETING_GONE_CODE:
            return None
        if response.status_code >= 400:
            raise _LookRefused("read", self._refused("read", response))
        meeting = _json_object(response, "read")
        data = self._conference_data(meeting, meeting_id, solution)
        logger.info(
            "zoom meeting found: an earlier attempt had made it",
            extra=fields(meeting_id=meeting_id, solution_id=solution.id),
        )
        return Meeting(meeting_id=meeting_id, conference_data=data)

    def _conference_data(
        self, meeting: dict[str, Any], meeting_id: str, solution: Solution
    ) -> dict[str, Any]:
        """ConferenceData of a meeting this creation made; when it breaks a Calendar rule
        the meeting is deleted again (nobody could ever be given its link)."""
        try:
            return build_conference_data(meeting, solution, self._logo_url)
        except InvalidConferenceData as invalid:
            logger.error(
                "zoom meeting gives invalid ConferenceData; deleting it",
                extra=fields(meeting_id=meeting_id, field=invalid.field),
            )
            try:
                self.delete(meeting_id)
            except BundleError as err:
                logger.error(
                    "could not delete a zoom meeting with invalid ConferenceData",
                    extra=fields(meeting_id=meeting_id, reason=str(err)),
                )
            raise

    @staticmethod
    def _unconfirmed_after_refusal(refused: _LookRefused) -> BundleError:
        """A creation that could not look for its meeting: TEMPORARY, with the scope the
        refused call needs logged (a host unknown to the account cannot have a meeting:
        that refusal stands)."""
        if isinstance(refused.refusal, AccessDenied):
            return refused.refusal
        scope = SCOPES_BY_OPERATION[refused.operation]
        logger.warning(
            "zoom refused to look for a meeting a lost create may have made",
            extra=fields(operation=refused.operation, scope=scope, reason=str(refused.refusal)),
        )
        return CreationUnconfirmed(
            f"could not look for a meeting an earlier attempt may have made "
            f"({refused.refusal}); the Zoom app needs the scope {scope}"
        )

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
            raise ProviderAccountFailure(
                f"Zoom refused the Server-to-Server OAuth credentials ({reason}HTTP "
                f"{response.status_code}): check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
                "ZOOM_CLIENT_SECRET and that the app is activated",
                setting="ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET",
            )
        if response.status_code >= 300:
            raise ProviderAccountFailure(
                f"Zoom's token endpoint answered HTTP {response.status_code}: check ZOOM_OAUTH_URL",
                setting="ZOOM_OAUTH_URL",
            )
        body = _json_object(response, "token")
        token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
        if not isinstance(token, str) or not token:
            raise TransientFailure("Zoom's token endpoint answered without an access token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = 3600
        logger.info("zoom access token issued", extra=fields(expires_in=expires_in))
        return token, float(expires_in)
