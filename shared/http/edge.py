"""The HTTP edge shared by the entry points: error table, JSON answers, body limits.

This is the only module of ``shared`` that knows HTTP (the ``main.py`` files call it).
Every non-200 answer is ``{"error": {"code": N, "message": "..."}}``. Unknown exceptions
become a generic 500 with nothing internal in the message; their class goes to the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import flask

from shared.errors import (
    BundleError,
    ConfigurationError,
    InvalidInput,
    TransientFailure,
    Unauthenticated,
)
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


class MethodNotAllowed(BundleError):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        super().__init__("method not allowed; use " + ", ".join(allowed))


class PayloadTooLarge(BundleError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit // 1024} KiB")


# One table from error kind to HTTP status, most specific first.
STATUS_BY_ERROR: tuple[tuple[type[BundleError], int], ...] = (
    (MethodNotAllowed, 405),
    (PayloadTooLarge, 413),
    (Unauthenticated, 401),
    (InvalidInput, 400),
    (TransientFailure, 503),
    (ConfigurationError, 500),
)


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def error_response(status: int, message: str) -> flask.Response:
    return json_response({"error": {"code": status, "message": message}}, status)


def require_method(request: flask.Request, *allowed: str) -> None:
    if request.method not in allowed:
        raise MethodNotAllowed(allowed)


def read_body(request: flask.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLarge(limit)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(limit)
    return bytes(body)


def answer(handler: Callable[[], flask.Response], *, entry_point: str) -> flask.Response:
    """Run ``handler``; turn errors into the JSON error answer of the table."""
    try:
        return handler()
    except BundleError as err:
        status = next((code for kind, code in STATUS_BY_ERROR if isinstance(err, kind)), 500)
        if isinstance(err, ConfigurationError):
            logger.critical(
                "configuration error", extra=fields(entry_point=entry_point, problems=err.problems)
            )
            response = error_response(500, "the service is misconfigured")
        elif status == 500:
            logger.error(
                "unexpected failure",
                extra=fields(entry_point=entry_point, error=type(err).__name__, reason=str(err)),
            )
            response = error_response(500, "internal error")
        else:
            level = logging.WARNING if status >= 500 else logging.INFO
            logger.log(
                level,
                "request refused",
                extra=fields(entry_point=entry_point, status=status, reason=str(err)),
            )
            response = error_response(status, str(err))
        if isinstance(err, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(err.allowed)
        return response
    except Exception as err:  # noqa: BLE001 - the last line of defence: never a traceback
        logger.error(
            "unexpected failure", extra=fields(entry_point=entry_point, error=type(err).__name__)
        )
        return error_response(500, "internal error")
