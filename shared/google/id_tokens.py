"""Verification of the Google ID token the add-on sends as ``Authorization: Bearer``.

The Apps Script add-on calls ``create_conference`` with the user's identity token
(``ScriptApp.getIdentityToken()``). The function checks it itself: Cloud Run's own invoker
check would replace the signature (``SIGNATURE_REMOVED_BY_GOOGLE``) and leave us nothing to
verify.

:class:`IdTokenVerifier` checks, in this order: the header (``RS256`` only, so ``alg: none``
and HMAC tokens never reach a key), the signature against Google's certificates (fetched
from a configurable URL and cached), ``iat``/``exp`` and ``aud`` (google-auth's
:func:`google.auth.jwt.decode`), then the issuer, ``email_verified``, ``email``, ``sub`` and
the hosted domain. Every refusal raises :class:`~shared.errors.Unauthenticated` with a short
fixed reason that never quotes the token or its claims; a failure to get the certificates
raises :class:`~shared.errors.TransientFailure`, since it is not the caller's fault.

The injected ``clock`` drives the certificate cache only; google-auth checks ``iat`` and
``exp`` against the system clock with :data:`CLOCK_SKEW_SECONDS` of tolerance.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import google.auth.crypt
import google.auth.exceptions
import google.auth.jwt
import requests

from shared.errors import TransientFailure, Unauthenticated

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})

#: Tolerance for ``iat`` and ``exp`` (google-auth's own default is 0).
CLOCK_SKEW_SECONDS = 10
#: A token naming an unknown key refetches the certificates at most this often.
REFETCH_INTERVAL_SECONDS = 30.0
#: After a failed certificate fetch, callers get TransientFailure for this long without a
#: new attempt, so that an outage does not queue every request behind a network timeout.
FETCH_FAILURE_BACKOFF_SECONDS = 5.0
#: Google ID tokens are about 1 KB; anything much larger is refused before parsing.
MAX_TOKEN_LENGTH = 8192

_SIGNATURE_REMOVED = "SIGNATURE_REMOVED_BY_GOOGLE"
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True)
class VerifiedUser:
    """The user a verified ID token speaks for."""

    email: str
    """Lowercased ``email`` claim."""
    subject: str
    """The ``sub`` claim: Google's stable id of the account."""
    hosted_domain: str | None
    """The ``hd`` claim (lowercased): the Workspace domain, ``None`` for consumer accounts."""


