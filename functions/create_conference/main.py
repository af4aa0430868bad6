"""Entry point ``create_conference``: the add-on shim's conference creation.

Order of checks: 405 wrong method, 413 body over 64 KiB, 401 bad or missing ID token,
400 malformed body; then 200 with ``{"conferenceData": ...}`` or
``{"conferenceError": {"type": ...}}``. Everything else lives in ``shared``.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.http import edge
from shared.http.create_request import parse_create_request
from shared.runtime import check_settings_at_startup, get_runtime, warm_in_worker
from shared.structured_logging import setup_logging

setup_logging()
check_settings_at_startup()
warm_in_worker(("verifier", "creator"))  # clients are built, never fetched, off the request


def _handle(request: flask.Request) -> flask.Response:
    edge.require_method(request, "POST")
    body = edge.read_body(request)
    runtime = get_runtime()
    user = runtime.verifier.verify_authorization(request.headers.get("Authorization"))
    create = parse_create_request(body)
    outcome = runtime.creator.create(create, user.email)
    return edge.json_response(outcome.as_json())


@functions_framework.http
def create_conference(request: flask.Request) -> flask.Response:
    return edge.answer(lambda: _handle(request), entry_point="create_conference")
