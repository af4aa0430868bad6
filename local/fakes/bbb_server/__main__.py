"""``python -m local.fakes.bbb_server --port N``: the local BigBlueButton as its own process.

``--secret`` is the shared secret (default :data:`~local.fakes.bbb_server.DEFAULT_SECRET`),
``--algorithm`` (repeatable) the supported checksum algorithms (default all four);
everything else goes through ``/_control/...``.
"""

from __future__ import annotations

import argparse
import logging
import threading

from local.fakes.bbb_server.security import ALGORITHM_BY_LENGTH, DEFAULT_SUPPORTED
from local.fakes.bbb_server.server import DEFAULT_SECRET, BBBServer
from shared.structured_logging import setup_logging

logger = logging.getLogger("local.fakes.bbb_server")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local BigBlueButton API for tests.")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    parser.add_argument(
        "--algorithm",
        action="append",
        choices=sorted(ALGORITHM_BY_LENGTH.values()),
        help="a supported checksum algorithm (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    setup_logging()
    server = BBBServer(
        args.port, secret=args.secret, algorithms=tuple(args.algorithm or DEFAULT_SUPPORTED)
    ).start()
    logger.info("local BigBlueButton listening", extra={"json_fields": {"port": server.port}})
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
