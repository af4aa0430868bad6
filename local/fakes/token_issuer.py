"""A local stand-in for Google's token issuer: ID tokens, their certificates, and the
OAuth 2.0 JWT-bearer grant of service accounts. For tests and the local stack only.

- ``GET /oauth2/v1/certs``: ``{kid: PEM certificate}`` like
  https://www.googleapis.com/oauth2/v1/certs, with ``Cache-Control: public, max-age=N``.
- ``POST /id-token`` (JSON ``{email, audience, hd?, email_verified?, issuer?,
  expires_in?}``): ``{"id_token": ...}``, so another process can get tokens.
- ``POST /token``: the JWT-bearer grant (``grant_type=urn:ietf:params:oauth:grant-type:
  jwt-bearer&assertion=...``) as Google answers it for service accounts, checking the
  assertion against keys registered with :meth:`TokenIssuer.trust_service_account`. An
  assertion with a ``sub`` (domain-wide delegation) gets the access token
  ``local-user:<sub>``, which the local Calendar server takes as that user; one without
  gets an opaque ``local-access-...`` token. Tokens last :attr:`TokenIssuer.
  access_token_lifetime` seconds (google-auth refreshes a token within 3 min 45 s of its
  expiry, so a lifetime below that makes every Calendar call fetch a new one).
- ``GET|POST /o/oauth2/v2/auth`` and ``POST /token`` with
  ``grant_type=authorization_code``: Google's OpenID Connect sign-in for web clients
  registered with ``issuer.oidc.register_client`` (PKCE S256, nonce, single-use codes;
  ``local/fakes/oidc_endpoints.py``).
- Faults on demand: :meth:`TokenIssuer.fail_token_requests` (or ``POST
  /control/token-faults`` with the same fields as JSON; ``DELETE`` clears them) answers
  the next N token requests, of every subject or of one, with a given status and OAuth
  error (``invalid_grant``, ``unauthorized_client``, 503 ``temporarily_unavailable``...),
  after the assertion was checked, as Google would.

Run standalone with ``python -m local.fakes.token_issuer --port N``.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import google.auth.crypt
import google.auth.exceptions
import google.auth.jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request, Response

from local.fakes.oidc_endpoints import AUTHORIZE_PATH, OidcEndpoints
from local.serving import BackgroundServer
from shared.structured_logging import setup_logging

_LOGGER = logging.getLogger(__name__)

GOOGLE_ISSUER = "https://accounts.google.com"
#: The ``aud`` google-auth puts in every service-account assertion, whatever token_uri is.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Google refuses assertions meant to live longer than an hour.
MAX_ASSERTION_LIFETIME = 3600
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
LOCAL_USER_TOKEN_PREFIX = "local-user:"  # what the local Calendar server reads


@dataclass
class TokenFault:
    """Answer ``remaining`` more token requests (of ``subject`` only, if set) this way."""

    remaining: int
    status: int
    error: str
    description: str | None = None
    subject: str | None = None

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        return body


@dataclass(frozen=True)
class _Key:
    kid: str
    signer: google.auth.crypt.Signer
    certificate_pem: str


def _new_key(common_name: str) -> _Key:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    kid = secrets.token_hex(20)
    # Built from the key object: RSASigner.from_string would re-parse (and re-check,
    # slowly) the PEM key on every token.
    signer = google.auth.crypt.RSASigner(key, key_id=kid)  # type: ignore[no-untyped-call]
    return _Key(
        kid=kid,
        signer=signer,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value).encode("utf-8"))


def subject_for(email: str) -> str:
    """A stable numeric ``sub`` for ``email``, shaped like Google's."""
    return str(int(hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:16], 16))


PublicKeyLike = str | bytes | rsa.RSAPublicKey | x509.Certificate


def _public_pem(key: PublicKeyLike) -> bytes:
    if isinstance(key, x509.Certificate):
        return key.public_bytes(serialization.Encoding.PEM)
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return key.encode("ascii") if isinstance(key, str) else key


