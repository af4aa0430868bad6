"""``/_control``: the :class:`~local.fakes.calendar_server.control.Control` methods over HTTP.

Bodies and answers are JSON; routes below are relative to ``/_control``.

- ``POST /reset``: forget all state.
- ``POST /calendars`` ``{id, owner?, summary?, timeZone?, readers?, writers?,
  conferenceTypes?}``: add a calendar.
- ``PUT /calendars/<id>/access`` ``{readers?, writers?}``: replace its ACL lists.
- ``PUT /calendars/<id>/access/<user>`` ``{role, listed?}``: give a user a role;
  ``DELETE`` the same: revoke it.
- ``PUT /scopes/<user>`` ``{scopes}`` (a list, or ``null`` for "not checked"): the OAuth
  scopes the user's calls carry.
- ``POST /calendars/<id>/events/<instanceId>/split`` ``{changes?, asUser?}``: a "this and
  following" edit from that occurrence on; answers the new series.
- ``POST /calendars/<id>/events/<eventId>/editor-conference`` ``{conferenceData,
  scriptId, asUser?}``: save an add-on's conference as Calendar's editor does; answers
  the event.
- ``POST /calendars/<id>/events`` ``{events, asUser?, conferenceDataVersion?}``: insert
  events without HTTP (``{items}``); ``GET`` the same: stored events, tombstones included.
- ``POST /calendars/<id>/expire-sync-tokens``: its sync tokens so far answer 410.
- ``POST /calendars/<id>/page-sizes`` ``{sizes}``: script its next list page sizes.
- ``POST /calendars/<id>/drop-messages`` ``{count}``: drop its next push messages.
- ``POST /faults`` ``{method, status, reason, count?, calendarId?, message?,
  retryAfter?}``: queue a fault; ``DELETE /faults``: clear them.
- ``POST /fail-next-page-token`` ``{count?}``: the next list calls with a pageToken: 410.
- ``GET /calls?method=&calendarId=``: the call log; ``DELETE /calls``: clear it.
- ``GET /deliveries?channelId=&calendarId=``: push attempts.
- ``POST /deliveries/wait`` ``{timeout?}``: 200 once idle, 504 on timeout.
- ``GET /channels``; ``POST /channels/<id>/expire``: that channel expires now.
- ``PUT /settings`` ``{syncBeforeWatchResponse}``: watch waits for its sync message.

Unknown calendars or channels answer 404, bad input 400, both as ``{"error": message}``;
an operation that Calendar itself refuses answers Calendar's error body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, request

from local.fakes.calendar_server.control import Control, Unknown
from local.fakes.calendar_server.errors import ApiError

View = Callable[..., Response]


def _answer(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _guarded(view: Callable[..., Any]) -> View:
    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Response:
        try:
            result = view(*args, **kwargs)
        except Unknown as err:
            return _answer({"error": f"unknown: {err.args[0] if err.args else err}"}, 404)
        except (KeyError, TypeError, ValueError) as err:
            return _answer({"error": f"bad control request: {err}"}, 400)
        except TimeoutError as err:
            return _answer({"error": str(err)}, 504)
        except ApiError as err:
            return _answer(err.body(), err.code)
        return result if isinstance(result, Response) else _answer(result)

    return run


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def control_blueprint(control: Control) -> Blueprint:
    bp = Blueprint("calendar_control", __name__, url_prefix="/_control")

    @bp.post("/reset")
    @_guarded
    def reset() -> dict[str, Any]:
        control.reset()
        return {}

    @bp.post("/calendars")
    @_guarded
    def create_calendar() -> dict[str, Any]:
        body = _json()
        return control.create_calendar(
            str(body["id"]),
            body.get("owner"),
            summary=body.get("summary"),
            time_zone=str(body.get("timeZone", "UTC")),
            readers=list(body.get("readers", [])),
            writers=list(body.get("writers", [])),
            conference_types=list(body.get("conferenceTypes", ["hangoutsMeet"])),
        )

    @bp.put("/calendars/<calendar_id>/access")
    @_guarded
    def set_access(calendar_id: str) -> dict[str, Any]:
        body = _json()
        control.set_access(calendar_id, readers=body.get("readers"), writers=body.get("writers"))
        return {}

    @bp.put("/calendars/<calendar_id>/access/<user>")
    @_guarded
    def grant(calendar_id: str, user: str) -> dict[str, Any]:
        body = _json()
        control.grant(calendar_id, user, str(body["role"]), listed=bool(body.get("listed", True)))
        return {}

    @bp.delete("/calendars/<calendar_id>/access/<user>")
    @_guarded
    def revoke(calendar_id: str, user: str) -> dict[str, Any]:
        control.revoke(calendar_id, user)
        return {}

    @bp.put("/scopes/<user>")
    @_guarded
    def set_scopes(user: str) -> dict[str, Any]:
        scopes = _json().get("scopes")
        if scopes is not None and not isinstance(scopes, list):
            raise ValueError("scopes must be a list or null")
        control.set_scopes(user, None if scopes is None else [str(s) for s in scopes])
        return {}

    @bp.post("/calendars/<calendar_id>/events/<instance_id>/split")
    @_guarded
    def split_series(calendar_id: str, instance_id: str) -> dict[str, Any]:
        body = _json()
        changes = body.get("changes")
        if changes is not None and not isinstance(changes, dict):
            raise ValueError("changes must be an object")
        return control.split_series(calendar_id, instance_id, changes, as_user=body.get("asUser"))

    @bp.post("/calendars/<calendar_id>/events/<event_id>/editor-conference")
    @_guarded
    def save_conference_as_editor(calendar_id: str, event_id: str) -> dict[str, Any]:
        body = _json()
        data = body["conferenceData"]
        if not isinstance(data, dict):
            raise ValueError("conferenceData must be an object")
        return control.save_conference_as_editor(
            calendar_id,
            event_id,
            data,
            script_id=str(body["scriptId"]),
            as_user=body.get("asUser"),
        )

    @bp.post("/calendars/<calendar_id>/events")
    @_guarded
    def insert_events(calendar_id: str) -> dict[str, Any]:
        body = _json()
        items = control.insert_events(
            calendar_id,
            list(body.get("events", [])),
            as_user=body.get("asUser"),
            conference_data_version=int(body.get("conferenceDataVersion", 1)),
        )
        return {"items": items}

    @bp.get("/calendars/<calendar_id>/events")
    @_guarded
    def stored_events(calendar_id: str) -> dict[str, Any]:
        return {"items": control.stored_events(calendar_id)}

    @bp.post("/calendars/<calendar_id>/expire-sync-tokens")
    @_guarded
    def expire_sync_tokens(calendar_id: str) -> dict[str, Any]:
        control.expire_sync_tokens(calendar_id)
        return {}

    @bp.post("/calendars/<calendar_id>/page-sizes")
    @_guarded
    def page_sizes(calendar_id: str) -> dict[str, Any]:
        control.script_page_sizes(calendar_id, list(_json().get("sizes", [])))
        return {}

    @bp.post("/calendars/<calendar_id>/drop-messages")
    @_guarded
    def drop_messages(calendar_id: str) -> dict[str, Any]:
        control.drop_next_messages(calendar_id, int(_json().get("count", 1)))
        return {}

    @bp.post("/faults")
    @_guarded
    def add_fault() -> dict[str, Any]:
        body = _json()
        retry_after = body.get("retryAfter")
        control.fail_next(
            str(body["method"]),
            int(body["status"]),
            str(body["reason"]),
            count=int(body.get("count", 1)),
            calendar_id=body.get("calendarId"),
            message=body.get("message"),
            retry_after=None if retry_after is None else float(retry_after),
        )
        return {}

    @bp.delete("/faults")
    @_guarded
    def clear_faults() -> dict[str, Any]:
        control.clear_faults()
        return {}

    @bp.post("/fail-next-page-token")
    @_guarded
    def fail_next_page_token() -> dict[str, Any]:
        control.fail_next_page_token(int(_json().get("count", 1)))
        return {}

    @bp.get("/calls")
    @_guarded
    def calls() -> dict[str, Any]:
        found = control.calls(request.args.get("method"), request.args.get("calendarId"))
        return {"calls": [call.as_json() for call in found]}

    @bp.delete("/calls")
    @_guarded
    def clear_calls() -> dict[str, Any]:
        control.clear_calls()
        return {}

    @bp.get("/deliveries")
    @_guarded
    def deliveries() -> dict[str, Any]:
        found = control.deliveries(request.args.get("channelId"), request.args.get("calendarId"))
        return {"deliveries": [d.as_json() for d in found]}

    @bp.post("/deliveries/wait")
    @_guarded
    def wait_for_deliveries() -> dict[str, Any]:
        control.wait_for_deliveries(float(_json().get("timeout", 5.0)))
        return {}

    @bp.get("/channels")
    @_guarded
    def channels() -> dict[str, Any]:
        return {"channels": control.channels()}

    @bp.post("/channels/<path:channel_id>/expire")
    @_guarded
    def expire_channel(channel_id: str) -> dict[str, Any]:
        control.expire_channel(channel_id)
        return {}

    @bp.put("/settings")
    @_guarded
    def settings() -> dict[str, Any]:
        body = _json()
        if "syncBeforeWatchResponse" in body:
            control.set_sync_before_watch_response(bool(body["syncBeforeWatchResponse"]))
        return {}

    return bp
