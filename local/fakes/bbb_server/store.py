"""The local BigBlueButton's state and API logic: meetings, registered users (in the meeting
or in the guest lobby), faults and the call log.

Everything lives in memory behind one lock; the Flask routes (``app.py``) and the Python
control methods (``server.py``) both go through :class:`Store`. Each API operation takes
the decoded parameters (first value of each) and answers an :class:`~local.fakes.
bbb_server.answers.Answer`.

Sources, for versions 2.7 to 3.0 (cited again where each behaviour is implemented):

- [API] docs.bigbluebutton.org, "API Reference" (development/api) and its parameter
  tables (docs/data/create.tsx, join.tsx, ...);
- [web] bbb-common-web: ``ValidationService``, the request models (``CreateMeeting``,
  ``JoinMeeting``, ``MeetingRunning``, ``MeetingInfo``, ``EndMeeting``) and their
  constraints (``MeetingIDConstraint``, ``MeetingExistsConstraint``, ...),
  ``ParamsProcessorUtil.processCreateParams``, ``Meeting.calcGuestStatus``;
- [ctl] bigbluebutton-web's ``ApiController.groovy`` (create, join, isMeetingRunning,
  end, getMeetingInfo, ``invalid``/``respondWithRedirect``) and its freemarker templates.

Where they are silent the choice is marked ``ASSUMPTION`` with the reading taken.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from local.fakes.bbb_server.answers import Answer, Children, failed, raw, redirect, xml_answer
from local.fakes.bbb_server.security import DEFAULT_SUPPORTED, ChecksumCheck, check_checksum

#: The API calls served (``version`` is ``GET /bigbluebutton/api``, which needs no checksum).
OPERATIONS = (
    "version",
    "create",
    "join",
    "isMeetingRunning",
    "getMeetingInfo",
    "getMeetings",
    "end",
)
#: What an injected fault does: an HTTP ``status`` (a proxy's 5xx page), a ``delay``
#: before the normal answer, a ``non_xml`` 200, an XML answer with a ``dtd`` (entity
#: declarations, as an attacker's server would send), a ``truncated`` XML answer, or a
#: ``failed`` answer with a chosen messageKey (a refusal this server has no cause for).
FAULT_KINDS = ("status", "delay", "non_xml", "dtd", "truncated", "failed")
GUEST_POLICIES = ("ALWAYS_ACCEPT", "ALWAYS_DENY", "ASK_MODERATOR", "ALWAYS_ACCEPT_AUTH")
MODERATOR = "MODERATOR"
VIEWER = "VIEWER"
ALLOW = "ALLOW"
WAIT = "WAIT"
DENY = "DENY"

# Messages. [web]/[ctl] give these texts; the API reference says only that ``message``
# "may change with time" and that ``messageKey`` is the stable part.
CHECKSUM_ERROR = ("checksumError", "Checksums do not match")
MISSING_MEETING_ID = ("missingParamMeetingID", "You must provide a meeting ID")
MEETING_ID_SIZE = ("validationError", "Meeting ID must be between 2 and 256 characters")
MEETING_ID_COMMA = ("validationError", "Meeting ID cannot contain ','")
MEETING_ID_INVALID = ("validationError", "Invalid meeting ID")
MISSING_NAME = ("validationError", "You must provide a meeting name")
NAME_SIZE = ("validationError", "Meeting name must be between 2 and 256 characters")
VOICE_BRIDGE_FORMAT = ("validationError", "Voice bridge must be an integral value")
RECORD_FORMAT = ("validationError", "Record must be a boolean value (true or false)")
PASSWORD_SIZE = ("invalidPassword", "Passwords must be between 2 and 64 character in length")
NOT_FOUND = ("notFound", "A meeting with that ID does not exist")
ID_NOT_UNIQUE = (
    "idNotUnique",
    "A meeting already exists with that meeting ID.  Please use a different meeting ID.",
)
DUPLICATE_WARNING = (
    "duplicateWarning",
    "This conference was already in existence and may currently be in progress.",
)
MISSING_FULL_NAME = ("validationError", "You must provide your name")
GUEST_FORMAT = ("validationError", "Guest must be a boolean value (true or false)")
AUTH_FORMAT = ("validationError", "Auth must be a boolean value (true or false)")
# ASSUMPTION: IsIntegralConstraint's default message is not in the sources read.
CREATE_TIME_FORMAT = ("validationError", "createTime must be an integral value")
CREATE_TIME_MISMATCH = (
    "mismatchCreateTimeParam",
    "The createTime parameter submitted mismatches with the current meeting.",
)
INVALID_JOIN_PASSWORD = ("Params required", "You must enter a valid password")
ROLE_REQUIRED = (
    "Params required",
    "You must either send the valid role of the user, or the password, sould the meeting has one.",
)
GUEST_DENIED = (
    "guestDeniedAccess",
    "You have been denied access to this meeting based on the meeting's guest policy",
)
MAX_PARTICIPANTS = (
    "maxParticipantsReached",
    "The number of participants allowed for this meeting has been reached.",
)
WRONG_MODERATOR_PASSWORD = ("invalidPassword", "The supplied moderator password is incorrect")
END_SENT = (
    "sentEndMeetingRequest",
    "A request to end the meeting was sent.  Please wait a few seconds, and then use the "
    "getMeetingInfo or isMeetingRunning API calls to verify that it was ended.",
)
NO_MEETINGS = ("noMeetings", "no meetings were found on this server")
JOINED = ("successfullyJoined", "You have joined successfully.")
GUEST_WAIT = ("guestWait", "Guest waiting for approval to join meeting.")

#: bbb-web's defaults (bigbluebutton.properties): ``defaultDialAccessNumber``,
#: ``defaultWelcomeMessage``, ``defaultGuestPolicy``,
#: ``meetingExpireIfNoUserJoinedInMinutes``, ``apiVersion``.
DEFAULT_DIAL_NUMBER = "613-555-1234"
DEFAULT_WELCOME = "Welcome to <b>%%CONFNAME%%</b>!"
DEFAULT_GUEST_POLICY = "ALWAYS_ACCEPT"
DEFAULT_EXPIRE_IF_NO_USER_JOINED_MINUTES = 5
API_VERSION = "2.0"
#: [web] ParamsProcessorUtil.processMetaParam: only ``meta_`` names of this form count,
#: lowercased ("to maintain backward compatibility with 0.81").
META_NAME = re.compile(r"meta_[a-zA-Z][a-zA-Z0-9-]*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
BOOLEAN = ("true", "false")
DIGITS = re.compile(r"[0-9]+")
ALPHANUMERIC = string.ascii_lowercase + string.digits
DTD_BODY = (
    '<?xml version="1.0"?>\n<!DOCTYPE response [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    "<response><returncode>SUCCESS</returncode><running>&b;</running></response>"
)
NON_XML_BODY = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def utf16_length(text: str) -> int:
    """Java's ``String.length()``: the ``@Size`` constraints count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_boolean(value: str) -> bool:
    """Java's ``Boolean.parseBoolean``: true only for "true", in any case."""
    return value.lower() == "true"


