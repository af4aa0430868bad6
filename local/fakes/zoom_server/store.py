"""The local Zoom's state: accounts, apps, users, tokens, meetings, faults and the call log.

All of it lives in memory behind one lock; the Flask routes (``app.py``) and the Python
control methods (``server.py``) both go through :class:`Store`. Answers are returned as
:class:`Answer` (status, JSON body, headers) so that the routes stay thin.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.fakes.zoom_server.recurrence import occurrence_starts
from local.fakes.zoom_server.validation import check_meeting, parse_start_time

#: Classic scopes a Server-to-Server app is usually given for meetings.
DEFAULT_SCOPES = ("meeting:write:admin", "meeting:read:admin", "user:read:admin")
#: Per operation: any one of these scopes (granular first, then classic) allows it.
REQUIRED_SCOPES = {
    "create": ("meeting:write:meeting:admin", "meeting:write:admin"),
    "get": ("meeting:read:meeting:admin", "meeting:read:admin"),
    "update": ("meeting:update:meeting:admin", "meeting:write:admin"),
    "delete": ("meeting:delete:meeting:admin", "meeting:write:admin"),
    "invitation": ("meeting:read:invitation:admin", "meeting:read:admin"),
    "list": ("meeting:read:list_meetings:admin", "meeting:read:admin"),
}
#: Rate-limit label and Pro-plan per-second limit of each operation.
RATE_LIMITS = {
    "create": ("Medium", 20),
    "get": ("Light", 30),
    "update": ("Light", 30),
    "delete": ("Light", 30),
    "invitation": ("Light", 30),
    "list": ("Medium", 20),
}
OPERATIONS = ("token", "create", "get", "update", "delete", "invitation", "list")
FAULT_KINDS = ("status", "rate_limit", "delay", "non_json", "missing_fields", "hold")
#: ``type`` values of ``GET /users/{userId}/meetings`` (``scheduled`` when absent).
LIST_TYPES = ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings")
LIST_PAGE_SIZE_DEFAULT = 30
LIST_PAGE_SIZE_MAX = 300
#: "The length of agenda gets truncated to 250 characters when you list all of a user's
#: meetings" (Zoom's List meetings reference).
LIST_AGENDA_MAX = 250
#: Meeting states the local Zoom can be told about (``set_meeting_status``).
MEETING_STATES = ("waiting", "started", "ended")
#: How long a ``hold`` fault keeps an answer at most when nobody releases it.
HOLD_LIMIT_SECONDS = 30.0
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
DEFAULT_TOKEN_TTL = 3600


@dataclass(frozen=True)
class DialInNumber:
    country: str
    country_name: str
    city: str
    number: str
    type: str  # "toll" | "tollfree"

    def as_json(self) -> dict[str, str]:
        return {
            "country": self.country,
            "country_name": self.country_name,
            "city": self.city,
            "number": self.number,
            "type": self.type,
        }


DEFAULT_DIAL_IN_NUMBERS = (
    DialInNumber("US", "US", "New York", "+1 6465588656", "toll"),
    DialInNumber("US", "US", "San Jose", "+1 6699006833", "toll"),
    DialInNumber("US", "US", "", "+1 8778535247", "tollfree"),
    DialInNumber("GB", "United Kingdom", "London", "+44 2080806591", "toll"),
    DialInNumber("GB", "United Kingdom", "", "+44 8000315717", "tollfree"),
    DialInNumber("DE", "Germany", "Frankfurt", "+49 6950502596", "toll"),
    DialInNumber("SE", "Sweden", "Stockholm", "+46 850539728", "toll"),
)


@dataclass
class App:
    """A Server-to-Server OAuth app of an account."""

    client_id: str
    client_secret: str
    account_id: str
    scopes: tuple[str, ...]


@dataclass
class Account:
    account_id: str
    dial_in_numbers: tuple[DialInNumber, ...]


@dataclass
class User:
    id: str
    email: str
    account_id: str
    timezone: str
    dial_in_countries: tuple[str, ...]


@dataclass
class Token:
    value: str
    account_id: str
    client_id: str
    expires_at: float


@dataclass
class Fault:
    """The next ``remaining`` calls of ``operation`` (or ``*``: any) misbehave."""

    operation: str
    kind: str
    remaining: int
    status: int = 503
    retry_after: str | None = None
    daily: bool = False
    delay: float = 0.0
    drop: tuple[str, ...] = ("id", "join_url")
    released: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Call:
    operation: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    raw_path: str = ""  # as sent, before percent-decoding

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "raw_path": self.raw_path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
        }


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None  # a non-JSON body, sent as text/html


@dataclass
class MeetingRecord:
    id: int
    uuid: str
    account_id: str
    host: User
    topic: str
    type: int
    start: datetime | None
    duration: int
    timezone: str
    agenda: str
    created_at: datetime
    password: str
    pstn_password: str
    encrypted_password: str
    settings: dict[str, Any]
    recurrence: dict[str, Any] | None
    dial_in: tuple[DialInNumber, ...]
    state: str = "waiting"  # one of MEETING_STATES


def zoom_error(status: int, code: int, message: str, **extra: Any) -> Answer:
    return Answer(status, {"code": code, "message": message, **extra})


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_token() -> str:
    return "eyJ" + secrets.token_urlsafe(48)


class Store:
    """Everything the local Zoom knows; every public method takes the lock."""

    def __init__(self, *, join_host: str = "us05web.zoom.us") -> None:
        self.join_host = join_host
        self.lock = threading.RLock()
        self.generation = 0
        self.wake = threading.Event()
        self.held = 0  # answers a ``hold`` fault keeps right now
        self.hold_changed = threading.Condition(self.lock)
        self._holds: list[threading.Event] = []
        self.reset()

    # -- configuration ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything. Calls still held by a ``delay`` fault wake up, answer 503 and
        are not logged: they belong to the state before the reset."""
        with self.lock:
            self.generation += 1
            self.wake.set()
            self.wake = threading.Event()
            self.release_holds()
            self.accounts: dict[str, Account] = {}
            self.apps: dict[str, App] = {}
            self.users: dict[str, User] = {}
            self.tokens: dict[str, Token] = {}
            self.meetings: dict[int, MeetingRecord] = {}
            self.faults: list[Fault] = []
            self.calls: list[Call] = []
            self.token_ttl = DEFAULT_TOKEN_TTL
            self.daily_limit: int | None = None
            self._daily: Counter[tuple[str, str]] = Counter()
            self._per_second: Counter[tuple[str, int]] = Counter()
            self._pages: dict[str, tuple[str, list[int], int]] = {}

    def add_account(
        self,
        account_id: str,
        client_id: str,
        client_secret: str,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        dial_in_numbers: tuple[DialInNumber, ...] | None = None,
    ) -> None:
        with self.lock:
            if account_id not in self.accounts or dial_in_numbers is not None:
                self.accounts[account_id] = Account(
                    account_id,
                    tuple(
                        dial_in_numbers if dial_in_numbers is not None else DEFAULT_DIAL_IN_NUMBERS
                    ),
                )
            self.apps[client_id] = App(client_id, client_secret, account_id, tuple(scopes))

    def add_user(
        self,
        account_id: str,
        email: str,
        user_id: str | None = None,
        timezone: str = "America/Los_Angeles",
        dial_in_countries: tuple[str, ...] = ("US",),
    ) -> User:
        with self.lock:
            user = User(
                id=user_id or secrets.token_urlsafe(16)[:22],
                email=email.lower(),
                account_id=account_id,
                timezone=timezone,
                dial_in_countries=tuple(dial_in_countries),
            )
            self.users[user.id] = user
            return user

    def set_scopes(self, client_id: str, scopes: tuple[str, ...]) -> None:
        with self.lock:
            self.apps[client_id].scopes = tuple(scopes)

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = 0.0

    def add_fault(self, fault: Fault) -> None:
        if fault.operation not in (*OPERATIONS, "*"):
            raise ValueError(f"unknown operation {fault.operation!r}")
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def hold(self, fault: Fault) -> None:
        """Keep the current answer until :meth:`release_holds` (or a reset, a stop, or
        :data:`HOLD_LIMIT_SECONDS`); :meth:`hold_done` ends the count once it is logged."""
        with self.lock:
            self._holds.append(fault.released)
            self.held += 1
            self.hold_changed.notify_all()
        fault.released.wait(HOLD_LIMIT_SECONDS)

    def hold_done(self) -> None:
        with self.lock:
            self.held -= 1
            self.hold_changed.notify_all()

    def release_holds(self) -> None:
        """Let every held answer go."""
        with self.lock:
            for released in self._holds:
                released.set()
            self._holds.clear()

    def set_meeting_state(self, meeting_id: int | str, state: str) -> None:
        if state not in MEETING_STATES:
            raise ValueError(f"unknown meeting state {state!r}")
        with self.lock:
            self.meetings[int(meeting_id)].state = state

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation in (operation, "*") and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(Counter(call.operation for call in self.calls))

    # -- lookups ---------------------------------------------------------------------

    def find_user(self, user_id: str) -> User | None:
        with self.lock:
            if user_id in self.users:
                return self.users[user_id]
            lowered = user_id.lower()
            return next((u for u in self.users.values() if u.email == lowered), None)

    # -- OAuth -----------------------------------------------------------------------

    def issue_token(
        self, grant_type: str | None, account_id: str | None, basic: tuple[str, str] | None
    ) -> Answer:
        """``POST /oauth/token`` with the ``account_credentials`` grant."""
        with self.lock:
            if grant_type != "account_credentials":
                return Answer(
                    400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"}
                )
            app = self.apps.get(basic[0]) if basic else None
            if (
                app is None
                or basic is None
                or not secrets.compare_digest(app.client_secret, basic[1])
            ):
                return Answer(
                    400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
                )
            if not account_id or account_id != app.account_id:
                return Answer(400, {"reason": "Bad Request", "error": "invalid_request"})
            token = Token(_random_token(), app.account_id, app.client_id, 0.0)
            token.expires_at = time.time() + self.token_ttl
            self.tokens[token.value] = token
            return Answer(
                200,
                {
                    "access_token": token.value,
                    "token_type": "bearer",
                    "expires_in": self.token_ttl,
                    "scope": " ".join(app.scopes),
                    "api_url": "",  # filled in by the route: this server's own address
                },
            )

    def authorize(self, header: str | None, operation: str) -> tuple[Token | None, Answer | None]:
        """The token of an API call, or the answer refusing it (401 code 124, 400 4711)."""
        with self.lock:
            value = header[7:].strip() if header and header.lower().startswith("bearer ") else ""
            token = self.tokens.get(value)
            if token is None:
                return None, zoom_error(401, 124, "Invalid access token.")
            if token.expires_at <= time.time():
                return None, zoom_error(401, 124, "Access token is expired.")
            app = self.apps.get(token.client_id)
            scopes = app.scopes if app else ()
            wanted = REQUIRED_SCOPES[operation]
            if not any(scope in scopes for scope in wanted):
                listed = ",".join(wanted)
                return None, zoom_error(
                    400, 4711, f"Invalid access token, does not contain scopes:[{listed}]."
                )
            return token, None

    # -- rate limits -----------------------------------------------------------------

    def rate_headers(self, operation: str) -> dict[str, str]:
        category, limit = RATE_LIMITS.get(operation, ("Light", 30))
        second = int(time.time())
        with self.lock:
            self._per_second[(category, second)] += 1
            used = self._per_second[(category, second)]
        return {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "QPS",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
        }

    def rate_limited(self, operation: str, fault: Fault) -> Answer:
        category, limit = RATE_LIMITS.get(operation, ("Light", 30))
        if fault.daily:
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            retry_after = fault.retry_after or _z(tomorrow)
            headers = {
                "X-RateLimit-Category": category,
                "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "Retry-After": retry_after,
            }
            return Answer(429, {"code": 429, "message": DAILY_MESSAGE.format(limit=100)}, headers)
        headers = {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "QPS",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
        }
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        return Answer(429, {"code": 429, "message": QPS_MESSAGE}, headers)

    def _daily_exceeded(self, user: User) -> Answer | None:
        """Zoom's per-host limit of 100 creates and updates a day (off unless set)."""
        if self.daily_limit is None:
            return None
        key = (user.id, datetime.now(UTC).date().isoformat())
        if self._daily[key] >= self.daily_limit:
            fault = Fault("create", "rate_limit", 1, daily=True)
            answer = self.rate_limited("create", fault)
            answer.body["message"] = DAILY_MESSAGE.format(limit=self.daily_limit)
            answer.headers["X-RateLimit-Limit"] = str(self.daily_limit)
            return answer
        self._daily[key] += 1
        return None

    # -- meetings --------------------------------------------------------------------

    def _new_id(self) -> int:
        while True:
            meeting_id = secrets.randbelow(9 * 10**10) + 10**10  # 11 digits, like Zoom's
            if meeting_id not in self.meetings:
                return meeting_id

    def _dial_in_for(
        self, account: Account, user: User, countries: Any
    ) -> tuple[DialInNumber, ...]:
        wanted = (
            [str(c) for c in countries]
            if isinstance(countries, list) and countries
            else list(user.dial_in_countries)
        )
        return tuple(n for c in wanted for n in account.dial_in_numbers if n.country == c)

    def create_meeting(self, token: Token, user_id: str, body: Any) -> Answer:
        with self.lock:
            if not isinstance(body, dict):
                return zoom_error(400, 300, "Request Body should be a valid JSON object.")
            user = self.find_user(user_id)
            if user is None:
                return zoom_error(404, 1001, f"User does not exist: {user_id}.")
            if user.account_id != token.account_id:
                return zoom_error(
                    400, 1010, f"User does not belong to this account: {token.account_id}."
                )
            problems = check_meeting(body, creating=True, current_type=None)
            if problems:
                return zoom_error(400, 300, "Validation Failed.", errors=problems)
            limited = self._daily_exceeded(user)
            if limited:
                return limited
            meeting_type = int(body.get("type", 2))
            time_zone = str(body.get("timezone") or user.timezone)
            start: datetime | None = None
            if meeting_type in (2, 8):
                start = (
                    parse_start_time(str(body["start_time"]), time_zone)
                    if body.get("start_time")
                    else datetime.now(UTC).replace(microsecond=0)
                )
            settings_in = body.get("settings") or {}
            account = self.accounts[user.account_id]
            record = MeetingRecord(
                id=self._new_id(),
                uuid=base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
                account_id=user.account_id,
                host=user,
                topic=str(body.get("topic") or "Zoom meeting"),
                type=meeting_type,
                start=start,
                duration=int(body.get("duration", 60)),
                timezone=time_zone,
                agenda=str(body.get("agenda") or ""),
                created_at=datetime.now(UTC).replace(microsecond=0),
                password=str(body.get("password") or _alnum(6)),
                pstn_password="".join(secrets.choice(string.digits) for _ in range(6)),
                encrypted_password=_alnum(32) + ".1",
                settings={
                    "auto_recording": settings_in.get("auto_recording", "none"),
                    "join_before_host": bool(settings_in.get("join_before_host", False)),
                    "waiting_room": bool(settings_in.get("waiting_room", False)),
                },
                recurrence=dict(body["recurrence"]) if meeting_type == 8 else None,
                dial_in=self._dial_in_for(
                    account, user, settings_in.get("global_dial_in_countries")
                ),
            )
            self.meetings[record.id] = record
            return Answer(201, self.render(record, with_start_url=True))

    def _meeting_of(self, token: Token, meeting_id: str) -> MeetingRecord | Answer:
        record = self.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if record is None or record.account_id != token.account_id:
            return zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return record

    def get_meeting(self, token: Token, meeting_id: str) -> Answer:
        with self.lock:
            found = self._meeting_of(token, meeting_id)
            if isinstance(found, Answer):
                return found
            return Answer(200, self.render(found, with_start_url=True))

    def update_meeting(self, token: Token, meeting_id: str, body: Any) -> Answer:
        """``PATCH``: Zoom ignores a ``start_time`` in the past, and with it any change of
        the recurrence; a future ``start_time`` of a recurring meeting needs ``recurrence``."""
        with self.lock:
            found = self._meeting_of(token, meeting_id)
            if isinstance(found, Answer):
                return found
            record = found
            refused = _state_refusal(record, "update")
            if refused is not None:
                return refused
            if not isinstance(body, dict):
                return zoom_error(400, 300, "Request Body should be a valid JSON object.")
            problems = check_meeting(body, creating=False, current_type=record.type)
            new_type = int(body.get("type", record.type))
            time_zone = str(body.get("timezone") or record.timezone)
            start: datetime | None = None
            if body.get("start_time") and not problems:
                start = parse_start_time(str(body["start_time"]), time_zone)
                if start <= datetime.now(UTC):
                    start = None  # documented: a past start_time is ignored
                elif new_type == 8 and "recurrence" not in body:
                    problems.append({"field": "recurrence", "message": "Recurrence is required."})
            if new_type == 8 and record.type != 8 and "recurrence" not in body:
                problems.append({"field": "recurrence", "message": "Recurrence is required."})
            if problems:
                return zoom_error(400, 300, "Validation Failed.", errors=problems)
            limited = self._daily_exceeded(record.host)
            if limited:
                return limited
            for key in ("topic", "agenda", "password"):
                if key in body:
                    setattr(record, key, str(body[key]))
            if "duration" in body:
                record.duration = int(body["duration"])
            record.timezone = time_zone
            if start is not None:
                record.start = start
            elif new_type in (2, 8) and record.start is None:
                record.start = datetime.now(UTC).replace(microsecond=0)
            if new_type == 8:
                # Without a future start Zoom "will not update any recurring meetings";
                # a meeting becoming recurring takes the recurrence it is given.
                if "recurrence" in body and (start is not None or record.type != 8):
                    record.recurrence = dict(body["recurrence"])
            else:
                record.recurrence = None
            if new_type == 3:
                record.start = None
            record.type = new_type
            settings_in = body.get("settings") or {}
            for key in ("auto_recording", "join_before_host", "waiting_room"):
                if key in settings_in:
                    record.settings[key] = settings_in[key]
            if "global_dial_in_countries" in settings_in:
                record.dial_in = self._dial_in_for(
                    self.accounts[record.account_id],
                    record.host,
                    settings_in["global_dial_in_countries"],
                )
            return Answer(204)

    def delete_meeting(self, token: Token, meeting_id: str) -> Answer:
        """``DELETE``: 204, or 400 code 3002 while the meeting is in progress and 3007 once
        it has ended (the meeting stays)."""
        with self.lock:
            found = self._meeting_of(token, meeting_id)
            if isinstance(found, Answer):
                return found
            refused = _state_refusal(found, "delete")
            if refused is not None:
                return refused
            del self.meetings[found.id]
            return Answer(204)

    def list_meetings(self, token: Token, user_id: str, query: dict[str, str]) -> Answer:
        """``GET /users/{userId}/meetings``: the host's meetings of ``type``, a page of
        ``page_size`` (at most 300) at a time, the next through ``next_page_token``."""
        with self.lock:
            user = self.find_user(user_id)
            if user is None:
                return zoom_error(404, 1001, f"User does not exist: {user_id}.")
            if user.account_id != token.account_id:
                return zoom_error(
                    400, 1010, f"User does not belong to this account: {token.account_id}."
                )
            kind = query.get("type") or "scheduled"
            size_text = query.get("page_size") or str(LIST_PAGE_SIZE_DEFAULT)
            problems: list[dict[str, str]] = []
            if kind not in LIST_TYPES:
                problems.append({"field": "type", "message": "Invalid field."})
            if not size_text.isdigit() or not 1 <= int(size_text) <= LIST_PAGE_SIZE_MAX:
                problems.append({"field": "page_size", "message": "Invalid field."})
            if problems:
                return zoom_error(400, 300, "Validation Failed.", errors=problems)
            size = int(size_text)
            page_token = query.get("next_page_token") or ""
            if page_token:
                page = self._pages.pop(page_token, None)
                if page is None or page[0] != user.id:
                    return zoom_error(400, 300, "The next page token is invalid or expired.")
                _, ids, offset = page
            else:
                now = datetime.now(UTC)
                ids = [
                    record.id
                    for record in self.meetings.values()
                    if record.host.id == user.id and _listed_as(record, kind, now)
                ]
                offset = 0
            chosen = [self.meetings[i] for i in ids[offset : offset + size] if i in self.meetings]
            next_token = ""
            if offset + size < len(ids):
                next_token = secrets.token_urlsafe(24)
                self._pages[next_token] = (user.id, ids, offset + size)
            return Answer(
                200,
                {
                    "page_size": size,
                    "total_records": len(ids),
                    "next_page_token": next_token,
                    "meetings": [self.render_listed(record) for record in chosen],
                },
            )

    def invitation(self, token: Token, meeting_id: str) -> Answer:
        with self.lock:
            found = self._meeting_of(token, meeting_id)
            if isinstance(found, Answer):
                return found
            return Answer(200, {"invitation": self._invitation_text(found)})

    # -- rendering -------------------------------------------------------------------

    def join_url(self, record: MeetingRecord) -> str:
        return f"https://{self.join_host}/j/{record.id}?pwd={record.encrypted_password}"

    def render(self, record: MeetingRecord, *, with_start_url: bool) -> dict[str, Any]:
        """The meeting object as ``GET /meetings/{id}`` and create answer it."""
        meeting: dict[str, Any] = {
            "uuid": record.uuid,
            "id": record.id,
            "host_id": record.host.id,
            "host_email": record.host.email,
            "topic": record.topic,
            "type": record.type,
            "status": "started" if record.state == "started" else "waiting",
            "timezone": record.timezone,
            "agenda": record.agenda,
            "created_at": _z(record.created_at),
            "join_url": self.join_url(record),
            "password": record.password,
            "h323_password": record.pstn_password,
            "pstn_password": record.pstn_password,
            "encrypted_password": record.encrypted_password,
            "pre_schedule": False,
            "settings": {
                **record.settings,
                "global_dial_in_countries": sorted({n.country for n in record.dial_in}),
                "global_dial_in_numbers": [n.as_json() for n in record.dial_in],
            },
        }
        if with_start_url:
            meeting["start_url"] = f"https://{self.join_host}/s/{record.id}?zak={_random_token()}"
        if record.start is not None:
            meeting["start_time"] = _z(record.start)
            meeting["duration"] = record.duration
        if record.type == 8 and record.recurrence is not None and record.start is not None:
            meeting["recurrence"] = dict(record.recurrence)
            meeting["occurrences"] = [
                {
                    "occurrence_id": str(int(moment.timestamp() * 1000)),
                    "start_time": _z(moment),
                    "duration": record.duration,
                    "status": "available",
                }
                for moment in occurrence_starts(record.start, record.timezone, record.recurrence)
            ]
        return meeting

    def render_listed(self, record: MeetingRecord) -> dict[str, Any]:
        """A meeting as ``GET /users/{userId}/meetings`` lists it: fewer fields, and the
        agenda cut to :data:`LIST_AGENDA_MAX` characters."""
        listed: dict[str, Any] = {
            "uuid": record.uuid,
            "id": record.id,
            "host_id": record.host.id,
            "topic": record.topic,
            "type": record.type,
            "timezone": record.timezone,
            "agenda": record.agenda[:LIST_AGENDA_MAX],
            "created_at": _z(record.created_at),
            "join_url": self.join_url(record),
        }
        if record.start is not None:
            listed["start_time"] = _z(record.start)
            listed["duration"] = record.duration
        return listed

    def _invitation_text(self, record: MeetingRecord) -> str:
        spaced = f"{str(record.id)[:3]} {str(record.id)[3:7]} {str(record.id)[7:]}"
        lines = [
            f"{record.host.email} is inviting you to a scheduled Zoom meeting.",
            "",
            f"Topic: {record.topic}",
            "",
            "Join Zoom Meeting",
            self.join_url(record),
            "",
            f"Meeting ID: {spaced}",
            f"Passcode: {record.password}",
            "",
            "---",
            "",
            "One tap mobile",
        ]
        for number in record.dial_in[:2]:
            tap = number.number.replace(" ", "")
            lines.append(
                f"{tap},,{record.id}#,,,,*{record.pstn_password}# {number.country}"
                + (f" ({number.city})" if number.city else "")
            )
        lines += ["", "Dial by your location"]
        lines += [
            f"• {n.number} {n.country}{f' ({n.city})' if n.city else ''}" for n in record.dial_in
        ]
        lines += [
            "",
            f"Meeting ID: {spaced}",
            f"Passcode: {record.pstn_password}",
            "",
            f"Find your local number: https://{self.join_host}/u/k{_alnum(8)}",
        ]
        return "\n".join(lines)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every stored meeting (without start_url), for tests and ``/_control/meetings``."""
        with self.lock:
            return [self.render(record, with_start_url=False) for record in self.meetings.values()]


def _state_refusal(record: MeetingRecord, verb: str) -> Answer | None:
    """Zoom refuses to change or delete a meeting in progress (3002) or ended (3007)."""
    if record.state == "started":
        return zoom_error(
            400, 3002, f"Sorry, you cannot {verb} this meeting since it is in progress."
        )
    if record.state == "ended":
        return zoom_error(400, 3007, f"Sorry, you cannot {verb} this meeting since it has ended.")
    return None


def _listed_as(record: MeetingRecord, kind: str, now: datetime) -> bool:
    """Whether ``GET /users/{userId}/meetings?type=kind`` lists ``record``."""
    live = record.state == "started"
    if kind == "scheduled":
        return True  # every unexpired meeting: past, live and upcoming
    if kind == "live":
        return live
    upcoming = live or (record.state != "ended" and _ends_after(record, now))
    return upcoming if kind in ("upcoming", "upcoming_meetings") else not upcoming


def _ends_after(record: MeetingRecord, now: datetime) -> bool:
    if record.start is None:
        return True  # no fixed time: usable at any time
    last = record.start
    if record.type == 8 and record.recurrence is not None:
        starts = occurrence_starts(record.start, record.timezone, record.recurrence)
        last = starts[-1] if starts else record.start
    return last + timedelta(minutes=record.duration) > now


def _alnum(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
