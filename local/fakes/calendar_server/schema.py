"""The Calendar v3 discovery document (shipped with google-api-python-client) as the schema.

:func:`method` gives a method's description (its query parameters), :func:`check_body`
refuses a request body that the schema does not describe. Google parses bodies with a
proto JSON parser: an unknown name or a value of the wrong type is a 400 ``badRequest``
("Invalid JSON payload received. Unknown name ..."); ``null`` means "not set".
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from local.fakes.calendar_server.errors import ApiError


@functools.cache
def discovery() -> dict[str, Any]:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or spec.origin is None:
        raise RuntimeError("google-api-python-client is not installed")
    path = Path(spec.origin).parent / "discovery_cache" / "documents" / "calendar.v3.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def method(name: str) -> dict[str, Any]:
    """``"events.list"`` -> that method's description."""
    resource, verb = name.split(".")
    found: dict[str, Any] = discovery()["resources"][resource]["methods"][verb]
    return found


def _schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = discovery()["schemas"][name]
    return found


def _payload_error(message: str) -> ApiError:
    return ApiError(400, "badRequest", f"Invalid JSON payload received. {message}")


def _type_name(spec: dict[str, Any]) -> str:
    names = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32"}
    return names.get(str(spec.get("type")), "TYPE_MESSAGE")


def _check_value(value: Any, spec: dict[str, Any], where: str) -> None:
    if value is None:
        return
    if "$ref" in spec:
        _check_object(value, _schema(spec["$ref"]), where)
        return
    kind = spec.get("type")
    bad = False
    if kind == "string":
        bad = not isinstance(value, str) and not (
            spec.get("format") in ("int64", "uint64")
            and isinstance(value, int)
            and not isinstance(value, bool)
        )
    elif kind == "boolean":
        bad = not isinstance(value, bool)
    elif kind == "integer":
        bad = isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())
        )
    elif kind == "number":
        bad = isinstance(value, bool) or not isinstance(value, int | float)
    elif kind == "array":
        if not isinstance(value, list):
            bad = True
        else:
            for index, item in enumerate(value):
                _check_value(item, spec.get("items", {}), f"{where}[{index}]")
    elif kind == "object":
        _check_object(value, spec, where)
    if bad:
        raise _payload_error(
            f"Invalid value at '{where}' ({_type_name(spec)}), {json.dumps(value)}"
        )


def _check_object(value: Any, spec: dict[str, Any], where: str) -> None:
    if not isinstance(value, dict):
        raise _payload_error(f"Invalid value at '{where}' (TYPE_MESSAGE), {json.dumps(value)}")
    properties: dict[str, Any] = spec.get("properties", {})
    extra: dict[str, Any] | None = spec.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _check_value(item, properties[key], f"{where}.{key}")
        elif extra is not None:
            _check_value(item, extra, f"{where}[{key}]")
        else:
            raise _payload_error(f"Unknown name \"{key}\" at '{where}': Cannot find field.")


def check_body(body: Any, schema_name: str) -> dict[str, Any]:
    """``body`` if it is a JSON object that ``schema_name`` describes, else a 400."""
    if not isinstance(body, dict):
        raise _payload_error("Root element must be a message.")
    _check_object(body, _schema(schema_name), "resource")
    return body
