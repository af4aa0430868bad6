"""Calendar push messages (``events.watch`` web hooks): parsing the ``X-Goog-*`` headers.

A message is a POST with no body. Required: channel id, message number (a positive
integer), resource id, resource state (``sync``, ``exists``, ``not_exists``; the last is
treated like ``exists``). Optional: resource URI, channel expiration (RFC 1123 date),
channel token. Anything malformed is an :class:`~shared.errors.InvalidInput`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from shared.errors import InvalidInput

CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
MAX_HEADER = 2048


class ResourceState(StrEnum):
    SYNC = "sync"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"


@dataclass(frozen=True)
class PushMessage:
    channel_id: str
    message_number: int
    resource_id: str
    resource_state: ResourceState
    resource_uri: str | None = None
    channel_expiration: datetime | None = None
    token: str | None = field(default=None, repr=False)


def _header(headers: Mapping[str, str], name: str, *, required: bool) -> str | None:
    value = headers.get(name.lower())
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"missing header {name}")
        return None
    if len(value) > MAX_HEADER:
        raise InvalidInput(f"header {name} is too long")
    return value.strip()


def parse_push_message(raw_headers: Mapping[str, str], body: bytes) -> PushMessage:
    """Parse a message; header names are matched case-insensitively."""
    headers = {name.lower(): value for name, value in raw_headers.items()}
    if body.strip():
        raise InvalidInput("a push message has no body")
    channel_id = _header(headers, "X-Goog-Channel-ID", required=True) or ""
    if not CHANNEL_ID.match(channel_id):
        raise InvalidInput("malformed X-Goog-Channel-ID")
    number_raw = _header(headers, "X-Goog-Message-Number", required=True) or ""
    if not number_raw.isdigit() or len(number_raw) > 20:
        raise InvalidInput("X-Goog-Message-Number must be a positive integer")
    resource_id = _header(headers, "X-Goog-Resource-ID", required=True) or ""
    state_raw = _header(headers, "X-Goog-Resource-State", required=True) or ""
    try:
        state = ResourceState(state_raw)
    except ValueError as err:
        raise InvalidInput("unknown X-Goog-Resource-State") from err
    expiration = None
    expiration_raw = _header(headers, "X-Goog-Channel-Expiration", required=False)
    if expiration_raw is not None:
        try:
            expiration = parsedate_to_datetime(expiration_raw)
        except (TypeError, ValueError) as err:
            raise InvalidInput("malformed X-Goog-Channel-Expiration") from err
    token = headers.get("x-goog-channel-token")
    if token is not None and len(token) > 256:
        raise InvalidInput("X-Goog-Channel-Token is too long")
    return PushMessage(
        channel_id=channel_id,
        message_number=int(number_raw),
        resource_id=resource_id,
        resource_state=state,
        resource_uri=_header(headers, "X-Goog-Resource-URI", required=False),
        channel_expiration=expiration,
        token=token,
    )
