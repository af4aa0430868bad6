"""``ZoomServer``: the local Zoom served by werkzeug in a daemon thread."""

from __future__ import annotations

from typing import Any

from local.fakes.zoom_server.app import create_app
from local.fakes.zoom_server.store import (
    DEFAULT_SCOPES,
    Call,
    DialInNumber,
    Fault,
    Store,
    User,
)
from local.serving import FaultyServer


class ZoomServer(FaultyServer):
    """A local Zoom v2 API with Server-to-Server OAuth, on ``127.0.0.1:port`` (0: any).

    Configure it with :meth:`add_account` and :meth:`add_user`; misbehave on purpose with
    :meth:`inject`; read what happened with :meth:`calls`, :meth:`count` and
    :meth:`meetings`. Other processes use the JSON routes under ``/_control/``.
    """

    LABEL = "the Zoom server"
    THREAD_NAME = "zoom-server"
    store: Store

    def __init__(self, port: int = 0, *, join_host: str = "us05web.zoom.us") -> None:
        super().__init__(port)
        self.store = Store(join_host=join_host)

    # -- lifecycle (FaultyServer) --------------------------------------------------------

    def _app(self) -> Any:
        return create_app(self.store)

    def _before_stop(self) -> None:
        self.store.release_holds()

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    # -- configuration ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: accounts, users, tokens, meetings, faults and calls."""
        self.store.reset()

    def add_account(
        self,
        account_id: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        dial_in_numbers: tuple[DialInNumber, ...] | None = None,
    ) -> None:
        """An account with a Server-to-Server OAuth app (``client_id``/``client_secret``)."""
        self.store.add_account(account_id, client_id, client_secret, scopes, dial_in_numbers)

    def add_user(
        self,
        account_id: str,
        email: str,
        *,
        user_id: str | None = None,
        timezone: str = "America/Los_Angeles",
        dial_in_countries: tuple[str, ...] = ("US",),
    ) -> User:
        """A user of ``account_id``; ``dial_in_countries`` orders the meeting's numbers."""
        return self.store.add_user(account_id, email, user_id, timezone, dial_in_countries)

    def set_scopes(self, client_id: str, scopes: tuple[str, ...]) -> None:
        """Replace the scopes of an app (its tokens lose or gain them at once)."""
        self.store.set_scopes(client_id, scopes)

    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 ``Access token is expired.`` from now on."""
        self.store.expire_tokens()

    def set_token_ttl(self, seconds: int) -> None:
        """``expires_in`` of the tokens issued from now on (Zoom's is 3600)."""
        self.store.token_ttl = seconds

    def set_daily_limit(self, limit: int | None) -> None:
        """Enforce Zoom's per-host daily limit of creates + updates (off by default)."""
        self.store.daily_limit = limit

    def inject(
        self,
        operation: str,
        kind: str,
        *,
        count: int = 1,
        status: int = 503,
        retry_after: str | None = None,
        daily: bool = False,
        delay: float = 0.0,
        drop: tuple[str, ...] = ("id", "join_url"),
    ) -> None:
        """The next ``count`` calls of ``operation`` misbehave.

        ``operation``: ``token``, ``create``, ``get``, ``update``, ``delete``,
        ``invitation``, ``list`` or ``*``. ``kind``:

        - ``status``: answer ``status`` (500/502/503/504) with a JSON error body;
        - ``rate_limit``: 429; ``retry_after`` is sent verbatim as ``Retry-After``
          (seconds, or an ISO-8601 date-time); ``daily`` answers the daily limit
          (``X-RateLimit-Type: Daily-limit``, ``Retry-After`` next 00:00 UTC by default);
        - ``delay``: wait ``delay`` seconds, then answer normally (client timeouts);
        - ``non_json``: the operation's success status with an HTML body;
        - ``missing_fields``: do the operation, then leave ``drop`` out of the answer;
        - ``hold``: do the operation, then keep its answer until :meth:`release` (a lost
          answer: the client times out although Zoom did the work). No sleeping: wait
          for :meth:`wait_until_held`.
        """
        self.store.add_fault(
            Fault(operation, kind, count, status, retry_after, daily, delay, tuple(drop))
        )

    def clear_faults(self) -> None:
        """Forget every fault not yet spent (Zoom is back)."""
        self.store.clear_faults()

    def wait_until_held(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``count`` answers are held by ``hold`` faults; False on timeout."""
        with self.store.hold_changed:
            return self.store.hold_changed.wait_for(lambda: self.store.held >= count, timeout)

    def release(self, timeout: float = 10.0) -> bool:
        """Let every held answer go, then wait until they are answered and logged."""
        self.store.release_holds()
        with self.store.hold_changed:
            return self.store.hold_changed.wait_for(lambda: self.store.held == 0, timeout)

    def set_meeting_state(self, meeting_id: int | str, state: str) -> None:
        """``started`` (in progress: DELETE and PATCH answer 400 code 3002), ``ended``
        (3007), or ``waiting`` (the default: not started yet)."""
        self.store.set_meeting_state(meeting_id, state)

    # -- inspection ------------------------------------------------------------------

    def calls(self, operation: str | None = None) -> list[Call]:
        """The calls answered so far, oldest first (only ``operation``'s when given)."""
        with self.store.lock:
            return [c for c in self.store.calls if operation is None or c.operation == operation]

    def count(self, operation: str) -> int:
        """How many calls of ``operation`` were answered (``create``, ``token``, ...)."""
        return len(self.calls(operation))

    def meetings(self) -> list[dict[str, Any]]:
        """Every meeting that exists now, as ``GET /meetings/{id}`` shows it."""
        return self.store.snapshot()

    def meeting(self, meeting_id: int | str) -> dict[str, Any] | None:
        return next((m for m in self.meetings() if str(m["id"]) == str(meeting_id)), None)
