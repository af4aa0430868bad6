"""The OpenID Connect endpoints of the local token issuer: Google's authorization code
flow, as a web OAuth client sees it. For tests and the local stack only.

- ``GET /o/oauth2/v2/auth`` (Google: ``https://accounts.google.com/o/oauth2/v2/auth``):
  checks ``client_id`` (registered), ``redirect_uri`` (registered for that client, exact
  match), ``response_type=code``, ``scope`` with ``openid``, and PKCE
  (``code_challenge`` with ``code_challenge_method=S256``). A bad client or redirect URI
  gets an error page and never a redirect, as Google does; other errors are redirected
  with ``error=invalid_request``. Then a small HTML page where the person types the
  identity to sign in as (Google's account chooser stands in), or, for tests, the
  local-only query parameter ``identity=EMAIL`` picks it at once.
- ``POST /o/oauth2/v2/auth`` (the page's form): ``302`` to ``redirect_uri?code=...&state=...``
  (``action=cancel``: ``error=access_denied&state=...``).
- ``POST /token`` with ``grant_type=authorization_code`` (Google:
  ``https://oauth2.googleapis.com/token``): checks the client (form fields or HTTP Basic),
  that the code exists, is unused (codes are single-use: a second exchange is
  ``invalid_grant``), is at most :data:`CODE_LIFETIME_SECONDS` old, was issued to this
  client and ``redirect_uri``, and that ``BASE64URL(SHA256(code_verifier))`` is its
  challenge. Answers ``{access_token, id_token, expires_in, token_type, scope}``; the
  ID token is signed by the issuer's key, with ``aud`` = the client id, the ``nonce`` of
  the authorization request, ``email_verified`` and, for an identity of a registered
  Workspace domain, ``hd``.

Sources: Google's OpenID Connect guide and reference
(https://developers.google.com/identity/openid-connect/openid-connect,
https://developers.google.com/identity/openid-connect/reference: the endpoints, the
request parameters, ``nonce``, the ID token's claims with ``hd`` and ``email_verified``),
Google's "OAuth 2.0 for Web Server Applications"
(https://developers.google.com/identity/protocols/oauth2/web-server: ``redirect_uri``
matched exactly, a mismatch shown to the user as an error page, ``invalid_grant`` for a
used or expired code), RFC 7636 (PKCE, S256) and RFC 6749 section 4.1.2 (a code is
single-use; a lifetime of at most 10 minutes is recommended). Google does not document
its codes' lifetime: :data:`CODE_LIFETIME_SECONDS` is the RFC's ceiling, and the product
does not depend on it (any refused exchange is a 400 page and a new sign-in). Google's
account chooser and consent screens are not reproduced: the identity page stands in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
CODE_LIFETIME_SECONDS = 600
_REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    email: str
    nonce: str | None
    challenge: str
    issued_at: float
    used: bool = False


@dataclass
class OidcEndpoints:
    """Registered clients, issued codes and the two endpoints; thread-safe."""

    mint: Callable[..., str]
    """The issuer's ``mint(email, audience, hd=..., extra_claims=...)``."""
    clock: Callable[[], float] = time.time
    workspace_domains: set[str] = field(default_factory=set)
    """Identities of these domains get the ``hd`` claim (Workspace accounts)."""
    unverified_emails: set[str] = field(default_factory=set)
    """Identities whose ID token says ``email_verified: false``."""
    exchanges: list[tuple[str, int]] = field(default_factory=list)
    """(error or "ok", status) of every authorization-code exchange, oldest first."""
    _clients: dict[str, Client] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...] | list[str]
    ) -> None:
        with self._lock:
            self._clients[client_id] = Client(client_id, client_secret, tuple(redirect_uris))

    def reset(self) -> None:
        """Codes and answers forgotten (clients and domains stay)."""
        with self._lock:
            self._codes.clear()
            self.exchanges.clear()
            self.unverified_emails.clear()

    # -- authorize ------------------------------------------------------------------
    def authorize(self, request: Request) -> Response:
        params = request.form if request.method == "POST" else request.args
        values = {name: params.get(name, "") for name in _REQUEST_FIELDS}
        with self._lock:
            client = self._clients.get(values["client_id"])
        if client is None:
            return _error_page("invalid_client", "The OAuth client was not found.", 401)
        if values["redirect_uri"] not in client.redirect_uris:
            return _error_page("redirect_uri_mismatch", "The redirect URI is not registered.", 400)
        problem = _request_problem(values)
        if problem is not None:
            return _redirect(values["redirect_uri"], error="invalid_request", state=values["state"])
        if request.method == "POST" and params.get("action") == "cancel":
            return _redirect(values["redirect_uri"], error="access_denied", state=values["state"])
        email = (params.get("identity") or params.get("email") or "").strip()
        if not email:
            return _chooser(values)
        if "@" not in email:
            return _chooser(values, "Type an email address.")
        code = "4/local-" + secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(
                client_id=client.client_id,
                redirect_uri=values["redirect_uri"],
                email=email.lower(),
                nonce=values["nonce"] or None,
                challenge=values["code_challenge"],
                issued_at=self.clock(),
            )
        return _redirect(values["redirect_uri"], code=code, state=values["state"])

    # -- token ------------------------------------------------------------------------
    def exchange(self, request: Request) -> Response:
        form = request.form
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if request.authorization is not None and request.authorization.type == "basic":
            client_id = request.authorization.username or ""
            client_secret = request.authorization.password or ""
        with self._lock:
            client = self._clients.get(client_id)
            if client is None or not hmac.compare_digest(
                client.client_secret.encode(), client_secret.encode()
            ):
                return self._refuse("invalid_client", 401, "Unauthorized")
            code = self._codes.get(form.get("code", ""))
            if code is None or code.client_id != client_id:
                return self._refuse("invalid_grant", 400, "Malformed auth code.")
            if code.used:
                return self._refuse("invalid_grant", 400, "Bad Request")
            code.used = True  # single use, whatever the outcome below
            if self.clock() - code.issued_at > CODE_LIFETIME_SECONDS:
                return self._refuse("invalid_grant", 400, "Bad Request")
            if form.get("redirect_uri", "") != code.redirect_uri:
                return self._refuse("redirect_uri_mismatch", 400, "Bad Request")
            verifier = form.get("code_verifier", "")
            if not verifier or not hmac.compare_digest(
                s256(verifier).encode(), code.challenge.encode()
            ):
                return self._refuse("invalid_grant", 400, "Invalid code verifier.")
            self.exchanges.append(("ok", 200))
            email, nonce = code.email, code.nonce
            domain = email.rsplit("@", 1)[1]
            hd = domain if domain in self.workspace_domains else None
            verified = email not in self.unverified_emails
        extra: dict[str, Any] = {"nonce": nonce} if nonce else {}
        id_token = self.mint(email, client_id, hd=hd, email_verified=verified, extra_claims=extra)
        return _json(
            {
                "access_token": "local-oidc-" + secrets.token_urlsafe(24),
                "id_token": id_token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "openid https://www.googleapis.com/auth/userinfo.email",
            }
        )

    def _refuse(self, error: str, status: int, description: str) -> Response:
        self.exchanges.append((error, status))
        return _json({"error": error, "error_description": description}, status)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _request_problem(values: dict[str, str]) -> str | None:
    if values["response_type"] != "code":
        return "response_type"
    if "openid" not in values["scope"].split():
        return "scope"
    if values["code_challenge_method"] != "S256" or not values["code_challenge"]:
        return "PKCE"
    return None


def _redirect(redirect_uri: str, **query: str) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    response = Response("", status=302)
    response.headers["Location"] = redirect_uri + separator + urlencode(query)
    return response


def _chooser(values: dict[str, str], problem: str | None = None) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in values.items()
    )
    note = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Sign in - local Google</title></head><body><main>"
        "<h1>Sign in (local token issuer)</h1>"
        "<p>Choose the Google identity to sign in as.</p>"
        f'{note}<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        '<label for="email">Email</label> '
        '<input id="email" name="email" type="email" required> '
        '<button id="continue" type="submit" name="action" value="continue">Continue</button> '
        '<button id="cancel" type="submit" name="action" value="cancel" formnovalidate>'
        "Cancel</button></form></main></body></html>"
    )
    return Response(html, mimetype="text/html")


def _error_page(error: str, description: str, status: int) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title>'
        f'</head><body><h1 id="error">{escape(error)}</h1>'
        f"<p>{escape(description)}</p></body></html>"
    )
    return Response(html, status=status, mimetype="text/html")


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
