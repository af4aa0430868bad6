"""``python -m local.fakes.zoom_server --port N``: the local Zoom as its own process.

Optionally seeds one account, app and user (``--account-id``, ``--client-id``,
``--client-secret``, ``--user``); everything else goes through ``/_control/...``.
"""

from __future__ import annotations

import argparse
import logging
import threading

from local.fakes.zoom_server.server import ZoomServer
from shared.structured_logging import setup_logging

logger = logging.getLogger("local.fakes.zoom_server")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local Zoom v2 API for tests.")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--account-id")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--user", action="append", default=[], help="an email (repeatable)")
    args = parser.parse_args(argv)
    setup_logging()
    server = ZoomServer(args.port).start()
    if args.account_id and args.client_id and args.client_secret:
        server.add_account(args.account_id, args.client_id, args.client_secret)
        for email in args.user:
            server.add_user(args.account_id, email)
    logger.info("local Zoom listening", extra={"json_fields": {"port": server.port}})
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
