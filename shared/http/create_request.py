"""Parsing the create_conference request body (sent by the add-on shim)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInput

MAX_ID_LENGTH = 1024


@dataclass(frozen=True)
class CreateRequest:
    solution_id: str
    calendar_id: str
    event_id: str


def _identifier(container: dict[str, Any], name: str, where: str) -> str:
    value = container.get(name)
    if value is None:
        raise InvalidInput(f"{where}{name} is required")
    if not isinstance(value, str):
        raise InvalidInput(f"{where}{name} must be a string")
    if not value.strip():
        raise InvalidInput(f"{where}{name} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"{where}{name} is longer than {MAX_ID_LENGTH} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidInput(f"{where}{name} must not contain control characters")
    return value


def parse_create_request(body: bytes) -> CreateRequest:
    """``{"solutionId", "eventData": {"calendarId", "eventId"}}``; unknown fields ignored."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise InvalidInput("the body must be JSON") from err
    if not isinstance(document, dict):
        raise InvalidInput("the body must be a JSON object")
    event_data = document.get("eventData")
    if not isinstance(event_data, dict):
        raise InvalidInput("eventData must be an object")
    return CreateRequest(
        solution_id=_identifier(document, "solutionId", ""),
        calendar_id=_identifier(event_data, "calendarId", "eventData."),
        event_id=_identifier(event_data, "eventId", "eventData."),
    )
