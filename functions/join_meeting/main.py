"""Entry point ``join_meeting``: the guest-aware join link of BigBlueButton conferences.

``JOIN_BASE_URL`` + conference id leads here; the flow (sign-in, admission, the pages) is
in ``shared/join`` (docs/join-links.md). This edge only turns the HTTP request into a
``JoinRequest`` and the ``Answer`` back into a response; a form body over 4 KiB is
refused unread.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import parse_qsl

import flask
import functions_framework

from shared.errors import ConfigurationError
from shared.http import edge
from shared.join import pages
from shared.join.backend import join_handler
from shared.join.handler import MAX_FORM_BYTES, JoinHandler, JoinRequest
from shared.join.settings import load_join_settings
from shared.runtime import check_settings_at_startup, get_runtime
from shared.structured_logging import fields, setup_logging

setup_logging()
check_settings_at_startup()
try:
    JOIN_SETTINGS = load_join_settings()
except ConfigurationError as err:
    logging.getLogger(__name__).critical("configuration error", extra=fields(problems=err.problems))
    raise

_lock = threading.Lock()
_handler: JoinHandler | None = None


def _get_handler() -> JoinHandler:
    global _handler
    with _lock:
        if _handler is None:
            runtime = get_runtime()
            _handler = join_handler(
                runtime.settings,
                JOIN_SETTINGS,
                conference_store=runtime.conference_store,
                tombstones=runtime.cancelled_store,
                calendar_api=runtime.calendar_api,
                provider=runtime.bigbluebutton,
            )
        return _handler


def _answer(request: flask.Request) -> pages.Answer:
    handler = _get_handler()
    form: dict[str, str] = {}
    if request.method == "POST":
        try:
            body = edge.read_body(request, MAX_FORM_BYTES)
        except edge.PayloadTooLarge:
            return handler.too_large()
        try:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=10))
        except ValueError:  # too many fields
            return handler.too_large()
    return handler.handle(
        JoinRequest(
            method=request.method,
            path=request.path,
            query=dict(request.args.items()),
            form=form,
            cookies=dict(request.cookies),
        )
    )


@functions_framework.http
def join_meeting(request: flask.Request) -> flask.Response:
    answer = _answer(request)
    response = flask.Response(answer.body, status=answer.status)
    response.headers.clear()
    for name, value in answer.headers():
        response.headers.add(name, value)
    return response
