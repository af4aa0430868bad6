"""``BBBServer``: the local BigBlueButton served by werkzeug in a daemon thread."""

from __future__ import annotations

from typing import Any

from local.fakes.bbb_server.app import create_app
from local.fakes.bbb_server.security import DEFAULT_SUPPORTED
from local.fakes.bbb_server.store import Call, Fault, Store
from local.serving import FaultyServer

DEFAULT_SECRET = "local-bbb-shared-secret"


class BBBServer(FaultyServer):
    """A local BigBlueButton API (bbb-web 2.7 to 3.0) on ``127.0.0.1:port`` (0: any).

    ``secret`` is the shared secret (bbb-web's ``securitySalt``); ``algorithms`` its
    ``supportedChecksumAlgorithms``; ``authenticated_guest`` its ``authenticatedGuest``.
    Misbehave on purpose with :meth:`inject`; act as the people in a meeting would with
    :meth:`admit`, :meth:`enter`, :meth:`set_running`, :meth:`end_meeting`; read what
    happened with :meth:`calls`, :meth:`meetings`, :meth:`attendees`, :meth:`lobby`.
    Other processes use the JSON routes under ``/_control/``.
    """

    LABEL = "the BigBlueButton server"
    THREAD_NAME = "bbb-server"
    store: Store

    def __init__(
        self,
        port: int = 0,
        *,
        secret: str = DEFAULT_SECRET,
        algorithms: tuple[str, ...] = DEFAULT_SUPPORTED,
        authenticated_guest: bool = True,
        bbb_version: str = "",
    ) -> None:
        super().__init__(port)
        self.store = Store(
            secret, algorithms, authenticated_guest=authenticated_guest, bbb_version=bbb_version
        )

    # -- lifecycle (FaultyServer) --------------------------------------------------------

    def _app(self) -> Any:
        return create_app(self.store)

    @property
    def api_url(self) -> str:
        """What ``bbb-conf --secret`` calls the URL: ``{base}/bigbluebutton/api/``."""
        return f"{self.base_url}/bigbluebutton/api/"

    @property
    def secret(self) -> str:
        return self.store.secret

    # -- configuration -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget meetings, users, faults and calls (the secret and algorithms stay)."""
        self.store.reset()

    def set_algorithms(self, algorithms: tuple[str, ...]) -> None:
        """bbb-web's ``supportedChecksumAlgorithms`` from now on."""
        with self.store.lock:
            self.store.supported = tuple(algorithms)

    def inject(
        self,
        operation: str,
        kind: str,
        *,
        count: int = 1,
        status: int = 503,
        delay: float = 0.0,
        key: str = "unknownError",
        message: str = "An unknown error occurred",
    ) -> None:
        """The next ``count`` calls of ``operation`` (``create``, ``join``,
        ``isMeetingRunning``, ``getMeetingInfo``, ``getMeetings``, ``end``, ``version`` or
        ``*``) misbehave. ``kind``:

        - ``status``: answer HTTP ``status`` with an HTML page (a proxy's 5xx);
        - ``delay``: wait ``delay`` seconds, then answer normally (client timeouts; a
          reset or stop cuts the wait short);
        - ``non_xml``: HTTP 200 with an HTML page;
        - ``dtd``: HTTP 200 with an XML answer that declares entities in a DTD;
        - ``truncated``: HTTP 200 with XML cut short;
        - ``failed``: HTTP 200 with a FAILED answer, ``messageKey`` ``key`` and ``message``.

        The call is not made (except after a ``delay``)."""
        self.store.add_fault(Fault(operation, kind, count, status, delay, key, message))

    def clear_faults(self) -> None:
        self.store.clear_faults()

    # -- people in the meeting -----------------------------------------------------------

    def admit(self, meeting_id: str, user_id: str, *, allow: bool = True) -> bool:
        """A moderator admits (``allow``) or refuses a guest waiting in the lobby;
        ``user_id`` is the join's ``userID`` (or the internal user id). An admitted guest
        enters the meeting. False if no such guest is waiting."""
        return self.store.admit(meeting_id, user_id, allow=allow)

    def enter(self, meeting_id: str, user_id: str) -> bool:
        """A user registered by join (and let in) loads the client and enters."""
        return self.store.enter(meeting_id, user_id)

    def set_running(self, meeting_id: str, running: bool = True) -> bool:
        """Mark a meeting running (as when someone has entered) or not."""
        return self.store.set_running(meeting_id, running)

    def end_meeting(self, meeting_id: str, *, forcibly: bool = False) -> bool:
        """The meeting ends and is removed, as when it expires, its last user leaves
        (``forcibly`` False) or a moderator ends it (True)."""
        return self.store.end_meeting(meeting_id, forcibly=forcibly)

    # -- inspection ----------------------------------------------------------------------

    def calls(self, operation: str | None = None) -> list[Call]:
        """The API calls answered so far, oldest first (only ``operation``'s when given)."""
        with self.store.lock:
            return [c for c in self.store.calls if operation is None or c.operation == operation]

    def count(self, operation: str) -> int:
        return len(self.calls(operation))

    def wait_for_calls(self, operation: str, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` calls of ``operation`` were answered; False on timeout."""
        with self.store.calls_changed:
            return self.store.calls_changed.wait_for(
                lambda: sum(c.operation == operation for c in self.store.calls) >= count,
                timeout,
            )

    def meetings(self) -> list[dict[str, Any]]:
        """Every meeting that exists now, with its users (``attendees``: in the meeting;
        ``lobby``: waiting; ``users``: every one registered by join)."""
        return self.store.snapshot()

    def meeting(self, meeting_id: str) -> dict[str, Any] | None:
        return next((m for m in self.meetings() if m["meetingID"] == meeting_id), None)

    def ended_meetings(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [meeting.as_json() for meeting in self.store.ended]

    def attendees(self, meeting_id: str) -> list[dict[str, Any]]:
        meeting = self.meeting(meeting_id)
        return [] if meeting is None else list(meeting["attendees"])

    def lobby(self, meeting_id: str) -> list[dict[str, Any]]:
        meeting = self.meeting(meeting_id)
        return [] if meeting is None else list(meeting["lobby"])
