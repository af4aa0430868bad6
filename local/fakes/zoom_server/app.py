"""The Flask app of the local Zoom: the v2 API, the OAuth token endpoint and ``/_control``.

Every answer of ``/v2`` carries Zoom's rate-limit headers. Before an operation runs, a
fault queued for it (see :class:`local.fakes.zoom_server.store.Fault`) may answer instead,
or, after it ran, change or hold its answer; every call is logged (operation, method,
path, query, JSON body, status) when it is answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request

from local.fakes.zoom_server.store import (
    OPERATIONS,
    Answer,
    Call,
    DialInNumber,
    Fault,
    Store,
    Token,
)

NON_JSON_BODY = "<html><head><title>Zoom</title></head><body>Service Unavailable</body></html>"
_SUCCESS = {
    "create": 201,
    "get": 200,
    "update": 204,
    "delete": 204,
    "invitation": 200,
    "list": 200,
}


def _to_response(answer: Answer) -> Response:
    if answer.raw is not None:
        response = Response(answer.raw, status=answer.status, mimetype="text/html")
    elif answer.body is None:
        response = Response(status=answer.status)
    else:
        response = Response(
            json.dumps(answer.body), status=answer.status, mimetype="application/json"
        )
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def create_app(store: Store) -> Flask:
    """The WSGI app over ``store`` (a reset or shutdown cuts injected delays short)."""
    app = Flask("local.fakes.zoom_server")

    def before_operation(operation: str) -> tuple[Fault | None, Answer | None]:
        """Applies a queued fault: delays, then answers for status/429/non-JSON faults."""
        g.generation = store.generation
        fault = store.take_fault(operation)
        if fault is None:
            return None, None
        if fault.kind == "delay":
            store.wake.wait(fault.delay)
            if store.generation != g.generation:
                return None, Answer(503, {"code": 503, "message": "The server was reset."})
            return None, None
        if fault.kind == "status":
            return None, Answer(fault.status, {"code": fault.status, "message": "Internal Error."})
        if fault.kind == "rate_limit":
            return None, store.rate_limited(operation, fault)
        if fault.kind == "non_json":
            return None, Answer(_SUCCESS.get(operation, 200), raw=NON_JSON_BODY)
        return fault, None  # missing_fields and hold: applied once the operation ran

    def api(operation: str, run: Callable[[Token], Answer]) -> Response:
        g.operation = operation
        fault, answer = before_operation(operation)
        if answer is None:
            token, refusal = store.authorize(request.headers.get("Authorization"), operation)
            answer = refusal if token is None else run(token)
            if answer is None:  # run always answers
                raise RuntimeError("no answer")
            if (
                fault is not None
                and fault.kind == "missing_fields"
                and isinstance(answer.body, dict)
                and answer.status < 300
            ):
                for name in fault.drop:
                    answer.body.pop(name, None)
        for name, value in store.rate_headers(operation).items():
            answer.headers.setdefault(name, value)
        if fault is not None and fault.kind == "hold":
            g.held = True  # the operation is done; its answer waits for a release
            store.hold(fault)
        return _to_response(answer)

    def json_body() -> Any:
        if not request.get_data():
            return None
        try:
            return json.loads(request.get_data())
        except ValueError:
            return None

    @app.after_request
    def log_call(response: Response) -> Response:
        try:
            record_call(response)
        finally:
            if getattr(g, "held", False):
                store.hold_done()
        return response

    def record_call(response: Response) -> None:
        operation = getattr(g, "operation", None)
        if operation is not None and getattr(g, "generation", None) == store.generation:
            body: Any = None
            if operation != "token":
                try:
                    body = json.loads(request.get_data()) if request.get_data() else None
                except ValueError:
                    body = request.get_data(as_text=True)
            store.record(
                Call(
                    operation=operation,
                    method=request.method,
                    path=request.path,
                    query=dict(request.args),
                    body=body,
                    status=response.status_code,
                    raw_path=str(request.environ.get("RAW_URI") or request.path).split("?")[0],
                )
            )

    # -- OAuth -----------------------------------------------------------------------

    @app.post("/oauth/token")
    def token() -> Response:
        g.operation = "token"
        _, answer = before_operation("token")
        if answer is None:
            grant = request.args.get("grant_type") or request.form.get("grant_type")
            account = request.args.get("account_id") or request.form.get("account_id")
            auth = request.authorization
            basic = (
                (auth.username or "", auth.password or "")
                if auth is not None and auth.type == "basic"
                else None
            )
            answer = store.issue_token(grant, account, basic)
            if answer.status == 200:
                answer.body["api_url"] = request.host_url.rstrip("/")
        answer.headers.setdefault("Cache-Control", "no-store")
        return _to_response(answer)

    # -- Meetings --------------------------------------------------------------------

    @app.post("/v2/users/<path:user_id>/meetings")
    def create_meeting(user_id: str) -> Response:
        return api("create", lambda token: store.create_meeting(token, user_id, json_body()))

    @app.get("/v2/users/<path:user_id>/meetings")
    def list_meetings(user_id: str) -> Response:
        query = {name: request.args.get(name, "") for name in request.args}
        return api("list", lambda token: store.list_meetings(token, user_id, query))

    @app.get("/v2/meetings/<meeting_id>")
    def get_meeting(meeting_id: str) -> Response:
        return api("get", lambda token: store.get_meeting(token, meeting_id))

    @app.patch("/v2/meetings/<meeting_id>")
    def update_meeting(meeting_id: str) -> Response:
        return api("update", lambda token: store.update_meeting(token, meeting_id, json_body()))

    @app.delete("/v2/meetings/<meeting_id>")
    def delete_meeting(meeting_id: str) -> Response:
        return api("delete", lambda token: store.delete_meeting(token, meeting_id))

    @app.get("/v2/meetings/<meeting_id>/invitation")
    def meeting_invitation(meeting_id: str) -> Response:
        return api("invitation", lambda token: store.invitation(token, meeting_id))

    # -- Control (for other processes; the Python methods of ZoomServer do the same) --

    def control_body() -> dict[str, Any]:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}

    def ok(payload: Any = None) -> Response:
        return Response(json.dumps(payload or {"ok": True}), mimetype="application/json")

    @app.post("/_control/reset")
    def control_reset() -> Response:
        store.reset()
        return ok()

    @app.post("/_control/accounts")
    def control_account() -> Response:
        body = control_body()
        numbers = body.get("dial_in_numbers")
        store.add_account(
            str(body["account_id"]),
            str(body["client_id"]),
            str(body["client_secret"]),
            **({"scopes": tuple(body["scopes"])} if "scopes" in body else {}),
            dial_in_numbers=(
                tuple(DialInNumber(**number) for number in numbers)
                if isinstance(numbers, list)
                else None
            ),
        )
        return ok()

    @app.post("/_control/users")
    def control_user() -> Response:
        body = control_body()
        user = store.add_user(
            str(body["account_id"]),
            str(body["email"]),
            user_id=body.get("id"),
            timezone=str(body.get("timezone") or "America/Los_Angeles"),
            dial_in_countries=tuple(body.get("dial_in_countries") or ("US",)),
        )
        return ok({"id": user.id, "email": user.email})

    @app.post("/_control/scopes")
    def control_scopes() -> Response:
        body = control_body()
        store.set_scopes(str(body["client_id"]), tuple(body.get("scopes") or ()))
        return ok()

    @app.post("/_control/expire_tokens")
    def control_expire_tokens() -> Response:
        store.expire_tokens()
        return ok()

    @app.post("/_control/token_ttl")
    def control_token_ttl() -> Response:
        store.token_ttl = int(control_body()["seconds"])
        return ok()

    @app.post("/_control/daily_limit")
    def control_daily_limit() -> Response:
        limit = control_body().get("limit")
        store.daily_limit = None if limit is None else int(limit)
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
                    retry_after=None
                    if body.get("retry_after") is None
                    else str(body["retry_after"]),
                    daily=bool(body.get("daily", False)),
                    delay=float(body.get("delay", 0.0)),
                    drop=tuple(body.get("drop") or ("id", "join_url")),
                )
            )
        except (KeyError, ValueError) as err:
            return Response(
                json.dumps({"error": str(err)}), status=400, mimetype="application/json"
            )
        return ok()

    @app.post("/_control/release")
    def control_release() -> Response:
        store.release_holds()
        return ok()

    @app.get("/_control/held")
    def control_held() -> Response:
        return ok({"held": store.held})

    @app.post("/_control/meeting_state")
    def control_meeting_state() -> Response:
        body = control_body()
        try:
            store.set_meeting_state(str(body["meeting_id"]), str(body["state"]))
        except (KeyError, ValueError) as err:
            return Response(
                json.dumps({"error": str(err)}), status=400, mimetype="application/json"
            )
        return ok()

    @app.get("/_control/calls")
    def control_calls() -> Response:
        with store.lock:
            calls = [call.as_json() for call in store.calls]
        return ok({"calls": calls, "counts": store.counts(), "operations": list(OPERATIONS)})

    @app.get("/_control/meetings")
    def control_meetings() -> Response:
        return ok({"meetings": store.snapshot()})

    return app
