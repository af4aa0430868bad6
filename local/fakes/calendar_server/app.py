"""The Flask app: Calendar v3 routes under ``/calendar/v3/`` and the control routes.

Each API call goes through :func:`_Api.call`: the caller must send
``Authorization: Bearer local-user:<email>`` (else 401 ``authError``); if the control API
gave that user a set of OAuth scopes, one of the method's scopes (discovery, per-method
``scopes``) must be among them (else 403 ``insufficientPermissions``; without such a set
every scope counts as granted); then a fault queued for the method may answer instead;
then the query is checked against the discovery document, the body against the request
schema, the method runs, and ``fields`` trims the answer. Every call is logged (method,
calendar, query, user, status).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from local.fakes.calendar_server import errors, fields, params, schema
from local.fakes.calendar_server.calendar_list import CalendarListService
from local.fakes.calendar_server.channels import ChannelService
from local.fakes.calendar_server.control_routes import control_blueprint
from local.fakes.calendar_server.errors import ApiError
from local.fakes.calendar_server.events import EventService
from local.fakes.calendar_server.listing import ListService
from local.fakes.calendar_server.store import CallRecord, Store

PREFIX = "/calendar/v3"
TOKEN_PREFIX = "Bearer local-user:"
JSON_TYPE = "application/json; charset=UTF-8"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """One API call's caller, query, body and If-Match header."""

    user: str
    query: dict[str, Any]
    body: dict[str, Any]
    if_match: str | None


@dataclass(frozen=True)
class Services:
    store: Store
    events: EventService
    listing: ListService
    channels: ChannelService
    calendar_list: CalendarListService


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(data), status=status, content_type=JSON_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _user() -> str:
    header = request.headers.get("Authorization", "")
    email = header[len(TOKEN_PREFIX) :] if header.startswith(TOKEN_PREFIX) else ""
    if "@" not in email or email != email.strip():
        raise errors.auth_error()
    return email


def _body(schema_name: str) -> dict[str, Any]:
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None
    return schema.check_body(body, schema_name)


class _Api:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def call(
        self,
        method: str,
        calendar_id: str | None,
        run: Callable[[Context], Any],
        body_schema: str | None = None,
    ) -> Response:
        user: str | None = None
        resolved = calendar_id
        status = 500
        try:
            user = _user()
            resolved = user if calendar_id == "primary" else calendar_id
            self._check_scopes(user, method)
            fault = self.store.take_fault(method, resolved)
            if fault is not None:
                raise errors.fault_error(
                    fault.status, fault.reason, fault.message, fault.retry_after
                )
            if (
                method == "events.list"
                and "pageToken" in request.args
                and self.store.take_page_token_failure()
            ):
                raise errors.full_sync_required()
            query = params.parse(method, request.args.items(multi=True))
            selection = fields.parse(str(query["fields"])) if "fields" in query else None
            body = _body(body_schema) if body_schema else {}
            result = run(Context(user, query, body, request.headers.get("If-Match")))
            if result is None:
                status = 204
                return Response(status=204)
            status = 200
            return json_response(fields.select(result, selection))
        except ApiError as err:
            status = err.code
            return json_response(err.body(), err.code, err.headers)
        except Exception:
            logger.exception("calendar server: %s failed", method)
            status = 500
            return json_response(ApiError(500, "backendError").body(), 500)
        finally:
            query_log = {k: v if len(v) > 1 else v[0] for k, v in request.args.lists()}
            self.store.record_call(
                CallRecord(method, resolved, query_log, user, status, time.time(), request.path)
            )
            logger.info(
                "%s %s -> %s",
                method,
                resolved,
                status,
                extra={"json_fields": {"method": method, "calendarId": resolved, "status": status}},
            )

    def _check_scopes(self, user: str, method: str) -> None:
        with self.store.lock:
            granted = self.store.scopes.get(user)
        if granted is not None and not granted & set(schema.method(method).get("scopes", [])):
            raise errors.insufficient_scopes(method)


