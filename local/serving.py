"""Serving a WSGI app on loopback from a daemon thread (the local servers use this)."""

from __future__ import annotations

import threading
from typing import Any

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
