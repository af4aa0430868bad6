"""JSON-lines logging that Cloud Logging reads: one object per record, with ``severity``.

Call :func:`setup_logging` once per process (it is idempotent). Pass structured fields
with ``extra={"json_fields": {...}}``; they are merged into the line. Never log titles,
descriptions, attendee emails, tokens or secrets: ids and outcomes only.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}
_lock = threading.Lock()
_configured = False


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with ``severity`` and ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": record.getMessage(),
            "logger": record.name,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        fields = getattr(record, "json_fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                line.setdefault(str(key), value)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception class only: messages of foreign exceptions may carry data.
            line["exception"] = record.exc_info[0].__name__
        # ASCII only: a value that is not valid text (a lone surrogate) must never make the
        # log write itself fail.
        return json.dumps(line, default=str, ensure_ascii=True)


def setup_logging(level: int = logging.INFO) -> None:
    """Route the root logger to stdout as JSON lines (once per process)."""
    global _configured
    with _lock:
        if _configured:
            return
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        for existing in list(root.handlers):
            root.removeHandler(existing)
        root.addHandler(handler)
        root.setLevel(level)
        # Third-party chatter at INFO can echo URLs with query strings; keep it at WARNING.
        for noisy in ("googleapiclient", "urllib3", "google.auth", "werkzeug"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # Its retry warnings print whole request URIs: sync and page tokens, calendar ids.
        logging.getLogger("googleapiclient.http").setLevel(logging.ERROR)
        _configured = True


def fields(**values: Any) -> dict[str, Any]:
    """Shorthand for ``extra={"json_fields": {...}}``."""
    return {"json_fields": values}
