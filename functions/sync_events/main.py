"""Entry points ``sync_events`` (Calendar's push messages) and ``sweep`` (the scheduler).

``sync_events`` answers: 405 wrong method; 400 malformed ``X-Goog-*`` headers or a body;
200 unknown channel; 401 wrong token or resource id; 200 once the change is synced,
coalesced into a running sync, or for a ``sync`` message; 503 on a transient failure
(the changes are kept and Calendar retries). All work is done before answering.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.http import edge
from shared.http.push_message import parse_push_message
from shared.runtime import check_settings_at_startup, get_runtime, warm_in_worker
from shared.structured_logging import setup_logging

setup_logging()
check_settings_at_startup()
warm_in_worker(("push_handler",))  # clients are built, never fetched, off the request


def _handle_push(request: flask.Request) -> flask.Response:
    edge.require_method(request, "POST")
    message = parse_push_message(dict(request.headers), edge.read_body(request))
    outcome = get_runtime().push_handler.handle(message)
    return edge.json_response({"outcome": outcome.value})


def _handle_sweep(request: flask.Request) -> flask.Response:
    edge.require_method(request, "POST", "GET")
    return edge.json_response(get_runtime().sweep.do_due_work())


@functions_framework.http
def sync_events(request: flask.Request) -> flask.Response:
    return edge.answer(lambda: _handle_push(request), entry_point="sync_events")


@functions_framework.http
def sweep(request: flask.Request) -> flask.Response:
    return edge.answer(lambda: _handle_sweep(request), entry_point="sweep")
