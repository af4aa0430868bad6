"""Google sign-in for the join links: OpenID Connect authorization code flow with PKCE
(S256) and a ``nonce`` (docs/join-links.md#sign-in).

:func:`new_attempt` makes the secrets of one attempt (kept only in the signed state
cookie), :func:`authorize_url` the redirect to Google, and :class:`OidcClient` exchanges
the code at the token endpoint and checks the ID token as the add-on's is checked
(:class:`~shared.google.id_tokens.IdTokenVerifier`: RS256, Google's certificates from
``GOOGLE_ID_TOKEN_CERTS_URL``, issuer, ``email_verified``), with the audience
``JOIN_OAUTH_CLIENT_ID``, then the nonce. Refusals raise
:class:`~shared.errors.Unauthenticated` with a fixed reason; a token endpoint that fails
(5xx, network) raises :class:`~shared.errors.TransientFailure`. Neither ever carries the
code, a token or an email.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import google.auth.jwt
import requests

from shared.errors import TransientFailure, Unauthenticated
from shared.google.id_tokens import IdTokenVerifier, VerifiedUser
from shared.join.settings import JoinSettings

SCOPES = "openid email"
MAX_CODE_LENGTH = 2048


@dataclass(frozen=True)
class Attempt:
    """The secrets of one sign-in attempt (all url-safe, 43 characters)."""

    state: str
    nonce: str
    verifier: str

    @property
    def challenge(self) -> str:
        return pkce_challenge(self.verifier)


def new_attempt() -> Attempt:
    return Attempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(32),
    )


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: ``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(settings: JoinSettings, redirect_uri: str, attempt: Attempt) -> str:
    query = {
        "client_id": settings.oauth_client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": SCOPES,
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": attempt.challenge,
        "code_challenge_method": "S256",
        "prompt": "select_account",
    }
    separator = "&" if "?" in settings.authorize_url else "?"
    return settings.authorize_url + separator + urlencode(query)


class OidcClient:
    """Exchanges codes and verifies ID tokens; one per instance, thread-safe."""

    def __init__(
        self,
        settings: JoinSettings,
        *,
        certs_url: str,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._settings = settings
        self._session = session or requests.Session()
        self._timeout = timeout
        self._verifier = IdTokenVerifier(certs_url=certs_url, audience=settings.oauth_client_id)

    def sign_in(self, code: str, verifier: str, nonce: str, redirect_uri: str) -> VerifiedUser:
        """Exchange ``code`` and return the user its verified ID token names."""
        token = self._exchange(code, verifier, redirect_uri)
        user = self._verifier.verify(token)
        claims: dict[str, Any] = google.auth.jwt.decode(  # type: ignore[no-untyped-call]
            token, verify=False
        )  # verified just above
        received = claims.get("nonce")
        if not isinstance(received, str) or not hmac.compare_digest(
            received.encode("utf-8"), nonce.encode("utf-8")
        ):
            raise Unauthenticated("nonce mismatch")
        return user

    def _exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        if not code or len(code) > MAX_CODE_LENGTH:
            raise Unauthenticated("malformed authorization code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": self._settings.oauth_client_id,
            "client_secret": self._settings.oauth_client_secret,
        }
        try:
            response = self._session.post(
                self._settings.token_url, data=form, timeout=self._timeout
            )
        except requests.RequestException:
            raise TransientFailure("the token endpoint did not answer") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientFailure(f"the token endpoint answered {response.status_code}")
        if response.status_code != 200:
            raise Unauthenticated("authorization code refused")
        try:
            body = response.json()
        except ValueError:
            raise TransientFailure("the token endpoint answered no JSON") from None
        token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Unauthenticated("no ID token in the token answer")
        return token
