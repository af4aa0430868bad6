"""Event.conferenceData as Calendar checks it on a write
(docs/calendar-behaviour.md#conference-data).

Either ``conferenceSolution`` with at least one entry point, or ``createRequest``.
Entry points: ``video``/``sip``/``more`` at most one each, ``phone`` any number, at most
300 in all, never ``more`` alone; ``uri`` <= 1300 with the scheme of its type; ``label``
<= 512 (not on ``more``); codes <= 128; ``regionCode`` and ``entryPointFeatures``
(``toll`` or ``toll_free``, not both) on phone only. ``conferenceId`` <= 512, ``notes``
<= 2048, at most 300 add-on parameters with keys <= 50 and values <= 1024.
A break is a 400 ``invalid``.

A ``createRequest`` asks Calendar to create the conference: for ``hangoutsMeet`` the server
does it at once (a made-up Meet link); other types are refused as Calendar refuses types
the calendar does not allow ("Invalid conference type value.").

``signature`` is "Generated on server side", "Unset for a conference with a failed create
request", "Optional for a conference with a pending create request" (discovery,
``ConferenceData.signature``). Here it is a keyed hash of the conference, set on every
stored conference that has entry points (:func:`signed`). Whether Calendar accepts an
API write of an ``addOn`` conference, and what it does to the signature then, is not
documented; the server takes the reading that is safest for a client writing back:
the write is accepted and keeps every parameter the client sends; a signature the
client sends back unchanged (the one stored) is kept, as it is when the conference
itself did not change; otherwise the server signs the new conference itself, whatever
signature the client sent. :func:`as_saved_by_editor` is what Calendar's editor stores
for an add-on's conference: the add-on's own parameters plus ``scriptId``
(docs/calendar-behaviour.md#writing-add-on-conference-data).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import string
from typing import Any

from local.fakes.calendar_server.errors import ApiError, invalid

SOLUTION_TYPES = ("hangoutsMeet", "addOn", "eventHangout", "eventNamedHangout")
CREATABLE_TYPES = ("hangoutsMeet",)
ENTRY_POINT_TYPES = ("video", "phone", "sip", "more")
SCHEMES = {
    "video": ("http:", "https:"),
    "more": ("http:", "https:"),
    "phone": ("tel:",),
    "sip": ("sip:",),
}
SINGLE_TYPES = ("video", "sip", "more")
CODES = ("pin", "accessCode", "meetingCode", "passcode", "password")
MAX_ENTRY_POINTS = 300
MAX_URI = 1300
MAX_LABEL = 512
MAX_CODE = 128
MAX_CONFERENCE_ID = 512
MAX_NOTES = 2048
MAX_PARAMETERS = 300
MAX_PARAMETER_KEY = 50
MAX_PARAMETER_VALUE = 1024
FEATURES = ("toll", "toll_free")
SCRIPT_ID_PARAMETER = "scriptId"
_SIGNING_KEY = secrets.token_bytes(32)  # one per process: signatures are opaque anyway
MEET_ICON = (
    "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
    "logo_meet_2020q4_color_2x_web_512dp.png"
)


def _bad(what: str) -> ApiError:
    return invalid(f"Invalid conference data: {what}.")


def _check_entry_point(point: dict[str, Any], index: int) -> str:
    where = f"entryPoints[{index}]"
    kind = point.get("entryPointType")
    if kind not in ENTRY_POINT_TYPES:
        raise _bad(f"{where}.entryPointType must be one of {', '.join(ENTRY_POINT_TYPES)}")
    uri = point.get("uri")
    if not isinstance(uri, str) or not uri:
        raise _bad(f"{where}.uri is required")
    if len(uri) > MAX_URI:
        raise _bad(f"{where}.uri is longer than {MAX_URI} characters")
    if not uri.lower().startswith(SCHEMES[kind]):
        raise _bad(f"{where}.uri of a {kind} entry point must start with {SCHEMES[kind][-1]}")
    label = point.get("label")
    if label is not None and (kind == "more" or len(label) > MAX_LABEL):
        raise _bad(f"{where}.label is not allowed here or longer than {MAX_LABEL} characters")
    for code in CODES:
        if len(point.get(code) or "") > MAX_CODE:
            raise _bad(f"{where}.{code} is longer than {MAX_CODE} characters")
    if kind != "phone" and (point.get("regionCode") or point.get("entryPointFeatures")):
        raise _bad(f"{where}: regionCode and entryPointFeatures are for phone entry points")
    features = point.get("entryPointFeatures") or []
    if any(f not in FEATURES for f in features) or len(set(features)) > 1:
        raise _bad(f"{where}.entryPointFeatures must be toll or toll_free, never both")
    return str(kind)


def _check_entry_points(points: list[dict[str, Any]]) -> None:
    if len(points) > MAX_ENTRY_POINTS:
        raise _bad(f"at most {MAX_ENTRY_POINTS} entry points")
    kinds = [_check_entry_point(point, index) for index, point in enumerate(points)]
    for kind in SINGLE_TYPES:
        if kinds.count(kind) > 1:
            raise _bad(f"at most one {kind} entry point")
    if kinds == ["more"]:
        raise _bad("a conference needs an entry point other than more")


def _check_parameters(data: dict[str, Any]) -> None:
    values = ((data.get("parameters") or {}).get("addOnParameters") or {}).get("parameters") or {}
    if len(values) > MAX_PARAMETERS:
        raise _bad(f"at most {MAX_PARAMETERS} parameters")
    for key, value in values.items():
        if len(key) > MAX_PARAMETER_KEY or len(str(value)) > MAX_PARAMETER_VALUE:
            raise _bad(f"parameter {key[:60]} is too long")


def check(data: dict[str, Any], allowed_types: tuple[str, ...] = CREATABLE_TYPES) -> None:
    """Raise a 400 unless Calendar would store ``data``."""
    request = data.get("createRequest")
    solution = data.get("conferenceSolution")
    points = data.get("entryPoints") or []
    if request is not None:
        kind = ((request.get("conferenceSolutionKey") or {}).get("type")) or ""
        if kind not in allowed_types:
            raise invalid("Invalid conference type value.")
        if not request.get("requestId"):
            raise _bad("createRequest.requestId is required")
    elif solution is None or not points:
        raise _bad("conferenceSolution and at least one entry point, or createRequest")
    if solution is not None:
        kind = ((solution.get("key") or {}).get("type")) or ""
        if kind not in SOLUTION_TYPES:
            raise invalid("Invalid conference type value.")
    _check_entry_points(points)
    if len(data.get("conferenceId") or "") > MAX_CONFERENCE_ID:
        raise _bad(f"conferenceId is longer than {MAX_CONFERENCE_ID} characters")
    if len(data.get("notes") or "") > MAX_NOTES:
        raise _bad(f"notes are longer than {MAX_NOTES} characters")
    _check_parameters(data)


def _meet_code() -> str:
    letters = string.ascii_lowercase
    parts = ("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    return "-".join(parts)


def realize(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a pending Meet ``createRequest`` carried out (as Calendar would)."""
    request = data.get("createRequest")
    if request is None or data.get("entryPoints"):
        return data
    if ((request.get("status") or {}).get("statusCode")) == "success":
        return data
    code = _meet_code()
    done = copy.deepcopy(data)
    done["createRequest"] = {**request, "status": {"statusCode": "success"}}
    done["conferenceSolution"] = {
        "key": {"type": "hangoutsMeet"},
        "name": "Google Meet",
        "iconUri": MEET_ICON,
    }
    done["conferenceId"] = code
    done["entryPoints"] = [
        {
            "entryPointType": "video",
            "uri": f"https://meet.google.com/{code}",
            "label": f"meet.google.com/{code}",
        }
    ]
    return done


