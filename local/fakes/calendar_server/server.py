"""The local Calendar v3 server: state, services and a threaded werkzeug server.

``CalendarServer(port=0).start()`` serves on ``127.0.0.1`` (a free port unless one is
given) from a daemon thread; the client's ``api_endpoint`` is :attr:`api_endpoint`.
"""

from __future__ import annotations

from types import TracebackType

from local.fakes.calendar_server.app import Services, create_app
from local.fakes.calendar_server.calendar_list import CalendarListService
from local.fakes.calendar_server.channels import GOOGLE_ROOT, ChannelService
from local.fakes.calendar_server.control import Control
from local.fakes.calendar_server.events import EventService
from local.fakes.calendar_server.listing import ListService
from local.fakes.calendar_server.push import PushDispatcher
from local.fakes.calendar_server.store import Store
from local.serving import BackgroundServer


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
        self.store = Store()
        self.dispatcher = PushDispatcher(push_retry_base, push_max_attempts, push_timeout)
        self.channels = ChannelService(self.store, self.dispatcher, resource_uri_root)
        self.events = EventService(self.store, self.channels.notify)
        self.listing = ListService(self.store)
        self.control = Control(self.store, self.dispatcher, self.events)
        self.calendar_list = CalendarListService(self.store)
        services = Services(
            self.store, self.events, self.listing, self.channels, self.calendar_list
        )
        self.app = create_app(services, self.control)
        self._serving = BackgroundServer(self.app, name="calendar-server", port=port, host=host)

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def base_url(self) -> str:
        return self._serving.base_url

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/calendar/v3/"

    def start(self) -> CalendarServer:
        self.dispatcher.start()
        self._serving.start()
        return self

    def reset(self) -> None:
        """Shorthand for ``control.reset()``."""
        self.control.reset()

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        """Shorthand for ``control.wait_for_deliveries(timeout)``."""
        self.control.wait_for_deliveries(timeout)

    def stop(self) -> None:
        self._serving.stop()
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
