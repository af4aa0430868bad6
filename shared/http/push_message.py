"""Calendar push messages (``events.watch`` web hooks): parsing the ``X-Goog-*`` headers.

A message is a POST with no body. Required: channel id, message number (ASCII digits),
resource id, resource state (``sync``, ``exists``, ``not_exists``; the last is treated like
``exists``). Optional: resource URI, channel expiration (RFC 1123 date; a date without a
zone is taken as UTC), channel token. Every header we read must be printable ASCII, as
Calendar sends it. Anything malformed is an :class:`~shared.errors.InvalidInput` (the
answers: ``docs/sync-model.md#bad-input``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from shared.errors import InvalidInput

CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
MESSAGE_NUMBER = re.compile(r"[0-9]{1,20}")
#: Visible ASCII, space and tab: what Calendar sends (header bytes arrive as latin-1 text).
HEADER_TEXT = re.compile(r"[\t\x20-\x7e]*")
MAX_HEADER = 2048
MAX_TOKEN = 256


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


def _check_text(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidInput(f"header {name} is too long")
    if not HEADER_TEXT.fullmatch(value):
        raise InvalidInput(f"header {name} must be printable ASCII")


def _header(headers: Mapping[str, str], name: str, *, required: bool) -> str | None:
    value = headers.get(name.lower())
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"missing header {name}")
        return None
    _check_text(name, value, MAX_HEADER)
    return value.strip()


def _expiration(raw: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, OverflowError) as err:  # OverflowError: a huge year
        raise InvalidInput("malformed X-Goog-Channel-Expiration") from err
    # RFC 5322 reads "-0000" (and a missing zone) as UTC without a known local offset.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_push_message(raw_headers: Mapping[str, str], body: bytes) -> PushMessage:
    """Parse a message; header names are matched case-insensitively."""
    headers = {name.lower(): value for name, value in raw_headers.items()}
    if body.strip():
        raise InvalidInput("a push message has no body")
    channel_id = _header(headers, "X-Goog-Channel-ID", required=True) or ""
    if not CHANNEL_ID.fullmatch(channel_id):
        raise InvalidInput("malformed X-Goog-Channel-ID")
    number_raw = _header(headers, "X-Goog-Message-Number", required=True) or ""
    if not MESSAGE_NUMBER.fullmatch(number_raw):  # str.isdigit() would take "²" and "٣"
        raise InvalidInput("X-Goog-Message-Number must be a number in ASCII digits")
    resource_id = _header(headers, "X-Goog-Resource-ID", required=True) or ""
    state_raw = _header(headers, "X-Goog-Resource-State", required=True) or ""
    try:
        state = ResourceState(state_raw)
    except ValueError as err:
        raise InvalidInput("unknown X-Goog-Resource-State") from err
    expiration_raw = _header(headers, "X-Goog-Channel-Expiration", required=False)
    expiration = _expiration(expiration_raw) if expiration_raw is not None else None
    token = headers.get("x-goog-channel-token")
    if token is not None:  # compared as sent, not stripped; an empty one matches nothing
        _check_text("X-Goog-Channel-Token", token, MAX_TOKEN)
    resource_uri = _header(headers, "X-Goog-Resource-URI", required=False)
    return PushMessage(
        channel_id=channel_id,
        message_number=int(number_raw),
        resource_id=resource_id,
        resource_state=state,
        resource_uri=resource_uri,
        channel_expiration=expiration,
        token=token,
    )