def create_app(services: Services, control: Any) -> Flask:
    """The WSGI app over ``services``; ``control`` backs the ``/_control`` routes."""
    app = Flask("local.fakes.calendar_server")
    api = _Api(services)
    events, listing, channels = services.events, services.listing, services.channels

    def calendar_get(ctx: Context, calendar_id: str) -> dict[str, Any]:
        with services.store.lock:
            return services.store.calendar_for(ctx.user, calendar_id).as_json()

    @app.get(f"{PREFIX}/calendars/<calendar_id>")
    def calendars_get(calendar_id: str) -> Response:
        return api.call("calendars.get", calendar_id, lambda c: calendar_get(c, calendar_id))

    @app.get(f"{PREFIX}/users/me/calendarList")
    def calendar_list_list() -> Response:
        return api.call(
            "calendarList.list", None, lambda c: services.calendar_list.list(c.user, c.query)
        )

    @app.get(f"{PREFIX}/users/me/calendarList/<calendar_id>")
    def calendar_list_get(calendar_id: str) -> Response:
        return api.call(
            "calendarList.get",
            calendar_id,
            lambda c: services.calendar_list.get(c.user, calendar_id),
        )

    @app.get(f"{PREFIX}/calendars/<calendar_id>/events")
    def events_list(calendar_id: str) -> Response:
        return api.call(
            "events.list", calendar_id, lambda c: listing.list(c.user, calendar_id, c.query)
        )

    @app.post(f"{PREFIX}/calendars/<calendar_id>/events")
    def events_insert(calendar_id: str) -> Response:
        return api.call(
            "events.insert",
            calendar_id,
            lambda c: events.insert(c.user, calendar_id, c.body, c.query),
            "Event",
        )

    @app.post(f"{PREFIX}/calendars/<calendar_id>/events/watch")
    def events_watch(calendar_id: str) -> Response:
        return api.call(
            "events.watch",
            calendar_id,
            lambda c: channels.watch(c.user, calendar_id, c.body, c.query),
            "Channel",
        )

    @app.get(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>")
    def events_get(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.get", calendar_id, lambda c: events.get(c.user, calendar_id, event_id, c.query)
        )

    @app.get(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>/instances")
    def events_instances(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.instances",
            calendar_id,
            lambda c: listing.instances(c.user, calendar_id, event_id, c.query),
        )

    @app.patch(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>")
    def events_patch(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.patch",
            calendar_id,
            lambda c: events.patch(c.user, calendar_id, event_id, c.body, c.query, c.if_match),
            "Event",
        )

    @app.put(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>")
    def events_update(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.update",
            calendar_id,
            lambda c: events.update(c.user, calendar_id, event_id, c.body, c.query, c.if_match),
            "Event",
        )

    @app.delete(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>")
    def events_delete(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.delete",
            calendar_id,
            lambda c: events.delete(c.user, calendar_id, event_id, c.if_match),
        )

    @app.post(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>/move")
    def events_move(calendar_id: str, event_id: str) -> Response:
        return api.call(
            "events.move",
            calendar_id,
            lambda c: events.move(c.user, calendar_id, event_id, c.query),
        )

    @app.post(f"{PREFIX}/channels/stop")
    def channels_stop() -> Response:
        return api.call("channels.stop", None, lambda c: channels.stop(c.user, c.body), "Channel")

    @app.errorhandler(404)
    def unknown_route(_: Exception) -> Response:
        return json_response(errors.not_found().body(), 404)

    @app.errorhandler(405)
    def wrong_method(_: Exception) -> Response:
        return json_response(
            ApiError(405, "httpMethodNotAllowed", "Method Not Allowed").body(), 405
        )

    app.register_blueprint(control_blueprint(control))
    app.wsgi_app = _method_override(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _method_override(wsgi_app: Any) -> Any:
    """``POST`` with ``X-HTTP-Method-Override: GET`` and the query in a form body, as
    google-api-python-client sends a GET whose URL would pass 2048 characters
    (googleapiclient/http.py, ``MAX_URI_LENGTH``), is served as that GET: Google's
    servers accept the override (the client library relies on it). The Calendar v3
    documentation does not describe the header; the product relies on it only through
    the client library, which sends it by itself for a long URL."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        override = str(environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "")).upper()
        if environ.get("REQUEST_METHOD") == "POST" and override == "GET":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ = {**environ, "REQUEST_METHOD": "GET", "CONTENT_LENGTH": "0"}
            environ["QUERY_STRING"] = body.decode("latin-1")
            environ["wsgi.input"] = io.BytesIO(b"")
        return wsgi_app(environ, start_response)

    return app
