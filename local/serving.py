"""Serving a WSGI app on loopback from a daemon thread (the local servers use this)."""

from __future__ import annotations

import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access-log line per request (the servers log what matters themselves)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class BackgroundServer:
    """``app`` served by werkzeug (threaded) until :meth:`stop`."""

    def __init__(self, app: Any, *, name: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self._app = app
        self._name = name
        self._host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = make_server(
            self._host, self._requested_port, self._app, threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for at most one poll
            name=self._name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self._name} is not running")
        return int(self._server.server_port)

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"


class FaultyServer:
    """The lifecycle shared by the local servers whose store can hold answers back with a
    delay fault (Zoom, BigBlueButton): served on a background thread, with no access log
    (request lines carry emails, names and checksums); stopping wakes every delayed
    answer first. Subclasses give ``LABEL`` and build their WSGI app in :meth:`_app`."""

    LABEL = "the local server"
    THREAD_NAME = "local-server"
    store: Any  # with a ``wake`` threading.Event

    def __init__(self, port: int) -> None:
        self._requested_port = port
        self._serving: BackgroundServer | None = None

    def _app(self) -> Any:
        raise NotImplementedError

    def _before_stop(self) -> None:
        """What the store lets go of before the server stops (besides delays)."""

    def start(self) -> Self:
        if self.store.wake.is_set():  # stopped before: delays may wait again
            self.store.wake = threading.Event()
        self._serving = BackgroundServer(
            self._app(), name=self.THREAD_NAME, port=self._requested_port
        )
        self._serving.start()
        return self

    def stop(self) -> None:
        self.store.wake.set()  # calls held by a delay fault answer at once
        self._before_stop()
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._serving is None:
            raise RuntimeError(f"{self.LABEL} is not running")
        return self._serving.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
