"""Conformance of the local token issuer's OpenID Connect sign-in with Google's
authorization code flow for web clients (PKCE S256, nonce, single-use codes)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import google.auth.jwt
import pytest
import requests

from local.fakes.token_issuer import TokenIssuer

CLIENT = "join-client.apps.googleusercontent.com"
SECRET = "join-secret"
REDIRECT = "http://127.0.0.1:9/oauth/callback"
VERIFIER = "v" * 43


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def running() -> Iterator[TokenIssuer]:
    with TokenIssuer() as issuer:
        yield issuer


@pytest.fixture
def issuer(running: TokenIssuer) -> TokenIssuer:
    running.oidc.reset()
    running.oidc.register_client(CLIENT, SECRET, [REDIRECT])
    running.oidc.workspace_domains.add("example.com")
    return running


def _authorize(issuer: TokenIssuer, **overrides: str) -> requests.Response:
    query = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    query.update(overrides)
    url = issuer.authorize_url + "?" + urlencode({k: v for k, v in query.items() if v != "-"})
    return requests.get(url, timeout=5, allow_redirects=False)


def _code(issuer: TokenIssuer, email: str = "ann@example.com", **overrides: str) -> str:
    answer = _authorize(issuer, identity=email, **overrides)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [overrides.get("state", "st-1")]
    return query["code"][0]


def _exchange(issuer: TokenIssuer, the_code: str, **overrides: str) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": the_code,
        "code_verifier": VERIFIER,
        "redirect_uri": REDIRECT,
        "client_id": CLIENT,
        "client_secret": SECRET,
    }
    form.update(overrides)
    return requests.post(issuer.token_uri, data=form, timeout=5)


def test_the_page_lets_a_person_choose_an_identity(issuer: TokenIssuer) -> None:
    page = _authorize(issuer)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'id="email"' in page.text
    assert 'name="state" value="st-1"' in page.text


def test_the_form_redirects_back_with_a_code_and_the_state(issuer: TokenIssuer) -> None:
    fields = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email",
        "state": "st-9",
        "nonce": "n",
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
        "email": "bob@example.org",
        "action": "continue",
    }
    answer = requests.post(issuer.authorize_url, data=fields, timeout=5, allow_redirects=False)

    location = answer.headers["Location"]
    assert answer.status_code == 302
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["state"] == ["st-9"]


def test_cancel_redirects_with_access_denied(issuer: TokenIssuer) -> None:
    fields = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "action": "cancel",
    }
    answer = requests.post(issuer.authorize_url, data=fields, timeout=5, allow_redirects=False)

    assert parse_qs(urlsplit(answer.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s"],
    }


@pytest.mark.parametrize(
    ("overrides", "status"),
    [({"client_id": "unknown"}, 401), ({"redirect_uri": "https://evil.example/cb"}, 400)],
)
def test_an_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(
    issuer: TokenIssuer, overrides: dict[str, str], status: int
) -> None:
    answer = _authorize(issuer, identity="ann@example.com", **overrides)

    assert answer.status_code == status
    assert "Location" not in answer.headers


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge": "-"},
        {"scope": "email"},
        {"response_type": "token"},
    ],
)
def test_a_request_without_pkce_s256_or_openid_is_redirected_with_an_error(
    issuer: TokenIssuer, overrides: dict[str, str]
) -> None:
    answer = _authorize(issuer, identity="ann@example.com", **overrides)

    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]


def test_the_code_gives_an_id_token_with_the_nonce_for_the_client(issuer: TokenIssuer) -> None:
    answer = _exchange(issuer, _code(issuer))

    body = answer.json()
    certs = issuer.certificates()
    claims = google.auth.jwt.decode(  # type: ignore[no-untyped-call]
        body["id_token"], certs=certs, audience=CLIENT
    )
    assert answer.status_code == 200
    assert claims["nonce"] == "n-1"
    assert claims["email"] == "ann@example.com"
    assert claims["email_verified"] is True
    assert claims["hd"] == "example.com"
    assert claims["iss"] == "https://accounts.google.com"


def test_a_consumer_identity_has_no_hosted_domain(issuer: TokenIssuer) -> None:
    answer = _exchange(issuer, _code(issuer, "carol@gmail.test"))

    token = answer.json()["id_token"]
    claims = google.auth.jwt.decode(token, verify=False)  # type: ignore[no-untyped-call]
    assert "hd" not in claims


def test_a_code_is_single_use(issuer: TokenIssuer) -> None:
    code = _code(issuer)

    first = _exchange(issuer, code)
    second = _exchange(issuer, code)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"code_verifier": "w" * 43}, 400, "invalid_grant"),
        ({"code_verifier": ""}, 400, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, 400, "redirect_uri_mismatch"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"code": "4/forged"}, 400, "invalid_grant"),
    ],
)
def test_the_exchange_checks_verifier_redirect_client_and_code(
    issuer: TokenIssuer, overrides: dict[str, str], status: int, error: str
) -> None:
    answer = _exchange(issuer, _code(issuer), **overrides)

    assert answer.status_code == status
    assert answer.json()["error"] == error


def test_a_refused_exchange_uses_the_code_up(issuer: TokenIssuer) -> None:
    code = _code(issuer)

    _exchange(issuer, code, code_verifier="w" * 43)
    retried = _exchange(issuer, code)

    assert retried.status_code == 400


def test_client_credentials_may_come_as_http_basic(issuer: TokenIssuer) -> None:
    form = {
        "grant_type": "authorization_code",
        "code": _code(issuer),
        "code_verifier": VERIFIER,
        "redirect_uri": REDIRECT,
    }
    answer = requests.post(issuer.token_uri, data=form, auth=(CLIENT, SECRET), timeout=5)

    assert answer.status_code == 200


def test_an_expired_code_is_refused(issuer: TokenIssuer) -> None:
    code = _code(issuer)
    real_clock = issuer.oidc.clock
    issuer.oidc.clock = lambda: real_clock() + 601
    try:
        answer = _exchange(issuer, code)
    finally:
        issuer.oidc.clock = real_clock

    assert answer.status_code == 400