class TokenIssuer:
    """The local issuer; ``start()`` serves it on ``127.0.0.1:port`` (0: any free port)."""

    def __init__(self, port: int = 0, *, cert_max_age: int = 3600) -> None:
        self._requested_port = port
        self.cert_max_age = cert_max_age
        """``max-age`` of the certificates response, in seconds."""
        self.certs_status: int | None = None
        """Set to an HTTP status (e.g. 503) to make the certificates endpoint fail."""
        self.cert_fetches = 0
        """How many times ``GET /oauth2/v1/certs`` was answered."""
        self.received_assertions: list[dict[str, Any]] = []
        """The decoded claims of every accepted JWT-bearer assertion, oldest first."""
        self.issued_access_tokens: list[str] = []
        self.access_token_lifetime = DEFAULT_ACCESS_TOKEN_LIFETIME
        """``expires_in`` of the access tokens issued, in seconds."""
        self.token_answers: list[tuple[str | None, int]] = []
        """(subject, status) of every answered JWT-bearer grant, oldest first."""
        self._token_faults: list[TokenFault] = []
        self._lock = threading.Lock()
        self._keys = [_new_key("local-token-issuer")]
        self._foreign: _Key | None = None
        self._trusted: dict[str, list[bytes]] = {}
        self._serving: BackgroundServer | None = None
        self.oidc = OidcEndpoints(mint=self.mint)
        """The authorization-code endpoints (``local/fakes/oidc_endpoints.py``)."""

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> TokenIssuer:
        self._serving = BackgroundServer(self._wsgi, name="token-issuer", port=self._requested_port)
        self._serving.start()
        return self

    def stop(self) -> None:
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> TokenIssuer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._serving is None:
            raise RuntimeError("the token issuer is not started")
        return self._serving.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def certs_url(self) -> str:
        return f"{self.base_url}/oauth2/v1/certs"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def authorize_url(self) -> str:
        """The OIDC authorization endpoint (Google's ``/o/oauth2/v2/auth``)."""
        return f"{self.base_url}{AUTHORIZE_PATH}"

    # -- keys --------------------------------------------------------------------------

    @property
    def kid(self) -> str:
        """The id of the key that signs new tokens."""
        return self._keys[-1].kid

    def rotate_keys(self) -> str:
        """Add a new signing key (the old one stays published); return its kid."""
        key = _new_key("local-token-issuer")
        with self._lock:
            self._keys.append(key)
        return key.kid

    def certificates(self) -> dict[str, str]:
        """What ``GET /oauth2/v1/certs`` serves."""
        with self._lock:
            return {key.kid: key.certificate_pem for key in self._keys}

    def trust_service_account(self, email: str, public_key_or_cert: PublicKeyLike) -> None:
        """Accept JWT-bearer assertions from ``email`` signed by this key."""
        pem = _public_pem(public_key_or_cert)
        with self._lock:
            self._trusted.setdefault(email, []).append(pem)

    # -- token faults ----------------------------------------------------------------

    def fail_token_requests(
        self,
        count: int = 1,
        *,
        status: int = 400,
        error: str = "invalid_grant",
        description: str | None = None,
        subject: str | None = None,
    ) -> None:
        """Answer the next ``count`` token requests (of ``subject`` only, if given) with
        ``status`` and ``{"error": error, "error_description": description}``."""
        fault = TokenFault(count, status, error, description, subject)
        with self._lock:
            self._token_faults.append(fault)

    def clear_token_faults(self) -> None:
        """Token requests are answered normally again."""
        with self._lock:
            self._token_faults.clear()

    def reset_token_controls(self) -> None:
        """No faults left, tokens of the default lifetime, answers forgotten."""
        with self._lock:
            self._token_faults.clear()
            self.token_answers.clear()
            self.access_token_lifetime = DEFAULT_ACCESS_TOKEN_LIFETIME

    def refused_token_requests(self, subject: str | None = None) -> int:
        """How many token requests (of ``subject``, if given) were answered with an error."""
        with self._lock:
            return sum(
                1
                for who, status in self.token_answers
                if status != 200 and (subject is None or who == subject)
            )

    def _take_fault(self, subject: str | None) -> TokenFault | None:
        with self._lock:
            for fault in self._token_faults:
                if fault.remaining > 0 and fault.subject in (None, subject):
                    fault.remaining -= 1
                    return fault
        return None

    # -- ID tokens -----------------------------------------------------------------

    def claims(
        self,
        email: str,
        audience: str,
        *,
        issuer: str = GOOGLE_ISSUER,
        email_verified: bool | str = True,
        hd: str | None = None,
        expires_in: int = 3600,
        issued_at: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        omit_claims: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The claims of an ID token like Google's for an Apps Script identity token."""
        iat = int(time.time()) if issued_at is None else issued_at
        claims: dict[str, Any] = {
            "iss": issuer,
            "azp": audience,
            "aud": audience,
            "sub": subject_for(email),
            "email": email,
            "email_verified": email_verified,
            "iat": iat,
            "exp": iat + expires_in,
        }
        if hd is not None:
            claims["hd"] = hd
        claims.update(extra_claims or {})
        for name in omit_claims:
            claims.pop(name, None)
        return claims

    def mint(
        self,
        email: str,
        audience: str,
        *,
        issuer: str = GOOGLE_ISSUER,
        email_verified: bool | str = True,
        hd: str | None = None,
        expires_in: int = 3600,
        issued_at: int | None = None,
        kid: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        omit_claims: Iterable[str] = (),
    ) -> str:
        """An RS256 ID token signed by the current key (``kid`` overrides the header's kid)."""
        claims = self.claims(
            email,
            audience,
            issuer=issuer,
            email_verified=email_verified,
            hd=hd,
            expires_in=expires_in,
            issued_at=issued_at,
            extra_claims=extra_claims,
            omit_claims=omit_claims,
        )
        key = self._keys[-1]
        return self._encode(key, claims, kid or key.kid)

    def mint_foreign(self, email: str, audience: str, **claim_options: Any) -> str:
        """A token that names the issuer's current kid but is signed by another key."""
        claims = self.claims(email, audience, **claim_options)
        with self._lock:
            if self._foreign is None:
                self._foreign = _new_key("foreign-token-issuer")
            foreign = self._foreign
        return self._encode(foreign, claims, self.kid)

    def mint_unsigned(self, email: str, audience: str, **claim_options: Any) -> str:
        """An ``alg: none`` token (empty signature) naming the current kid."""
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        claims = self.claims(email, audience, **claim_options)
        return f"{_json_segment(header)}.{_json_segment(claims)}."

    def mint_hs256(self, email: str, audience: str, **claim_options: Any) -> str:
        """An HS256 token keyed with the public certificate (the algorithm-confusion attack)."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        claims = self.claims(email, audience, **claim_options)
        signing_input = f"{_json_segment(header)}.{_json_segment(claims)}"
        key = self._keys[-1].certificate_pem.encode("ascii")
        mac = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    @staticmethod
    def _encode(key: _Key, claims: Mapping[str, Any], kid: str) -> str:
        token = google.auth.jwt.encode(  # type: ignore[no-untyped-call]
            key.signer, dict(claims), key_id=kid
        )
        return bytes(token).decode("ascii")

    # -- HTTP ----------------------------------------------------------------------

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/oauth2/v1/certs"):
            return self._serve_certs()
        if route == ("POST", "/id-token"):
            return self._serve_id_token(request)
        if request.path == AUTHORIZE_PATH and request.method in ("GET", "POST"):
            return self.oidc.authorize(request)
        if route == ("POST", "/token"):
            if request.form.get("grant_type") == "authorization_code":
                return self.oidc.exchange(request)
            return self._serve_token(request)
        if request.path == "/control/token-faults":
            return self._serve_fault_control(request)
        return _json({"error": "not_found"}, 404)

    def _serve_fault_control(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_token_faults()
            return _json({})
        body = request.get_json(silent=True) if request.method == "POST" else None
        if not isinstance(body, dict):
            return _json({"error": "invalid_request", "error_description": "JSON body"}, 400)
        try:
            self.fail_token_requests(
                int(body.get("count", 1)),
                status=int(body.get("status", 400)),
                error=str(body.get("error", "invalid_grant")),
                description=body.get("error_description"),
                subject=body.get("subject"),
            )
        except (TypeError, ValueError):
            return _json({"error": "invalid_request", "error_description": "fields"}, 400)
        return _json({})

    def _serve_certs(self) -> Response:
        with self._lock:
            self.cert_fetches += 1
        if self.certs_status is not None:
            return Response("certificates unavailable", status=self.certs_status)
        response = _json(self.certificates())
        response.headers["Cache-Control"] = f"public, max-age={self.cert_max_age}"
        return response

    def _serve_id_token(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json({"error": "invalid_request", "error_description": "JSON body"}, 400)
        email, audience = body.get("email"), body.get("audience")
        if not isinstance(email, str) or not isinstance(audience, str):
            return _json(
                {"error": "invalid_request", "error_description": "email and audience"}, 400
            )
        options: dict[str, Any] = {
            name: body[name]
            for name in ("hd", "email_verified", "issuer", "expires_in")
            if name in body
        }
        return _json({"id_token": self.mint(email, audience, **options)})

    def _serve_token(self, request: Request) -> Response:
        if request.form.get("grant_type") != JWT_BEARER_GRANT:
            return _json({"error": "unsupported_grant_type"}, 400)
        assertion = request.form.get("assertion", "")
        try:
            claims = self._verify_assertion(assertion)
        except ValueError as err:
            return _json({"error": "invalid_grant", "error_description": str(err)}, 400)
        if not str(claims.get("scope", "")).strip():
            return _json({"error": "invalid_scope", "error_description": "Empty scope"}, 400)
        subject = str(claims["sub"]) if claims.get("sub") else None
        fault = self._take_fault(subject)
        if fault is not None:
            with self._lock:
                self.token_answers.append((subject, fault.status))
            return _json(fault.body(), fault.status)
        if subject is not None:
            access_token = LOCAL_USER_TOKEN_PREFIX + subject
        else:
            access_token = f"local-access-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.received_assertions.append(dict(claims))
            self.issued_access_tokens.append(access_token)
            self.token_answers.append((subject, 200))
            lifetime = self.access_token_lifetime
        return _json({"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime})

    def _verify_assertion(self, assertion: str) -> Mapping[str, Any]:
        try:
            unverified = google.auth.jwt.decode(  # type: ignore[no-untyped-call]
                assertion, verify=False
            )
        except (google.auth.exceptions.GoogleAuthError, ValueError, TypeError) as err:
            raise ValueError("Invalid JWT: malformed assertion") from err
        with self._lock:
            keys = list(self._trusted.get(str(unverified.get("iss")), ()))
        if not keys:
            raise ValueError("Invalid JWT Signature: unknown service account")
        try:
            claims = google.auth.jwt.decode(  # type: ignore[no-untyped-call]
                assertion,
                certs=keys,
                audience=[GOOGLE_TOKEN_AUDIENCE, self.token_uri],
            )
        except (google.auth.exceptions.GoogleAuthError, ValueError, TypeError) as err:
            raise ValueError(f"Invalid JWT: {err}") from err
        if int(claims["exp"]) - int(claims["iat"]) > MAX_ASSERTION_LIFETIME:
            raise ValueError("Invalid JWT: Token must be a short-lived token (60 minutes)")
        return dict(claims)


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", help="register a web OAuth client (sign-in)")
    parser.add_argument("--client-secret", default="local-secret")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--workspace-domain", action="append", default=[])
    args = parser.parse_args(argv)
    setup_logging()
    issuer = TokenIssuer(args.port).start()
    if args.client_id:
        issuer.oidc.register_client(args.client_id, args.client_secret, args.redirect_uri)
    issuer.oidc.workspace_domains.update(d.lower() for d in args.workspace_domain)
    _LOGGER.info("token issuer serving on %s (certs: %s)", issuer.base_url, issuer.certs_url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        issuer.stop()


if __name__ == "__main__":
    main()