def _content(data: dict[str, Any]) -> dict[str, Any]:
    """What a signature covers: the conference without its signature."""
    return {key: value for key, value in data.items() if key != "signature"}


def signature_of(data: dict[str, Any]) -> str:
    """A server signature for ``data`` (28 characters of base64, like Google's)."""
    text = json.dumps(_content(data), sort_keys=True, separators=(",", ":"))
    digest = hmac.new(_SIGNING_KEY, text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest[:21]).decode()


def _failed(data: dict[str, Any]) -> bool:
    status = ((data.get("createRequest") or {}).get("status") or {}).get("statusCode")
    return status == "failure"


def signed(
    data: dict[str, Any], stored: dict[str, Any] | None, sent: dict[str, Any] | None
) -> dict[str, Any]:
    """``data`` (the conference a write leaves on the event) with the signature the
    server keeps: ``stored`` is the conference before the write, ``sent`` the one in the
    request body (None when the body had none)."""
    result = copy.deepcopy(data)
    if _failed(result) or not result.get("entryPoints"):
        result.pop("signature", None)  # unset when failed; optional while pending
        return result
    kept = (stored or {}).get("signature")
    sent_back = sent is not None and kept is not None and sent.get("signature") == kept
    unchanged = stored is not None and _content(stored) == _content(result)
    result["signature"] = kept if kept and (sent_back or unchanged) else signature_of(result)
    return result


def as_saved_by_editor(data: dict[str, Any], script_id: str) -> dict[str, Any]:
    """An add-on's conference as Calendar's editor stores it: ``scriptId`` beside the
    add-on's own parameters, and a fresh server signature (any sent one is dropped).
    ``scriptId`` is not documented; it is what add-on conferences look like when read
    back (docs/calendar-behaviour.md#writing-add-on-conference-data)."""
    kind = ((data.get("conferenceSolution") or {}).get("key") or {}).get("type")
    if kind != "addOn":
        raise ValueError("the editor adds scriptId to add-on (addOn) conferences only")
    saved = copy.deepcopy(data)
    saved.pop("signature", None)
    parameters = saved.setdefault("parameters", {}).setdefault("addOnParameters", {})
    values = parameters.setdefault("parameters", {})
    values[SCRIPT_ID_PARAMETER] = script_id
    return saved
