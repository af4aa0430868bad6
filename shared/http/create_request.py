"""Parsing the create_conference request body (sent by the add-on shim).

Each id must be text Calendar and Firestore can take: a string of 1 to 1024 characters,
not only whitespace, valid Unicode (no lone surrogate, which JSON's ``\\ud800`` escape can
carry), no control character (C0, DEL, C1), and not ``.`` or ``..`` (which would be path
segments of Calendar's URLs). Anything else is an :class:`~shared.errors.InvalidInput`
(the answers: ``docs/create-contract.md#bad-input``); messages name the field, never quote it.
"""

from __future__ import annotations

import json
import unicodedata
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
    categories = {unicodedata.category(ch) for ch in value}
    if "Cs" in categories:
        raise InvalidInput(f"{where}{name} must be valid Unicode text (a lone surrogate)")
    if "Cc" in categories:
        raise InvalidInput(f"{where}{name} must not contain control characters")
    if value in (".", ".."):
        raise InvalidInput(f"{where}{name} must not be '.' or '..'")
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
