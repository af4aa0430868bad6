"""``python -m local.fakes.calendar_server [--host H] [--port N]``: serve until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from local.fakes.calendar_server.server import CalendarServer
from shared.structured_logging import setup_logging

logger = logging.getLogger("local.fakes.calendar_server")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.fakes.calendar_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--push-retry-base", type=float, default=0.05)
    args = parser.parse_args(argv)
    setup_logging()
    server = CalendarServer(args.port, args.push_retry_base, host=args.host).start()
    logger.info("local Calendar v3 server on %s", server.api_endpoint)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