class IdTokenVerifier:
    """Verifies Google ID tokens for one audience; safe to share between threads.

    Create one per instance and reuse it: the certificates are cached for the lifetime
    their response's ``Cache-Control: max-age`` gives (else ``default_cache_seconds``).
    """

    def __init__(
        self,
        *,
        certs_url: str,
        audience: str,
        allowed_domains: tuple[str, ...] = (),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        default_cache_seconds: float = 3600.0,
        timeout: float = 5.0,
    ) -> None:
        if not audience:
            raise ValueError("audience must be the add-on's OAuth client id")
        self._audience = audience
        self._allowed_domains = frozenset(domain.lower() for domain in allowed_domains)
        self._certificates = _CertificateCache(
            certs_url,
            session=session,
            clock=clock,
            default_cache_seconds=default_cache_seconds,
            timeout=timeout,
        )

    def close(self) -> None:
        """Close the HTTP session if this verifier created it."""
        self._certificates.close()

    def verify_authorization(self, header_value: str | None) -> VerifiedUser:
        """Verify the token of an ``Authorization: Bearer <token>`` header value."""
        if header_value is None or not header_value.strip():
            raise Unauthenticated("missing authorization header")
        parts = header_value.strip().split(None, 1)
        if parts[0].lower() != "bearer":
            raise Unauthenticated("authorization scheme is not Bearer")
        if len(parts) == 1:
            raise Unauthenticated("missing bearer token")
        return self.verify(parts[1].strip())

    def verify(self, token: str) -> VerifiedUser:
        """Verify ``token`` and return the user it names; raise Unauthenticated if invalid."""
        header = _header(token)
        if header.get("alg") != "RS256":
            raise Unauthenticated("unsupported signing algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("token has no key id")
        certificate = self._certificates.get(kid)
        try:
            claims = google.auth.jwt.decode(  # type: ignore[no-untyped-call]
                token,
                certs={kid: certificate},
                audience=self._audience,
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
        except (google.auth.exceptions.GoogleAuthError, ValueError, TypeError) as err:
            # google-auth's messages may quote the audience; ours never quote a claim.
            raise Unauthenticated(self._failure_reason(token, certificate)) from err
        return self._user(claims)

    def _user(self, claims: Mapping[str, Any]) -> VerifiedUser:
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise Unauthenticated("wrong issuer")
        email_verified = claims.get("email_verified")
        if email_verified is not True and email_verified != "true":  # 1 == True: not "in"
            raise Unauthenticated("unverified email")
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise Unauthenticated("missing email")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("missing subject")
        hosted_domain = claims.get("hd")
        if hosted_domain is not None and not isinstance(hosted_domain, str):
            raise Unauthenticated("malformed hosted domain")
        if hosted_domain is not None:
            hosted_domain = hosted_domain.lower()
        if self._allowed_domains:
            if hosted_domain is None:
                raise Unauthenticated("hosted domain missing")
            if hosted_domain not in self._allowed_domains:
                raise Unauthenticated("hosted domain not allowed")
        return VerifiedUser(email=email.lower(), subject=subject, hosted_domain=hosted_domain)

    def _failure_reason(self, token: str, certificate: str) -> str:
        """Say why google-auth refused a well-formed token, without quoting any claim.

        Runs only after google-auth refused: the decision is google-auth's, this only names
        it (google-auth raises the same exception types for all of these).
        """
        signing_input, _, signature = token.rpartition(".")
        try:
            raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            signed = google.auth.crypt.verify_signature(  # type: ignore[no-untyped-call]
                signing_input.encode("ascii"), raw_signature, [certificate]
            )
        except (ValueError, TypeError):
            signed = False
        if not signed:
            return "invalid signature"
        claims = google.auth.jwt.decode(token, verify=False)  # type: ignore[no-untyped-call]
        issued_at, expires_at = claims.get("iat"), claims.get("exp")
        if not isinstance(issued_at, int | float) or not isinstance(expires_at, int | float):
            return "malformed token times"
        now = time.time()
        if expires_at + CLOCK_SKEW_SECONDS < now:
            return "token expired"
        if issued_at - CLOCK_SKEW_SECONDS > now:
            return "token issued in the future"
        if claims.get("aud") != self._audience:
            return "wrong audience"
        return "invalid token"


def _header(token: str) -> Mapping[str, Any]:
    """The token's header, once the token is known to be a well-formed JWT."""
    if not token:
        raise Unauthenticated("missing bearer token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("token too large")
    if token.endswith("." + _SIGNATURE_REMOVED):
        raise Unauthenticated("token signature removed by Cloud Run")
    try:
        header = google.auth.jwt.decode_header(token)  # type: ignore[no-untyped-call]
    except (google.auth.exceptions.GoogleAuthError, ValueError, TypeError):
        # No ``from err``: google-auth's message quotes the token or its decoded segments,
        # and a logged traceback would carry it.
        raise Unauthenticated("malformed token") from None
    if not isinstance(header, Mapping):
        raise Unauthenticated("malformed token")
    return header


class _CertificateCache:
    """Google's ``{kid: PEM certificate}`` map, fetched on demand and cached; thread-safe.

    The lock is held while fetching, so concurrent requests wait for one fetch instead of
    each starting their own.
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None,
        clock: Callable[[], float],
        default_cache_seconds: float,
        timeout: float,
    ) -> None:
        self._url = url
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._clock = clock
        self._default_cache_seconds = default_cache_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._certs: dict[str, str] = {}
        self._expires_at = float("-inf")
        self._attempted_at = float("-inf")
        self._retry_at = float("-inf")

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def get(self, kid: str) -> str:
        with self._lock:
            now = self._clock()
            if now >= self._expires_at:
                self._refresh(now)
            certificate = self._certs.get(kid)
            if certificate is None and now - self._attempted_at >= REFETCH_INTERVAL_SECONDS:
                self._refresh(now)
                certificate = self._certs.get(kid)
        if certificate is None:
            raise Unauthenticated("unknown signing key")
        return certificate

    def _refresh(self, now: float) -> None:
        if now < self._retry_at:
            raise TransientFailure("ID token certificates unavailable", self._retry_at - now)
        self._attempted_at = now
        try:
            certs, lifetime = self._download()
        except TransientFailure:
            self._retry_at = now + FETCH_FAILURE_BACKOFF_SECONDS
            raise
        self._certs = certs
        self._expires_at = now + lifetime

    def _download(self) -> tuple[dict[str, str], float]:
        try:
            response = self._session.get(self._url, timeout=self._timeout)
        except requests.RequestException as err:
            raise TransientFailure("fetching ID token certificates failed") from err
        if response.status_code != 200:
            raise TransientFailure(
                f"fetching ID token certificates answered {response.status_code}"
            )
        try:
            body = response.json()
        except ValueError as err:
            raise TransientFailure("ID token certificates are not JSON") from err
        if not isinstance(body, dict) or not all(
            isinstance(kid, str) and isinstance(pem, str) and "-----BEGIN" in pem
            for kid, pem in body.items()
        ):
            raise TransientFailure("ID token certificates are malformed")
        return dict(body), self._lifetime(response.headers.get("Cache-Control", ""))

    def _lifetime(self, cache_control: str) -> float:
        match = _MAX_AGE.search(cache_control)
        return float(match.group(1)) if match else self._default_cache_seconds
