"""Sign-in against the local token issuer's OIDC endpoints: PKCE, the nonce, the ID
token checks, single-use codes, and a token endpoint that fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.fakes.token_issuer import TokenIssuer
from local.ports import free_port
from shared.errors import TransientFailure, Unauthenticated
from shared.join import oidc
from shared.join.settings import JoinSettings

CLIENT = "join.apps.googleusercontent.com"
SECRET = "join-secret"
REDIRECT = "https://join.example/oauth/callback"


@pytest.fixture(scope="module")
def running() -> Iterator[TokenIssuer]:
    with TokenIssuer() as issuer:
        issuer.oidc.register_client(CLIENT, SECRET, [REDIRECT])
        issuer.oidc.workspace_domains.add("example.com")
        yield issuer


@pytest.fixture
def settings(running: TokenIssuer) -> JoinSettings:
    running.oidc.reset()
    return JoinSettings(
        session_key=b"k" * 32,
        oauth_client_id=CLIENT,
        oauth_client_secret=SECRET,
        authorize_url=running.authorize_url,
        token_url=running.token_uri,
    )


def code_for(settings: JoinSettings, attempt: oidc.Attempt, email: str) -> str:
    url = oidc.authorize_url(settings, REDIRECT, attempt) + "&identity=" + email
    answer = requests.get(url, timeout=5, allow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [attempt.state]
    return query["code"][0]


def test_pkce_s256_matches_rfc_7636() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B

    assert oidc.pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_attempts_are_fresh_each_time() -> None:
    first, second = oidc.new_attempt(), oidc.new_attempt()

    assert len({first.state, first.nonce, first.verifier, second.state}) == 4
    assert len(first.verifier) >= 43


def test_the_authorize_url_keeps_an_existing_query(settings: JoinSettings) -> None:
    url = oidc.authorize_url(
        replace(settings, authorize_url="https://a.example/auth?x=1"), REDIRECT, oidc.new_attempt()
    )

    assert url.startswith("https://a.example/auth?x=1&client_id=")


def test_a_sign_in_gives_the_verified_user(running: TokenIssuer, settings: JoinSettings) -> None:
    attempt = oidc.new_attempt()
    client = oidc.OidcClient(settings, certs_url=running.certs_url)

    user = client.sign_in(
        code_for(settings, attempt, "Ann@Example.com"), attempt.verifier, attempt.nonce, REDIRECT
    )

    assert user.email == "ann@example.com"
    assert user.hosted_domain == "example.com"


def test_a_replayed_code_is_refused(running: TokenIssuer, settings: JoinSettings) -> None:
    attempt = oidc.new_attempt()
    client = oidc.OidcClient(settings, certs_url=running.certs_url)
    code = code_for(settings, attempt, "ann@example.com")
    client.sign_in(code, attempt.verifier, attempt.nonce, REDIRECT)

    with pytest.raises(Unauthenticated, match="code refused"):
        client.sign_in(code, attempt.verifier, attempt.nonce, REDIRECT)


def test_a_wrong_verifier_or_nonce_is_refused(running: TokenIssuer, settings: JoinSettings) -> None:
    client = oidc.OidcClient(settings, certs_url=running.certs_url)
    attempt = oidc.new_attempt()

    with pytest.raises(Unauthenticated, match="code refused"):
        client.sign_in(
            code_for(settings, attempt, "a@example.com"), "x" * 43, attempt.nonce, REDIRECT
        )
    with pytest.raises(Unauthenticated, match="nonce mismatch"):
        client.sign_in(
            code_for(settings, attempt, "a@example.com"), attempt.verifier, "other", REDIRECT
        )


def test_an_unverified_email_is_refused(running: TokenIssuer, settings: JoinSettings) -> None:
    running.oidc.unverified_emails.add("eve@example.org")
    client = oidc.OidcClient(settings, certs_url=running.certs_url)
    attempt = oidc.new_attempt()
    code = code_for(settings, attempt, "eve@example.org")

    with pytest.raises(Unauthenticated, match="unverified email"):
        client.sign_in(code, attempt.verifier, attempt.nonce, REDIRECT)


def test_a_token_for_another_audience_is_refused(
    running: TokenIssuer, settings: JoinSettings
) -> None:
    other = replace(settings, oauth_client_id="other-client")
    running.oidc.register_client("other-client", SECRET, [REDIRECT])
    attempt = oidc.new_attempt()
    code = code_for(other, attempt, "a@example.com")
    client = oidc.OidcClient(settings, certs_url=running.certs_url)
    exchanging = oidc.OidcClient(other, certs_url=running.certs_url)
    token = exchanging._exchange(code, attempt.verifier, REDIRECT)

    with pytest.raises(Unauthenticated, match="wrong audience"):
        client._verifier.verify(token)


@pytest.mark.parametrize("code", ["", "x" * 3000])
def test_a_malformed_code_is_refused_unsent(settings: JoinSettings, code: str) -> None:
    client = oidc.OidcClient(settings, certs_url="http://127.0.0.1:1/certs")

    with pytest.raises(Unauthenticated, match="malformed"):
        client.sign_in(code, "v", "n", REDIRECT)


def test_an_unreachable_token_endpoint_is_transient(settings: JoinSettings) -> None:
    down = replace(settings, token_url=f"http://127.0.0.1:{free_port()}/token")
    client = oidc.OidcClient(down, certs_url="http://127.0.0.1:1/certs", timeout=2)

    with pytest.raises(TransientFailure):
        client.sign_in("code", "v", "n", REDIRECT)


class _Answer:
    def __init__(self, status: int, body: object) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> object:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


class _Session(requests.Session):
    def __init__(self, answer: _Answer) -> None:
        super().__init__()
        self.answer = answer

    def post(self, *args: object, **kwargs: object) -> _Answer:  # type: ignore[override]
        return self.answer


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (_Answer(503, {}), TransientFailure),
        (_Answer(429, {}), TransientFailure),
        (_Answer(200, ValueError("html")), TransientFailure),
        (_Answer(200, {"access_token": "a"}), Unauthenticated),
        (_Answer(200, ["x"]), Unauthenticated),
    ],
)
def test_odd_token_answers(settings: JoinSettings, answer: _Answer, error: type[Exception]) -> None:
    client = oidc.OidcClient(
        settings, certs_url="http://127.0.0.1:1/certs", session=_Session(answer)
    )

    with pytest.raises(error):
        client.sign_in("code", "v", "n", REDIRECT)
