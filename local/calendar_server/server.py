"""The local Calendar v3 server: state, services and a threaded werkzeug server.

``CalendarServer(port=0).start()`` serves on ``127.0.0.1`` (a free port unless one is
given) from a daemon thread; the client's ``api_endpoint`` is :attr:`api_endpoint`.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local.calendar_server.app import Services, create_app
from local.calendar_server.channels import GOOGLE_ROOT, ChannelService
from local.calendar_server.control import Control
from local.calendar_server.events import EventService
from local.calendar_server.listing import ListService
from local.calendar_server.push import PushDispatcher
from local.calendar_server.store import Store


class _QuietHandler(WSGIRequestHandler):
    """No werkzeug access line per request: the app logs each API call itself."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class CalendarServer:
    """One local Calendar v3 server.

    ``push_retry_base``: first retry delay of a push message (doubles per attempt);
    ``push_max_attempts``: attempts per message; ``push_timeout``: seconds per POST;
    ``resource_uri_root``: root of channels' ``resourceUri`` (Google's by default).
    """

    def __init__(
        self,
        port: int = 0,
        push_retry_base: float = 0.05,
        *,
        host: str = "127.0.0.1",
        push_max_attempts: int = 4,
        push_timeout: float = 5.0,
        resource_uri_root: str = GOOGLE_ROOT,
    ) -> None:
        self.host = host
        self.port = port
        self.store = Store()
        self.dispatcher = PushDispatcher(push_retry_base, push_max_attempts, push_timeout)
        self.channels = ChannelService(self.store, self.dispatcher, resource_uri_root)
        self.events = EventService(self.store, self.channels.notify)
        self.listing = ListService(self.store)
        self.control = Control(self.store, self.dispatcher, self.events)
        services = Services(self.store, self.events, self.listing, self.channels)
        self.app = create_app(services, self.control)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/calendar/v3/"

    def start(self) -> CalendarServer:
        self.dispatcher.start()
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for at most one poll
            name="calendar-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def reset(self) -> None:
        """Shorthand for ``control.reset()``."""
        self.control.reset()

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        """Shorthand for ``control.wait_for_deliveries(timeout)``."""
        self.control.wait_for_deliveries(timeout)

    def _make_server(self) -> BaseWSGIServer:
        server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.port = int(server.server_port)
        return server

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.dispatcher.stop()

    def __enter__(self) -> CalendarServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