def _token(length: int) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def _java_date(millis: int) -> str:
    """``java.util.Date.toString()`` in UTC, as ``createDate`` shows it."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(millis / 1000))


@dataclass
class User:
    """A user registered by ``join`` (a "user session" in bbb-web)."""

    internal_id: str
    user_id: str
    full_name: str
    role: str
    guest: bool
    authenticated: bool
    guest_status: str
    session_token: str
    auth_token: str
    custom_data: dict[str, str] = field(default_factory=dict)
    #: The browser loaded the client: the user is in the meeting (an attendee).
    entered: bool = False

    @property
    def in_lobby(self) -> bool:
        return self.guest_status == WAIT

    def as_json(self) -> dict[str, Any]:
        return {
            "userID": self.user_id,
            "internalUserID": self.internal_id,
            "fullName": self.full_name,
            "role": self.role,
            "guest": self.guest,
            "authenticated": self.authenticated,
            "guestStatus": self.guest_status,
            "inLobby": self.in_lobby,
            "entered": self.entered,
            "customData": dict(self.custom_data),
        }


@dataclass
class Meeting:
    meeting_id: str
    internal_id: str
    name: str
    create_time: int
    voice_bridge: str
    dial_number: str
    attendee_pw: str
    moderator_pw: str
    record: bool
    guest_policy: str
    welcome: str
    logout_url: str
    duration: int
    max_participants: int
    expire_if_no_user_joined_minutes: int
    metadata: dict[str, str]
    params: dict[str, str]
    running: bool = False
    has_user_joined: bool = False
    forcibly_ended: bool = False
    end_time: int = 0
    users: list[User] = field(default_factory=list)

    @property
    def attendees(self) -> list[User]:
        return [user for user in self.users if user.entered]

    @property
    def lobby(self) -> list[User]:
        return [user for user in self.users if user.in_lobby]

    def user(self, user_id: str) -> User | None:
        return next(
            (u for u in self.users if user_id in (u.user_id, u.internal_id)),
            None,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "meetingID": self.meeting_id,
            "internalMeetingID": self.internal_id,
            "name": self.name,
            "createTime": self.create_time,
            "voiceBridge": self.voice_bridge,
            "dialNumber": self.dial_number,
            "attendeePW": self.attendee_pw,
            "moderatorPW": self.moderator_pw,
            "record": self.record,
            "guestPolicy": self.guest_policy,
            "welcome": self.welcome,
            "logoutURL": self.logout_url,
            "duration": self.duration,
            "maxParticipants": self.max_participants,
            "meetingExpireIfNoUserJoinedInMinutes": self.expire_if_no_user_joined_minutes,
            "metadata": dict(self.metadata),
            "params": dict(self.params),
            "running": self.running,
            "hasUserJoined": self.has_user_joined,
            "hasBeenForciblyEnded": self.forcibly_ended,
            "endTime": self.end_time,
            "attendees": [user.as_json() for user in self.attendees],
            "lobby": [user.as_json() for user in self.lobby],
            "users": [user.as_json() for user in self.users],
        }


@dataclass(frozen=True)
class Call:
    """One API call as answered: the decoded query (first values), the raw query string
    as sent, the status, the XML answer's returncode and messageKey, and the algorithm
    the checksum's length named."""

    operation: str
    query: dict[str, str]
    raw_query: str
    status: int
    returncode: str | None
    message_key: str | None
    checksum_algorithm: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "query": dict(self.query),
            "raw_query": self.raw_query,
            "status": self.status,
            "returncode": self.returncode,
            "message_key": self.message_key,
            "checksum_algorithm": self.checksum_algorithm,
        }


