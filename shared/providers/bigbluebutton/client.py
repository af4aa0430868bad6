"""A client of BigBlueButton's API (bbb-web, versions 2.7 to 3.0).

Calls
    ``create`` (:meth:`BigBlueButtonClient.create`), ``isMeetingRunning``,
    ``getMeetingInfo``, ``end``; and :meth:`~BigBlueButtonClient.join_url`, which only
    builds the signed ``join`` URL a browser is sent to. Every call is a
    ``GET {api_url}{call}?{query}&checksum=...`` signed by :mod:`.checksum` (sha256 by
    default; the server must list the algorithm in its ``supportedChecksumAlgorithms``).
    The query is built once and the same text is signed and sent: the prepared request's
    URL is compared with it before sending, so nothing re-encodes it on the way.

Meetings
    BigBlueButton meetings cannot be booked ahead and expire by themselves when nobody
    joins (``meetingExpireIfNoUserJoinedInMinutes``): create when the first person
    arrives. ``create`` is idempotent on ``meetingID``: a second create answers SUCCESS
    with ``duplicateWarning`` and the running meeting, unchanged
    (:attr:`MeetingInfo.duplicate`); use :func:`.meeting_ids.derive_meeting_id` for ids.
    No deprecated passwords are sent or kept: roles go in the join URL (``role``).

Join URLs
    A join URL is handed to one person's browser, so it carries only that person's data:
    ``fullName``, ``meetingID``, ``role`` (MODERATOR or VIEWER), ``userID``, ``guest``
    (and ``createTime`` when given), and the checksum. ``guest`` is always sent: ``true``
    puts a non-moderator in the guest lobby under the ``ASK_MODERATOR`` policy; ``false``
    must be sent explicitly for admitted viewers, because bbb-web counts a join without
    it as "authenticated", which ``ASK_MODERATOR`` also sends to the lobby (bbb-common-web
    ``Meeting.calcGuestStatus``).

Errors (``shared.errors``)
    Timeouts, connection errors, HTTP 5xx and 429, and answers that cannot be read
    (:mod:`.answers`) are :class:`~shared.errors.TransientFailure`, retried within
    ``max_retry_seconds`` (every call here may be repeated: create is idempotent on
    meetingID, the others read or end). A FAILED answer is a
    :class:`~shared.errors.PermanentFailure`: ``notFound`` (and the older
    ``invalidMeetingIdentifier``) a :class:`~shared.errors.NotFound`; ``checksumError`` a
    :class:`~shared.errors.ProviderAccountFailure` (the secret or the algorithm is wrong:
    every meeting is affected); any other key a :class:`~shared.errors.MeetingRefused`
    naming it. Another HTTP status (a redirect, 401, 404: the API URL is wrong) is a
    :class:`~shared.errors.ProviderAccountFailure`. An ``end`` whose first attempt ended
    the meeting but whose answer was lost answers ``notFound`` when retried.

Secrets
    Logs and exception messages carry the call, HTTP statuses and message keys only:
    never the secret, a checksum, a URL (a signed join URL is a credential), a meeting
    name or a person's name. Request exceptions are re-raised ``from None``: their text
    holds the URL.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from shared.errors import (
    ConfigurationError,
    InvalidInput,
    MeetingRefused,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.providers.bigbluebutton.answers import (
    MAX_ANSWER_BYTES,
    ApiAnswer,
    UnreadableAnswer,
    parse_answer,
)
from shared.providers.bigbluebutton.checksum import ALGORITHMS, DEFAULT_ALGORITHM, signed_url
from shared.retries import retry_transient
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

MODERATOR = "MODERATOR"
VIEWER = "VIEWER"
ROLES = (MODERATOR, VIEWER)
#: ``guestPolicy`` values (API Reference, create; ALWAYS_ACCEPT_AUTH from bbb-common-web).
GUEST_POLICIES = ("ALWAYS_ACCEPT", "ALWAYS_DENY", "ASK_MODERATOR", "ALWAYS_ACCEPT_AUTH")
#: create's ``name`` and ``meetingID``: 2 to 256 characters, counted as Java does (UTF-16).
MIN_LENGTH = 2
MAX_LENGTH = 256
NOT_FOUND_KEYS = ("notFound", "invalidMeetingIdentifier")
CHECKSUM_SETTING = "the BigBlueButton shared secret and checksum algorithm"
URL_SETTING = "the BigBlueButton API URL"
#: ``meta_`` names bbb-web keeps (others are dropped silently there; refused here).
_META_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MESSAGE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,63}")
_CHUNK = 65536

#: The options of :meth:`BigBlueButtonClient.create`: keyword -> (parameter, type).
CREATE_OPTIONS: dict[str, tuple[str, type]] = {
    "record": ("record", bool),
    "auto_start_recording": ("autoStartRecording", bool),
    "allow_start_stop_recording": ("allowStartStopRecording", bool),
    "guest_policy": ("guestPolicy", str),
    "welcome": ("welcome", str),
    "moderator_only_message": ("moderatorOnlyMessage", str),
    "logout_url": ("logoutURL", str),
    "max_participants": ("maxParticipants", int),
    "duration": ("duration", int),
    "meeting_expire_if_no_user_joined_minutes": ("meetingExpireIfNoUserJoinedInMinutes", int),
    "meeting_expire_when_last_user_left_minutes": ("meetingExpireWhenLastUserLeftInMinutes", int),
    "end_when_no_moderator": ("endWhenNoModerator", bool),
    "mute_on_start": ("muteOnStart", bool),
    "meeting_layout": ("meetingLayout", str),
}


@dataclass(frozen=True)
class Attendee:
    """A user in the meeting (getMeetingInfo's ``attendees``; guests waiting in the lobby
    are not among them)."""

    user_id: str
    full_name: str
    role: str


@dataclass(frozen=True)
class MeetingInfo:
    """What create or getMeetingInfo said of a meeting (create's answer has no name,
    running state or attendees)."""

    meeting_id: str
    internal_meeting_id: str
    create_time: int | None
    name: str | None = None
    running: bool = False
    has_user_joined: bool = False
    forcibly_ended: bool = False
    participant_count: int = 0
    moderator_count: int = 0
    attendees: tuple[Attendee, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    voice_bridge: str | None = None
    dial_number: str | None = None
    #: create answered ``duplicateWarning``: the meeting already existed and was kept as
    #: it was (perhaps made by an earlier attempt of the same create whose answer was
    #: lost: a retried create answers so too).
    duplicate: bool = False


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, never inside a surrogate pair."""
    while utf16_length(text) > limit:
        text = text[:-1]
    return text


