"""Signed, expiring cookies: the join function keeps its state only in them.

A cookie value is ``base64url(json payload) "." base64url(HMAC-SHA256)``, keyed with
``JOIN_SESSION_KEY``. The payload carries its purpose (``state`` or ``session``, so one
cookie never passes for the other) and its expiry (at most :data:`MAX_AGE_SECONDS`).
:func:`read_signed` returns ``None`` for anything tampered, expired, of another purpose or
malformed: callers treat all of these alike.

The cookies are ``__Host-`` prefixed, ``Secure``, ``HttpOnly``, ``SameSite=Lax`` (the state
cookie must come back with the top-level redirect from Google) and ``Path=/``, without
``Domain`` (docs/join-links.md#cookies). Pure: the time is passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

MAX_AGE_SECONDS = 3600
STATE_COOKIE = "__Host-join-state"
SESSION_COOKIE = "__Host-join-session"
#: A cookie longer than this is refused unread (ours are a few hundred bytes).
MAX_COOKIE_LENGTH = 2048


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def sign(key: bytes, purpose: str, payload: dict[str, Any], *, now: float, max_age: int) -> str:
    """A signed value of ``payload`` for ``purpose``, valid ``max_age`` seconds (<= 1 h)."""
    if not 0 < max_age <= MAX_AGE_SECONDS:
        raise ValueError("a cookie lasts at most an hour")
    data = {**payload, "p": purpose, "exp": int(now) + max_age}
    body = _b64encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_mac(key, body)}"


def read_signed(
    key: bytes, purpose: str, value: str | None, *, now: float
) -> dict[str, Any] | None:
    """The payload of a value :func:`sign` made for ``purpose``, or ``None``."""
    if not value or len(value) > MAX_COOKIE_LENGTH or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    try:
        expected = _mac(key, body)
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode("ascii"), mac.encode("utf-8", "replace")):
        return None
    try:
        data = json.loads(_b64decode(body))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    expires = data.get("exp")
    if not isinstance(expires, int) or expires <= now:
        return None
    return {k: v for k, v in data.items() if k not in ("p", "exp")}


def set_cookie_header(name: str, value: str, *, max_age: int) -> str:
    """The ``Set-Cookie`` value of one of our cookies."""
    return f"{name}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"


def clear_cookie_header(name: str) -> str:
    """The ``Set-Cookie`` value that removes one of our cookies."""
    return f"{name}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"


def form_token(key: bytes, state_id: str, conference_id: str) -> str:
    """The guest form's token: bound to the state cookie's id and the conference."""
    message = f"guest-form\x00{state_id}\x00{conference_id}".encode()
    return _b64encode(hmac.new(key, message, hashlib.sha256).digest())


def form_token_valid(key: bytes, state_id: str, conference_id: str, token: str) -> bool:
    expected = form_token(key, state_id, conference_id)
    return hmac.compare_digest(expected.encode("ascii"), token.encode("utf-8", "replace"))