@dataclass
class Fault:
    """The next ``remaining`` calls of ``operation`` (or ``*``: any) misbehave."""

    operation: str
    kind: str
    remaining: int = 1
    status: int = 503
    delay: float = 0.0
    key: str = "unknownError"
    message: str = "An unknown error occurred"


class Store:
    """The local BigBlueButton's state. ``server_url`` arguments are the scheme and host
    the request came to (bbb-web's ``bigbluebutton.web.serverURL``)."""

    def __init__(
        self,
        secret: str,
        supported: tuple[str, ...] = DEFAULT_SUPPORTED,
        *,
        authenticated_guest: bool = True,
        bbb_version: str = "",
    ) -> None:
        if not secret:
            raise ValueError("the local BigBlueButton needs a shared secret")
        self.secret = secret
        self.supported = tuple(supported)
        #: bbb-web's ``authenticatedGuest`` (true by default): see :meth:`guest_status`.
        self.authenticated_guest = authenticated_guest
        self.bbb_version = bbb_version
        self.lock = threading.RLock()
        self.calls_changed = threading.Condition(self.lock)
        self.wake = threading.Event()
        self.meetings: dict[str, Meeting] = {}
        self.ended: list[Meeting] = []
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        #: Counts resets: a call that began before one is neither run nor logged.
        self.generation = 0
        self._last_create_time = 0

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.meetings.clear()
            self.ended.clear()
            self.calls.clear()
            self.faults.clear()
            self.wake.set()  # a delayed answer in flight returns at once
            self.wake = threading.Event()

    # -- faults and the call log ---------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        if fault.operation != "*" and fault.operation not in OPERATIONS:
            raise ValueError(f"unknown operation {fault.operation!r}")
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation in ("*", operation) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def fault_answer(self, fault: Fault) -> Answer | None:
        """The answer a fault gives instead of the operation's (None: answer normally,
        after a ``delay``)."""
        if fault.kind == "delay":
            generation = self.generation
            self.wake.wait(fault.delay)
            if generation != self.generation:
                return raw(503, "<html><body>The server was reset.</body></html>")
            return None
        if fault.kind == "status":
            return raw(fault.status, f"<html><body><h1>{fault.status}</h1></body></html>")
        if fault.kind == "non_xml":
            return raw(200, NON_XML_BODY)
        if fault.kind == "dtd":
            return raw(200, DTD_BODY, "text/xml;charset=utf-8")
        if fault.kind == "failed":
            return failed(fault.key, fault.message)
        return raw(200, "<response><returncode>SUCC", "text/xml;charset=utf-8")

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def record(self, call: Call, generation: int) -> None:
        """Log ``call`` unless the server was reset since it began (``generation``)."""
        with self.calls_changed:
            if generation != self.generation:
                return
            self.calls.append(call)
            self.calls_changed.notify_all()

    # -- security ------------------------------------------------------------------------

    def check(self, call: str, raw_query: str, params: dict[str, str]) -> ChecksumCheck:
        """[API] "API Security Model"; [web] GetChecksum, GetChecksumValidator (see
        :mod:`local.fakes.bbb_server.security`). A missing checksum fails like a wrong
        one ([web] ValidationService takes ``""`` for it)."""
        with self.lock:
            supported = self.supported
        return check_checksum(call, raw_query, params.get("checksum", ""), self.secret, supported)

    # -- version -------------------------------------------------------------------------

    def version(self) -> Answer:
        """[ctl] ``index`` with ``api-version.ftlx``: ``version`` and ``apiVersion`` (2.0),
        ``bbbVersion`` (empty unless the server reveals it: ``allowRevealOfBBBVersion``)."""
        return xml_answer(
            [
                ("returncode", "SUCCESS"),
                ("version", API_VERSION),
                ("apiVersion", API_VERSION),
                ("bbbVersion", self.bbb_version),
            ]
        )

    # -- create --------------------------------------------------------------------------

    @staticmethod
    def _meeting_id_violation(params: dict[str, str]) -> tuple[str, str] | None:
        """[web] MeetingIDConstraint: present, 2..256 UTF-16 units, no comma."""
        meeting_id = params.get("meetingID", "")
        if not meeting_id:
            return MISSING_MEETING_ID
        if not 2 <= utf16_length(meeting_id) <= 256:
            return MEETING_ID_SIZE
        if "," in meeting_id:
            return MEETING_ID_COMMA
        return None

    def _create_violation(self, params: dict[str, str]) -> tuple[str, str] | None:
        """[web] CreateMeeting's constraints, then [ctl] create's "Invalid meeting ID"
        (a meetingID that sanitizing would change: control characters).

        ASSUMPTION: bbb-web collects every violation in a HashMap and answers one of them
        (which one is unspecified); this server answers the first in field order."""
        name = params.get("name", "")
        if not name:
            return MISSING_NAME
        if not 2 <= utf16_length(name) <= 256:
            return NAME_SIZE
        violation = self._meeting_id_violation(params)
        if violation is not None:
            return violation
        voice_bridge = params.get("voiceBridge")
        if voice_bridge is not None and not DIGITS.fullmatch(voice_bridge):
            return VOICE_BRIDGE_FORMAT
        for password in ("attendeePW", "moderatorPW"):
            # ASSUMPTION: an empty password counts as absent (processPassword does).
            value = params.get(password, "")
            if value and not 2 <= utf16_length(value) <= 64:
                return PASSWORD_SIZE
        record = params.get("record")
        if record is not None and record.lower() not in BOOLEAN:
            return RECORD_FORMAT
        if CONTROL_CHARACTERS.search(params["meetingID"]):
            return MEETING_ID_INVALID
        return None

    def _new_voice_bridge(self) -> str:
        """[web] processTelVoice: five random digits; [ctl] create tries for one no other
        meeting uses."""
        used = {meeting.voice_bridge for meeting in self.meetings.values()}
        while True:
            candidate = "".join(secrets.choice(string.digits) for _ in range(5))
            if candidate not in used:
                return candidate

    @staticmethod
    def _integer(value: str | None, default: int) -> int:
        try:
            return int(value) if value else default
        except ValueError:
            return default

    def create(self, params: dict[str, str], server_url: str) -> Answer:
        """[API] create; [ctl] create; [web] processCreateParams.

        Idempotent on ``meetingID`` while the meeting exists: a second create answers
        SUCCESS with ``duplicateWarning`` and the existing meeting (nothing is updated:
        ``updateMeeting`` is commented out in [ctl]) when it sends the same passwords or
        none at all; different passwords answer ``idNotUnique``. Once a meeting has ended
        the same meetingID creates a new one (new internalMeetingID and createTime)."""
        violation = self._create_violation(params)
        if violation is not None:
            return failed(*violation)
        meeting_id = params["meetingID"]
        with self.lock:
            existing = self.meetings.get(meeting_id)
            if existing is not None:
                attendee_pw = params.get("attendeePW", "")
                moderator_pw = params.get("moderatorPW", "")
                same = attendee_pw == existing.attendee_pw and moderator_pw == existing.moderator_pw
                if same or (not attendee_pw and not moderator_pw):
                    return self._create_answer(existing, *DUPLICATE_WARNING)
                return failed(*ID_NOT_UNIQUE)
            meeting = self._new_meeting(params, server_url)
            self.meetings[meeting_id] = meeting
            return self._create_answer(meeting, "", "")

    def _new_meeting(self, params: dict[str, str], server_url: str) -> Meeting:
        # Strictly increasing, so a meeting re-created within the same millisecond still
        # gets a new internalMeetingID.
        create_time = max(int(time.time() * 1000), self._last_create_time + 1)
        self._last_create_time = create_time
        name = CONTROL_CHARACTERS.sub("", params["name"])  # [web] stripControlChars
        voice_bridge = params.get("voiceBridge") or self._new_voice_bridge()
        dial_number = params.get("dialNumber") or DEFAULT_DIAL_NUMBER
        welcome = (
            (params.get("welcome") or DEFAULT_WELCOME)
            .replace("%%CONFNAME%%", name)
            .replace("%%DIALNUM%%", dial_number)
            .replace("%%CONFNUM%%", voice_bridge)
        )
        return Meeting(
            meeting_id=params["meetingID"],
            # [web] convertToInternalMeetingId + "-" + createTime
            internal_id=f"{hashlib.sha1(params['meetingID'].encode()).hexdigest()}-{create_time}",  # noqa: S324
            name=name,
            create_time=create_time,
            voice_bridge=voice_bridge,
            dial_number=dial_number,
            # [web] processPassword: a random 8-character password when none is given.
            attendee_pw=params.get("attendeePW") or _token(8),
            moderator_pw=params.get("moderatorPW") or _token(8),
            record=parse_boolean(params.get("record", "")),
            guest_policy=params.get("guestPolicy") or DEFAULT_GUEST_POLICY,
            welcome=welcome,
            logout_url=params.get("logoutURL") or server_url,
            duration=self._integer(params.get("duration"), 0),
            max_participants=self._integer(params.get("maxParticipants"), 0),
            expire_if_no_user_joined_minutes=self._integer(
                params.get("meetingExpireIfNoUserJoinedInMinutes"),
                DEFAULT_EXPIRE_IF_NO_USER_JOINED_MINUTES,
            ),
            metadata={
                key.removeprefix("meta_").lower(): value
                for key, value in params.items()
                if META_NAME.fullmatch(key)
            },
            params={key: value for key, value in params.items() if key != "checksum"},
        )

    @staticmethod
    def _create_answer(meeting: Meeting, key: str, message: str) -> Answer:
        """[ctl] respondWithConference, ``create-meeting.ftlx``."""
        return xml_answer(
            [
                ("returncode", "SUCCESS"),
                ("meetingID", meeting.meeting_id),
                ("internalMeetingID", meeting.internal_id),
                ("parentMeetingID", "bbb-none"),
                ("attendeePW", meeting.attendee_pw),
                ("moderatorPW", meeting.moderator_pw),
                ("createTime", meeting.create_time),
                ("voiceBridge", meeting.voice_bridge),
                ("dialNumber", meeting.dial_number),
                ("createDate", _java_date(meeting.create_time)),
                ("hasUserJoined", meeting.has_user_joined),
                ("duration", meeting.duration),
                ("hasBeenForciblyEnded", meeting.forcibly_ended),
                ("messageKey", key),
                ("message", message),
            ]
        )

    # -- join ----------------------------------------------------------------------------

    def guest_status(
        self,
        meeting: Meeting,
        role: str,
        guest: bool,
        authenticated: bool,
        guest_param_provided: bool,
    ) -> str:
        """[web] Meeting.calcGuestStatus (2.6 and later), with bbb-web's
        ``authenticatedGuest`` (default true).

        Moderators, and users sent with ``guest=false``, are let in; otherwise
        ALWAYS_ACCEPT lets in, ALWAYS_DENY refuses, ASK_MODERATOR sends to the lobby a
        guest and any non-moderator counted as authenticated (which a join without a
        ``guest`` parameter is: so a viewer must be sent with ``guest=false`` to skip the
        lobby), ALWAYS_ACCEPT_AUTH sends guests to the lobby; an unknown policy refuses.
        With ``authenticatedGuest`` false, only the ``guest`` flag counts, for moderators
        too."""
        policy = meeting.guest_policy
        if not self.authenticated_guest:
            if not guest:
                return ALLOW
            return {
                "ALWAYS_ACCEPT": ALLOW,
                "ALWAYS_ACCEPT_AUTH": ALLOW,
                "ASK_MODERATOR": WAIT,
            }.get(policy, DENY)
        if role == MODERATOR or (guest_param_provided and not guest):
            return ALLOW
        if policy == "ALWAYS_ACCEPT":
            return ALLOW
        if policy == "ASK_MODERATOR":
            return WAIT if guest or authenticated else ALLOW
        if policy == "ALWAYS_ACCEPT_AUTH":
            return WAIT if guest else ALLOW
        return DENY

    @staticmethod
    def _error_location(base: str, key: str, message: str) -> str:
        """[ctl] respondWithRedirect: ``errors=[{"key": ..., "message": ...}]`` added to
        the query of the URL (``java.net.URI`` quotes what a query may not hold)."""
        parts = urlsplit(base)
        errors = json.dumps([{"key": key, "message": message}], separators=(",", ":"))
        added = "errors=" + quote(errors, safe="[]{}:,=&/?@!$'()*+;")
        query = f"{parts.query}&{added}" if parts.query else added
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

    def join(self, params: dict[str, str], server_url: str, checksum_ok: bool) -> Answer:
        """[API] join; [ctl] join; [web] JoinMeeting.

        Roles: ``role`` MODERATOR or VIEWER (any case) wins; otherwise the deprecated
        ``password`` is matched against the meeting's passwords; neither answers
        "Params required" (as XML, even when redirecting: [ctl] renders it directly).
        The user is registered with a session token; the answer is a 302 to the client
        (``/html5client/join?sessionToken=...``), or for a user who must wait, to the
        guest lobby (``/html5client/guestWait?sessionToken=...``). ``redirect`` other
        than "true" (default true) answers the XML of ``join-meeting.ftlx`` instead.

        Errors (a checksum error included) redirect, when redirecting, to
        ``errorRedirectUrl`` (2.7), else the join's ``logoutURL``, else the server's
        logout URL, with ``errors=[{"key","message"}]`` in the query ([ctl] invalid /
        respondWithRedirect). ASSUMPTION: with ``redirect=false`` they are XML (2.7's
        "Add new join param errorRedirectUrl and fix to respect redirect", PR 17202;
        before it, join errors always redirected)."""
        redirect_value = params.get("redirect", "")
        redirecting = redirect_value == "" or parse_boolean(redirect_value)
        error_base = params.get("errorRedirectUrl") or params.get("logoutURL") or server_url

        def error(key: str, message: str) -> Answer:
            if not redirecting:
                return failed(key, message)
            answer = redirect(self._error_location(error_base, key, message))
            answer.message_key = key
            return answer

        if not checksum_ok:
            return error(*CHECKSUM_ERROR)
        violation = self._meeting_id_violation(params)
        if violation is not None:
            return error(*violation)
        for flag, problem in (("guest", GUEST_FORMAT), ("auth", AUTH_FORMAT)):
            value = params.get(flag)
            if value and value.lower() not in BOOLEAN:
                return error(*problem)
        create_time = params.get("createTime")
        if create_time is not None and not DIGITS.fullmatch(create_time):
            return error(*CREATE_TIME_FORMAT)
        with self.lock:
            meeting = self.meetings.get(params["meetingID"])
            if meeting is None:
                return error(*NOT_FOUND)  # [web] MeetingExistsConstraint
            if not params.get("fullName"):
                return error(*MISSING_FULL_NAME)
            if create_time is not None and int(create_time) != meeting.create_time:
                return error(*CREATE_TIME_MISMATCH)
            role = self._role(meeting, params)
            if role is None:
                password = params.get("password", "")
                return failed(*(INVALID_JOIN_PASSWORD if password else ROLE_REQUIRED))
            guest_param = params.get("guest", "")
            guest = parse_boolean(guest_param)
            # [ctl] "guest param has not been passed. Make user as authenticated by default"
            authenticated = not guest_param
            if params.get("auth"):
                authenticated = parse_boolean(params["auth"])
            status = self.guest_status(meeting, role, guest, authenticated, bool(guest_param))
            if status == DENY:
                return error(*GUEST_DENIED)
            if 0 < meeting.max_participants <= len(meeting.attendees):
                return error(*MAX_PARTICIPANTS)
            internal_id = "w_" + _token(12)
            user = User(
                internal_id=internal_id,
                user_id=params.get("userID") or internal_id,
                full_name=CONTROL_CHARACTERS.sub("", params["fullName"]),
                role=role,
                guest=guest,
                authenticated=authenticated,
                guest_status=status,
                session_token=_token(16),
                auth_token=_token(12),
                custom_data={
                    key.removeprefix("userdata-"): value
                    for key, value in params.items()
                    if key.startswith("userdata-") and key.count("-") == 1
                },
            )
            meeting.users.append(user)
        page = "guestWait" if status == WAIT else "join"
        destination = f"{server_url}/html5client/{page}?sessionToken={user.session_token}"
        if redirecting:
            return redirect(destination)
        key, message = GUEST_WAIT if status == WAIT else JOINED
        return xml_answer(
            [
                ("returncode", "SUCCESS"),
                ("messageKey", key),
                ("message", message),
                ("meeting_id", meeting.internal_id),
                ("user_id", user.internal_id),
                ("auth_token", user.auth_token),
                ("session_token", user.session_token),
                ("guestStatus", status),
                ("url", destination),
            ]
        )

    @staticmethod
    def _role(meeting: Meeting, params: dict[str, str]) -> str | None:
        role = params.get("role", "").upper()
        if role in (MODERATOR, VIEWER):
            return role
        password = params.get("password", "")
        if password and password == meeting.moderator_pw:
            return MODERATOR
        if password and password == meeting.attendee_pw:
            return VIEWER
        return None

    # -- the client's pages (what a browser does after join) -----------------------------

    def _session(self, session_token: str) -> tuple[Meeting, User] | None:
        for meeting in self.meetings.values():
            for user in meeting.users:
                if user.session_token == session_token:
                    return meeting, user
        return None

    def client_page(self, session_token: str) -> Answer:
        """``/html5client/join``: the browser loads the client and the user enters the
        meeting, which is then running. ASSUMPTION: the real client is a JavaScript app
        that enters through bbb-web's ``enter`` and the GraphQL server; loading this page
        stands for all of that. A user still waiting is sent to the lobby page."""
        with self.lock:
            found = self._session(session_token)
            if found is None:
                return raw(404, "<html><body>Session not found</body></html>")
            meeting, user = found
            if user.guest_status == WAIT:
                return redirect(f"/html5client/guestWait?sessionToken={session_token}")
            if user.guest_status != ALLOW:
                return raw(403, "<html><body>Denied</body></html>")
            self._enter(meeting, user)
        return raw(200, "<html><head><title>BigBlueButton</title></head><body></body></html>")

    def lobby_page(self, session_token: str) -> Answer:
        """``/html5client/guestWait``: the lobby page while waiting; once admitted, off to
        the client ([ctl] guestWait answers the client URL for ALLOW)."""
        with self.lock:
            found = self._session(session_token)
            if found is None:
                return raw(404, "<html><body>Session not found</body></html>")
            _, user = found
            if user.guest_status == ALLOW:
                return redirect(f"/html5client/join?sessionToken={session_token}")
            if user.guest_status == DENY:
                return raw(403, "<html><body>Guest denied of joining the meeting.</body></html>")
        return raw(200, "<html><body>Please wait for a moderator to approve you.</body></html>")

    @staticmethod
    def _enter(meeting: Meeting, user: User) -> None:
        user.entered = True
        meeting.running = True
        meeting.has_user_joined = True

    # -- isMeetingRunning, getMeetingInfo, getMeetings, end ------------------------------

    def is_meeting_running(self, params: dict[str, str]) -> Answer:
        """[API] isMeetingRunning; [web] MeetingRunning has no MeetingExistsConstraint, so
        an unknown meeting is not an error: ``running`` false."""
        violation = self._meeting_id_violation(params)
        if violation is not None:
            return failed(*violation)
        with self.lock:
            meeting = self.meetings.get(params["meetingID"])
            running = meeting is not None and meeting.running
        return xml_answer([("returncode", "SUCCESS"), ("running", running)])

    def get_meeting_info(self, params: dict[str, str]) -> Answer:
        """[API] getMeetingInfo, ``get-meeting-info.ftlx``. ``attendees`` are the users in
        the meeting; guests waiting in the lobby are not among them (the template lists
        ``meeting.getUsers()``, the users who joined). An unknown meeting is ``notFound``."""
        violation = self._meeting_id_violation(params)
        if violation is not None:
            return failed(*violation)
        with self.lock:
            meeting = self.meetings.get(params["meetingID"])
            if meeting is None:
                return failed(*NOT_FOUND)
            return xml_answer([("returncode", "SUCCESS"), *self._meeting_fields(meeting)])

    def get_meetings(self) -> Answer:
        """[API] getMeetings; [ctl] ``noMeetings`` when there are none."""
        with self.lock:
            meetings: Children = [
                ("meeting", self._meeting_fields(meeting)) for meeting in self.meetings.values()
            ]
        if not meetings:
            return xml_answer(
                [
                    ("returncode", "SUCCESS"),
                    ("meetings", None),
                    ("messageKey", NO_MEETINGS[0]),
                    ("message", NO_MEETINGS[1]),
                ]
            )
        return xml_answer([("returncode", "SUCCESS"), ("meetings", meetings)])

    @staticmethod
    def _meeting_fields(meeting: Meeting) -> Children:
        attendees = meeting.attendees
        return [
            ("meetingName", meeting.name),
            ("meetingID", meeting.meeting_id),
            ("internalMeetingID", meeting.internal_id),
            ("createTime", meeting.create_time),
            ("createDate", _java_date(meeting.create_time)),
            ("voiceBridge", meeting.voice_bridge),
            ("dialNumber", meeting.dial_number),
            ("attendeePW", meeting.attendee_pw),
            ("moderatorPW", meeting.moderator_pw),
            ("running", meeting.running),
            ("duration", meeting.duration),
            ("hasUserJoined", meeting.has_user_joined),
            ("recording", meeting.record),
            ("hasBeenForciblyEnded", meeting.forcibly_ended),
            ("startTime", meeting.create_time),
            ("endTime", meeting.end_time),
            ("participantCount", len(attendees)),
            ("listenerCount", 0),
            ("voiceParticipantCount", 0),
            ("videoCount", 0),
            ("maxUsers", meeting.max_participants),
            ("moderatorCount", sum(1 for user in attendees if user.role == MODERATOR)),
            (
                "attendees",
                [
                    (
                        "attendee",
                        [
                            ("userID", user.user_id),
                            ("fullName", user.full_name),
                            ("role", user.role),
                            ("isPresenter", False),
                            ("isListeningOnly", False),
                            ("hasJoinedVoice", False),
                            ("hasVideo", False),
                            ("clientType", "HTML5"),
                            *(
                                [("customdata", list(user.custom_data.items()))]
                                if user.custom_data
                                else []
                            ),
                        ],
                    )
                    for user in attendees
                ],
            ),
            ("metadata", list(meeting.metadata.items())),
            ("isBreakout", False),
        ]

    def end(self, params: dict[str, str]) -> Answer:
        """[API] end; [web] EndMeeting (MeetingExistsConstraint: ``notFound``; a
        ``password``, deprecated, must be the moderator's: ``invalidPassword``).

        The answer only says the request was sent ("Please wait a few seconds, and then
        use the getMeetingInfo or isMeetingRunning API calls to verify that it was
        ended"). ASSUMPTION: here the meeting is ended and removed at once, as bbb-web
        does within seconds: afterwards getMeetingInfo answers ``notFound``,
        isMeetingRunning ``false``, and create with the same meetingID makes a new
        meeting."""
        violation = self._meeting_id_violation(params)
        if violation is not None:
            return failed(*violation)
        with self.lock:
            meeting = self.meetings.get(params["meetingID"])
            if meeting is None:
                return failed(*NOT_FOUND)
            password = params.get("password")
            if password and password != meeting.moderator_pw:
                return failed(*WRONG_MODERATOR_PASSWORD)
            self.end_meeting(meeting.meeting_id, forcibly=True)
        return xml_answer(
            [("returncode", "SUCCESS"), ("messageKey", END_SENT[0]), ("message", END_SENT[1])]
        )

    # -- control -------------------------------------------------------------------------

    def end_meeting(self, meeting_id: str, *, forcibly: bool) -> bool:
        """The meeting ends and is removed (``forcibly``: by the end API call or a
        moderator; otherwise it expired or its last user left). False if unknown."""
        with self.lock:
            meeting = self.meetings.pop(meeting_id, None)
            if meeting is None:
                return False
            meeting.running = False
            meeting.forcibly_ended = forcibly
            meeting.end_time = max(int(time.time() * 1000), meeting.create_time)
            for user in meeting.users:
                user.entered = False
            self.ended.append(meeting)
            return True

    def admit(self, meeting_id: str, user_id: str, *, allow: bool) -> bool:
        """A moderator's answer to a guest in the lobby: admitted guests enter the meeting
        (their lobby page takes them to the client), refused ones are turned away."""
        with self.lock:
            meeting = self.meetings.get(meeting_id)
            user = None if meeting is None else meeting.user(user_id)
            if meeting is None or user is None or user.guest_status != WAIT:
                return False
            user.guest_status = ALLOW if allow else DENY
            if allow:
                self._enter(meeting, user)
            return True

    def enter(self, meeting_id: str, user_id: str) -> bool:
        """A registered user's browser loads the client (as following the join URL does)."""
        with self.lock:
            meeting = self.meetings.get(meeting_id)
            user = None if meeting is None else meeting.user(user_id)
            if meeting is None or user is None or user.guest_status != ALLOW:
                return False
            self._enter(meeting, user)
            return True

    def set_running(self, meeting_id: str, running: bool) -> bool:
        with self.lock:
            meeting = self.meetings.get(meeting_id)
            if meeting is None:
                return False
            meeting.running = running
            return True

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [meeting.as_json() for meeting in self.meetings.values()]
