"""Query parameters checked against the discovery document.

A parameter the method does not define (and that is not one of Google's standard system
parameters) is refused with 400, as are values of the wrong type, out of range or outside
an enum. Values come back typed: ``bool``, ``int``, ``str``, or ``list[str]`` for the
parameters the discovery document marks ``repeated``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from local.fakes.calendar_server import schema
from local.fakes.calendar_server.errors import ApiError, bad_request, invalid_parameter, required
from local.fakes.calendar_server.times import parse_instant

#: Google's system parameters, accepted on every method.
STANDARD = frozenset(
    {
        "$.xgafv",
        "access_token",
        "alt",
        "callback",
        "fields",
        "key",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "upload_protocol",
        "uploadType",
        "userIp",
    }
)
_SYSTEM_SPECS: dict[str, dict[str, Any]] = {
    "alt": {"type": "string", "enum": ["json"]},
    "prettyPrint": {"type": "boolean"},
    "$.xgafv": {"type": "string", "enum": ["1", "2"]},
}


def _unknown(name: str) -> ApiError:
    return ApiError(
        400,
        "badRequest",
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message.",
    )


def _convert(name: str, raw: str, spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise invalid_parameter(name, f"Invalid boolean value: '{raw}'.")
        return raw.lower() == "true"
    if kind == "integer":
        try:
            number = int(raw)
        except ValueError:
            raise invalid_parameter(name, f"Invalid integer value: '{raw}'.") from None
        low = int(spec.get("minimum", -(2**31)))
        high = int(spec.get("maximum", 2**31 - 1))
        if not low <= number <= high:
            raise invalid_parameter(
                name, f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
            )
        return number
    if "enum" in spec and raw not in spec["enum"]:
        allowed = ", ".join(spec["enum"])
        raise invalid_parameter(name, f"Invalid string value: '{raw}'. Allowed values: [{allowed}]")
    if spec.get("format") == "date-time" and parse_instant(raw) is None:
        raise bad_request()
    return raw


def parse(method_name: str, items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The query of a call to ``method_name`` (``items`` as repeated (name, value) pairs)."""
    specs: dict[str, Any] = {
        name: spec
        for name, spec in schema.method(method_name).get("parameters", {}).items()
        if spec.get("location") == "query"
    }
    parsed: dict[str, Any] = {}
    for name, raw in items:
        spec = specs.get(name) or _SYSTEM_SPECS.get(name)
        if spec is None:
            if name in STANDARD:
                parsed.setdefault(name, raw)
                continue
            raise _unknown(name)
        value = _convert(name, raw, spec)
        if spec.get("repeated"):
            parsed.setdefault(name, []).append(value)
        else:
            parsed.setdefault(name, value)
    for name, spec in specs.items():
        if spec.get("required") and name not in parsed:
            raise required(f"Required parameter: {name}", location=name)
    return parsed