def _clean(text: str) -> str:
    """A display name as bbb-web keeps it: control characters removed, trimmed."""
    return _CONTROL.sub("", text).strip()


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _flag(answer: ApiAnswer, tag: str) -> bool:
    return (answer.text(tag) or "").lower() == "true"


def _number(answer: ApiAnswer, tag: str) -> int | None:
    value = answer.text(tag)
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def check_meeting_id(meeting_id: str) -> str:
    """``meeting_id`` if bbb-web takes it (2 to 256 UTF-16 units, no comma, no control
    characters), else :class:`~shared.errors.InvalidInput`."""
    if not isinstance(meeting_id, str) or not MIN_LENGTH <= utf16_length(meeting_id) <= MAX_LENGTH:
        raise InvalidInput("a BigBlueButton meeting id has 2 to 256 characters")
    if "," in meeting_id or _CONTROL.search(meeting_id):
        raise InvalidInput("a BigBlueButton meeting id has no comma or control character")
    return meeting_id


class BigBlueButtonClient:
    """Calls one BigBlueButton server's API; safe to share between threads (one
    ``requests.Session`` per thread).

    ``api_url`` is the server's API endpoint (``https://HOST/bigbluebutton/api/``, as
    ``bbb-conf --secret`` shows it); ``secret`` its shared secret; ``algorithm`` the
    checksum algorithm (one of :data:`~.checksum.ALGORITHMS`).
    """

    def __init__(
        self,
        api_url: str,
        secret: str,
        *,
        algorithm: str = DEFAULT_ALGORITHM,
        timeout: float = 10.0,
        max_retry_seconds: float = 4.0,
        session_factory: Callable[[], requests.Session] = requests.Session,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        problems = []
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append("the BigBlueButton API URL must be an http(s) URL")
        if parts.query or parts.fragment:
            problems.append("the BigBlueButton API URL has no query or fragment")
        if not secret:
            problems.append("the BigBlueButton shared secret is empty")
        if algorithm not in ALGORITHMS:
            problems.append(f"the checksum algorithm must be one of {', '.join(ALGORITHMS)}")
        if problems:
            raise ConfigurationError(problems)
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._secret = secret
        self._algorithm = algorithm
        self._timeout = timeout
        self._max_retry_seconds = max_retry_seconds
        self._session_factory = session_factory
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"BigBlueButtonClient(api_url={self._api_url!r}, algorithm={self._algorithm!r})"

    def close(self) -> None:
        for session in list(self._sessions):
            session.close()

    # -- the API -------------------------------------------------------------------------

    def create(
        self,
        meeting_id: str,
        name: str,
        *,
        meta: Mapping[str, str] | None = None,
        **options: object,
    ) -> MeetingInfo:
        """Create the meeting, or find it running (``duplicate``). ``name`` loses its
        control characters and is cut to 256 characters; ``options`` are those of
        :data:`CREATE_OPTIONS` (``record=True``, ``guest_policy="ASK_MODERATOR"``,
        ``welcome=...``, ``logout_url=...``, ``meeting_expire_if_no_user_joined_minutes=5``,
        ...); ``meta`` adds ``meta_NAME`` parameters (bbb-web lowercases the names)."""
        title = _cut(_clean(name), MAX_LENGTH)
        if utf16_length(title) < MIN_LENGTH:
            raise InvalidInput("a BigBlueButton meeting name has at least 2 characters")
        params = [("name", title), ("meetingID", check_meeting_id(meeting_id))]
        params.extend(self._create_options(options))
        for key, value in (meta or {}).items():
            if not _META_NAME.fullmatch(key):
                raise InvalidInput("a meta name is a letter then letters, digits or dashes")
            params.append((f"meta_{key}", _CONTROL.sub("", str(value))))
        answer = self._call("create", params)
        return MeetingInfo(
            meeting_id=answer.text("meetingID") or meeting_id,
            internal_meeting_id=answer.text("internalMeetingID") or "",
            create_time=_number(answer, "createTime"),
            has_user_joined=_flag(answer, "hasUserJoined"),
            forcibly_ended=_flag(answer, "hasBeenForciblyEnded"),
            voice_bridge=answer.text("voiceBridge"),
            dial_number=answer.text("dialNumber"),
            duplicate=answer.message_key == "duplicateWarning",
        )

    @staticmethod
    def _create_options(options: Mapping[str, object]) -> list[tuple[str, str]]:
        params = []
        for keyword, value in options.items():
            if keyword not in CREATE_OPTIONS:
                raise TypeError(f"create() got an unknown option {keyword!r}")
            parameter, kind = CREATE_OPTIONS[keyword]
            if kind is bool and isinstance(value, bool):
                params.append((parameter, _boolean(value)))
            elif kind is int and isinstance(value, int) and not isinstance(value, bool):
                if value < 0:
                    raise InvalidInput(f"{keyword} is a non-negative number")
                params.append((parameter, str(value)))
            elif kind is str and isinstance(value, str):
                if keyword == "guest_policy" and value not in GUEST_POLICIES:
                    raise InvalidInput(f"guest_policy is one of {', '.join(GUEST_POLICIES)}")
                params.append((parameter, _CONTROL.sub("", value)))
            else:
                raise TypeError(f"create() option {keyword!r} takes a {kind.__name__}")
        return params

    def join_url(
        self,
        meeting_id: str,
        full_name: str,
        role: str,
        user_id: str,
        guest: bool,
        *,
        create_time: int | None = None,
    ) -> str:
        """The signed join URL for one person's browser (no request is made). It holds
        only ``fullName``, ``meetingID``, ``role``, ``userID``, ``guest`` (always sent:
        see the module's docstring), ``createTime`` if given (bbb-web then refuses the
        URL for a later meeting with the same id) and the checksum. Opening it makes
        bbb-web register the user and redirect to the client (or the guest lobby)."""
        person = _clean(full_name)
        if not person:
            raise InvalidInput("a BigBlueButton participant needs a name")
        if role.upper() not in ROLES:
            raise InvalidInput("a BigBlueButton role is MODERATOR or VIEWER")
        if not user_id or _CONTROL.search(user_id):
            raise InvalidInput("a BigBlueButton user id is a non-empty text")
        params = [
            ("fullName", person),
            ("meetingID", check_meeting_id(meeting_id)),
            ("role", role.upper()),
            ("userID", user_id),
            ("guest", _boolean(guest)),
        ]
        if create_time is not None:
            params.append(("createTime", str(create_time)))
        return signed_url(self._api_url, "join", params, self._secret, self._algorithm)

    def is_meeting_running(self, meeting_id: str) -> bool:
        """Whether the meeting runs (someone is in it). An unknown meeting is not running
        (bbb-web answers ``running`` false, not ``notFound``)."""
        answer = self._call("isMeetingRunning", [("meetingID", check_meeting_id(meeting_id))])
        return _flag(answer, "running")

    def get_meeting_info(self, meeting_id: str) -> MeetingInfo:
        """The meeting, its running state and attendees; :class:`~shared.errors.NotFound`
        when there is no such meeting (never created, ended, or expired)."""
        answer = self._call("getMeetingInfo", [("meetingID", check_meeting_id(meeting_id))])
        attendees = tuple(
            Attendee(
                user_id=(element.findtext("userID") or "").strip(),
                full_name=(element.findtext("fullName") or "").strip(),
                role=(element.findtext("role") or "").strip().upper(),
            )
            for element in answer.children("attendees/attendee")
        )
        metadata_element = answer.root.find("metadata")
        metadata = {
            child.tag: (child.text or "").strip()
            for child in ([] if metadata_element is None else list(metadata_element))
        }
        return MeetingInfo(
            meeting_id=answer.text("meetingID") or meeting_id,
            internal_meeting_id=answer.text("internalMeetingID") or "",
            create_time=_number(answer, "createTime"),
            name=answer.text("meetingName"),
            running=_flag(answer, "running"),
            has_user_joined=_flag(answer, "hasUserJoined"),
            forcibly_ended=_flag(answer, "hasBeenForciblyEnded"),
            participant_count=_number(answer, "participantCount") or 0,
            moderator_count=_number(answer, "moderatorCount") or 0,
            attendees=attendees,
            metadata=metadata,
            voice_bridge=answer.text("voiceBridge"),
            dial_number=answer.text("dialNumber"),
        )

    def end(self, meeting_id: str) -> None:
        """Ask the server to end the meeting (everyone is sent out; bbb-web does it within
        seconds). :class:`~shared.errors.NotFound` when there is no such meeting."""
        self._call("end", [("meetingID", check_meeting_id(meeting_id))])

    # -- HTTP ----------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
            self._sessions.add(session)
        return session

    def _call(self, call: str, params: list[tuple[str, str]]) -> ApiAnswer:
        """One API call with retries; the SUCCESS answer, or an error of shared.errors."""
        url = signed_url(self._api_url, call, params, self._secret, self._algorithm)
        answer = retry_transient(
            lambda: self._attempt(call, url),
            what=f"bigbluebutton {call}",
            budget_seconds=self._max_retry_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        if answer.succeeded:
            return answer
        key = answer.message_key if _MESSAGE_KEY.fullmatch(answer.message_key) else "unknown"
        logger.warning("bigbluebutton refused a call", extra=fields(call=call, message_key=key))
        if key in NOT_FOUND_KEYS:
            raise NotFound(f"BigBlueButton has no such meeting ({call}: {key})")
        if key == "checksumError":
            raise ProviderAccountFailure(
                f"BigBlueButton refused the checksum of {call} (checksumError): check the "
                "shared secret and that the server supports the checksum algorithm",
                CHECKSUM_SETTING,
            )
        raise MeetingRefused(f"BigBlueButton refused {call} ({key})")

    def _attempt(self, call: str, url: str) -> ApiAnswer:
        """One HTTP request: the parsed answer (SUCCESS or FAILED), or TransientFailure /
        ProviderAccountFailure."""
        session = self._session()
        prepared = session.prepare_request(requests.Request("GET", url))
        if urlsplit(prepared.url or "").query != urlsplit(url).query:
            # requests would re-encode the query: what is sent would not be what is signed.
            raise PermanentFailure(f"the {call} request would not be sent as signed")
        try:
            settings = session.merge_environment_settings(url, {}, True, None, None)
            response = session.send(
                prepared, timeout=self._timeout, allow_redirects=False, **settings
            )
        except requests.Timeout:
            logger.warning("bigbluebutton call timed out", extra=fields(call=call))
            raise TransientFailure(f"BigBlueButton did not answer {call} in time") from None
        except requests.RequestException as err:
            kind = type(err).__name__
            logger.warning("bigbluebutton unreachable", extra=fields(call=call, error=kind))
            raise TransientFailure(
                f"BigBlueButton could not be reached for {call} ({kind})"
            ) from None
        with response:
            status = response.status_code
            if status == 429 or status >= 500:
                retry_after = _seconds(response.headers.get("Retry-After"))
                logger.warning("bigbluebutton call failed", extra=fields(call=call, status=status))
                raise TransientFailure(
                    f"BigBlueButton answered {call} with HTTP {status}", retry_after
                )
            if status != 200:
                logger.error("bigbluebutton call refused", extra=fields(call=call, status=status))
                raise ProviderAccountFailure(
                    f"BigBlueButton answered {call} with HTTP {status}: check the API URL",
                    URL_SETTING,
                )
            try:
                body = self._read(response)
                return parse_answer(body)
            except UnreadableAnswer as problem:
                logger.warning(
                    "bigbluebutton answer unreadable", extra=fields(call=call, problem=str(problem))
                )
                raise TransientFailure(f"BigBlueButton's answer to {call} is unreadable") from None
            except requests.RequestException as err:
                kind = type(err).__name__
                logger.warning("bigbluebutton answer cut", extra=fields(call=call, error=kind))
                raise TransientFailure(
                    f"BigBlueButton's answer to {call} was cut ({kind})"
                ) from None

    @staticmethod
    def _read(response: requests.Response) -> bytes:
        """The body, refusing to read more than the answers module accepts."""
        body = bytearray()
        for chunk in response.iter_content(_CHUNK):
            body.extend(chunk)
            if len(body) > MAX_ANSWER_BYTES:
                raise UnreadableAnswer("the answer is too large")
        return bytes(body)


def _seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a date form is ignored: BigBlueButton sends none)."""
    if value is None or not value.strip().isascii() or not value.strip().isdigit():
        return None
    return float(value.strip())
