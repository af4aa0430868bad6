"""The Flask app of the local BigBlueButton: the API, the client's pages and ``/_control``.

- ``GET /bigbluebutton/api`` (or ``.../api/``): the version; no checksum needed.
- ``GET /bigbluebutton/api/{call}?{query}&checksum=...`` for ``create``, ``join``,
  ``isMeetingRunning``, ``getMeetingInfo``, ``getMeetings`` and ``end``: the checksum is
  checked first (:mod:`local.fakes.bbb_server.security`), then the call
  (:class:`~local.fakes.bbb_server.store.Store`). Every answer is HTTP 200 with XML,
  except ``join``, which redirects. Another call name is a 404; another method a 405
  (bbb-web also takes POST for some calls: not served here).
- ``GET /html5client/join?sessionToken=...`` (the client: the user enters the meeting) and
  ``GET /html5client/guestWait?sessionToken=...`` (the guest lobby page).

Before a call runs, a fault queued for it may answer instead (or delay it); every API call
is logged when answered (operation, decoded query, raw query, status, returncode,
messageKey, checksum algorithm).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from local.fakes.bbb_server.answers import Answer, failed
from local.fakes.bbb_server.store import CHECKSUM_ERROR, OPERATIONS, Call, Fault, Store


def _to_response(answer: Answer) -> Response:
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.location is not None:
        response.headers["Location"] = answer.location
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def _raw_query() -> str:
    """The query string exactly as sent (WSGI hands it over as latin-1 text)."""
    query = str(request.environ.get("QUERY_STRING", ""))
    return query.encode("latin-1").decode("utf-8", "replace")


def _params() -> dict[str, str]:
    """The decoded parameters, the first value of each (as ``params.name`` in Grails)."""
    return {name: request.args.get(name, "") for name in request.args}


def create_app(store: Store) -> Flask:
    """The WSGI app over ``store``."""
    app = Flask("local.fakes.bbb_server")

    def serve(operation: str, run: Callable[[dict[str, str], str, bool], Answer]) -> Response:
        generation = store.generation
        params = _params()
        raw_query = _raw_query()
        algorithm: str | None = None
        answer: Answer | None = None
        fault = store.take_fault(operation)
        if fault is not None:
            answer = store.fault_answer(fault)
        if answer is None:
            checksum_ok = True
            if operation != "version":
                check = store.check(operation, raw_query, params)
                checksum_ok, algorithm = check.valid, check.algorithm
            server_url = request.host_url.rstrip("/")
            answer = run(params, server_url, checksum_ok)
        store.record(
            Call(
                operation=operation,
                query=params,
                raw_query=raw_query,
                status=answer.status,
                returncode=answer.returncode,
                message_key=answer.message_key,
                checksum_algorithm=algorithm,
            ),
            generation,
        )
        return _to_response(answer)

    def checked(run: Callable[[dict[str, str], str], Answer]) -> Callable[..., Answer]:
        def call(params: dict[str, str], server_url: str, checksum_ok: bool) -> Answer:
            return run(params, server_url) if checksum_ok else failed(*CHECKSUM_ERROR)

        return call

    calls: dict[str, Callable[[dict[str, str], str, bool], Answer]] = {
        "create": checked(store.create),
        "join": store.join,
        "isMeetingRunning": checked(lambda params, _: store.is_meeting_running(params)),
        "getMeetingInfo": checked(lambda params, _: store.get_meeting_info(params)),
        "getMeetings": checked(lambda _params, _url: store.get_meetings()),
        "end": checked(lambda params, _: store.end(params)),
    }

    @app.get("/bigbluebutton/api")
    @app.get("/bigbluebutton/api/")
    def version() -> Response:
        return serve("version", lambda _params, _url, _ok: store.version())

    @app.get("/bigbluebutton/api/<call>")
    def api(call: str) -> Response:
        run = calls.get(call)
        if run is None:
            return Response("<html><body>Not Found</body></html>", status=404)
        return serve(call, run)

    @app.get("/html5client/join")
    def client() -> Response:
        return _to_response(store.client_page(request.args.get("sessionToken", "")))

    @app.get("/html5client/guestWait")
    def guest_wait() -> Response:
        return _to_response(store.lobby_page(request.args.get("sessionToken", "")))

    # -- Control (for other processes; the Python methods of BBBServer do the same) -----

    def control_body() -> dict[str, Any]:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}

    def ok(payload: Any = None) -> Response:
        return Response(json.dumps(payload or {"ok": True}), mimetype="application/json")

    def refused(problem: str, status: int = 400) -> Response:
        return Response(json.dumps({"error": problem}), status=status, mimetype="application/json")

    @app.post("/_control/reset")
    def control_reset() -> Response:
        store.reset()
        return ok()

    @app.get("/_control/calls")
    def control_calls() -> Response:
        with store.lock:
            logged = [call.as_json() for call in store.calls]
        return ok({"calls": logged, "operations": list(OPERATIONS)})

    @app.get("/_control/meetings")
    def control_meetings() -> Response:
        return ok({"meetings": store.snapshot()})

    @app.post("/_control/algorithms")
    def control_algorithms() -> Response:
        algorithms = control_body().get("algorithms")
        if not isinstance(algorithms, list):
            return refused("algorithms: a list of sha1, sha256, sha384, sha512")
        with store.lock:
            store.supported = tuple(str(name) for name in algorithms)
        return ok()

    @app.post("/_control/faults")
    def control_faults() -> Response:
        body = control_body()
        try:
            store.add_fault(
                Fault(
                    operation=str(body.get("operation", "*")),
                    kind=str(body["kind"]),
                    remaining=int(body.get("count", 1)),
                    status=int(body.get("status", 503)),
                    delay=float(body.get("delay", 0.0)),
                    key=str(body.get("key", "unknownError")),
                    message=str(body.get("message", "An unknown error occurred")),
                )
            )
        except (KeyError, ValueError) as err:
            return refused(str(err))
        return ok()

    @app.delete("/_control/faults")
    def control_clear_faults() -> Response:
        store.clear_faults()
        return ok()

    def meeting_action(action: Callable[[dict[str, Any]], bool]) -> Response:
        body = control_body()
        try:
            done = action(body)
        except KeyError as err:
            return refused(f"missing {err}")
        return ok() if done else refused("no such meeting or user", 404)

    @app.post("/_control/admit")
    def control_admit() -> Response:
        return meeting_action(
            lambda body: store.admit(
                str(body["meeting_id"]), str(body["user_id"]), allow=bool(body.get("allow", True))
            )
        )

    @app.post("/_control/enter")
    def control_enter() -> Response:
        return meeting_action(
            lambda body: store.enter(str(body["meeting_id"]), str(body["user_id"]))
        )

    @app.post("/_control/running")
    def control_running() -> Response:
        return meeting_action(
            lambda body: store.set_running(str(body["meeting_id"]), bool(body.get("running", True)))
        )

    @app.post("/_control/end")
    def control_end() -> Response:
        return meeting_action(
            lambda body: store.end_meeting(
                str(body["meeting_id"]), forcibly=bool(body.get("forcibly", False))
            )
        )

    return app
