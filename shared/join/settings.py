"""The join function's own settings (docs/join-links.md#settings).

Read from the environment next to the bundle's :class:`~shared.config.Settings`, and
checked the same way: one :class:`~shared.errors.ConfigurationError` names every
problem. On Cloud Run (``K_SERVICE`` set) the OAuth endpoints must be Google's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.errors import ConfigurationError

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
GOOGLE_OAUTH_HOSTS = frozenset({"accounts.google.com", "oauth2.googleapis.com"})
DEFAULT_OPENS_MINUTES_BEFORE = 15.0
#: The session key signs cookies with HMAC-SHA256: at least 32 bytes of secret.
MIN_SESSION_KEY_LENGTH = 32


@dataclass(frozen=True)
class JoinSettings:
    session_key: bytes = field(repr=False)
    """JOIN_SESSION_KEY: signs the state and session cookies (Secret Manager)."""
    oauth_client_id: str
    """JOIN_OAUTH_CLIENT_ID: the web OAuth client of the sign-in."""
    oauth_client_secret: str = field(repr=False)
    """JOIN_OAUTH_CLIENT_SECRET (Secret Manager)."""
    opens_minutes_before: float = DEFAULT_OPENS_MINUTES_BEFORE
    """JOIN_OPENS_MINUTES_BEFORE: how long before the start a link opens."""
    authorize_url: str = GOOGLE_AUTHORIZE_URL
    token_url: str = GOOGLE_TOKEN_URL


def _oauth_url(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str:
    value = env.get(name, "").strip()
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{name} must be an http(s) URL")
    elif env.get("K_SERVICE") and (
        parts.scheme != "https" or parts.hostname not in GOOGLE_OAUTH_HOSTS
    ):
        problems.append(f"{name} must be Google's on Cloud Run")
    return value


def load_join_settings(env: Mapping[str, str] | None = None) -> JoinSettings:
    """Read and check the join settings; raise ConfigurationError naming each problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    key = env.get("JOIN_SESSION_KEY", "")
    if not key.strip():
        problems.append("JOIN_SESSION_KEY is required")
    elif len(key.encode("utf-8")) < MIN_SESSION_KEY_LENGTH:
        problems.append(f"JOIN_SESSION_KEY must be at least {MIN_SESSION_KEY_LENGTH} bytes")
    client_id = env.get("JOIN_OAUTH_CLIENT_ID", "").strip()
    if not client_id:
        problems.append("JOIN_OAUTH_CLIENT_ID is required")
    client_secret = env.get("JOIN_OAUTH_CLIENT_SECRET", "").strip()
    if not client_secret:
        problems.append("JOIN_OAUTH_CLIENT_SECRET is required")
    opens = DEFAULT_OPENS_MINUTES_BEFORE
    raw = env.get("JOIN_OPENS_MINUTES_BEFORE", "").strip()
    if raw:
        try:
            opens = float(raw)
        except ValueError:
            problems.append("JOIN_OPENS_MINUTES_BEFORE must be a number")
        else:
            if not 0 <= opens <= 24 * 60:
                problems.append("JOIN_OPENS_MINUTES_BEFORE must be between 0 and 1440")
                opens = DEFAULT_OPENS_MINUTES_BEFORE
    authorize_url = _oauth_url(env, "GOOGLE_OAUTH_AUTHORIZE_URL", GOOGLE_AUTHORIZE_URL, problems)
    token_url = _oauth_url(env, "GOOGLE_OAUTH_TOKEN_URL", GOOGLE_TOKEN_URL, problems)
    if problems:
        raise ConfigurationError(problems)
    return JoinSettings(
        session_key=key.encode("utf-8"),
        oauth_client_id=client_id,
        oauth_client_secret=client_secret,
        opens_minutes_before=opens,
        authorize_url=authorize_url,
        token_url=token_url,
    )
